"""The check_send activity: the send-time rules of a playbook step, against the ledger.

Asked just before a step goes out, for steps that have stop conditions or fall under the
playbook's frequency cap (the workflow skips the call otherwise):

- stop_when: `rebooked` (the contact has another appointment coming up), `opted_out` (they
  opted out of any channel) and `replied` (the workflow knows) end the step unsent;
- the frequency cap counts the contact's messages in the rolling window across all their
  appointments; over it, the step is deferred to when the window frees, never dropped.

Either outcome is recorded in the communications ledger (SKIPPED with the condition, or
DEFERRED with the time), under keys of their own so the step's real send is unaffected,
and so reports count them.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure; the stores are built in the worker and handed in.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity

from rebook.core.contracts import SendCheck, SendClearance
from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.playbook import StopCondition
from rebook.core.playbook_plan import StopFacts, frequency_cap_defers_until, stop_reason
from rebook.core.ports import ContactBookings, MessageHistory
from rebook.core.records import CommunicationDraft
from rebook.core.rules import format_duration


class SendCheckActivities:
    def __init__(self, history: MessageHistory, bookings: ContactBookings) -> None:
        self._history = history
        self._bookings = bookings

    @activity.defn(name="check_send")
    def check_send(self, check: SendCheck) -> SendClearance:
        """Idempotent: a repeated check records each hold once."""
        stopped = stop_reason(check.stop_when, self._facts(check))
        if stopped is not None:
            self._history.record_hold(
                _hold(check, "stopped"),
                CommunicationStatus.SKIPPED,
                f"stopped: {_STOP_WORDS[stopped]}",
            )
            return SendClearance(stop=stopped)
        cap = check.frequency_cap
        if cap is None:
            return SendClearance()
        contact_id = check.appointment.contact.id
        since = check.now - timedelta(seconds=cap.window_s)
        recent = self._history.sends_to_contact(contact_id, since, check.now)
        until = frequency_cap_defers_until(cap, recent, check.now)
        if until is None:
            return SendClearance()
        self._history.record_hold(
            _hold(check, "deferred"),
            CommunicationStatus.DEFERRED,
            f"deferred by the frequency cap ({cap.max_messages} per "
            f"{format_duration(cap.window_s)}) until {until.isoformat()}",
        )
        return SendClearance(defer_until=until)

    def _facts(self, check: SendCheck) -> StopFacts:
        wanted = set(check.stop_when)
        contact_id = check.appointment.contact.id
        return StopFacts(
            rebooked=StopCondition.REBOOKED in wanted
            and self._bookings.has_upcoming_appointment(
                contact_id, check.appointment.appointment_id, check.now
            ),
            replied=check.replied,
            opted_out=StopCondition.OPTED_OUT in wanted
            and bool(self._history.opted_out_channels(contact_id)),
        )


_STOP_WORDS = {
    StopCondition.REBOOKED: "the contact has another appointment coming up",
    StopCondition.REPLIED: "the contact replied",
    StopCondition.OPTED_OUT: "the contact opted out",
}


def _hold(check: SendCheck, what: str) -> CommunicationDraft:
    appointment = check.appointment
    return CommunicationDraft(
        idempotency_key=f"{appointment.appointment_id}:{check.key}:{what}",
        appointment_id=appointment.appointment_id,
        contact_id=appointment.contact.id,
        recipient=Recipient.CONTACT,
        step=check.step,
        template=check.template,
        channel=check.channel or Channel.EMAIL,
        variant=appointment.variant,
        to_address="",  # nothing was addressed
        subject="",
        body="",
        scheduled_for=check.due_at,
    )
