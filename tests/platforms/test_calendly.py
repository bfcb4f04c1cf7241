from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.core.domain import AppointmentKind, BookedVia, EventType
from rebook.platforms import (
    CalendlyWebhooks,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    PayloadError,
    Platform,
    PlatformBooking,
    PlatformEvent,
    SignatureError,
    StaleSignature,
)
from tests.platforms.support import CALENDLY_KEY, body, calendly_headers, document, encode

NOW = datetime(2026, 3, 20, 10, 12, 6, tzinfo=UTC)
T = int(NOW.timestamp())
EVENTS = "https://api.calendly.com/scheduled_events"
FIRST = (
    f"{EVENTS}/9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d/invitees/5f1e2d3c-4b5a-4697-8a8b-7c6d5e4f3a2b"
)
SECOND = (
    f"{EVENTS}/2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e/invitees/8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b"
)


def webhooks(tolerance: timedelta | None = None) -> CalendlyWebhooks:
    if tolerance is None:
        return CalendlyWebhooks(CALENDLY_KEY)
    return CalendlyWebhooks(CALENDLY_KEY, tolerance=tolerance)


def read(raw: bytes):
    return webhooks().read(raw, calendly_headers(raw, T), NOW)


def read_fixture(name: str):
    return read(body("calendly", name))


# --------------------------------------------------------------------------- events


def test_invitee_created_becomes_a_booking():
    parsed = read_fixture("invitee_created")

    assert parsed.platform is Platform.CALENDLY
    assert parsed.trigger == "invitee.created"
    assert parsed.warnings == ()
    [booking] = parsed.items
    assert isinstance(booking, PlatformBooking)
    assert booking.external_id == FIRST
    assert booking.starts_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert booking.duration_minutes == 45
    assert booking.kind is AppointmentKind.CONSULTATION  # "Discovery Call"
    assert booking.topic == "Discovery Call"
    assert booking.reschedule_url == (
        "https://calendly.com/reschedulings/5f1e2d3c-4b5a-4697-8a8b-7c6d5e4f3a2b"
    )
    assert booking.booked_via is BookedVia.WEB
    assert booking.location == "Zoom"
    assert booking.join_url == "https://acme.zoom.us/j/84521007489?pwd=redacted"
    assert booking.contact.id == "marie.curie@example.fr"
    assert booking.contact.name == "Marie Curie"
    assert booking.contact.email == "marie.curie@example.fr"
    assert booking.contact.phone == "+33612345678"
    assert booking.contact.timezone == "Europe/Paris"
    assert booking.contact_locale is None
    assert booking.host.id == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert booking.host.name == "Pierre Martin"
    assert booking.host.email == "pierre@acme.example"


def test_the_new_half_of_a_reschedule_reschedules_the_original_booking():
    [event] = read_fixture("invitee_created_rescheduled").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.RESCHEDULED
    assert event.external_id == FIRST
    assert event.new_starts_at == datetime(2026, 4, 3, 13, 0, tzinfo=UTC)
    assert event.occurred_at == datetime(2026, 3, 25, 16, 40, 10, 512337, tzinfo=UTC)
    assert event.replacement is not None
    assert event.replacement.external_id == SECOND
    assert event.replacement.reschedule_url.endswith("/8e7d6c5b-4a3f-4e2d-9c1b-0a9f8e7d6c5b")
    assert event.replacement.join_url == "https://acme.zoom.us/j/85002117733?pwd=redacted"


def test_the_old_half_of_a_reschedule_is_ignored_not_a_cancellation():
    parsed = read_fixture("invitee_canceled_rescheduled")

    assert parsed.ignored
    assert "reschedule" in (parsed.ignored_reason or "")


def test_invitee_canceled_is_a_cancellation_with_its_reason():
    [event] = read_fixture("invitee_canceled").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.CANCELLED
    assert event.external_id == SECOND
    assert event.reason == "Out sick, sorry! Please pick another time."
    assert event.occurred_at == datetime(2026, 4, 1, 7, 3, 43, 120455, tzinfo=UTC)


