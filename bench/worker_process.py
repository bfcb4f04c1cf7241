"""A bench worker in its own process, as in production: its own interpreter and GIL.

    python -m bench.worker_process '<WorkerSpec as JSON>'

Prints `ready` once polling, runs until SIGINT or SIGTERM, then drains. Kinds:

- rebook: worker.py's own worker (build_worker over build_activities, the same activities,
  stores, playbook catalog and per-workspace delivery as `python worker.py`; no provider
  credentials, so the embedded outbox), with each workspace's senders wrapped to report
  their hand-offs (bench.handoff.ReportingProfiles).
- noop, shape, shape_db: the baselines (bench.baselines) with build_worker's knobs:
  the same activity thread pool and max_concurrent_activities, default workflow settings.

Logging is at WARNING (worker.py logs at INFO: every outbox message is a log line, which a
production worker with real providers does not write).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from bench.baselines import NoopWorkflow, ShapeActivities, ShapeWorkflow, noop_activity
from bench.handoff import HandoffReporter, ReportingProfiles
from bench.processes import READY_LINE
from bench.sqlcount import counting_into
from rebook.db.engine import create_engine_for
from rebook.settings import Settings
from worker import build_activities, build_worker

KINDS = ("noop", "shape", "shape_db", "rebook")

# The shape_db activities' table: one short write each, in the database Rebook uses.
SHAPE_WRITES = Table(
    "bench_shape_writes",
    MetaData(),
    Column("id", String(40), primary_key=True),
    Column("workflow_key", String(200), nullable=False),
    Column("step", String(40), nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class WorkerSpec:
    kind: str
    # Settings fields (database_url, temporal_address, task_queue, ...); the rest default.
    settings: dict[str, Any]
    handoff_path: str
    metrics_port: int | None = None  # serve the SDK's Prometheus metrics here
    sql_counts_path: str | None = None  # count SQL statements (bench.sqlcount)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def create_shape_table(engine: Engine) -> None:
    SHAPE_WRITES.metadata.create_all(engine)


def shape_writer(engine: Engine) -> Any:
    def write(key: str, step: str) -> None:
        with engine.begin() as conn:
            conn.execute(
                SHAPE_WRITES.insert().values(
                    id=uuid.uuid4().hex, workflow_key=key, step=step, written_at=datetime.now(UTC)
                )
            )

    return write


async def connect(settings: Settings, metrics_port: int | None) -> Client:
    if metrics_port is None:
        return await Client.connect(
            settings.temporal_address, namespace=settings.temporal_namespace
        )
    runtime = Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(bind_address=f"127.0.0.1:{metrics_port}")
        )
    )
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, runtime=runtime
    )


def build(
    kind: str,
    client: Client,
    settings: Settings,
    reporter: HandoffReporter,
    pool: ThreadPoolExecutor,
) -> Worker:
    threads = settings.activity_threads
    if kind == "rebook":
        activities = build_activities(
            settings, wrap_delivery=lambda profiles: ReportingProfiles(profiles, reporter)
        )
        return build_worker(client, settings.task_queue, activities, pool, threads)
    workflows: Sequence[type] = [NoopWorkflow]
    functions: Sequence[Any] = [noop_activity]
    if kind in ("shape", "shape_db"):
        write = (
            shape_writer(create_engine_for(settings.database_url)) if kind == "shape_db" else None
        )
        shape = ShapeActivities(write, reporter.report)
        workflows, functions = [ShapeWorkflow], [shape.deliver, shape.record]
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=workflows,
        activities=functions,
        activity_executor=pool,
        max_concurrent_activities=threads,
    )


async def serve(spec: WorkerSpec) -> None:
    settings = Settings(**spec.settings)
    counter = counting_into(spec.sql_counts_path)
    client = await connect(settings, spec.metrics_port)
    reporter = HandoffReporter(spec.handoff_path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with ThreadPoolExecutor(max_workers=settings.activity_threads) as pool:
        async with build(spec.kind, client, settings, reporter, pool):
            print(READY_LINE, flush=True)
            await stop.wait()
    if counter is not None and spec.sql_counts_path is not None:
        counter.write(Path(spec.sql_counts_path))


def main(argv: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    spec = WorkerSpec(**json.loads(argv[1]))
    if spec.kind not in KINDS:
        raise SystemExit(f"unknown worker kind {spec.kind!r}; one of {KINDS}")
    asyncio.run(serve(spec))
    # As worker.py: skip interpreter teardown, which the SDK's runtime threads can abort.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
