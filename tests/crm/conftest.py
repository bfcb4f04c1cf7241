from collections.abc import Iterator

import pytest

from tests.support.fakes.hubspot import FakeHubSpot


@pytest.fixture
def fake_hubspot() -> Iterator[FakeHubSpot]:
    with FakeHubSpot() as fake:
        yield fake
