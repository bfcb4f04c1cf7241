"""The baseline's trivial workflow: one no-op activity, then done.

Imported into Temporal's workflow sandbox, so this module stays pure. The activity is
synchronous like Rebook's (it runs on the same kind of thread pool), so the baseline pays
the same activity dispatch cost and only the business work differs.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

NOOP_WORKFLOW_NAME = "BenchNoop"


@activity.defn(name="bench_noop")
def noop_activity(value: int) -> int:
    return value


@workflow.defn(name=NOOP_WORKFLOW_NAME)
class NoopWorkflow:
    @workflow.run
    async def run(self, value: int) -> int:
        return await workflow.execute_activity(
            noop_activity, value, start_to_close_timeout=timedelta(seconds=30)
        )
