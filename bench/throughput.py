"""The throughput phases: noop, shape, shape_db and rebook, repeated in alternating order
(A B C D, D C B A, ...) against the one server, each with fresh worker processes; the
report takes each phase's median over the repetitions."""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.phases import Measured, closed_phase, session
from bench.stack import Stack


@dataclass
class PhaseRuns:
    phase: str
    runs: list[Measured] = field(default_factory=list)

    @property
    def median_per_s(self) -> float:
        return statistics.median(run.per_s for run in self.runs) if self.runs else 0.0

    def median_cpu_ms(self) -> dict[str, float]:
        roles = {role for run in self.runs for role in run.cpu_ms_per_unit()}
        return {
            role: round(
                statistics.median(run.cpu_ms_per_unit().get(role, 0.0) for run in self.runs), 1
            )
            for role in sorted(roles)
        }

    def summary(self) -> dict[str, Any]:
        cpu = self.median_cpu_ms()
        return {
            "per_s": round(self.median_per_s, 2),
            "cpu_ms_per_unit": {**cpu, "total": round(sum(cpu.values()), 1)},
            "runs": [run.summary() for run in self.runs],
        }


def orders(phases: Sequence[str], repetitions: int) -> list[list[str]]:
    """A B C D, then D C B A, then A B C D, ..."""
    return [list(phases) if rep % 2 == 0 else list(reversed(phases)) for rep in range(repetitions)]


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def phase_line(label: str, run: Measured) -> str:
    cpu = "  ".join(f"{role} {ms:5.1f}" for role, ms in run.cpu_ms_per_unit().items())
    return (
        f"  {label:<22} {run.per_s:7.2f}/s  ({run.completed} in {run.loop.elapsed_s:.1f} s,"
        f" {run.loop.error_count} errors, load {run.load:.1f})  cpu ms/unit: {cpu}"
    )


async def measure_throughput(stack: Stack) -> dict[str, PhaseRuns]:
    config = stack.config
    results = {phase: PhaseRuns(phase) for phase in config.phases}
    for rep, order in enumerate(orders(config.phases, config.repetitions), start=1):
        for phase in order:
            async with session(stack, phase, workers=config.workers) as run:
                measured = await closed_phase(run, phase, f"t{rep}{phase}-", config.n)
            results[phase].runs.append(measured)
            progress(phase_line(f"rep {rep} {phase}", measured))
    return results


def ratios(results: dict[str, PhaseRuns]) -> dict[str, float]:
    """Throughput ratios, and the same comparisons by CPU per unit (the baseline's total
    over the phase's, so that 1.0 means as cheap as the baseline either way). On a shared
    machine the CPU ratios move less with other people's load than the throughput ones."""

    def ratio(a: str, b: str) -> float:
        if a not in results or b not in results or not results[b].median_per_s:
            return 0.0
        return round(results[a].median_per_s / results[b].median_per_s, 3)

    def cpu_ratio(a: str, b: str) -> float:
        if a not in results or b not in results:
            return 0.0
        cost_a = sum(results[a].median_cpu_ms().values())
        cost_b = sum(results[b].median_cpu_ms().values())
        return round(cost_b / cost_a, 3) if cost_a else 0.0

    pairs = {
        "rebook_per_reference": ("rebook", "reference"),
        "rebook_per_shape": ("rebook", "shape"),
        "rebook_per_shape_db": ("rebook", "shape_db"),
        "shape_db_per_shape": ("shape_db", "shape"),
        "shape_per_noop": ("shape", "noop"),
    }
    return {
        **{name: ratio(a, b) for name, (a, b) in pairs.items() if b in results},
        **{f"{name}_by_cpu": cpu_ratio(a, b) for name, (a, b) in pairs.items() if b in results},
    }
