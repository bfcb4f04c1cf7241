"""Replays committed histories against today's workflow code. A failure means a change
would break appointments already running in production: gate it with workflow.patched.
Refresh with `REBOOK_RECORD_HISTORIES=1 .venv/bin/pytest tests/workflows/test_timelines.py`
only for intentional, patched changes (keep the old files too)."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from tests.support.harness import HISTORIES_DIR
from workflows.appointment import AppointmentWorkflow

HISTORY_FILES = sorted(HISTORIES_DIR.glob("*.json"))


def test_histories_are_committed() -> None:
    assert len(HISTORY_FILES) >= 5, "replay coverage needs the committed histories"


@pytest.mark.parametrize("path", HISTORY_FILES, ids=lambda p: p.stem)
async def test_replays_without_nondeterminism(path: Path) -> None:
    history = WorkflowHistory.from_json(f"appointment-{path.stem}", path.read_text())
    await Replayer(workflows=[AppointmentWorkflow]).replay_workflow(history)
