"""Calendly webhooks (API v2 webhook subscriptions) read into Rebook's neutral dataclasses.

Signature: header `Calendly-Webhook-Signature: t=<unix seconds>,v1=<hex>`, where v1 is the
HMAC-SHA256 of `"<t>.<raw body>"` with the subscription's signing key. Deliveries whose t
is further than the tolerance (3 minutes by default, as Calendly recommends) from `now`
are refused as possible replays.

Every delivery is `{event, created_at, created_by, payload}` and, for the events read here,
`payload` is the Invitee (one person's booking, with its `scheduled_event`). Rebook's
external id for a Calendly booking is the invitee URI: cancel, reschedule and no-show
are all per invitee, and a group event's invitees are separate Rebook appointments.
- invitee.created      -> a booking to create; when it carries `old_invitee` it is the
                          new half of a reschedule -> RESCHEDULED of the old invitee URI,
                          `replacement` = this booking.
- invitee.canceled     -> CANCELLED, unless `rescheduled: true`: that is the old half of
                          a reschedule, ignored because the new time arrives with the
                          matching invitee.created (Calendly sends both, in either order).
- invitee_no_show.created -> MISSED.
- invitee_no_show.deleted -> ATTENDED: the host removed the no-show mark, and Calendly has
                          no other attendance signal, so the mark's removal is its "they
                          came". The integrator must let ATTENDED follow MISSED.
Any other event (routing_form_submission.created, event_type.*, meeting_recap.*, ...) is
recognised and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field, StrictBool

from rebook.core.contracts import ContactDetails, HostDetails
from rebook.core.domain import BookedVia, EventType
from rebook.platforms.common import (
    IanaZone,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    ParsedWebhook,
    PayloadError,
    PayloadModel,
    Platform,
    PlatformBooking,
    PlatformEvent,
    StaleSignature,
    contact_id,
    decode_json,
    event_id,
    guess_kind,
    header,
    hmac_sha256_hex,
    minutes_between,
    optional_phone,
    read_model,
    require_secret,
    same_digest,
)

SIGNATURE_HEADER = "Calendly-Webhook-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=3)

CREATED = "invitee.created"
CANCELED = "invitee.canceled"
NO_SHOW_CREATED = "invitee_no_show.created"
NO_SHOW_DELETED = "invitee_no_show.deleted"

_SIGNATURE = re.compile(r"^\s*t=(?P<t>\d{1,12})\s*,\s*v1=(?P<v1>[0-9a-fA-F]{64})\s*$")

# Location types whose place is a video link; the label is shown when the link is pending.
_VIDEO_TYPES = {
    "zoom": "Zoom",
    "google_conference": "Google Meet",
    "microsoft_teams_conference": "Microsoft Teams",
    "webex_conference": "Webex",
    "gotomeeting": "GoTo Meeting",
}


class _Location(PayloadModel):
    type: str | None = None
    location: str | None = None
    join_url: str | None = None


class _Membership(PayloadModel):
    user: str = Field(min_length=1)
    user_email: str | None = None
    user_name: str | None = None


class _ScheduledEvent(PayloadModel):
    uri: str = Field(min_length=1)
    name: str = ""
    start_time: AwareDatetime
    end_time: AwareDatetime
    location: _Location | None = None
    event_memberships: list[_Membership] = Field(min_length=1)


class _Cancellation(PayloadModel):
    reason: str | None = None
    created_at: AwareDatetime | None = None


class _NoShow(PayloadModel):
    uri: str | None = None
    created_at: AwareDatetime | None = None


class _Invitee(PayloadModel):
    uri: str = Field(min_length=1)
    email: str = Field(min_length=3)
    name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    timezone: IanaZone
    text_reminder_number: str | None = None
    reschedule_url: str = Field(min_length=1)
    rescheduled: StrictBool = False
    old_invitee: str | None = None
    cancellation: _Cancellation | None = None
    no_show: _NoShow | None = None
    created_at: AwareDatetime | None = None
    scheduled_event: _ScheduledEvent


class _InviteeRef(PayloadModel):
    """What no-show events need when `payload` is the InviteeNoShow resource itself
    ({uri, invitee: "<invitee URI>", created_at}) rather than the Invitee."""

    uri: str | None = None
    invitee: str = Field(min_length=1)
    created_at: AwareDatetime | None = None


class _Envelope(PayloadModel):
    event: str = Field(min_length=1)
    created_at: AwareDatetime
    payload: dict[str, Any]


class CalendlyWebhooks:
    """Reads Calendly deliveries for one webhook subscription (one signing key)."""

    platform = Platform.CALENDLY

    def __init__(self, signing_key: str, *, tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        """
        Raises:
            ValueError: empty signing key or a negative tolerance.
        """
        if tolerance < timedelta(0):
            raise ValueError("tolerance must not be negative")
        self._key = require_secret(signing_key)
        self._tolerance = tolerance

    def read(self, body: bytes, headers: Mapping[str, str], now: datetime) -> ParsedWebhook:
        """Verify then parse one delivery received at `now` (aware).

        Raises:
            SignatureError: missing, malformed, wrong or stale signature.
            PayloadError: a signed body without a field Rebook needs (names the field).
        """
        self.verify(body, headers, now)
        return self.parse(body)

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> None:
        given = header(headers, SIGNATURE_HEADER)
        if not given:
            raise MissingSignature(f"{SIGNATURE_HEADER} header is missing")
        match = _SIGNATURE.match(given)
        if match is None:
            raise MalformedSignature(f"{SIGNATURE_HEADER} must look like t=<unix>,v1=<hex>")
        signed = match["t"].encode("ascii") + b"." + body
        # Checked before the age so that a forged header learns nothing about our clock.
        if not same_digest(hmac_sha256_hex(self._key, signed), match["v1"]):
            raise InvalidSignature(f"{SIGNATURE_HEADER} does not match the body")
        age = now.timestamp() - int(match["t"])
        if abs(age) > self._tolerance.total_seconds():
            raise StaleSignature(
                f"{SIGNATURE_HEADER} timestamp is {abs(round(age))} s "
                f"{'old' if age > 0 else 'in the future'}; at most "
                f"{round(self._tolerance.total_seconds())} s is accepted"
            )

    def parse(self, body: bytes) -> ParsedWebhook:
        """Read a body already verified. Raises PayloadError."""
        document = decode_json(body)
        trigger = document.get("event")
        if not isinstance(trigger, str) or not trigger:
            raise PayloadError("event", "field required")
        if trigger not in (CREATED, CANCELED, NO_SHOW_CREATED, NO_SHOW_DELETED):
            return ParsedWebhook(
                self.platform, trigger, ignored_reason=f"Rebook does not act on {trigger}"
            )
        envelope = read_model(_Envelope, document, prefix="")
        if trigger in (NO_SHOW_CREATED, NO_SHOW_DELETED):
            return self._no_show(envelope)
        invitee = read_model(_Invitee, envelope.payload)
        if trigger == CREATED:
            return self._created(envelope, invitee)
        return self._canceled(envelope, invitee)

    # ------------------------------------------------------------------ events

    def _created(self, envelope: _Envelope, invitee: _Invitee) -> ParsedWebhook:
        warnings: list[str] = []
        booking = self._booking(invitee, warnings)
        if not invitee.old_invitee:
            return ParsedWebhook(
                self.platform, envelope.event, (booking,), warnings=tuple(warnings)
            )
        event = PlatformEvent(
            platform=self.platform,
            external_id=invitee.old_invitee,
            type=EventType.RESCHEDULED,
            occurred_at=invitee.created_at or envelope.created_at,
            event_id=event_id(self.platform, envelope.event, invitee.old_invitee, invitee.uri),
            replacement=booking,
        )
        return ParsedWebhook(self.platform, envelope.event, (event,), warnings=tuple(warnings))

    def _canceled(self, envelope: _Envelope, invitee: _Invitee) -> ParsedWebhook:
        if invitee.rescheduled:
            return ParsedWebhook(
                self.platform,
                envelope.event,
                ignored_reason="the old half of a reschedule: the new time arrives as "
                "invitee.created with old_invitee",
            )
        cancellation = invitee.cancellation or _Cancellation()
        event = PlatformEvent(
            platform=self.platform,
            external_id=invitee.uri,
            type=EventType.CANCELLED,
            occurred_at=cancellation.created_at or envelope.created_at,
            event_id=event_id(self.platform, envelope.event, invitee.uri),
            reason=(cancellation.reason or "").strip() or None,
        )
        return ParsedWebhook(self.platform, envelope.event, (event,))

    def _no_show(self, envelope: _Envelope) -> ParsedWebhook:
        payload = envelope.payload
        if isinstance(payload.get("invitee"), str):
            ref = read_model(_InviteeRef, payload)
            invitee_uri, mark_uri, marked_at = ref.invitee, ref.uri, ref.created_at
        else:
            invitee = read_model(_Invitee, payload)
            mark = invitee.no_show or _NoShow()
            invitee_uri, mark_uri, marked_at = invitee.uri, mark.uri, mark.created_at
        created = envelope.event == NO_SHOW_CREATED
        occurred_at = (marked_at if created else None) or envelope.created_at
        event = PlatformEvent(
            platform=self.platform,
            external_id=invitee_uri,
            type=EventType.MISSED if created else EventType.ATTENDED,
            occurred_at=occurred_at,
            event_id=event_id(
                self.platform,
                envelope.event,
                invitee_uri,
                mark_uri or "",
                envelope.created_at.isoformat(),
            ),
        )
        return ParsedWebhook(self.platform, envelope.event, (event,))

    # ------------------------------------------------------------------ mapping

    def _booking(self, invitee: _Invitee, warnings: list[str]) -> PlatformBooking:
        scheduled = invitee.scheduled_event
        place = scheduled.location or _Location()
        calls_invitee = place.type == "outbound_call"  # the host dials the invitee's number
        phone = optional_phone(
            invitee.text_reminder_number or (place.location if calls_invitee else None),
            "payload.text_reminder_number",
            warnings,
        )
        host = scheduled.event_memberships[0]
        name = (
            invitee.name
            or " ".join(p for p in (invitee.first_name, invitee.last_name) if p)
            or invitee.email
        )
        return PlatformBooking(
            platform=self.platform,
            external_id=invitee.uri,
            starts_at=scheduled.start_time,
            duration_minutes=minutes_between(
                scheduled.start_time, scheduled.end_time, "payload.scheduled_event.end_time"
            ),
            kind=guess_kind(scheduled.name),
            topic=scheduled.name.strip() or "Appointment",
            reschedule_url=invitee.reschedule_url,
            booked_via=BookedVia.WEB,
            contact=ContactDetails(
                id=contact_id(invitee.email, phone, invitee.uri),
                name=name.strip(),
                email=invitee.email.strip(),
                phone=phone,
                timezone=invitee.timezone,
            ),
            host=HostDetails(
                id=host.user.rstrip("/").rsplit("/", 1)[-1],
                name=(host.user_name or host.user_email or "Host").strip(),
                email=host.user_email,
            ),
            location="Phone call" if calls_invitee else _place_label(place),
            join_url=place.join_url or None,
        )


def _place_label(place: _Location) -> str | None:
    if place.location and place.location.strip():
        return place.location.strip()
    return _VIDEO_TYPES.get(place.type or "")
