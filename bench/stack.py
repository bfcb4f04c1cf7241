"""Everything one bench run talks to: one Temporal dev server, one database (a fresh SQLite
file, or PostgreSQL), the API processes, the hand-off listener, and the worker processes
each phase starts for itself. All on loopback, all stopped on exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import Client

from bench import cpu
from bench.config import BenchConfig
from bench.handoff import HandoffBoard, listening
from bench.processes import (
    ROOT,
    Child,
    child_environment,
    free_loopback_port,
    prepare_bytecode,
)
from bench.server import start_server
from bench.worker_process import WorkerSpec, create_shape_table
from rebook.db.engine import create_engine_for
from rebook.db.migrate import upgrade_to_head

log = logging.getLogger("bench")

HTTP_TIMEOUT_S = 60.0
# CPU of server and workers below this share of one core: the last phase's tail is done.
QUIET_SHARE = 0.10
QUIET_SAMPLE_S = 0.25
QUIET_MAX_WAIT_S = 15.0


@dataclass
class Api:
    child: Child
    base_url: str


@dataclass
class Stack:
    config: BenchConfig
    tmp: Path
    database_url: str
    server: Child
    client: Client
    board: HandoffBoard
    apis: list[Api] = field(default_factory=list)
    # The API processes of the `reference` phase (Rebook from config.reference).
    reference_apis: list[Api] = field(default_factory=list)
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def queue(self, kind: str) -> str:
        """The task queue of a phase; for rebook and reference, the one their API starts
        appointment workflows on."""
        return f"bench-{kind}-{self.run}"

    def root(self, kind: str) -> Path:
        """Where a phase's processes run from: this checkout, or the reference one."""
        if kind == "reference" and self.config.reference:
            return Path(self.config.reference)
        return ROOT

    def bytecode(self, kind: str) -> bool:
        return self.config.reference_bytecode if kind == "reference" else self.config.bytecode

    def apis_for(self, kind: str) -> list[Api]:
        return self.reference_apis if kind == "reference" else self.apis

    def worker_settings(self, kind: str) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "database_url": self.database_url,
            "temporal_address": self.client.service_client.config.target_host,
            "temporal_namespace": self.client.namespace,
            "task_queue": self.queue(kind),
            # Credentials from a developer's .env must not turn a bench into real emails
            # and texts: every channel goes to the embedded outbox.
            "sendgrid_api_key": None,
            "twilio_account_sid": None,
            "twilio_auth_token": None,
        }
        if self.config.activity_threads is not None:
            settings["activity_threads"] = self.config.activity_threads
        return settings

    def api_environment(self, kind: str, port: int) -> dict[str, str]:
        settings = self.worker_settings(kind)
        env = {
            name.upper(): "" if value is None else str(value) for name, value in settings.items()
        }
        env.update({"API_HOST": "127.0.0.1", "API_PORT": str(port), "API_KEYS": ""})
        return child_environment(self.bytecode(kind), env)

    def start_api(self, kind: str = "rebook", counts_path: Path | None = None) -> Api:
        port = free_loopback_port()
        argv = [sys.executable, "-m", "bench.api_process"]
        if counts_path is not None:
            argv.append(str(counts_path))
        child = Child("api", argv, self.api_environment(kind, port), root=self.root(kind))
        child.await_port("127.0.0.1", port)
        return Api(child, f"http://127.0.0.1:{port}")

    @contextlib.asynccontextmanager
    async def workers(
        self,
        kind: str,
        count: int = 1,
        *,
        metrics_port: int | None = None,
        sql_counts_path: Path | None = None,
    ) -> AsyncIterator[list[Child]]:
        """`count` worker processes of one kind on its queue, stopped (drained) on exit."""
        spec = WorkerSpec(
            # The reference is Rebook's worker too, from the other checkout.
            kind="rebook" if kind == "reference" else kind,
            settings=self.worker_settings(kind),
            handoff_path=str(self.tmp / "handoff.sock"),
            metrics_port=metrics_port,
            sql_counts_path=str(sql_counts_path) if sql_counts_path else None,
        )
        argv = [sys.executable, "-m", "bench.worker_process", spec.to_json()]
        env = child_environment(self.bytecode(kind))
        started: list[Child] = []
        # Started and stopped on the loop's thread, blocking it for a moment between
        # phases: a cancelled thread hop (Ctrl-C) could leave a process nobody stops.
        try:
            for _ in range(count):
                started.append(Child("worker", argv, env, ready_line=True, root=self.root(kind)))
            yield started
        finally:
            for child in started:
                child.stop()

    def roles(self, workers: list[Child], apis: list[Api]) -> dict[str, list[int]]:
        return {
            "server": [self.server.pid],
            "worker": [w.pid for w in workers],
            "api": [api.child.pid for api in apis],
            "client": [os.getpid()],
        }

    async def quiesce(self, workers: list[Child]) -> None:
        """Wait until the server and workers have finished the work already handed to them
        (the last workflow tasks of a phase run after the driver saw its last hand-off), so
        a phase's CPU window holds all of its own work and none of the next one's."""
        pids = {"busy": [self.server.pid, *(w.pid for w in workers)]}
        deadline = time.monotonic() + QUIET_MAX_WAIT_S
        last = cpu.total(pids)
        while time.monotonic() < deadline:
            await asyncio.sleep(QUIET_SAMPLE_S)
            now = cpu.total(pids)
            if now - last < QUIET_SHARE * QUIET_SAMPLE_S:
                return
            last = now

    def http(self, api: Api, connections: int) -> httpx.AsyncClient:
        # Keep-alive connections, as a booking platform's webhook sender keeps them, so the
        # measurement is not of TCP handshakes.
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return httpx.AsyncClient(base_url=api.base_url, limits=limits, timeout=HTTP_TIMEOUT_S)


@contextlib.contextmanager
def _database(config: BenchConfig, tmp: Path) -> Iterator[str]:
    if config.database_url:
        yield config.database_url
    elif config.postgres:
        # A throwaway cluster, as the tests start one (PostgreSQL binaries must be installed).
        from tests.support.postgres import postgres_database_url

        with postgres_database_url() as url:
            yield url
    else:
        yield f"sqlite:///{tmp / 'rebook.db'}"


def _prepare_database(url: str) -> None:
    upgrade_to_head(url)
    engine = create_engine_for(url)
    try:
        create_shape_table(engine)
    finally:
        engine.dispose()


@contextlib.asynccontextmanager
async def running_stack(config: BenchConfig) -> AsyncIterator[Stack]:
    prepare_bytecode(ROOT, config.bytecode)
    if config.reference:
        prepare_bytecode(Path(config.reference), config.reference_bytecode)
    with (
        tempfile.TemporaryDirectory(prefix="rebook-bench-") as tmp_name,
        _database(config, Path(tmp_name)) as database_url,
    ):
        tmp = Path(tmp_name)
        _prepare_database(database_url)
        server, client = await start_server()
        try:
            async with listening(tmp / "handoff.sock") as board:
                stack = Stack(config, tmp, database_url, server, client, board)
                try:
                    for _ in range(config.api_processes):
                        stack.apis.append(stack.start_api())
                        if config.reference:
                            stack.reference_apis.append(stack.start_api("reference"))
                    yield stack
                finally:
                    for api in (*stack.apis, *stack.reference_apis):
                        api.child.stop()
        finally:
            server.stop()
