"""Workflow code must stay deterministic and sandbox-friendly: importing the workflow module
may pull in pure code and activity definitions only, never provider SDKs, database engines
or settings. Checked in a fresh interpreter so other tests' imports do not hide a leak."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN_ROOTS = {"sqlalchemy", "twilio", "sendgrid", "fastapi", "psycopg", "requests"}
FORBIDDEN_MODULES = {"rebook.settings", "rebook.db.engine", "rebook.db.stores", "worker"}

PROBE = """
import json, sys
before = set(sys.modules)
import workflows.appointment
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_workflow_module_imports_only_pure_code() -> None:
    output = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(output))
    leaked = sorted(
        m for m in loaded if m.split(".")[0] in FORBIDDEN_ROOTS or m in FORBIDDEN_MODULES
    )
    assert leaked == []
    assert "activities.messaging" in loaded  # the activity definitions it calls
