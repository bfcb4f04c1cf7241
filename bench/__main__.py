"""make bench  ==  python -m bench [--quick] [-n N] [--concurrency C] [--api-mode M]"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from bench.config import BenchConfig
from bench.report import human_lines
from bench.runner import quiet_logging, run


def parse_config(argv: list[str]) -> BenchConfig:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small N for a fast sanity run")
    parser.add_argument("-n", type=int, help="appointments (and baseline workflows)")
    parser.add_argument("--concurrency", type=int, help="requests/workflows in flight")
    parser.add_argument("--warmup", type=int, help="unmeasured runs before each phase")
    parser.add_argument("--activity-threads", type=int, help="Settings.activity_threads")
    parser.add_argument("--poll-ms", type=float, help="follow-up watcher poll interval")
    parser.add_argument("--api-mode", choices=["thread", "subprocess"])
    parser.add_argument(
        "--api-threads", type=int, help="anyio thread pool size in the API (0: anyio default)"
    )
    parser.add_argument(
        "--unsandboxed", action="store_true", help="experiment: workers without the sandbox"
    )
    args = parser.parse_args(argv)
    config = BenchConfig.quick() if args.quick else BenchConfig()
    changes: dict[str, object] = {
        "n": args.n,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "activity_threads": args.activity_threads,
        "poll_interval_s": args.poll_ms / 1000 if args.poll_ms is not None else None,
        "api_mode": args.api_mode,
        "api_threads": args.api_threads,
        "unsandboxed": args.unsandboxed or None,
    }
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    quiet_logging()
    result = run(parse_config(argv))
    for line in human_lines(result):
        print(line)
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
