"""The modules issue 10's building blocks call pure stay pure: importing them loads no
provider SDK, HTTP client, database engine or settings, so workflows and the API can use
them freely. Checked in a fresh interpreter so other tests' imports do not hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN_ROOTS = {
    "sqlalchemy",
    "twilio",
    "sendgrid",
    "hubspot",
    "fastapi",
    "psycopg",
    "requests",
    "urllib3",
    "httpx",
}
FORBIDDEN_MODULES = {"rebook.settings", "rebook.db.engine", "rebook.db.stores", "worker"}

PROBE = """
import importlib, json, sys
before = set(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(set(sys.modules) - before)))
"""


@pytest.mark.parametrize(
    "module",
    [
        "rebook.tokens",
        "rebook.tracking",
        "rebook.outbound",
        "rebook.scoring",
        "rebook.crm.port",
    ],
)
def test_pure_modules_import_no_io_libraries(module):
    output = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(output))
    leaked = sorted(
        m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS or m in FORBIDDEN_MODULES
    )
    assert leaked == []
