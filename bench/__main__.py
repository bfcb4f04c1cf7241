"""make bench  ==  python -m bench [options]; see bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from bench.config import PHASES, REFERENCE, BenchConfig
from bench.report import human_lines
from bench.runner import quiet_logging, run_bench

T = TypeVar("T")


async def interruptible(work: Coroutine[Any, Any, T]) -> T:
    """Run work; SIGINT or SIGTERM cancel it, so every `finally` stops the processes it
    started. Installed explicitly: a shell starts background jobs with SIGINT ignored, and
    SIGTERM would otherwise end the bench without any cleanup."""
    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    return await task


def parse_config(argv: list[str]) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--waiting", action="store_true", help="many waiting appointments, then a timer batch"
    )
    mode.add_argument(
        "--scale-out", action="store_true", help="1 worker + 1 API vs more of each (PostgreSQL)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes for a fast run")
    parser.add_argument("-n", type=int, help="units per phase and repetition")
    parser.add_argument("--concurrency", type=int, help="units in flight (closed loops)")
    parser.add_argument("--warmup", type=int, help="unmeasured units before each phase")
    parser.add_argument("--repetitions", type=int, help="phase sequences, alternating order")
    parser.add_argument("--phases", help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--sustained-s", type=float, help="duration of each sustained load")
    parser.add_argument("--burst", type=int, help="misses sent at once (0: no burst)")
    parser.add_argument("--no-latency", action="store_true", help="skip sustained and burst")
    parser.add_argument("--waiting-n", type=int, help="--waiting: appointments days ahead")
    parser.add_argument("--waiting-batch", type=int, help="--waiting: reminders due together")
    parser.add_argument("--profile", action="store_true", help="py-spy the worker and API")
    parser.add_argument("--workers", type=int, help="worker processes per phase")
    parser.add_argument("--database-url", help="PostgreSQL URL to use (bench rows land there)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="run the children as shipped before issue 12: no .pyc, PYTHONDONTWRITEBYTECODE=1",
    )
    parser.add_argument(
        "--reference",
        help="another checkout of Rebook, measured as phase `reference` in the same run",
    )
    parser.add_argument(
        "--reference-no-bytecode", action="store_true", help="the reference without .pyc"
    )
    parser.add_argument("--activity-threads", type=int, help="Settings.activity_threads")
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig()
    changes: dict[str, object] = {
        "mode": "waiting" if args.waiting else "scale_out" if args.scale_out else None,
        "n": args.n,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "repetitions": args.repetitions,
        "sustained_s": args.sustained_s,
        "burst": args.burst,
        "latency": False if args.no_latency else None,
        "waiting": args.waiting_n,
        "waiting_batch": args.waiting_batch,
        "profile": args.profile or None,
        "workers": args.workers,
        "database_url": args.database_url,
        "postgres": True if args.postgres or (args.scale_out and not args.database_url) else None,
        "bytecode": False if args.no_bytecode else None,
        "activity_threads": args.activity_threads,
        "reference": args.reference,
        "reference_bytecode": False if args.reference_no_bytecode else None,
    }
    phases = tuple(args.phases.split(",")) if args.phases else config.phases
    if args.reference and not args.phases:
        phases = (*phases[:-1], REFERENCE, phases[-1])  # next to rebook
    known = (*PHASES, REFERENCE) if args.reference else PHASES
    unknown = set(phases) - set(known)
    if unknown:
        parser.error(f"unknown phases {sorted(unknown)}; choose from {', '.join(known)}")
    changes["phases"] = phases
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    quiet_logging()
    config = parse_config(argv)
    try:
        result = asyncio.run(interruptible(run_bench(config)))
    except asyncio.CancelledError:
        print("interrupted: every process the bench started has been stopped", file=sys.stderr)
        return 130
    for line in human_lines(result):
        print(line)
    if config.results_path is not None:
        print(f"(everything in {config.results_path})")
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # As worker.py: skip interpreter teardown, which the Temporal client's runtime threads
    # can hang or abort (temporalio/sdk-python#300); everything is written and stopped.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
