"""A real PostgreSQL for tests, with no setup beyond the server binaries.

PostgreSQL is part of the product contract, so tests run against it by default:

* TEST_DATABASE_URL set: use that server (its role must be allowed to CREATE DATABASE;
  tests create and drop throwaway databases next to the one named in the URL).
* otherwise: initdb a throwaway cluster in a temp dir, start it on a free loopback port
  (unix socket inside the temp dir too, so nothing system-wide is touched) and remove it
  afterwards. postgres refuses to run as root, so as root the cluster is owned by and run
  as an unprivileged account ("postgres" if it exists, else "nobody") via runuser/setpriv.
* no binaries at all: PostgresUnavailable; the fixtures turn that into a failure, or a
  skip when REBOOK_ALLOW_NO_POSTGRES=1.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from rebook.db.engine import normalize_url

TEST_DATABASE_URL_ENV = "TEST_DATABASE_URL"
ALLOW_NO_POSTGRES_ENV = "REBOOK_ALLOW_NO_POSTGRES"
PG_BIN_DIR_ENV = "REBOOK_PG_BIN_DIR"  # optional override of where initdb/pg_ctl live

SUPERUSER = "rebook"
DEFAULT_DATABASE = "rebook"
UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")
START_ATTEMPTS = 3  # a free port can be taken between probing and binding it
START_TIMEOUT_S = 60

# Durability is worthless for a throwaway cluster; turning it off makes tests faster.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
}


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL to test against (binaries missing or the cluster would not start)."""


