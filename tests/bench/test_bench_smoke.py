"""The bench pipeline end to end at tiny sizes: every mode produces its complete result.

Timings are never asserted (they depend on the machine and its load); what is asserted is
that every unit of every phase completed, that each phase did its fixed workload, that the
census counted what one appointment is made of, and that the JSON and the human lines hold
it all. The tests are synchronous on purpose: the bench runs its own event loop.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import parse_config
from bench.config import PHASES, BenchConfig
from bench.report import human_lines
from bench.runner import run
from bench.throughput import orders
from tests.support.postgres import PostgresServer

TINY = BenchConfig(
    n=4,
    concurrency=4,
    warmup=1,
    repetitions=1,
    sustained_fractions=(0.5,),
    sustained_s=2.0,
    burst=4,
    census=2,
    profile=True,
    profile_n=4,
    waiting=4,
    waiting_batch=3,
    waiting_lead_s=6.0,
)


def test_throughput_census_latency_and_profile(tmp_path: Path) -> None:
    results_path = tmp_path / "latest.json"

    result = run(BenchConfig(**{**TINY.__dict__, "results_path": results_path}))

    phases = result["throughput"]["phases"]
    assert list(phases) == list(PHASES)
    for phase, info in phases.items():
        (only,) = info["runs"]
        assert (only["completed"], only["errors"]) == (4, 0), phase
        assert info["per_s"] > 0
        assert set(info["cpu_ms_per_unit"]) == {"server", "worker", "api", "client", "total"}
    for phase in ("shape", "shape_db", "rebook"):
        checked = result["throughput"]["conformance"][phase]
        assert checked["same_shape"] == checked["checked"] == 4, phase
    assert set(result["throughput"]["ratios"]) >= {"rebook_per_shape", "rebook_per_shape_db"}

    # One appointment's shape, as counted; the shape baseline mirrors it.
    rebook = result["census"]["rebook"]
    shape = result["census"]["shape"]["temporal"]
    for concept in ("workflow_tasks", "activities", "local_activities", "signals"):
        assert rebook["temporal"][concept] == shape[concept] > 0, concept
    assert rebook["temporal"]["timers_started"] == shape["timers_started"] == 2
    sql = rebook["sql_per_appointment"]
    assert sql["statements"]["worker"] > 0 and sql["statements"]["api"] > 0
    assert sql["worker"]["INSERT communications"] == 2  # confirmation and follow-up

    (sustained,) = result["latency"]["sustained"]
    assert sustained["errors"] == 0 and sustained["completed"] == sustained["arrivals"]
    assert set(sustained["followup_ms"]) == {"p50", "p95", "p99", "max"}
    burst = result["latency"]["burst"]
    assert (burst["completed"], burst["errors"]) == (4, 0)
    assert burst["drain_s"] > 0 and burst["bound_s"] > 0

    assert result["profile"]["run"]["completed"] == 4
    for role in ("worker", "api"):
        assert result["profile"][role]["samples"] > 0
        assert Path(result["profile"][role]["raw"]).exists()

    assert json.loads(results_path.read_text()) == result
    assert human_lines(result)


def test_waiting_appointments_and_a_timer_batch(tmp_path: Path) -> None:
    result = run(BenchConfig(**{**TINY.__dict__, "mode": "waiting", "results_path": None}))

    waiting = result["waiting"]
    assert (waiting["waiting"], waiting["batch"], waiting["booking_errors"]) == (4, 3, 0)
    # Every reminder of the batch fired and was handed over, none before it was due.
    assert waiting["reminders_handed_over"] == 3
    assert waiting["lateness_ms"]["p50"] >= 0
    assert waiting["timer_fired_late_ms"]["p50"] >= 0
    assert set(waiting["stages"]) == {"start", "after_waiting", "before_due", "after_due"}
    assert all(stage["worker_mib"] > 0 for stage in waiting["stages"].values())
    assert human_lines(result)


def test_scale_out_on_postgres(postgres_server: PostgresServer) -> None:
    with postgres_server.throwaway_database() as url:
        config = BenchConfig(
            **{
                **TINY.__dict__,
                "mode": "scale_out",
                "database_url": url,
                "repetitions": 2,
                "results_path": None,
            }
        )
        result = run(config)

    scale = result["scale_out"]
    assert scale["database"] == "postgresql"
    for name, info in scale["configurations"].items():
        assert [r["completed"] for r in info["runs"]] == [4, 4], name
        assert [r["errors"] for r in info["runs"]] == [0, 0], name
    assert scale["speedup"] > 0
    assert human_lines(result)


def test_alternating_order() -> None:
    assert orders(["a", "b", "c"], 3) == [["a", "b", "c"], ["c", "b", "a"], ["a", "b", "c"]]


def test_command_line() -> None:
    quick = parse_config(["--quick"])
    assert quick.n < BenchConfig().n and quick.sustained_s < BenchConfig().sustained_s
    tuned = parse_config(["-n", "7", "--concurrency", "3", "--phases", "shape,rebook"])
    assert (tuned.n, tuned.concurrency, tuned.phases) == (7, 3, ("shape", "rebook"))
    assert parse_config(["--waiting"]).mode == "waiting"
    scale = parse_config(["--scale-out"])
    assert scale.mode == "scale_out" and scale.postgres
    assert not parse_config(["--no-bytecode"]).bytecode
