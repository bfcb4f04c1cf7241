"""The deliver_message activity: one step of a sequence on one channel, delivered exactly
once when the provider can tell us what it has, and never silently lost.

The communications ledger is the idempotency gate: a row is claimed under a lease before the
provider is called, so Temporal retries and re-runs of a step never produce a second
message. When a send's outcome is unknown (a timeout after the request left, a worker
killed between claim and answer), the next attempt reconciles before doing anything: it
asks for evidence (a webhook recorded on the row, the provider's own records) and sends
again only when the provider says it has no such message. Without evidence within the
reconciliation window, the row is settled UNCONFIRMED: logged, listed and never resent.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure. Concrete ledgers and senders are built in the worker and handed in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from rebook.core.brand import Brand
from rebook.core.channels import address_for
from rebook.core.contracts import DeliveryRequest, DeliveryResult
from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.ports import (
    AmbiguousDeliveryError,
    ChannelSender,
    ClaimAction,
    CommunicationLedger,
    Found,
    Lease,
    LookupResult,
    LookupWindow,
    MessageRenderer,
    MessageText,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    ProviderReceipt,
    RenderedMessage,
    RenderFailed,
    TransientDeliveryError,
)
from rebook.core.records import CommunicationDraft, CommunicationRecord

logger = logging.getLogger(__name__)

# ApplicationError types the workflow matches on. The first three are non-retryable: the
# workflow moves on to the contact's next channel; the others are retried.
PERMANENT_FAILURE = "PermanentDeliveryError"
CHANNEL_UNAVAILABLE = "ChannelUnavailable"
RENDER_FAILED = "RenderFailed"
TRANSIENT_FAILURE = "TransientDeliveryError"
# The send's outcome is unknown, or another attempt may still be sending: the retry
# reconciles (paced by next_retry_delay, within the reconciliation window).
DELIVERY_IN_DOUBT = "DeliveryInDoubt"

DEFAULT_RECONCILE_WINDOW = timedelta(minutes=10)
# Without a start-to-close timeout (tests calling the method directly) a lease lasts this.
DEFAULT_LEASE = timedelta(minutes=1)
# A provider call must start this long before the lease ends (or in its first half, for
# short leases), so that it has finished (the senders' HTTP timeouts are 10 s) before
# anyone else may reconcile the message.
SEND_BUDGET = timedelta(seconds=12)
# Reconciliation retries are paced to reach the window's end within the attempts left,
# never more often than this.
MIN_RECHECK = timedelta(seconds=1)

FailPoint = Callable[[str], None]


def no_fail_points(_name: str) -> None:
    """The production default: fail points are a test-only hook (rebook.faults)."""


@dataclass(frozen=True)
class _Address:
    to_address: str | None
    to_name: str


@dataclass(frozen=True)
class _Attempt:
    """This attempt of the activity: what it delivers, and the lease it holds the row by."""

    request: DeliveryRequest
    message: RenderedMessage
    lease: Lease
    info: activity.Info

    @property
    def holder(self) -> str:
        return self.lease.holder


class MessagingActivities:
    """deliver_message for one workspace: its ledger, senders and brand (the worker
    registers activities.workspaces.WorkspaceActivities, which picks the workspace's)."""

    def __init__(
        self,
        ledger: CommunicationLedger,
        senders: Mapping[Channel, ChannelSender],
        renderer: MessageRenderer,
        brand: Brand,
        *,
        reconcile_window: timedelta = DEFAULT_RECONCILE_WINDOW,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        fail_point: FailPoint = no_fail_points,
    ) -> None:
        """reconcile_window: how long a send in doubt is reconciled before it is settled
        UNCONFIRMED. fail_point: called at each named point of a send (tests/faults)."""
        self._ledger = ledger
        self._senders = senders
        self._renderer = renderer
        self._brand = brand
        self._reconcile_window = reconcile_window
        self._clock = clock
        self._fail_point = fail_point

    @activity.defn(name="deliver_message")
    def deliver_message(self, request: DeliveryRequest) -> DeliveryResult:
        """Render, claim (under a lease), reconcile a send in doubt, send, complete.

        Idempotent on request.idempotency_key. Raises ApplicationError: PERMANENT_FAILURE,
        CHANNEL_UNAVAILABLE and RENDER_FAILED (non-retryable: the workflow tries the next
        channel), TRANSIENT_FAILURE and DELIVERY_IN_DOUBT (retryable)."""
        info = activity.info()
        self._fail_point("before_claim")
        address = _resolve_address(request)
        try:
            content = self._renderer.render(request, self._brand)
        except RenderFailed as err:
            # The copy cannot change between attempts; another channel's may work.
            raise ApplicationError(str(err), type=RENDER_FAILED, non_retryable=True) from err
        lease = Lease(holder=_lease_holder(info), duration=_lease_duration(info))
        claim = self._ledger.claim(_draft(request, address, content), lease)
        self._fail_point("after_claim")
        record = claim.record
        if claim.action is ClaimAction.DONE:
            return _replay(record, request.channel)
        if claim.action is ClaimAction.WAIT:
            raise _in_doubt(
                f"attempt {record.lease_holder} may still be sending",
                _until(record.lease_expires_at, self._clock()),
            )
        attempt = _Attempt(request, self._message(request, address, content), lease, info)
        if claim.action is ClaimAction.RECONCILE:
            return self._reconcile(attempt, record)
        return self._send(attempt, record)

    # ------------------------------------------------------------------ sending

    def _send(self, attempt: _Attempt, record: CommunicationRecord) -> DeliveryResult:
        """Call the provider for a row this attempt holds in SENDING."""
        request, holder = attempt.request, attempt.holder
        unavailable = self._unavailable_reason(request, attempt.message.to_address)
        if unavailable:
            self._ledger.fail(record.id, holder, unavailable, CommunicationStatus.SKIPPED)
            raise ApplicationError(unavailable, type=CHANNEL_UNAVAILABLE, non_retryable=True)
        budget = min(SEND_BUDGET, attempt.lease.duration / 2)
        if record.lease_expires_at and self._clock() > record.lease_expires_at - budget:
            # Too late to finish before others may take the row over: leave it certainly
            # unsent and let the retry send under a fresh lease.
            self._ledger.fail(
                record.id, holder, "lease too short to send", CommunicationStatus.RETRYING
            )
            raise ApplicationError("lease too short to send", type=TRANSIENT_FAILURE)
        sender = self._senders[request.channel]
        self._fail_point("before_send")
        try:
            receipt = sender.send(attempt.message)
        except TransientDeliveryError as err:
            # RETRYING lets the next attempt's claim go ahead and call the provider again.
            self._ledger.fail(record.id, holder, str(err), CommunicationStatus.RETRYING)
            raise ApplicationError(str(err), type=TRANSIENT_FAILURE) from err
        except AmbiguousDeliveryError as err:
            doubted = self._ledger.mark_in_doubt(record.id, holder, str(err))
            logger.info("%s: outcome unknown, reconciling: %s", _describe(doubted), err)
            raise _in_doubt(str(err), self._recheck_delay(doubted, attempt.info)) from err
        except PermanentDeliveryError as err:
            self._ledger.fail(record.id, holder, str(err), CommunicationStatus.FAILED)
            if err.opted_out and request.recipient == Recipient.CONTACT:
                self._ledger.record_opt_out(
                    request.appointment.contact.id, request.channel, str(err)
                )
            raise ApplicationError(str(err), type=PERMANENT_FAILURE, non_retryable=True) from err
        self._fail_point("after_send")
        return self._complete(record, receipt, request.channel)

    def _complete(
        self, record: CommunicationRecord, receipt: ProviderReceipt, channel: Channel
    ) -> DeliveryResult:
        self._fail_point("before_complete")
        done = self._ledger.complete(record.id, receipt)
        return DeliveryResult(
            communication_id=done.id,
            status=done.status,
            channel=channel,
            provider=done.provider or receipt.provider,
            provider_message_id=done.provider_message_id,
        )

    # ------------------------------------------------------------------ reconciling

    def _reconcile(self, attempt: _Attempt, record: CommunicationRecord) -> DeliveryResult:
        """Settle a CHECKING row this attempt holds: complete it on evidence of the send,
        send when the provider has no such message, else retry later or, once the window
        has passed, settle it UNCONFIRMED."""
        channel = attempt.request.channel
        evidence = self._evidence(channel, record, attempt.message)
        if isinstance(evidence, Found):
            logger.info(
                "%s: the provider has it (%s); recorded without sending again",
                _describe(record),
                evidence.receipt.provider_message_id,
            )
            return self._complete(record, evidence.receipt, channel)
        if isinstance(evidence, NotFound):
            resending = self._ledger.resend(record.id, attempt.holder)
            if resending is None:
                raise _in_doubt("another attempt took the message over", MIN_RECHECK)
            logger.info("%s: %s; sending it", _describe(record), evidence.reason)
            return self._send(attempt, resending)
        if self._window_closed(record) or _last_attempt(attempt.info):
            reason = f"no evidence the provider has it: {evidence.reason}"
            settled = self._ledger.settle_unconfirmed(record.id, attempt.holder, reason)
            logger.warning(
                "message UNCONFIRMED, not resent: appointment %s step %s channel %s key %s: %s",
                settled.appointment_id,
                settled.step,
                settled.channel.value,
                settled.idempotency_key,
                reason,
            )
            return _replay(settled, channel)
        self._ledger.release(record.id, attempt.holder, f"in doubt: {evidence.reason}")
        raise _in_doubt(evidence.reason, self._recheck_delay(record, attempt.info))

    def _evidence(
        self, channel: Channel, record: CommunicationRecord, message: RenderedMessage
    ) -> LookupResult:
        if record.provider_message_id:
            # A delivery webhook naming our key recorded the provider's id on the row.
            return Found(
                ProviderReceipt(
                    provider=record.provider or "",
                    provider_message_id=record.provider_message_id,
                    status=CommunicationStatus.SENT,
                )
            )
        sender = self._senders.get(channel)
        if sender is None:
            return NoEvidence(f"no sender configured for {channel.value} to ask")
        now = self._clock()
        window = LookupWindow(
            since=record.created_at, in_doubt_since=record.in_doubt_since or now, now=now
        )
        try:
            return sender.lookup(message, window)
        except Exception as err:  # a lookup must never turn doubt into a resend
            logger.warning("%s: lookup failed: %r", _describe(record), err)
            return NoEvidence(f"lookup failed: {err!r}")

    def _window_closed(self, record: CommunicationRecord) -> bool:
        in_doubt_since = record.in_doubt_since or self._clock()
        return self._clock() >= in_doubt_since + self._reconcile_window

    def _recheck_delay(self, record: CommunicationRecord, info: activity.Info) -> timedelta:
        """Spread the remaining checks over the window within the attempts left, so the
        window ends before the retry policy gives up."""
        in_doubt_since = record.in_doubt_since or self._clock()
        remaining = in_doubt_since + self._reconcile_window - self._clock()
        maximum = info.retry_policy.maximum_attempts if info.retry_policy else 0
        checks_left = max(1, maximum - info.attempt) if maximum else 10
        return max(MIN_RECHECK, min(remaining, remaining / checks_left))

    # ------------------------------------------------------------------ helpers

    def _message(
        self, request: DeliveryRequest, address: _Address, content: MessageText
    ) -> RenderedMessage:
        return RenderedMessage(
            idempotency_key=request.idempotency_key,
            channel=request.channel,
            to_address=address.to_address or "",
            subject=content.subject,
            body=content.body,
            html_body=content.html_body,
            to_name=address.to_name,
            contact_id=request.appointment.contact.id,
            step=request.step,
            template=request.template,
            template_variables=content.template_variables,
        )

    def _unavailable_reason(self, request: DeliveryRequest, to_address: str) -> str | None:
        channel = request.channel
        if channel not in self._senders:
            return f"no sender configured for {channel.value}"
        if not to_address:
            return f"{request.recipient.value} has no {channel.value} address"
        # Opt-outs are the contact's; the host is only ever emailed.
        if request.recipient == Recipient.CONTACT and channel in self._ledger.opted_out_channels(
            request.appointment.contact.id
        ):
            return f"contact opted out of {channel.value}"
        return None


def _lease_holder(info: activity.Info) -> str:
    return f"{info.workflow_run_id}/{info.activity_id}#{info.attempt}"


def _lease_duration(info: activity.Info) -> timedelta:
    # At least the start-to-close timeout: until then Temporal itself considers the
    # attempt alive, and it may still be mid-send.
    return info.start_to_close_timeout or DEFAULT_LEASE


def _last_attempt(info: activity.Info) -> bool:
    maximum = info.retry_policy.maximum_attempts if info.retry_policy else 0
    return bool(maximum) and info.attempt >= maximum


def _until(moment: datetime | None, now: datetime) -> timedelta:
    return max(MIN_RECHECK, (moment - now) if moment else MIN_RECHECK)


def _in_doubt(reason: str, delay: timedelta) -> ApplicationError:
    return ApplicationError(reason, type=DELIVERY_IN_DOUBT, next_retry_delay=delay)


def _describe(record: CommunicationRecord) -> str:
    return (
        f"{record.channel.value} {record.step} of appointment {record.appointment_id} "
        f"(key {record.idempotency_key})"
    )


def _resolve_address(request: DeliveryRequest) -> _Address:
    appointment = request.appointment
    if request.recipient == Recipient.HOST:
        # Hosts are reached by email only; the contact's channels are not theirs.
        email = appointment.host.email if request.channel == Channel.EMAIL else None
        return _Address(email, appointment.host.name)
    contact = appointment.contact
    return _Address(address_for(contact, request.channel, appointment.booked_via), contact.name)


def _draft(request: DeliveryRequest, address: _Address, content: MessageText) -> CommunicationDraft:
    return CommunicationDraft(
        idempotency_key=request.idempotency_key,
        appointment_id=request.appointment.appointment_id,
        contact_id=request.appointment.contact.id,
        recipient=request.recipient,
        step=request.step,
        template=request.template,
        channel=request.channel,
        variant=request.appointment.variant,
        # Unreachable attempts are recorded too (as SKIPPED), with an empty address.
        to_address=address.to_address or "",
        subject=content.subject,
        body=content.body,
        scheduled_for=request.scheduled_for,
    )


def _replay(record: CommunicationRecord, channel: Channel) -> DeliveryResult:
    """The key was handled by an earlier attempt or run: report that outcome, send nothing.

    Failures are re-raised as they were first time, so the workflow falls back to the next
    channel exactly as it would have; a success or an UNCONFIRMED send is returned as is:
    resending (or falling back to another channel) could reach the contact twice.
    """
    if record.status == CommunicationStatus.FAILED:
        raise ApplicationError(
            record.error or "failed earlier", type=PERMANENT_FAILURE, non_retryable=True
        )
    if record.status == CommunicationStatus.SKIPPED:
        raise ApplicationError(
            record.error or "skipped earlier", type=CHANNEL_UNAVAILABLE, non_retryable=True
        )
    return DeliveryResult(
        communication_id=record.id,
        status=record.status,
        channel=channel,
        provider=record.provider or "",
        provider_message_id=record.provider_message_id,
        duplicate=True,
    )
