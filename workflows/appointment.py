"""One durable workflow per appointment: the steps of its playbook before it, after a miss,
after a reschedule and after it was attended, and a clean stop when it closes. Events
arrive as signals; progress is answered by a query.

The playbook is pinned when the workflow starts (resolve_playbook) and carried in its input
across continue-as-new: editing a playbook never changes a running appointment. A
reschedule is a fresh schedule and moves to the latest version of the same playbook.
Runs recorded before playbooks existed keep planning with legacy_playbook(input.policy).

The appointment belongs to the workspace its input names: every activity runs in that
workspace (its stores, brand, senders and settings), and the workflow id and the
WorkspaceId search attribute name it.

The loop is: apply queued events, else wait until the next pending step is due (or an event
arrives first), run it, repeat. What to do and when is decided by pure code in
rebook.core.playbook_plan and rebook.core.lifecycle; this module only orchestrates.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.workspaces import WorkspaceActivities
    from rebook.core import search_attributes as sa
    from rebook.core.contracts import (
        AppointmentDetails,
        AppointmentEvent,
        AppointmentWorkflowInput,
        DeliveryRequest,
        FollowUpPolicy,
        NoShowRecord,
        NoShowTally,
        PlaybookRequest,
        Progress,
        ProgressReport,
        ProgressRequest,
        SendCheck,
        SendClearance,
        SequenceState,
    )
    from rebook.core.domain import AppointmentStatus, Recipient
    from rebook.core.lifecycle import apply_event
    from rebook.core.names import EVENT_SIGNAL, PROGRESS_QUERY, WORKFLOW_NAME
    from rebook.core.playbook import Playbook, StepAction
    from rebook.core.playbook_legacy import legacy_playbook
    from rebook.core.playbook_plan import (
        PlannedStep,
        cancellation_notice,
        due_of,
        pending,
        plan,
        progress_of,
        replied_since_miss,
        stamp,
    )
    from workflows.policies import (
        DELIVERY_RETRY,
        DELIVERY_TIMEOUT,
        PLAYBOOK_RETRY,
        PLAYBOOK_TIMEOUT,
        RECORD_RETRY,
        RECORD_TIMEOUT,
        SEND_CHECK_RETRY,
        SEND_CHECK_TIMEOUT,
    )


# workflow.patched ids: each marks a change in behaviour that running workflows started
# before it must not see (their histories replay the old path).
QUIET_HOURS_PATCH = "quiet-hours"
PLAYBOOKS_PATCH = "playbooks"  # resolve and pin a playbook when the run starts
# A run from before playbooks that is rescheduled now moves to the latest default playbook.
PLAYBOOK_AT_RESCHEDULE_PATCH = "playbook-at-reschedule"
# Keeping the WorkspaceId search attribute current (the API sets it at start; runs started
# before it existed upsert the other attributes only, as their histories did).
WORKSPACE_ATTRIBUTE_PATCH = "workspace-search-attribute"
# Runs started from here on record this one marker instead of `playbooks` and
# `workspace-search-attribute` (it implies both, and quiet hours), and do not upsert the
# search attributes they were started with (the API starts every run with them; a continued
# run inherits them). The SDK upserts TemporalChangeVersion with every marker, so a fresh
# run's start costs one marker and one upsert instead of two markers and three upserts
# (issue 12).
LEAN_START_PATCH = "lean-start"


@workflow.defn(name=WORKFLOW_NAME)
class AppointmentWorkflow:
    @workflow.init
    def __init__(self, input: AppointmentWorkflowInput) -> None:
        self._appointment: AppointmentDetails = input.appointment
        self._policy: FollowUpPolicy = input.policy
        # Whose appointment this is: every activity runs in this workspace.
        self._workspace_id: str = input.workspace_id
        self._state: SequenceState = input.state or SequenceState(
            status=AppointmentStatus.SCHEDULED,
            starts_at=input.appointment.starts_at,
            armed_at=workflow.now(),
        )
        # Decided in run() (patch markers need the run's context); until then the run has
        # no plan, and the progress query answers without a next step.
        self._playbook: Playbook | None = input.playbook
        # True when the playbook came from resolve_playbook or the input, False for a run
        # recorded before playbooks (legacy_playbook of its policy).
        self._pinned = input.playbook is not None
        # The API wrote the fresh appointment's row, and a continued run's predecessor
        # published its state before handing over: nothing to mirror until it changes.
        self._mirrored = self._signature()
        self._workspace_attribute = False  # decided in run(), like the playbook

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

    def _start_as_recorded_before_lean_start(
        self, input: AppointmentWorkflowInput, continued: bool
    ) -> None:
        """The start of runs recorded before the lean-start patch. The order of the patch
        calls is the order their histories recorded the markers in: `playbooks` (or, on
        the legacy path, `quiet-hours`), then `workspace-search-attribute`, then the first
        upsert of search attributes."""
        if self._playbook is None and (continued or not workflow.patched(PLAYBOOKS_PATCH)):
            # The fixed sequence of its policy, and the follow-up times of runs from before
            # quiet hours.
            self._playbook = _without_quiet_hours_unless(
                workflow.patched(QUIET_HOURS_PATCH), legacy_playbook(input.policy)
            )
        self._workspace_attribute = workflow.patched(WORKSPACE_ATTRIBUTE_PATCH)
        self._upsert_search_attributes()

    # ------------------------------------------------------------------ main loop

    @workflow.run
    async def run(self, input: AppointmentWorkflowInput) -> Progress:
        """Returns the final Progress. (Runs before it returned an AppointmentOutcome with a
        subset of its fields; readers of closed runs go by search attributes instead.)"""
        # Every run since playbooks hands its playbook on when it continues as new, so a
        # continued run without one was started before them, as was a run without the patch.
        continued = workflow.info().continued_run_id is not None
        if workflow.patched(LEAN_START_PATCH):
            # The one marker of runs started since: it implies playbooks, quiet hours and
            # the WorkspaceId attribute, and the API (or the run it continues) already set
            # the search attributes, so a fresh run upserts only the SDK's version.
            if self._playbook is None and continued:
                self._playbook = legacy_playbook(input.policy)
            self._workspace_attribute = True
            if not sa.already_set(
                self._search_attribute_pairs(), workflow.info().typed_search_attributes
            ):
                self._upsert_search_attributes()
        else:
            self._start_as_recorded_before_lean_start(input, continued)
        if self._playbook is None:
            self._playbook = await self._resolve_playbook(name=None)
            self._pinned = True
        while self._goes_on():
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

    def _goes_on(self) -> bool:
        """Until the appointment closes; an attended one stays for the playbook's attended
        steps (a thank-you, the next step), if it has any still to send."""
        status = self._state.status
        if status is AppointmentStatus.ATTENDED:
            return bool(self._pending())
        return not status.is_final

    async def _event_arrives_before(self, step: PlannedStep) -> bool:
        delay = due_of(step, self._state) - workflow.now()
        if delay <= timedelta(0):
            return False
        try:
            await workflow.wait_condition(lambda: bool(self._state.inbox), timeout=delay)
        except TimeoutError:
            return False
        return True

    async def _apply_next_event(self) -> None:
        event = self._state.inbox.pop(0)
        decision = apply_event(self._state, event, self._lifecycle_policy(), workflow.now())
        workflow.logger.info("event %s (%s): %s", event.type.value, event.event_id, decision.reason)
        if not decision.accepted:
            return
        if decision.record_no_show:
            # The first follow-up waits on the tally (it picks first-time or repeat copy);
            # the mirror write runs alongside rather than before it.
            tally, _ = await asyncio.gather(self._record_no_show(event), self._publish_progress())
            self._state.contact_no_show_total = tally.contact_no_show_total
        if decision.send_cancellation_notice:
            notice = cancellation_notice(
                self._current_playbook(), self._appointment, workflow.now()
            )
            if notice is not None:
                await self._run_step(notice)
        if decision.rearm:
            self._appointment = replace(self._appointment, starts_at=self._state.starts_at)
            # A reschedule is a fresh schedule: it opts in to the latest version of the
            # same playbook (runs from before playbooks: of the default playbook).
            if self._pinned or workflow.patched(PLAYBOOK_AT_RESCHEDULE_PATCH):
                self._playbook = await self._resolve_playbook(self._current_playbook().name)
                self._pinned = True
        await self._publish_progress()
        if decision.rearm:
            # A fresh run per schedule keeps history bounded however often it moves.
            await self._continue_as_new()

    def _lifecycle_policy(self) -> FollowUpPolicy:
        # The reschedule limit is the playbook's (legacy runs: their policy's, the same).
        limit = self._current_playbook().policy.reschedule_limit
        return replace(self._policy, reschedule_limit=limit)

    async def _record_no_show(self, event: AppointmentEvent) -> NoShowTally:
        return await workflow.execute_local_activity_method(
            WorkspaceActivities.record_no_show,
            NoShowRecord(
                appointment_id=self._appointment.appointment_id,
                contact_id=self._appointment.contact.id,
                occurrence_key=(
                    f"{self._appointment.appointment_id}@{stamp(self._state.starts_at)}"
                ),
                missed_at=event.received_at,
                workspace_id=self._workspace_id,
            ),
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
        )

    async def _resolve_playbook(self, name: str | None) -> Playbook:
        return await workflow.execute_local_activity_method(
            WorkspaceActivities.resolve_playbook,
            PlaybookRequest(
                appointment=self._appointment, name=name, workspace_id=self._workspace_id
            ),
            start_to_close_timeout=PLAYBOOK_TIMEOUT,
            retry_policy=PLAYBOOK_RETRY,
        )

    # ------------------------------------------------------------------ steps

    async def _run_step(self, step: PlannedStep) -> None:
        if step.action is StepAction.CLOSE_AS_LOST:
            self._state.status = AppointmentStatus.LOST
        elif step.action is StepAction.EXPIRE:
            self._state.status = AppointmentStatus.EXPIRED
        elif step.skip_once_started and workflow.now() >= self._state.starts_at:
            workflow.logger.info("%s skipped: the appointment has started", step.step)
        else:
            # The moment it goes out, as the ledger records it and the cap counts it: when
            # it was due, or the end of its deferral.
            sends_at = due_of(step, self._state)
            clearance = await self._check_send(step, sends_at)
            if clearance is not None and clearance.defer_until is not None:
                # Deferred, not dropped: the step stays pending until the cap frees.
                self._state.deferred[step.key] = clearance.defer_until
                workflow.logger.info("%s deferred until %s", step.step, clearance.defer_until)
                return
            if clearance is not None and clearance.stop is not None:
                workflow.logger.info("%s stopped: %s", step.step, clearance.stop.value)
            else:
                await self._deliver(step, sends_at)
        self._state.deferred.pop(step.key, None)
        self._state.completed_steps.append(step.key)

    async def _check_send(self, step: PlannedStep, now: datetime) -> SendClearance | None:
        """The send-time rules, asked only of steps they apply to (stop conditions, or a
        frequency cap that may defer the step): other steps cost no extra activity."""
        cap = self._current_playbook().policy.frequency_cap
        capped = cap is not None and not step.answers_event and step.recipient is Recipient.CONTACT
        if not step.stop_when and not capped:
            return None
        return await workflow.execute_local_activity_method(
            WorkspaceActivities.check_send,
            SendCheck(
                appointment=self._appointment,
                step=step.step,
                key=step.key,
                template=step.template or "",
                channel=step.channels[0] if step.channels else None,
                due_at=step.due_at,
                now=now,
                stop_when=step.stop_when,
                replied=replied_since_miss(self._state),
                frequency_cap=cap if capped else None,
                workspace_id=self._workspace_id,
            ),
            start_to_close_timeout=SEND_CHECK_TIMEOUT,
            retry_policy=SEND_CHECK_RETRY,
        )

    async def _deliver(self, step: PlannedStep, scheduled_for: datetime) -> None:
        """Try the step's channels in order until one delivers. A channel that fails
        permanently (invalid number, unsubscribed) or keeps failing after all retries hands
        over to the next; the ledger records every attempt either way."""
        assert step.template is not None
        playbook = self._current_playbook()
        for channel in step.channels:
            request = DeliveryRequest(
                idempotency_key=(f"{self._appointment.appointment_id}:{step.key}:{channel.value}"),
                step=step.step,
                template=step.template,
                channel=channel,
                recipient=step.recipient,
                scheduled_for=scheduled_for,
                appointment=self._appointment,
                contact_no_show_total=self._state.contact_no_show_total,
                reschedule_count=self._state.reschedule_count,
                workspace_id=self._workspace_id,
                playbook=playbook.ref,
                content=step.content,
            )
            try:
                await workflow.execute_activity_method(
                    WorkspaceActivities.deliver_message,
                    request,
                    start_to_close_timeout=DELIVERY_TIMEOUT,
                    retry_policy=DELIVERY_RETRY,
                )
                return
            except ActivityError as err:
                workflow.logger.warning(
                    "%s on %s failed (%s); trying the next channel",
                    step.step,
                    channel.value,
                    err.cause or err,
                )
        workflow.logger.warning("%s reached no channel", step.step)

    # ------------------------------------------------------------------ bookkeeping

    def _current_playbook(self) -> Playbook:
        assert self._playbook is not None, "run() sets the playbook before any step"
        return self._playbook

    def _pending(self) -> list[PlannedStep]:
        if self._playbook is None:
            return []
        return pending(self._playbook, self._appointment, self._state)

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
                WorkspaceActivities.record_status,
                ProgressReport(progress=self._progress(), workspace_id=self._workspace_id),
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        except ActivityError as err:
            # The mirror serves listings only; the sequence must go on without it.
            workflow.logger.warning("status mirror not updated: %s", err.cause or err)

    def _search_attribute_pairs(self) -> list[SearchAttributePair[Any]]:
        workspace_id = self._workspace_id if self._workspace_attribute else None
        return sa.pairs(self._appointment, self._state, workspace_id=workspace_id)

    def _upsert_search_attributes(self) -> None:
        pairs = self._search_attribute_pairs()
        workflow.upsert_search_attributes([pair.key.value_set(pair.value) for pair in pairs])

    async def _continue_as_new(self) -> None:
        # Let in-flight handlers finish so no signal is dropped; unapplied events travel
        # in state.inbox, and only the keys of steps still in the plan are carried. The
        # playbook travels pinned (a run from before playbooks pins the sequence it ran).
        await workflow.wait_condition(workflow.all_handlers_finished)
        playbook = self._current_playbook()
        current = {s.key for s in plan(playbook, self._appointment, self._state)}
        self._state.completed_steps = [k for k in self._state.completed_steps if k in current]
        self._state.deferred = {k: t for k, t in self._state.deferred.items() if k in current}
        workflow.continue_as_new(
            AppointmentWorkflowInput(
                appointment=self._appointment,
                policy=self._policy,
                state=self._state,
                workspace_id=self._workspace_id,
                playbook=playbook,
            )
        )


def _without_quiet_hours_unless(quiet_hours: bool, playbook: Playbook) -> Playbook:
    """The playbook, minus quiet hours for runs started before quiet hours existed."""
    if quiet_hours:
        return playbook
    return replace(playbook, policy=replace(playbook.policy, quiet_hours=None))
