"""Knobs of one bench run. Defaults are the full run; --quick and the smoke test shrink it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

RESULTS_PATH = Path(__file__).resolve().parent / "results" / "latest.json"

# What `make bench` runs by default, and the separate, longer modes.
Mode = Literal["throughput", "waiting", "scale_out"]

# The throughput phases, in the order of the first repetition (the next runs backwards).
PHASES = ("noop", "shape", "shape_db", "rebook")
# With --reference: Rebook from another checkout, measured in the same run (A/B).
REFERENCE = "reference"

# Issue 12's goals, echoed into the JSON so a reader can judge the numbers.
GOALS = {
    "rebook_per_shape_min": 0.75,
    "rebook_per_shape_db_min": 0.8,
    "sustained_50_p99_ms_max": 1000.0,
    "burst_drain_per_bound_max": 1.2,
    "timer_lateness_p99_ms_max": 2000.0,
}


@dataclass(frozen=True)
class BenchConfig:
    mode: Mode = "throughput"
    # Workflows (appointments) per phase and repetition, and how many are in flight.
    n: int = 500
    concurrency: int = 50
    # Unmeasured units before each measured phase (sandbox imports, connections, caches).
    warmup: int = 20
    # Repetitions of the phase sequence, alternating its order (A B C D, D C B A, ...), so
    # drift on a shared machine hits every phase alike; the report takes the median.
    repetitions: int = 2
    phases: tuple[str, ...] = PHASES
    # Wall-clock budget of one measured loop; what is left is cancelled and reported.
    phase_timeout_s: float = 600.0
    # How long one unit may wait for one hand-off before it counts as an error.
    handoff_timeout_s: float = 120.0

    # Latency modes (after the throughput phases): open-loop Poisson arrivals at these
    # fractions of the measured Rebook throughput, each for sustained_s; then a burst.
    sustained_fractions: tuple[float, ...] = (0.5, 0.8)
    sustained_s: float = 300.0
    burst: int = 1000
    latency: bool = True

    # --waiting: appointments scheduled days ahead, then a batch of reminders due together.
    waiting: int = 10_000
    waiting_batch: int = 1000
    # The batch is due this long after it has been booked (at least).
    waiting_lead_s: float = 120.0

    # --scale-out: worker and API processes of the second configuration (the first is 1+1).
    scale_workers: int = 2
    scale_apis: int = 2

    # The census pass: appointments whose histories and SQL statements are counted.
    census: int = 10
    # --profile: py-spy on the worker and API during a Rebook pass of this many appointments.
    profile: bool = False
    profile_n: int = 400
    profile_rate_hz: int = 100

    # Worker and API processes of the throughput phases.
    workers: int = 1
    api_processes: int = 1
    # None: a fresh SQLite file; or a PostgreSQL URL (its tables get bench rows!).
    database_url: str | None = None
    # A throwaway PostgreSQL cluster (tests.support.postgres), for --scale-out.
    postgres: bool = False
    # False: run the children as Rebook shipped before issue 12 (no .pyc, never written).
    bytecode: bool = True
    # Another checkout of Rebook (e.g. `git worktree add /tmp/before <commit>`) whose worker
    # and API run as the `reference` phase, alternating with this tree's: before/after of
    # a change within one run on one server.
    reference: str | None = None
    reference_bytecode: bool = True
    # Settings.activity_threads of the workers; None keeps its default.
    activity_threads: int | None = None
    results_path: Path | None = RESULTS_PATH

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(
            n=100,
            warmup=10,
            sustained_s=20.0,
            burst=200,
            waiting=500,
            waiting_batch=200,
            waiting_lead_s=30.0,
            profile_n=150,
        )
