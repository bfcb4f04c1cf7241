"""Knobs of one bench run. Defaults are the full run; --quick and the smoke test shrink N."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"

# The goal the report is judged against (also echoed into the JSON).
GOAL_RATIO_MIN = 0.8
GOAL_P99_MS_MAX = 1000.0

ApiMode = Literal["thread", "subprocess"]


@dataclass(frozen=True)
class BenchConfig:
    # Appointments in the measured Rebook phase (also the latency sample) and workflows in
    # the baseline: the same N keeps the two throughputs comparable.
    n: int = 500
    concurrency: int = 50
    # Unmeasured runs first so sandbox imports, SQLite page cache and HTTP connections are
    # warm in both phases alike.
    warmup: int = 20
    # How often the follow-up watcher looks at the communications table. Latency comes from
    # the row's own sent_at, so this only adds to the throughput phase's tail.
    poll_interval_s: float = 0.02
    # Wall-clock budget per measured phase; unfinished work is cancelled and the report
    # covers what completed, so the run always stops by itself.
    phase_timeout_s: float = 240.0
    # Activity threads of both workers (Settings.activity_threads; None keeps its default).
    activity_threads: int | None = None
    # "subprocess" gives the API its own interpreter (its own GIL, like production);
    # "thread" keeps everything in one process.
    api_mode: ApiMode = "subprocess"
    # anyio's thread pool size in the API process; 0 keeps anyio's default of 40, which
    # is what production runs, so that is what is measured. (A larger pool once hid a
    # stall, fixed since: the API no longer holds SQLite's write lock across awaits.)
    api_threads: int = 0
    # (c) is measured at this fraction of the throughput (b) just measured: a load the
    # stack sustains, where latency is service time rather than time spent queueing.
    latency_load_fraction: float = 0.5
    # Experiment: run both workers without the workflow sandbox (measures its CPU cost).
    unsandboxed: bool = False
    results_path: Path | None = RESULTS_PATH

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(n=60, concurrency=20, warmup=5, phase_timeout_s=90.0)
