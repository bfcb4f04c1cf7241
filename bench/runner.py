"""One complete bench run: the stack up, the mode's measurements, the result, the stack
down."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
from typing import Any

from bench.census import conformance, take_census
from bench.config import GOALS, BenchConfig
from bench.latency import measure_latency
from bench.profile import profile_rebook
from bench.report import verdicts, write_json
from bench.scale import measure_scale_out
from bench.stack import Stack, running_stack
from bench.throughput import measure_throughput, orders, progress, ratios
from bench.waiting import measure_waiting

# Units per phase whose histories are checked for the fixed workload.
CONFORMANCE_SAMPLE = 50


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


async def throughput_mode(stack: Stack) -> dict[str, Any]:
    config = stack.config
    results = await measure_throughput(stack)
    checked = {
        phase: await conformance(stack.client, runs.runs[-1].loop.results, CONFORMANCE_SAMPLE)
        for phase, runs in results.items()
        if phase != "noop" and runs.runs
    }
    out: dict[str, Any] = {
        "throughput": {
            "phases": {phase: runs.summary() for phase, runs in results.items()},
            "ratios": ratios(results),
            "orders": orders(config.phases, config.repetitions),
            "conformance": checked,
        }
    }
    progress("  census ...")
    out["census"] = await take_census(stack)
    rebook = results.get("rebook")
    if config.latency and rebook is not None and rebook.median_per_s:
        progress("  latency modes ...")
        out["latency"] = await measure_latency(stack, rebook.median_per_s)
    if config.profile:
        progress("  profile ...")
        out["profile"] = await profile_rebook(stack)
    return out


async def run_bench(config: BenchConfig) -> dict[str, Any]:
    if config.mode == "scale_out":
        config = dataclasses.replace(
            config, api_processes=max(config.api_processes, config.scale_apis)
        )
    load_before = os.getloadavg()
    async with running_stack(config) as stack:
        if config.mode == "waiting":
            measured = {"waiting": await measure_waiting(stack)}
        elif config.mode == "scale_out":
            measured = {"scale_out": await measure_scale_out(stack)}
        else:
            measured = await throughput_mode(stack)
        database = "postgresql" if stack.database_url.startswith("postgres") else "sqlite"
    result: dict[str, Any] = {
        "config": {
            key: str(value) if key == "results_path" else value
            for key, value in dataclasses.asdict(config).items()
        },
        "database": database,
        "machine": {"cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before]},
        **measured,
        "goals": GOALS,
    }
    result["verdicts"] = verdicts(result)
    # The result as its JSON says it (tuples become lists), whether read here or from file.
    result = json.loads(json.dumps(result))
    if config.results_path is not None:
        write_json(result, config.results_path)
    return result


def run(config: BenchConfig) -> dict[str, Any]:
    return asyncio.run(run_bench(config))
