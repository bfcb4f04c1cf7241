"""Workflow code must stay deterministic and sandbox-friendly: importing the workflow module
may load only the pure core (rebook.core) and the activity definitions it calls, never
provider SDKs, database engines, settings, services or the API. Checked in a fresh
interpreter so other tests' imports do not hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys

FIRST_PARTY_ROOTS = {"rebook", "activities", "workflows", "api", "worker", "devstack", "bench"}
ALLOWED_FIRST_PARTY = ("rebook.core", "activities", "workflows")
FORBIDDEN_ROOTS = {"sqlalchemy", "twilio", "sendgrid", "fastapi", "psycopg", "requests"}

PROBE = """
import json, sys
before = set(sys.modules)
import workflows.appointment
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def _loaded_by_importing_the_workflow() -> set[str]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(output))


def _first_party_allowed(module: str) -> bool:
    # A package's own __init__ ("rebook") is loaded on the way to rebook.core.
    return module == "rebook" or any(
        module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED_FIRST_PARTY
    )


def test_workflow_module_imports_only_core_and_activities() -> None:
    loaded = _loaded_by_importing_the_workflow()

    first_party = {m for m in loaded if m.split(".")[0] in FIRST_PARTY_ROOTS}
    assert sorted(m for m in first_party if not _first_party_allowed(m)) == []
    assert sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS) == []
    assert "activities.messaging" in loaded  # the activity definitions it calls
