"""The bench machinery end to end at a tiny N: it must produce the full JSON result.

Timings are never asserted (they depend on the machine); only shape and positivity.
The test is synchronous on purpose: the bench runs its own event loop (asyncio.run).
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.__main__ import parse_config
from bench.config import BenchConfig
from bench.report import human_lines
from bench.runner import run

TOP_LEVEL_KEYS = {
    "baseline_workflows_per_s",
    "rebook_appointments_per_s",
    "throughput_ratio",
    "followup_latency_ms",
    "appointments",
    "goal",
    "meets_goal",
}


def test_bench_produces_complete_json(tmp_path: Path) -> None:
    results_path = tmp_path / "latest.json"
    config = BenchConfig(
        n=5, concurrency=5, warmup=1, phase_timeout_s=120.0, results_path=results_path
    )

    result = run(config)

    assert result.keys() >= TOP_LEVEL_KEYS
    assert result["baseline_workflows_per_s"] > 0
    assert result["rebook_appointments_per_s"] > 0
    assert result["throughput_ratio"] > 0
    assert result["appointments"] == 5
    assert set(result["followup_latency_ms"]) == {"p50", "p95", "p99"}
    assert all(value > 0 for value in result["followup_latency_ms"].values())
    assert result["goal"] == {"ratio_min": 0.8, "p99_ms_max": 1000}
    assert result["meets_goal"].keys() >= {"ratio", "p99", "all"}
    assert all(isinstance(v, bool) for v in result["meets_goal"].values())
    assert result["details"]["baseline"]["errors"] == 0
    assert result["details"]["rebook"]["errors"] == 0
    # The file holds the same object, and the human lines render from it.
    assert json.loads(results_path.read_text()) == result
    assert human_lines(result)


def test_quick_flag_and_overrides() -> None:
    quick = parse_config(["--quick"])
    assert quick.n < BenchConfig().n
    tuned = parse_config(["-n", "7", "--concurrency", "3", "--api-mode", "thread"])
    assert (tuned.n, tuned.concurrency, tuned.api_mode) == (7, 3, "thread")