def test_invitee_no_show_created_is_missed():
    [event] = read_fixture("invitee_no_show_created").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.MISSED
    assert event.external_id == SECOND
    assert event.occurred_at == datetime(2026, 4, 3, 13, 20, 30, 771204, tzinfo=UTC)
    assert event.attendee_email is None  # a Calendly invitee is one person's booking


def test_invitee_no_show_deleted_is_attended():
    [event] = read_fixture("invitee_no_show_deleted").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.ATTENDED
    assert event.external_id == SECOND
    assert event.occurred_at == datetime(2026, 4, 3, 13, 52, 9, tzinfo=UTC)


def test_no_show_events_shaped_as_the_no_show_resource_are_read_too():
    doc = {
        "event": "invitee_no_show.created",
        "created_at": "2026-04-03T13:20:31.000000Z",
        "created_by": "https://api.calendly.com/users/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "payload": {
            "uri": "https://api.calendly.com/invitee_no_shows/6a5b4c3d",
            "invitee": SECOND,
            "created_at": "2026-04-03T13:20:30.771204Z",
        },
    }

    [event] = read(encode(doc)).items

    assert isinstance(event, PlatformEvent)
    assert (event.type, event.external_id) == (EventType.MISSED, SECOND)


def test_marking_again_after_unmarking_is_a_new_event():
    marked = read_fixture("invitee_no_show_created").items[0]
    unmarked = read_fixture("invitee_no_show_deleted").items[0]
    doc = document("calendly", "invitee_no_show_created")
    doc["created_at"] = "2026-04-03T14:00:00.000000Z"
    doc["payload"]["no_show"]["uri"] = "https://api.calendly.com/invitee_no_shows/another"
    remarked = read(encode(doc)).items[0]
    retried = read_fixture("invitee_no_show_created").items[0]

    ids = [e.event_id for e in (marked, unmarked, remarked) if isinstance(e, PlatformEvent)]
    assert len(set(ids)) == 3
    assert isinstance(retried, PlatformEvent) and retried.event_id == ids[0]


def test_other_events_are_recognised_and_ignored():
    parsed = read_fixture("routing_form_submission_created")

    assert parsed.ignored
    assert parsed.trigger == "routing_form_submission.created"
    assert parsed.ignored_reason == "Rebook does not act on routing_form_submission.created"


# --------------------------------------------------------------------------- mapping details


def test_an_outbound_call_uses_the_number_the_host_will_dial():
    doc = document("calendly", "invitee_created")
    doc["payload"]["text_reminder_number"] = None
    doc["payload"]["scheduled_event"]["location"] = {
        "type": "outbound_call",
        "location": "+44 20 7946 0018",
    }

    [booking] = read(encode(doc)).items

    assert isinstance(booking, PlatformBooking)
    assert booking.contact.phone == "+442079460018"
    assert (booking.location, booking.join_url) == ("Phone call", None)


def test_a_physical_location_is_kept_as_written():
    doc = document("calendly", "invitee_created")
    doc["payload"]["scheduled_event"]["location"] = {
        "type": "physical",
        "location": "12 rue de la Paix, Paris",
    }

    [booking] = read(encode(doc)).items

    assert isinstance(booking, PlatformBooking)
    assert (booking.location, booking.join_url) == ("12 rue de la Paix, Paris", None)


def test_first_and_last_name_are_used_when_the_name_is_missing():
    doc = document("calendly", "invitee_created")
    doc["payload"].update(name=None, first_name="Marie", last_name="Curie")

    [booking] = read(encode(doc)).items

    assert isinstance(booking, PlatformBooking)
    assert booking.contact.name == "Marie Curie"


def test_an_invalid_reminder_number_is_dropped_with_a_warning():
    doc = document("calendly", "invitee_created")
    doc["payload"]["text_reminder_number"] = "+33 12"

    parsed = read(encode(doc))

    [booking] = parsed.items
    assert isinstance(booking, PlatformBooking)
    assert booking.contact.phone is None
    assert parsed.warnings == (
        "payload.text_reminder_number dropped: '+33 12' is too short for +33 numbers",
    )


