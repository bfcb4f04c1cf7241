"""What the fault tests share: a Temporal dev server of their own, a database file the
test and its worker processes both open, and worker processes to kill and restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import DeliveryRequest
from rebook.core.domain import Channel, Recipient
from rebook.core.steps import Step, Template
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.models import Communication
from tests.support.factories import appointment
from tests.support.fakes import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, FakeTwilio
from tests.support.rows import save_appointment
from tests.support.temporal_dev import DevServer

ROOT = Path(__file__).resolve().parents[2]
SMS_FROM = "+15005550006"
WAIT_S = 60.0


@pytest.fixture(scope="module")
async def dev_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DevServer]:
    async with DevServer(tmp_path_factory.mktemp("temporal") / "temporal.db") as server:
        yield server


@dataclass
class FaultDatabase:
    url: str
    sessions: sessionmaker[Session]

    def sms_follow_up(self, name: str) -> DeliveryRequest:
        """A booked appointment (stored) and the request for its no-show follow-up by SMS,
        which the fake Twilio receives."""
        details = appointment(
            appointment_id=f"apt_{name}",
            external_id=f"ext-{name}",
            starts_at=datetime.now(UTC) - timedelta(minutes=10),
        )
        save_appointment(self.sessions, details)
        return DeliveryRequest(
            idempotency_key=f"{details.appointment_id}:no_show_followup@{name}:sms",
            step=Step.NO_SHOW_FOLLOWUP.value,
            template=Template.NO_SHOW_FOLLOWUP,
            channel=Channel.SMS,
            recipient=Recipient.CONTACT,
            scheduled_for=datetime.now(UTC),
            appointment=details,
        )

    def message(self, idempotency_key: str) -> Communication:
        with self.sessions() as session:
            row = session.scalar(
                select(Communication).where(Communication.idempotency_key == idempotency_key)
            )
            assert row is not None, idempotency_key
            session.expunge(row)
            return row


@pytest.fixture
def fault_db(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[FaultDatabase]:
    """A SQLite file (on disk: the worker processes open it too)."""
    path = tmp_path / "rebook.db"
    shutil.copyfile(migrated_sqlite_template, path)
    engine = create_engine_for(f"sqlite:///{path}")
    try:
        yield FaultDatabase(f"sqlite:///{path}", session_factory(engine))
    finally:
        engine.dispose()


@dataclass
class WorkerProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_exit(self, timeout: float = WAIT_S) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"worker still running after {timeout:.0f} s:\n{self.output()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Workers:
    """Worker processes on one test's task queue, database and fake Twilio. Each runs in
    a temporary directory, so no developer .env leaks in."""

    def __init__(self, directory: Path, env: dict[str, str], task_queue: str) -> None:
        self.task_queue = task_queue
        self.started: list[WorkerProcess] = []
        self._directory = directory
        self._env = env

    def launch(self, *argv: str, failpoints: str = "", **settings: str) -> WorkerProcess:
        """python argv..., with REBOOK_FAILPOINTS=failpoints when given, and settings
        (environment variables) added."""
        env = {**self._env, **settings}
        if failpoints:
            env["REBOOK_FAILPOINTS"] = failpoints
        log = self._directory / f"worker-{len(self.started)}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, *argv],
                cwd=self._directory,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        worker = WorkerProcess(proc, log)
        self.started.append(worker)
        return worker

    def output(self) -> str:
        return "\n".join(f"--- worker {i}\n{w.output()}" for i, w in enumerate(self.started))


@pytest.fixture
def workers(
    tmp_path: Path, fault_db: FaultDatabase, fake_twilio: FakeTwilio, dev_server: DevServer
) -> Iterator[Workers]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENDGRID_", "TWILIO_", "REBOOK_FAILPOINTS"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=fault_db.url,
        TEMPORAL_ADDRESS=dev_server.address,
        TWILIO_ACCOUNT_SID=TWILIO_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
        TWILIO_BASE_URL=fake_twilio.base_url,
        TWILIO_SMS_FROM=SMS_FROM,
        # Seconds where production has minutes, in the same proportions.
        PROVIDER_TIMEOUT_S="1",
        TWILIO_LOOKUP_SETTLE_S="1",
        DELIVERY_RECONCILE_WINDOW_S="30",
        ACTIVITY_THREADS="4",
    )
    task_queue = f"faults-{uuid.uuid4().hex[:8]}"
    env["TASK_QUEUE"] = task_queue
    pool = Workers(tmp_path, env, task_queue)
    try:
        yield pool
    finally:
        for worker in pool.started:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait()
