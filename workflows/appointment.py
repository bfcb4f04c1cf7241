"""One durable workflow per appointment: confirmation and reminders before it, the no-show
follow-up sequence after a miss, re-arming on reschedule, and a clean stop on attended or
cancelled. Events arrive as signals; progress is answered by a query.

The loop is: apply queued events, else wait until the next planned step is due (or an event
arrives first), run it, repeat. What to do and when is decided by pure code in
rebook.core.sequence and rebook.core.lifecycle; this module only orchestrates.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.messaging import MessagingActivities
    from activities.records import RecordActivities
    from rebook.core import search_attributes as sa
    from rebook.core.contracts import (
        AppointmentDetails,
        AppointmentEvent,
        AppointmentWorkflowInput,
        DeliveryRequest,
        FollowUpPolicy,
        NoShowRecord,
        NoShowTally,
        Progress,
        ProgressRequest,
        SequenceState,
    )
    from rebook.core.domain import AppointmentStatus
    from rebook.core.lifecycle import apply_event
    from rebook.core.names import EVENT_SIGNAL, PROGRESS_QUERY, WORKFLOW_NAME
    from rebook.core.sequence import (
        PlannedStep,
        cancellation_notice,
        pending,
        plan,
        progress_of,
        stamp,
    )
    from rebook.core.steps import Step
    from workflows.policies import (
        DELIVERY_RETRY,
        DELIVERY_TIMEOUT,
        RECORD_RETRY,
        RECORD_TIMEOUT,
    )


# workflow.patched ids: each marks a change in behaviour that running workflows started
# before it must not see (their histories replay the old path).
QUIET_HOURS_PATCH = "quiet-hours"
# Runs started from here on: quiet hours always apply (so they need no quiet-hours marker),
# and the search attributes the run was started with are not upserted again unchanged.
# One marker and one SDK version upsert, where the path before it cost a marker and two
# upserts (issue 12).
LEAN_START_PATCH = "lean-start"


@workflow.defn(name=WORKFLOW_NAME)
class AppointmentWorkflow:
    @workflow.init
    def __init__(self, input: AppointmentWorkflowInput) -> None:
        self._appointment: AppointmentDetails = input.appointment
        self._policy: FollowUpPolicy = input.policy
        self._state: SequenceState = input.state or SequenceState(
            status=AppointmentStatus.SCHEDULED,
            starts_at=input.appointment.starts_at,
            armed_at=workflow.now(),
        )
        # The API wrote the fresh appointment's row, and a continued run's predecessor
        # published its state before handing over: nothing to mirror until it changes.
        self._mirrored = self._signature()
        self._quiet_hours = False  # decided in run(): patch markers need the run's context

    # ------------------------------------------------------------------ handlers

    @workflow.signal(name=EVENT_SIGNAL)
    def on_event(self, event: AppointmentEvent) -> None:
        # Only queue: the main loop applies events in arrival order, between steps, so a
        # signal can never interleave with a half-finished step.
        self._state.inbox.append(event)

    @workflow.query(name=PROGRESS_QUERY)
    def progress(self, _request: ProgressRequest | None = None) -> Progress:
        """Callers may omit the argument; older ones send a ProgressRequest."""
        return self._progress()

    # ------------------------------------------------------------------ main loop

    @workflow.run
    async def run(self, input: AppointmentWorkflowInput) -> Progress:
        """Returns the final Progress. (Runs before it returned an AppointmentOutcome with a
        subset of its fields; readers of closed runs go by search attributes instead.)"""
        if workflow.patched(LEAN_START_PATCH):
            self._quiet_hours = True
            # The API starts the run with these values; a continued run inherits them.
            if not sa.already_set(
                sa.pairs(self._appointment, self._state), workflow.info().typed_search_attributes
            ):
                self._upsert_search_attributes()
        else:
            # Runs started before quiet hours existed keep their original follow-up times.
            self._quiet_hours = workflow.patched(QUIET_HOURS_PATCH)
            self._upsert_search_attributes()
        while not self._state.status.is_final:
            if self._state.inbox:
                await self._apply_next_event()
                continue
            upcoming = self._pending()
            if not upcoming:
                await workflow.wait_condition(lambda: bool(self._state.inbox))
                continue
            step = upcoming[0]
            if await self._event_arrives_before(step):
                continue
            await self._run_step(step)
            await self._publish_progress()
            if workflow.info().is_continue_as_new_suggested():
                await self._continue_as_new()
        return self._progress()

    async def _event_arrives_before(self, step: PlannedStep) -> bool:
        delay = step.due_at - workflow.now()
        if delay <= timedelta(0):
            return False
        try:
            await workflow.wait_condition(lambda: bool(self._state.inbox), timeout=delay)
        except TimeoutError:
            return False
        return True

    async def _apply_next_event(self) -> None:
        event = self._state.inbox.pop(0)
        decision = apply_event(self._state, event, self._policy, workflow.now())
        workflow.logger.info("event %s (%s): %s", event.type.value, event.event_id, decision.reason)
        if not decision.accepted:
            return
        if decision.record_no_show:
            # The first follow-up waits on the tally (it picks first-time or repeat copy);
            # the mirror write runs alongside rather than before it.
            tally, _ = await asyncio.gather(self._record_no_show(event), self._publish_progress())
            self._state.contact_no_show_total = tally.contact_no_show_total
        if decision.send_cancellation_notice:
            await self._run_step(cancellation_notice(self._appointment, workflow.now()))
        if decision.rearm:
            self._appointment = replace(self._appointment, starts_at=self._state.starts_at)
        await self._publish_progress()
        if decision.rearm:
            # A fresh run per schedule keeps history bounded however often it moves.
            await self._continue_as_new()

    async def _record_no_show(self, event: AppointmentEvent) -> NoShowTally:
        return await workflow.execute_local_activity_method(
            RecordActivities.record_no_show,
            NoShowRecord(
                appointment_id=self._appointment.appointment_id,
                contact_id=self._appointment.contact.id,
                occurrence_key=(
                    f"{self._appointment.appointment_id}@{stamp(self._state.starts_at)}"
                ),
                missed_at=event.received_at,
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    # ------------------------------------------------------------------ steps

    async def _run_step(self, step: PlannedStep) -> None:
        if step.step is Step.CLOSE_AS_LOST:
            self._state.status = AppointmentStatus.LOST
        elif step.step is Step.OUTCOME_DEADLINE:
            self._state.status = AppointmentStatus.EXPIRED
        elif step.step in (Step.REMINDER_24H, Step.REMINDER_1H) and (
            workflow.now() >= self._state.starts_at
        ):
            workflow.logger.info("%s skipped: the appointment has started", step.step.value)
        else:
            await self._deliver(step)
        self._state.completed_steps.append(step.key)

    async def _deliver(self, step: PlannedStep) -> None:
        """Try the step's channels in order until one delivers. A channel that fails
        permanently (invalid number, unsubscribed) or keeps failing after all retries hands
        over to the next; the ledger records every attempt either way."""
        assert step.template is not None
        for channel in step.channels:
            request = DeliveryRequest(
                idempotency_key=(f"{self._appointment.appointment_id}:{step.key}:{channel.value}"),
                step=step.step.value,
                template=step.template,
                channel=channel,
                recipient=step.recipient,
                scheduled_for=step.due_at,
                appointment=self._appointment,
                contact_no_show_total=self._state.contact_no_show_total,
                reschedule_count=self._state.reschedule_count,
            )
            try:
                await workflow.execute_activity_method(
                    MessagingActivities.deliver_message,
                    request,
                    start_to_close_timeout=DELIVERY_TIMEOUT,
                    retry_policy=DELIVERY_RETRY,
                )
                return
            except ActivityError as err:
                workflow.logger.warning(
                    "%s on %s failed (%s); trying the next channel",
                    step.step.value,
                    channel.value,
                    err.cause or err,
                )
        workflow.logger.warning("%s reached no channel", step.step.value)

    # ------------------------------------------------------------------ bookkeeping

    def _pending(self) -> list[PlannedStep]:
        return pending(self._appointment, self._state, self._policy, quiet_hours=self._quiet_hours)

    def _progress(self) -> Progress:
        return progress_of(self._appointment, self._state, self._pending())

    def _signature(self) -> tuple[object, ...]:
        """What operators and listings see; unchanged signature, nothing to publish."""
        s = self._state
        return (s.status, s.starts_at, s.no_show_count, s.reschedule_count, s.flagged)

    async def _publish_progress(self) -> None:
        """Keep the Temporal UI's search attributes and the database mirror current,
        writing only when something they show has changed."""
        signature = self._signature()
        if signature == self._mirrored:
            return
        self._mirrored = signature
        self._upsert_search_attributes()
        try:
            await workflow.execute_local_activity_method(
                RecordActivities.record_status,
                self._progress(),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        except ActivityError as err:
            # The mirror serves listings only; the sequence must go on without it.
            workflow.logger.warning("status mirror not updated: %s", err.cause or err)

    def _upsert_search_attributes(self) -> None:
        workflow.upsert_search_attributes(
            [pair.key.value_set(pair.value) for pair in sa.pairs(self._appointment, self._state)]
        )

    async def _continue_as_new(self) -> None:
        # Let in-flight handlers finish so no signal is dropped; unapplied events travel
        # in state.inbox, and only the keys of steps still in the plan are carried.
        await workflow.wait_condition(workflow.all_handlers_finished)
        current = {
            s.key
            for s in plan(
                self._appointment, self._state, self._policy, quiet_hours=self._quiet_hours
            )
        }
        self._state.completed_steps = [k for k in self._state.completed_steps if k in current]
        workflow.continue_as_new(
            AppointmentWorkflowInput(
                appointment=self._appointment, policy=self._policy, state=self._state
            )
        )
