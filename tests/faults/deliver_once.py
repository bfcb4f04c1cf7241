"""Test-only workflow: one deliver_message, with attempt timeouts of seconds instead of
production's 30 s, so a killed attempt is retried quickly. Everything the activity does is
the real thing; only the schedule around it is shortened."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.messaging import MessagingActivities
    from rebook.core.contracts import DeliveryRequest, DeliveryResult
    from workflows.policies import PERMANENT_DELIVERY_ERRORS

ATTEMPT_TIMEOUT = timedelta(seconds=4)
RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=1.5,
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=30,
    non_retryable_error_types=PERMANENT_DELIVERY_ERRORS,
)


@workflow.defn(name="DeliverOnce")
class DeliverOnce:
    @workflow.run
    async def run(self, request: DeliveryRequest) -> DeliveryResult:
        return await workflow.execute_activity_method(
            MessagingActivities.deliver_message,
            request,
            start_to_close_timeout=ATTEMPT_TIMEOUT,
            retry_policy=RETRY,
        )