# --------------------------------------------------------------------------- malformed bodies


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["payload"].pop("uri"), "payload.uri"),
        (lambda d: d["payload"].pop("reschedule_url"), "payload.reschedule_url"),
        (lambda d: d["payload"].update(timezone="Europe/Atlantis"), "payload.timezone"),
        (
            lambda d: d["payload"]["scheduled_event"].pop("start_time"),
            "payload.scheduled_event.start_time",
        ),
        (
            lambda d: d["payload"]["scheduled_event"].update(event_memberships=[]),
            "payload.scheduled_event.event_memberships",
        ),
        (
            lambda d: d["payload"]["scheduled_event"].update(end_time="2026-03-30T07:00:00Z"),
            "payload.scheduled_event.end_time",
        ),
        (lambda d: d.pop("created_at"), "created_at"),
        (lambda d: d.update(payload="invitee"), "payload"),
        (lambda d: d.pop("event"), "event"),
    ],
)
def test_a_malformed_body_names_the_field(mutate, field):
    doc = document("calendly", "invitee_created")
    mutate(doc)

    with pytest.raises(PayloadError) as caught:
        read(encode(doc))

    assert caught.value.field == field


# --------------------------------------------------------------------------- signatures


def test_a_missing_signature_is_refused():
    with pytest.raises(MissingSignature):
        webhooks().read(body("calendly", "invitee_created"), {}, NOW)


@pytest.mark.parametrize(
    "value",
    [
        "v1=" + "a" * 64,
        f"t={T}",
        f"t=soon,v1={'a' * 64}",
        f"t={T},v1=xyz",
        f"v1={'a' * 64},t={T}",
        "sha256=" + "a" * 64,
    ],
)
def test_a_malformed_signature_header_is_refused(value):
    with pytest.raises(MalformedSignature):
        webhooks().read(
            body("calendly", "invitee_created"), {"Calendly-Webhook-Signature": value}, NOW
        )


def test_a_signature_made_with_another_key_is_refused():
    raw = body("calendly", "invitee_created")

    with pytest.raises(InvalidSignature):
        webhooks().read(raw, calendly_headers(raw, T, key="not-the-key"), NOW)


def test_the_timestamp_is_part_of_what_is_signed():
    raw = body("calendly", "invitee_created")
    signature = calendly_headers(raw, T)["Calendly-Webhook-Signature"]
    replayed = signature.replace(f"t={T}", f"t={T + 60}")

    with pytest.raises(InvalidSignature):
        webhooks().read(raw, {"calendly-webhook-signature": replayed}, NOW)


@pytest.mark.parametrize("seconds", [-180, 0, 180])
def test_a_delivery_within_the_tolerance_is_accepted(seconds):
    raw = body("calendly", "invitee_created")

    parsed = webhooks().read(raw, calendly_headers(raw, T + seconds), NOW)

    assert parsed.items


@pytest.mark.parametrize(("seconds", "word"), [(-181, "old"), (181, "in the future")])
def test_a_delivery_outside_the_tolerance_is_stale(seconds, word):
    raw = body("calendly", "invitee_created")

    with pytest.raises(StaleSignature, match=word):
        webhooks().read(raw, calendly_headers(raw, T + seconds), NOW)


def test_the_tolerance_is_configurable():
    raw = body("calendly", "invitee_created")
    headers = calendly_headers(raw, T - 600)

    assert webhooks(timedelta(minutes=15)).read(raw, headers, NOW).items
    with pytest.raises(StaleSignature):
        webhooks(timedelta(minutes=5)).read(raw, headers, NOW)


def test_a_forged_stale_header_is_reported_as_invalid_not_stale():
    raw = body("calendly", "invitee_created")

    with pytest.raises(InvalidSignature):
        webhooks().read(raw, calendly_headers(raw, T - 3600, key="forger"), NOW)


@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_changing_any_byte_of_a_signed_body_breaks_the_signature(position, flip):
    raw = body("calendly", "invitee_canceled")
    headers = calendly_headers(raw, T)
    index = position % len(raw)
    tampered = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]

    with pytest.raises(SignatureError):
        webhooks().verify(tampered, headers, NOW)


@pytest.mark.parametrize(
    ("key", "tolerance"), [("", timedelta(minutes=3)), ("k", timedelta(seconds=-1))]
)
def test_bad_configuration_is_refused(key, tolerance):
    with pytest.raises(ValueError):
        CalendlyWebhooks(key, tolerance=tolerance)
