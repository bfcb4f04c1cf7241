"""The bench's output: human-readable lines on stdout, everything in one JSON object
written to bench/results/latest.json (see bench/README.md, "Reading the output")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.config import GOALS


def verdicts(result: dict[str, Any]) -> dict[str, bool]:
    """Issue 12's goals, judged on whatever this run measured."""
    out: dict[str, bool] = {}
    ratios = result.get("throughput", {}).get("ratios", {})
    if "rebook_per_shape" in ratios:
        out["rebook_per_shape"] = ratios["rebook_per_shape"] >= GOALS["rebook_per_shape_min"]
    if "rebook_per_shape_db" in ratios:
        out["rebook_per_shape_db"] = (
            ratios["rebook_per_shape_db"] >= GOALS["rebook_per_shape_db_min"]
        )
    latency = result.get("latency", {})
    for mode in latency.get("sustained", []):
        if mode["fraction_of_max"] == 0.5 and mode.get("followup_ms"):
            out["sustained_50_p99"] = mode["followup_ms"]["p99"] < GOALS["sustained_50_p99_ms_max"]
    burst = latency.get("burst")
    if burst and burst.get("drain_per_bound") is not None:
        out["burst_drain"] = burst["drain_per_bound"] <= GOALS["burst_drain_per_bound_max"]
    waiting = result.get("waiting")
    if waiting and waiting.get("lateness_ms"):
        out["timer_lateness_p99"] = (
            waiting["lateness_ms"]["p99"] < GOALS["timer_lateness_p99_ms_max"]
        )
    return out


def _ok(flag: bool | None) -> str:
    return "" if flag is None else ("ok" if flag else "MISSED")


def _cpu(cpu: dict[str, float]) -> str:
    return "  ".join(f"{role} {ms:5.1f}" for role, ms in cpu.items())


def throughput_lines(result: dict[str, Any]) -> list[str]:
    throughput = result["throughput"]
    verdict = result["verdicts"]
    lines = ["phase       workflows/s   runs                    cpu ms per unit (median)"]
    for phase, info in throughput["phases"].items():
        runs = ", ".join(f"{run['per_s']:.1f}" for run in info["runs"])
        lines.append(
            f"  {phase:<10} {info['per_s']:8.2f}   ({runs:<20})  {_cpu(info['cpu_ms_per_unit'])}"
        )
    ratios = throughput["ratios"]
    goals = {
        "rebook_per_shape": (GOALS["rebook_per_shape_min"], verdict.get("rebook_per_shape")),
        "rebook_per_shape_db": (
            GOALS["rebook_per_shape_db_min"],
            verdict.get("rebook_per_shape_db"),
        ),
    }
    names = [name for name in ratios if not name.endswith("_by_cpu")]

    def label(name: str) -> str:
        return name.replace("_per_", "/").replace("_db", "+db")

    def judged(name: str) -> str:
        if name not in goals:
            return ""
        goal, ok = goals[name]
        return f" (goal >= {goal}: {_ok(ok)})"

    lines.append(
        "ratios by throughput: "
        + "   ".join(f"{label(name)} {ratios[name]:.3f}{judged(name)}" for name in names)
    )
    lines.append(
        "ratios by CPU per unit: "
        + "   ".join(f"{label(name)} {ratios[name + '_by_cpu']:.3f}" for name in names)
    )
    for phase, check in throughput.get("conformance", {}).items():
        if check.get("checked"):
            lines.append(
                f"fixed workload: {phase} {check['same_shape']}/{check['checked']} units did the"
                f" same work {check['shape']}"
            )
    return lines


def census_lines(census: dict[str, Any]) -> list[str]:
    lines = []
    for kind, info in census.items():
        t = info["temporal"]
        lines.append(
            f"shape of one {kind}: {t['workflow_tasks']} workflow tasks, {t['activities']}"
            f" activities, {t['local_activities']} local activities, {t['signals']} signals,"
            f" {t['timers_started']} timers ({t['timers_cancelled']} cancelled),"
            f" {t['search_attribute_upserts']} SA upserts, {t['patch_markers']} patch markers;"
            f" {t['events']} events, {t['history_bytes']} bytes of history"
        )
        sql = info.get("sql_per_appointment")
        if sql:
            lines.append(
                f"  SQL per appointment: worker {sql['statements']['worker']} statements in"
                f" {sql['transactions']['worker']} transactions, API {sql['statements']['api']}"
                f" statements in {sql['transactions']['api']} transactions"
            )
    return lines


