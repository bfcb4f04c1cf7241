"""One complete bench run: stack up, baseline phase, Rebook phase, result, stack down."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bench.baseline import run_baseline
from bench.breakdown import stage_breakdown
from bench.config import BenchConfig
from bench.load import run_rebook
from bench.report import build_result, write_json
from bench.stack import running_stack


def quiet_logging() -> None:
    # The outbox logs every message at INFO: thousands of lines that would cost the worker
    # time and bury the report. Warnings (failed deliveries, retries) still show.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


async def run_bench(config: BenchConfig) -> dict[str, Any]:
    async with running_stack(config) as stack:
        baseline = await run_baseline(stack, config)
        rebook = await run_rebook(stack, config)
        breakdown = await asyncio.to_thread(stage_breakdown, stack.reader, rebook.paced.results)
    result = build_result(config, baseline, rebook, breakdown)
    if config.results_path is not None:
        write_json(result, config.results_path)
    return result


def run(config: BenchConfig) -> dict[str, Any]:
    return asyncio.run(run_bench(config))
