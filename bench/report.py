"""The bench's output: human-readable lines, then the JSON object as the very last line
(so `make bench | tail -1 | jq` works), also written to bench/results/latest.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.config import GOAL_P99_MS_MAX, GOAL_RATIO_MIN, BenchConfig
from bench.driver import LoopResult
from bench.load import RebookPhases
from bench.stats import rate, summary_ms


def build_result(
    config: BenchConfig,
    baseline: LoopResult[int],
    phases: RebookPhases,
    breakdown: dict[str, dict[str, float]],
) -> dict[str, Any]:
    rebook = phases.saturated
    baseline_rate = rate(baseline.completed, baseline.elapsed_s)
    rebook_rate = rate(rebook.completed, rebook.elapsed_s)
    ratio = rebook_rate / baseline_rate if baseline_rate > 0 else 0.0
    latencies = [s.latency_s for s in phases.paced.results]
    latency = summary_ms(latencies) if latencies else {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    saturated = [s.latency_s for s in rebook.results]
    return {
        "baseline_workflows_per_s": round(baseline_rate, 2),
        "rebook_appointments_per_s": round(rebook_rate, 2),
        "throughput_ratio": round(ratio, 3),
        "followup_latency_ms": latency,
        "appointments": phases.paced.completed,
        "goal": {"ratio_min": GOAL_RATIO_MIN, "p99_ms_max": GOAL_P99_MS_MAX},
        "meets_goal": {
            "ratio": ratio >= GOAL_RATIO_MIN,
            "p99": bool(latencies) and latency["p99"] <= GOAL_P99_MS_MAX,
            "all": ratio >= GOAL_RATIO_MIN
            and bool(latencies)
            and latency["p99"] <= GOAL_P99_MS_MAX,
        },
        # Everything below is context for reading the numbers, not part of the verdict.
        "details": {
            "n": config.n,
            "concurrency": config.concurrency,
            "api_mode": config.api_mode,
            "api_threads": config.api_threads,
            "activity_threads": config.activity_threads,
            "unsandboxed": config.unsandboxed,
            "poll_interval_ms": config.poll_interval_s * 1000,
            "baseline": _phase(baseline),
            "rebook": _phase(rebook),
            "latency_phase": {
                **_phase(phases.paced),
                "arrival_rate_per_s": round(phases.paced_rate_per_s, 2),
                "load_fraction_of_b": config.latency_load_fraction,
            },
            # Latency during (b): closed loop at saturation, so mostly time in queue.
            "saturated_latency_ms": summary_ms(saturated) if saturated else None,
            "latency_min_ms": round(min(latencies) * 1000, 1) if latencies else None,
            "latency_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
            "stages_ms": breakdown,
        },
    }


def _phase(result: LoopResult[Any]) -> dict[str, Any]:
    return {
        "completed": result.completed,
        "errors": result.error_count,
        "first_errors": result.errors,
        "elapsed_s": round(result.elapsed_s, 2),
        "timed_out": result.timed_out,
        "cpu_s": result.cpu_s,
        # CPU per completed unit: the cost that caps throughput on a small machine.
        "cpu_ms_per_unit": {
            name: round(seconds * 1000 / result.completed, 1)
            for name, seconds in result.cpu_s.items()
        }
        if result.completed
        else {},
    }


def human_lines(result: dict[str, Any]) -> Sequence[str]:
    d = result["details"]
    lat = result["followup_latency_ms"]
    ok = result["meets_goal"]
    lines = [
        f"rebook bench: n={d['n']} concurrency={d['concurrency']} api={d['api_mode']}",
        f"  (a) baseline     {result['baseline_workflows_per_s']:8.2f} workflows/s"
        f"   ({d['baseline']['completed']} in {d['baseline']['elapsed_s']} s)",
        f"  (b) rebook       {result['rebook_appointments_per_s']:8.2f} appointments/s"
        f" ({d['rebook']['completed']} in {d['rebook']['elapsed_s']} s)",
        f"      ratio        {result['throughput_ratio']:8.3f}"
        f"   goal >= {result['goal']['ratio_min']}: {'ok' if ok['ratio'] else 'MISSED'}",
        f"  (c) follow-up latency p50 {lat['p50']} ms  p95 {lat['p95']} ms  p99 {lat['p99']} ms"
        f"   goal p99 <= {result['goal']['p99_ms_max']:.0f}: {'ok' if ok['p99'] else 'MISSED'}",
        f"      at {d['latency_phase']['arrival_rate_per_s']} arrivals/s"
        f" ({d['latency_phase']['load_fraction_of_b']:.0%} of (b)), open loop;"
        f" min {d['latency_min_ms']} ms  max {d['latency_max_ms']} ms",
        f"      (during (b) at saturation: {d['saturated_latency_ms']})",
    ]
    for name, summary in d["stages_ms"].items():
        lines.append(
            f"      stage {name:<38} p50 {summary['p50']:>8} p95 {summary['p95']:>8}"
            f" p99 {summary['p99']:>8} ms"
        )
    for phase in ("baseline", "rebook", "latency_phase"):
        info = d[phase]
        if info["cpu_ms_per_unit"]:
            busy = sum(info["cpu_s"].values()) / info["elapsed_s"] if info["elapsed_s"] else 0.0
            per_unit = "  ".join(f"{k} {v}" for k, v in sorted(info["cpu_ms_per_unit"].items()))
            lines.append(f"  cpu {phase:<8} {busy:4.2f} cores busy; ms per unit: {per_unit}")
        if info["errors"] or info["timed_out"]:
            lines.append(
                f"  WARNING {phase}: {info['errors']} errors, timed out: {info['timed_out']}"
            )
            lines.extend(f"    {err}" for err in info["first_errors"])
    return lines


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