@dataclass(frozen=True)
class PostgresServer:
    """A server tests may create databases on. url points at its maintenance database."""

    url: str

    def url_for(self, database: str) -> str:
        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def create_database(self, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of template) and return its URL."""
        name = "test_" + uuid.uuid4().hex[:16]
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        self._run_outside_transaction(statement)
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        if not name:
            raise ValueError(f"no database name in {url!r}")
        # FORCE: a test that leaked a pooled connection must not break teardown.
        self._run_outside_transaction(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )

    @contextlib.contextmanager
    def throwaway_database(self, *, template: str | None = None) -> Iterator[str]:
        url = self.create_database(template=template)
        try:
            yield url
        finally:
            self.drop_database(url)

    def _run_outside_transaction(self, statement: sql.Composed) -> None:
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        with psycopg.connect(libpq_conninfo(self.url), autocommit=True) as connection:
            connection.execute(statement)


def libpq_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    configured = os.environ.get(TEST_DATABASE_URL_ENV)
    if configured:
        yield PostgresServer(normalize_url(configured).render_as_string(hide_password=False))
        return
    with throwaway_cluster() as url:
        yield PostgresServer(url)


@contextlib.contextmanager
def postgres_database_url() -> Iterator[str]:
    """A fresh, empty database on the test server (see postgres_server), dropped after."""
    with postgres_server() as server, server.throwaway_database() as url:
        yield url


def find_postgres_bin_dir() -> Path:
    candidates: list[Path] = []
    if override := os.environ.get(PG_BIN_DIR_ENV):
        candidates.append(Path(override))
    if pg_ctl := shutil.which("pg_ctl"):
        # Resolve symlinks (e.g. /usr/local/bin -> /usr/lib/postgresql/15/bin) so initdb,
        # pg_ctl and postgres come from one installation.
        candidates.append(Path(pg_ctl).resolve().parent)
    candidates.extend(
        Path(found)
        for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    )
    for directory in candidates:
        if all((directory / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return directory
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or under "
        f"/usr/lib/postgresql/*/bin. Install PostgreSQL, set {TEST_DATABASE_URL_ENV} to a "
        f"server, or set {ALLOW_NO_POSTGRES_ENV}=1 to skip PostgreSQL tests."
    )


@contextlib.contextmanager
def throwaway_cluster() -> Iterator[str]:
    bin_dir = find_postgres_bin_dir()
    run_as = _unprivileged_command_prefix()
    # As root, TMPDIR may be private (e.g. under /root); the server account needs to reach
    # its directory, and /tmp is world-traversable.
    root = Path(tempfile.mkdtemp(prefix="rebook-pg-", dir="/tmp" if run_as else None))
    data_dir = root / "data"
    stop = [*run_as, str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w"]
    watchdog = _start_cleanup_watchdog([*stop, "stop"], root)
    try:
        _hand_over(root)
        _run([*run_as, str(bin_dir / "initdb"), *_initdb_args(data_dir)], cwd=root)
        port = _start(bin_dir, run_as, root, data_dir)
        admin_url = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/postgres"
        PostgresServer(admin_url)._run_outside_transaction(
            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DEFAULT_DATABASE))
        )
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{DEFAULT_DATABASE}"
    finally:
        _finish_cleanup(watchdog, [*stop, "stop"], root)


# Runs in its own process and session: it blocks on a pipe from the test process and, at
# EOF (normal teardown closes the pipe; a killed or crashed test run closes it too), stops
# the server and deletes the cluster. A timed-out or SIGKILLed pytest thus leaves no
# postgres running and no data directory behind.
_WATCHDOG = """
import shutil, subprocess, sys
sys.stdin.buffer.read()
stop_command, root = sys.argv[1:-1], sys.argv[-1]
subprocess.run(stop_command, cwd=root, capture_output=True, check=False)
shutil.rmtree(root, ignore_errors=True)
"""
WATCHDOG_TIMEOUT_S = 60


def _start_cleanup_watchdog(stop_command: list[str], root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, *stop_command, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C on the test run must not kill it before cleanup
    )


def _finish_cleanup(watchdog: subprocess.Popen[bytes], stop_command: list[str], root: Path) -> None:
    assert watchdog.stdin is not None
    watchdog.stdin.close()
    try:
        watchdog.wait(timeout=WATCHDOG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        watchdog.kill()
        watchdog.wait()
    if root.exists():  # the watchdog did not get to it: clean up inline
        subprocess.run(stop_command, cwd=root, capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def _initdb_args(data_dir: Path) -> list[str]:
    return [
        "-D",
        str(data_dir),
        "-U",
        SUPERUSER,
        "--auth=trust",  # loopback + private socket dir only; nothing to protect
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
    ]


def _start(bin_dir: Path, run_as: list[str], root: Path, data_dir: Path) -> int:
    log_file = root / "server.log"
    failure = ""
    for _ in range(START_ATTEMPTS):
        port = _free_loopback_port()
        options = " ".join(
            [f"-p {port}", f"-k {root}"]
            + [f"-c {name}={value}" for name, value in SERVER_SETTINGS.items()]
        )
        started = subprocess.run(
            [
                *run_as,
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data_dir),
                "-l",
                str(log_file),
                "-o",
                options,
                "-w",
                "-t",
                str(START_TIMEOUT_S),
                "start",
            ],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        if started.returncode == 0:
            return port
        failure = started.stdout + started.stderr + _tail(log_file)
    raise PostgresUnavailable(f"throwaway PostgreSQL did not start:\n{failure}")


def _unprivileged_command_prefix() -> list[str]:
    """Command prefix that runs a program as a non-root account when we are root."""
    if os.geteuid() != 0:
        return []
    account = _unprivileged_account()
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", account.pw_name, "--"]
    if setpriv := shutil.which("setpriv"):
        return [
            setpriv,
            f"--reuid={account.pw_uid}",
            f"--regid={account.pw_gid}",
            "--clear-groups",
        ]
    raise PostgresUnavailable(
        "running as root and neither runuser nor setpriv is available to drop privileges "
        f"for postgres; set {TEST_DATABASE_URL_ENV} instead"
    )


def _unprivileged_account() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_ACCOUNTS:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresUnavailable(
        f"running as root and none of the accounts {UNPRIVILEGED_ACCOUNTS} exists to run "
        f"postgres as; create one or set {TEST_DATABASE_URL_ENV}"
    )


def _hand_over(root: Path) -> None:
    """Give the temp dir to the account postgres will run as (it must own its data dir
    and be able to create its socket there)."""
    root.chmod(0o700)
    if os.geteuid() == 0:
        account = _unprivileged_account()
        os.chown(root, account.pw_uid, account.pw_gid)


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _run(command: list[str], *, cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}"
        )


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parent.name
    return tuple(int(part) for part in version.split(".") if part.isdigit())