def latency_lines(latency: dict[str, Any], verdict: dict[str, bool]) -> list[str]:
    lines = []
    for mode in latency.get("sustained", []):
        f = mode.get("followup_ms", {})
        goal = (
            f"  (goal p99 < {GOALS['sustained_50_p99_ms_max']:.0f}:"
            f" {_ok(verdict.get('sustained_50_p99'))})"
            if mode["fraction_of_max"] == 0.5
            else ""
        )
        lines.append(
            f"sustained {mode['fraction_of_max']:.0%} ({mode['target_per_s']}/s target,"
            f" {mode['per_s']}/s done, {mode['completed']}/{mode['arrivals']} ok):"
            f" missed -> follow-up p50 {f.get('p50')} p95 {f.get('p95')} p99 {f.get('p99')}"
            f" max {f.get('max')} ms{goal}"
        )
    burst = latency.get("burst")
    if burst:
        f = burst.get("followup_ms", {})
        lines.append(
            f"burst {burst['n']} misses at once: drained in {burst['drain_s']} s, bound N/max"
            f" {burst['bound_s']} s, ratio {burst['drain_per_bound']}"
            f" (goal <= {GOALS['burst_drain_per_bound_max']}: {_ok(verdict.get('burst_drain'))});"
            f" follow-up p50 {f.get('p50')} p95 {f.get('p95')} p99 {f.get('p99')}"
            f" last {f.get('max')} ms; {burst['served_within_bound']} served within the bound"
        )
    return lines


def profile_lines(profile: dict[str, Any]) -> list[str]:
    lines = []
    for role in ("worker", "api"):
        info = profile.get(role)
        if not info or not info.get("samples"):
            continue
        lines.append(f"profile {role} ({info['samples']} samples):")
        lines += [f"  {pct:5.1f}%  {name}" for name, pct in info["where_pct"].items()]
    return lines


def waiting_lines(waiting: dict[str, Any], verdict: dict[str, bool]) -> list[str]:
    stages = waiting["stages"]
    late = waiting.get("lateness_ms", {})
    return [
        f"waiting: {waiting['waiting']} appointments booked at {waiting['booking_per_s']}/s;"
        f" RSS worker {stages['start']['worker_mib']} -> {stages['after_waiting']['worker_mib']}"
        f" MiB, server {stages['start']['server_mib']} -> {stages['after_waiting']['server_mib']}"
        f" MiB (KiB per waiting appointment: {waiting['rss_kib_per_waiting_appointment']};"
        f" worker KiB per cached workflow: {waiting['worker_rss_kib_per_cached_workflow']})",
        f"  batch of {waiting['batch']} reminders due together: {waiting['reminders_handed_over']}"
        f" handed over, late p50 {late.get('p50')} p95 {late.get('p95')} p99 {late.get('p99')}"
        f" max {late.get('max')} ms (goal p99 < {GOALS['timer_lateness_p99_ms_max']:.0f}:"
        f" {_ok(verdict.get('timer_lateness_p99'))});"
        f" timers fired late {waiting['timer_fired_late_ms']} ms",
        "  sticky cache: "
        + "; ".join(
            f"{stage}: "
            + ", ".join(
                f"{name.removeprefix('temporal_')} {value:g}"
                for name, value in values.items()
                if "sticky" in name
            )
            for stage, values in stages.items()
        ),
    ]


def scale_lines(scale: dict[str, Any]) -> list[str]:
    lines = [f"scale-out on {scale['database']}:"]
    for name, info in scale["configurations"].items():
        lines.append(f"  {name:<8} {info['per_s']:8.2f}/s   {_cpu(info['cpu_ms_per_unit'])}")
    lines.append(f"  speedup {scale['speedup']}")
    return lines


def human_lines(result: dict[str, Any]) -> Sequence[str]:
    config = result["config"]
    lines = [
        f"rebook bench ({config['mode']}): n={config['n']} concurrency={config['concurrency']}"
        f" repetitions={config['repetitions']} bytecode={'on' if config['bytecode'] else 'off'}"
        f" database={result['database']}"
    ]
    verdict = result["verdicts"]
    if "throughput" in result:
        lines += throughput_lines(result)
    if "census" in result:
        lines += census_lines(result["census"])
    if "latency" in result:
        lines += latency_lines(result["latency"], verdict)
    if "profile" in result:
        lines += profile_lines(result["profile"])
    if "waiting" in result:
        lines += waiting_lines(result["waiting"], verdict)
    if "scale_out" in result:
        lines += scale_lines(result["scale_out"])
    return lines


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
