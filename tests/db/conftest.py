"""Database fixtures for tests/db; the definitions live in tests.support.database_fixtures
so other test packages can import the same ones."""

from tests.support.database_fixtures import (
    database_url as database_url,
)
from tests.support.database_fixtures import (
    empty_database_url as empty_database_url,
)
from tests.support.database_fixtures import (
    engine as engine,
)
from tests.support.database_fixtures import (
    postgres_migrated_template as postgres_migrated_template,
)
from tests.support.database_fixtures import (
    postgres_server as postgres_server,
)
from tests.support.database_fixtures import (
    sessions as sessions,
)
