"""Phase (a): completed no-op workflows per second on the bench's server and worker knobs."""

from __future__ import annotations

import uuid

from bench import cpu
from bench.config import BenchConfig
from bench.driver import LoopResult, closed_loop
from bench.noop_workflow import NoopWorkflow
from bench.stack import Stack
from bench.workers import noop_worker


async def run_baseline(stack: Stack, config: BenchConfig) -> LoopResult[int]:
    task_queue = f"{stack.settings.task_queue}-noop"
    run = uuid.uuid4().hex[:8]

    async def one(index: int) -> int:
        return await stack.client.execute_workflow(
            NoopWorkflow.run, index, id=f"bench-noop-{run}-{index}", task_queue=task_queue
        )

    async with noop_worker(stack.client, stack.settings, task_queue, config.unsandboxed):
        # Offset ids so warm-up and measured workflows never collide.
        await closed_loop(config.warmup, config.concurrency, lambda i: one(-1 - i), 60.0)
        before = cpu.snapshot()
        result = await closed_loop(config.n, config.concurrency, one, config.phase_timeout_s)
        result.cpu_s = cpu.used_since(before)
        return result
