"""The deliver_message activity: one step of a sequence on one channel, sent at most once.

The communications ledger is the idempotency gate: a row is claimed before the provider is
called, so Temporal retries and re-runs of a step never produce a second message.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure. Concrete ledgers and senders are built in the worker and handed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from rebook.core.brand import Brand
from rebook.core.channels import address_for
from rebook.core.contracts import DeliveryRequest, DeliveryResult
from rebook.core.domain import Channel, CommunicationStatus, Recipient
from rebook.core.ports import (
    ChannelSender,
    CommunicationLedger,
    MessageRenderer,
    MessageText,
    PermanentDeliveryError,
    RenderedMessage,
    RenderFailed,
    TransientDeliveryError,
)
from rebook.core.records import CommunicationDraft, CommunicationRecord

# ApplicationError types the workflow matches on. The first three are non-retryable: the
# workflow moves on to the contact's next channel; the last is retried with backoff.
PERMANENT_FAILURE = "PermanentDeliveryError"
CHANNEL_UNAVAILABLE = "ChannelUnavailable"
RENDER_FAILED = "RenderFailed"
TRANSIENT_FAILURE = "TransientDeliveryError"


@dataclass(frozen=True)
class _Address:
    to_address: str | None
    to_name: str


class MessagingActivities:
    """deliver_message for one workspace: its ledger, senders and brand (the worker
    registers activities.workspaces.WorkspaceActivities, which picks the workspace's)."""

    def __init__(
        self,
        ledger: CommunicationLedger,
        senders: Mapping[Channel, ChannelSender],
        renderer: MessageRenderer,
        brand: Brand,
    ) -> None:
        self._ledger = ledger
        self._senders = senders
        self._renderer = renderer
        self._brand = brand

    @activity.defn(name="deliver_message")
    def deliver_message(self, request: DeliveryRequest) -> DeliveryResult:
        address = _resolve_address(request)
        try:
            content = self._renderer.render(request, self._brand)
        except RenderFailed as err:
            # The copy cannot change between attempts; another channel's may work.
            raise ApplicationError(str(err), type=RENDER_FAILED, non_retryable=True) from err
        claim = self._ledger.claim(_draft(request, address, content))
        record = claim.record
        if not claim.must_send:
            return _replay(record, request.channel)

        unavailable = self._unavailable_reason(request, address)
        if unavailable:
            self._ledger.fail(record.id, unavailable, CommunicationStatus.SKIPPED)
            raise ApplicationError(unavailable, type=CHANNEL_UNAVAILABLE, non_retryable=True)

        sender = self._senders[request.channel]
        assert address.to_address is not None  # checked by _unavailable_reason
        message = RenderedMessage(
            idempotency_key=request.idempotency_key,
            channel=request.channel,
            to_address=address.to_address,
            subject=content.subject,
            body=content.body,
            html_body=content.html_body,
            to_name=address.to_name,
            contact_id=request.appointment.contact.id,
            step=request.step,
            template=request.template,
            template_variables=content.template_variables,
        )
        try:
            receipt = sender.send(message)
        except TransientDeliveryError as err:
            # RETRYING lets the next attempt's claim go ahead and call the provider again.
            self._ledger.fail(record.id, str(err), CommunicationStatus.RETRYING)
            raise ApplicationError(str(err), type=TRANSIENT_FAILURE) from err
        except PermanentDeliveryError as err:
            self._ledger.fail(record.id, str(err), CommunicationStatus.FAILED)
            if err.opted_out and request.recipient == Recipient.CONTACT:
                self._ledger.record_opt_out(
                    request.appointment.contact.id, request.channel, str(err)
                )
            raise ApplicationError(str(err), type=PERMANENT_FAILURE, non_retryable=True) from err

        done = self._ledger.complete(record.id, receipt)
        return DeliveryResult(
            communication_id=done.id,
            status=done.status,
            channel=done.channel,
            provider=receipt.provider,
            provider_message_id=receipt.provider_message_id,
        )

    def _unavailable_reason(self, request: DeliveryRequest, address: _Address) -> str | None:
        channel = request.channel
        if channel not in self._senders:
            return f"no sender configured for {channel.value}"
        if not address.to_address:
            return f"{request.recipient.value} has no {channel.value} address"
        # Opt-outs are the contact's; the host is only ever emailed.
        if request.recipient == Recipient.CONTACT and channel in self._ledger.opted_out_channels(
            request.appointment.contact.id
        ):
            return f"contact opted out of {channel.value}"
        return None


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
    channel exactly as it would have; a success or an in-doubt (UNCONFIRMED) send is
    returned as is, since resending could reach the contact twice.
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
