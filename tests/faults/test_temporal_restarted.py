"""The Temporal dev server killed and restarted (same state file) in the middle of an
appointment's follow-up sequence: the real worker (worker.py) rides it out and the
sequence completes with exactly one message per step, at the provider and in the ledger.
The sequence's timings are shortened by a playbook (PLAYBOOK_DIR) the appointment names."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from temporalio.client import Client

from rebook.core.contracts import AppointmentEvent, AppointmentWorkflowInput, Progress
from rebook.core.domain import AppointmentStatus, Channel, EventType
from rebook.core.names import EVENT_SIGNAL, WORKFLOW_NAME, workflow_id_for
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication
from tests.faults.conftest import ROOT, WAIT_S, FaultDatabase, Workers
from tests.playbooks.support import playbook_file
from tests.support.factories import appointment, contact
from tests.support.fakes import FakeTwilio
from tests.support.rows import save_appointment
from tests.support.temporal_dev import DevServer


def fast_follow_ups(data: dict[str, Any]) -> None:
    """The default playbook's follow-ups seconds apart instead of hours and days; no quiet
    hours."""
    for step, after in zip(data["phases"]["missed"], ["0m", "3s", "6s", "9s"], strict=True):
        step["after"] = after
    data["timing"]["close_as_lost_after_miss"] = "12s"
    data["policy"]["quiet_hours"] = None


STEPS = ["confirmation", "no_show_followup", "no_show_nudge", "value_content",
         "alternative_offer"]  # fmt: skip


@pytest.fixture
async def dev_server(tmp_path: Path) -> AsyncIterator[DevServer]:
    """This test's own server: it gets killed."""
    async with DevServer(tmp_path / "temporal.db") as server:
        yield server


def _messages(db: FaultDatabase) -> list[Communication]:
    with db.sessions() as session:
        rows = list(session.scalars(select(Communication)))
        session.expunge_all()
        return rows


async def _until_sent(db: FaultDatabase, step: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not any(m.step == step and m.status == "sent" for m in _messages(db)):
        assert time.monotonic() < deadline, f"{step} never sent"
        await asyncio.sleep(0.2)


@pytest.mark.timeout(180)
async def test_a_sequence_survives_a_temporal_restart_with_one_message_per_step(
    dev_server: DevServer,
    workers: Workers,
    fault_db: FaultDatabase,
    fake_twilio: FakeTwilio,
    tmp_path: Path,
) -> None:
    playbooks = tmp_path / "playbooks"
    playbooks.mkdir()
    playbook_file(playbooks, "fast", edit=fast_follow_ups)
    details = appointment(
        appointment_id=f"apt_{uuid.uuid4().hex[:8]}",
        starts_at=datetime.now(UTC) + timedelta(minutes=2),
        contact=contact(preferred_channel=Channel.SMS),
        playbook="fast",
    )
    save_appointment(fault_db.sessions, details)
    worker = workers.launch(str(ROOT / "worker.py"), PLAYBOOK_DIR=str(playbooks))
    client = await Client.connect(dev_server.address)
    handle = await client.start_workflow(
        WORKFLOW_NAME,
        AppointmentWorkflowInput(appointment=details),
        id=workflow_id_for(DEFAULT_WORKSPACE_ID, details.appointment_id),
        task_queue=workers.task_queue,
        result_type=Progress,
    )
    await _until_sent(fault_db, "confirmation")
    await handle.signal(
        EVENT_SIGNAL,
        AppointmentEvent(EventType.MISSED, event_id="miss-1", received_at=datetime.now(UTC)),
    )
    await _until_sent(fault_db, "no_show_followup")

    dev_server.kill()  # mid-sequence: the nudge, value content and offer are still due
    await asyncio.sleep(2)
    await dev_server.start()
    outcome: Progress = await asyncio.wait_for(handle.result(), WAIT_S)

    assert outcome.status is AppointmentStatus.LOST, workers.output()
    assert worker.proc.poll() is None, worker.output()  # the worker rode it out
    messages = _messages(fault_db)
    assert Counter(m.step for m in messages) == Counter(STEPS), workers.output()
    assert all(m.status in ("sent", "recorded") for m in messages), workers.output()
    assert Counter(m.channel for m in messages)["sms"] >= 2  # Twilio carried part of it
    sms = sorted(m.provider_message_id or "" for m in messages if m.channel == "sms")
    assert sorted(fake_twilio.sids) == sms  # each SMS step exactly once at Twilio
