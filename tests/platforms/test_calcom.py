from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.core.domain import AppointmentKind, BookedVia, EventType
from rebook.platforms import (
    CalcomWebhooks,
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    PayloadError,
    Platform,
    PlatformBooking,
    PlatformEvent,
    SignatureError,
    SlotEnded,
)
from tests.platforms.support import CALCOM_SECRET, body, calcom_headers, document, encode

NOW = datetime(2026, 3, 20, 14, 2, 12, tzinfo=UTC)
ORIGINAL_UID = "kq2PXDkzXFtMhjBFRMwUNn"
MOVED_UID = "vW8cR1zTq4nYb7LmK2sPd3"


def webhooks() -> CalcomWebhooks:
    return CalcomWebhooks(CALCOM_SECRET)


def read(raw: bytes):
    return webhooks().read(raw, calcom_headers(raw), NOW)


def read_fixture(name: str):
    return read(body("calcom", name))


# --------------------------------------------------------------------------- triggers


def test_booking_created_becomes_a_booking_with_the_booker_as_contact():
    parsed = read_fixture("booking_created")

    assert parsed.platform is Platform.CALCOM
    assert parsed.trigger == "BOOKING_CREATED"
    assert not parsed.ignored and parsed.warnings == ()
    [booking] = parsed.items
    assert isinstance(booking, PlatformBooking)
    assert booking.external_id == ORIGINAL_UID
    assert booking.starts_at == datetime(2026, 3, 31, 15, 0, tzinfo=UTC)
    assert booking.duration_minutes == 30
    assert booking.kind is AppointmentKind.DEMO
    assert booking.topic == "Product Demo"
    assert booking.reschedule_url == f"https://cal.com/reschedule/{ORIGINAL_UID}"
    assert booking.booked_via is BookedVia.WEB
    assert booking.location == "Cal Video"
    assert booking.join_url == f"https://app.cal.com/video/{ORIGINAL_UID}"
    # attendees[0] is the booker; Charles is a guest.
    assert booking.contact.id == "ada.lovelace@example.com"
    assert booking.contact.name == "Ada Lovelace"
    assert booking.contact.email == "Ada.Lovelace@example.com"
    assert booking.contact.phone == "+12125550100"
    assert booking.contact.timezone == "America/New_York"
    assert booking.contact_locale == "en"
    assert booking.host.id == "87"
    assert booking.host.name == "Grace Hopper"
    assert booking.host.email == "grace@acme.example"


def test_booking_rescheduled_moves_the_original_booking_to_the_new_one():
    parsed = read_fixture("booking_rescheduled")

    [event] = parsed.items
    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.RESCHEDULED
    assert event.external_id == ORIGINAL_UID
    assert event.occurred_at == datetime(2026, 3, 24, 9, 15, 42, 107000, tzinfo=UTC)
    assert event.new_starts_at == datetime(2026, 4, 2, 16, 0, tzinfo=UTC)
    assert event.reason == "A conflict came up on Tuesday."
    assert event.replacement is not None
    assert event.replacement.external_id == MOVED_UID
    assert event.replacement.reschedule_url == f"https://cal.com/reschedule/{MOVED_UID}"
    assert event.replacement.join_url == f"https://app.cal.com/video/{MOVED_UID}"
    assert event.attendee_email is None


def test_booking_cancelled_carries_the_reason():
    [event] = read_fixture("booking_cancelled").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.CANCELLED
    assert event.external_id == MOVED_UID
    assert event.reason == "We chose another vendor."
    assert event.occurred_at == datetime(2026, 3, 30, 18, 44, 3, 912000, tzinfo=UTC)
    assert event.replacement is None and event.new_starts_at is None


def test_a_hosts_request_to_reschedule_is_a_cancellation_that_says_so():
    doc = document("calcom", "booking_cancelled")
    doc["payload"]["requestReschedule"] = True
    doc["payload"]["cancellationReason"] = "Travelling that week"

    [event] = read(encode(doc)).items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.CANCELLED
    assert event.reason == "the host asked the contact to book a new time: Travelling that week"


def test_no_show_marked_is_missed_for_that_attendee():
    [event] = read_fixture("booking_no_show_updated").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.MISSED
    assert event.external_id == MOVED_UID
    assert event.attendee_email == "ada.lovelace@example.com"
    assert event.occurred_at == datetime(2026, 4, 2, 16, 41, 27, 4000, tzinfo=UTC)


def test_no_show_unmarked_is_attended_for_that_attendee():
    [event] = read_fixture("booking_no_show_updated_unmarked").items

    assert isinstance(event, PlatformEvent)
    assert event.type is EventType.ATTENDED
    assert event.attendee_email == "ada.lovelace@example.com"


def test_one_event_per_attendee_whose_no_show_changed():
    doc = document("calcom", "booking_no_show_updated")
    doc["payload"]["attendees"] = [
        {"email": "ada.lovelace@example.com", "noShow": False},
        {"email": "Charles@example.com", "noShow": True},
    ]

    events = read(encode(doc)).items

    assert [(e.attendee_email, e.type) for e in events if isinstance(e, PlatformEvent)] == [
        ("ada.lovelace@example.com", EventType.ATTENDED),
        ("charles@example.com", EventType.MISSED),
    ]
    assert len({e.event_id for e in events if isinstance(e, PlatformEvent)}) == 2


def test_a_host_no_show_is_not_the_contacts_and_is_ignored():
    parsed = read_fixture("booking_no_show_updated_host")

    assert parsed.ignored
    assert parsed.ignored_reason == "a host no-show is not the contact's"


def test_meeting_ended_says_the_slot_is_over_without_claiming_attendance():
    parsed = read_fixture("meeting_ended")

    [ended] = parsed.items
    assert isinstance(ended, SlotEnded)
    assert ended.external_id == MOVED_UID
    assert ended.ended_at == datetime(2026, 4, 2, 16, 30, tzinfo=UTC)
    assert ended.event_id.startswith("calcom:MEETING_ENDED:")


def test_meeting_ended_with_a_flagged_attendee_also_reports_them_missed():
    doc = document("calcom", "meeting_ended")
    doc["attendees"][0]["noShow"] = True

    ended, missed = read(encode(doc)).items

    assert isinstance(ended, SlotEnded)
    assert isinstance(missed, PlatformEvent)
    assert missed.type is EventType.MISSED
    assert missed.attendee_email == "ada.lovelace@example.com"
    assert missed.occurred_at == ended.ended_at


def test_meeting_ended_wrapped_in_payload_is_read_too():
    flat = document("calcom", "meeting_ended")
    wrapped = {"triggerEvent": "MEETING_ENDED", "createdAt": flat["endTime"], "payload": flat}

    [ended] = read(encode(wrapped)).items

    assert isinstance(ended, SlotEnded)
    assert ended.external_id == MOVED_UID


@pytest.mark.parametrize(
    "doc",
    [
        document("calcom", "booking_requested"),
        {"triggerEvent": "PING", "createdAt": "2026-03-20T12:00:00.000Z", "payload": {}},
        {"triggerEvent": "MEETING_STARTED", "uid": MOVED_UID},
        {"triggerEvent": "SOMETHING_NEW", "createdAt": "2026-03-20T12:00:00.000Z"},
    ],
    ids=["requested", "ping", "meeting-started", "unknown"],
)
def test_other_triggers_are_recognised_and_ignored(doc):
    parsed = read(encode(doc))

    assert parsed.ignored
    assert parsed.trigger == doc["triggerEvent"]
    assert parsed.ignored_reason == f"Rebook does not act on {doc['triggerEvent']}"


# --------------------------------------------------------------------------- mapping details


def test_reschedule_links_fall_back_to_the_configured_booker_url():
    doc = document("calcom", "booking_created")
    del doc["payload"]["bookerUrl"]
    raw = encode(doc)

    [booking] = (
        CalcomWebhooks(CALCOM_SECRET, booker_url="https://cal.acme.example/")
        .read(raw, calcom_headers(raw), NOW)
        .items
    )

    assert isinstance(booking, PlatformBooking)
    assert booking.reschedule_url == f"https://cal.acme.example/reschedule/{ORIGINAL_UID}"


def test_a_link_location_is_the_join_url_and_an_address_is_the_location():
    link = document("calcom", "booking_created")
    link["payload"].update(location="https://meet.acme.example/grace", videoCallData=None)
    link["payload"]["metadata"] = {}
    address = document("calcom", "booking_created")
    address["payload"].update(location="Acme HQ, 1 Main St", videoCallData=None, metadata={})

    [by_link] = read(encode(link)).items
    [at_address] = read(encode(address)).items

    assert isinstance(by_link, PlatformBooking) and isinstance(at_address, PlatformBooking)
    assert (by_link.location, by_link.join_url) == (None, "https://meet.acme.example/grace")
    assert (at_address.location, at_address.join_url) == ("Acme HQ, 1 Main St", None)


def test_the_phone_comes_from_the_booking_form_when_the_attendee_has_none():
    doc = document("calcom", "booking_created")
    doc["payload"]["attendees"][0]["phoneNumber"] = None
    doc["payload"]["responses"]["attendeePhoneNumber"]["value"] = "+44 20 7946 0018"

    [booking] = read(encode(doc)).items

    assert isinstance(booking, PlatformBooking)
    assert booking.contact.phone == "+442079460018"


def test_an_invalid_phone_is_dropped_with_a_warning_and_the_booking_kept():
    doc = document("calcom", "booking_created")
    doc["payload"]["attendees"][0]["phoneNumber"] = "555-0100"

    parsed = read(encode(doc))

    [booking] = parsed.items
    assert isinstance(booking, PlatformBooking)
    assert booking.contact.phone is None
    [warning] = parsed.warnings
    assert warning.startswith("payload.attendees.0.phoneNumber dropped: '555-0100' has no country")


@pytest.mark.parametrize(
    ("slug", "title", "kind"),
    [
        ("product-demo", "Product Demo", AppointmentKind.DEMO),
        ("30min", "Discovery Call", AppointmentKind.CONSULTATION),
        ("onboarding-webinar", "Onboarding", AppointmentKind.WEBINAR),
        ("30min", "30 Min Meeting", AppointmentKind.OTHER),
    ],
)
def test_kind_is_guessed_from_the_event_type(slug, title, kind):
    doc = document("calcom", "booking_created")
    doc["payload"].update(type=slug, eventTitle=title, title=f"{title} between Grace and Ada")

    [booking] = read(encode(doc)).items

    assert isinstance(booking, PlatformBooking)
    assert booking.kind is kind


def test_a_retried_delivery_has_the_same_event_id_and_another_delivery_does_not():
    first = read_fixture("booking_no_show_updated").items[0]
    retry = read_fixture("booking_no_show_updated").items[0]
    unmarked = read_fixture("booking_no_show_updated_unmarked").items[0]

    assert isinstance(first, PlatformEvent) and isinstance(retry, PlatformEvent)
    assert isinstance(unmarked, PlatformEvent)
    assert first.event_id == retry.event_id
    assert first.event_id != unmarked.event_id
    assert len(first.event_id) <= 200  # the API's limit on event ids


# --------------------------------------------------------------------------- malformed bodies


def _without(name: str, *path: str | int) -> bytes:
    doc = document("calcom", name)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return encode(doc)


def _with(name: str, value: Any, *path: str | int) -> bytes:
    doc = document("calcom", name)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return encode(doc)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (_without("booking_created", "payload", "startTime"), "payload.startTime"),
        (_without("booking_created", "payload", "uid"), "payload.uid"),
        (_with("booking_created", [], "payload", "attendees"), "payload.attendees"),
        (
            _with("booking_created", "Mars/Olympus", "payload", "attendees", 0, "timeZone"),
            "payload.attendees.0.timeZone",
        ),
        (_with("booking_created", "tomorrow", "payload", "startTime"), "payload.startTime"),
        (
            _with("booking_created", "2026-03-31T15:00:00", "payload", "startTime"),
            "payload.startTime",
        ),
        (_with("booking_created", "2026-03-31T14:00:00Z", "payload", "endTime"), "payload.endTime"),
        (_without("booking_rescheduled", "payload", "rescheduleUid"), "payload.rescheduleUid"),
        (_without("booking_cancelled", "createdAt"), "createdAt"),
        (_with("booking_cancelled", None, "payload"), "payload"),
        (_without("booking_no_show_updated", "payload", "bookingUid"), "payload.bookingUid"),
        (
            _with("booking_no_show_updated", "yes", "payload", "attendees", 0, "noShow"),
            "payload.attendees.0.noShow",
        ),
        (_without("meeting_ended", "endTime"), "endTime"),
        (_without("booking_created", "triggerEvent"), "triggerEvent"),
        (
            _with("booking_created", {"name": "Grace Hopper"}, "payload", "organizer"),
            "payload.organizer.id",
        ),
    ],
)
def test_a_malformed_body_names_the_field(raw, field):
    with pytest.raises(PayloadError) as caught:
        read(raw)

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_payload_error(raw):
    with pytest.raises(PayloadError, match="body"):
        read(raw)


# --------------------------------------------------------------------------- signatures


def test_the_signature_header_is_found_whatever_its_case():
    raw = body("calcom", "booking_created")
    headers = {"x-cal-signature-256": calcom_headers(raw)["X-Cal-Signature-256"].upper()}

    assert webhooks().read(raw, headers, NOW).items


def test_a_missing_signature_is_refused():
    with pytest.raises(MissingSignature):
        webhooks().read(body("calcom", "booking_created"), {}, NOW)


@pytest.mark.parametrize("value", ["no-secret-provided", "abc", "g" * 64, "sha256=" + "a" * 64])
def test_a_malformed_signature_is_refused(value):
    with pytest.raises(MalformedSignature):
        webhooks().read(body("calcom", "booking_created"), {"X-Cal-Signature-256": value}, NOW)


def test_the_no_secret_placeholder_explains_the_fix():
    with pytest.raises(MalformedSignature, match=r"set the secret on the Cal\.com webhook"):
        webhooks().verify(b"{}", {"X-Cal-Signature-256": "no-secret-provided"})


def test_a_signature_made_with_another_secret_is_refused():
    raw = body("calcom", "booking_created")

    with pytest.raises(InvalidSignature):
        webhooks().read(raw, calcom_headers(raw, secret="someone-else"), NOW)


def test_a_tampered_body_is_refused_before_it_is_read():
    raw = body("calcom", "booking_created")
    headers = calcom_headers(raw)

    with pytest.raises(InvalidSignature):
        webhooks().read(b"not even json", headers, NOW)


@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_changing_any_byte_of_a_signed_body_breaks_the_signature(position, flip):
    raw = body("calcom", "booking_cancelled")
    headers = calcom_headers(raw)
    index = position % len(raw)
    tampered = raw[:index] + bytes([raw[index] ^ flip]) + raw[index + 1 :]

    with pytest.raises(SignatureError):
        webhooks().verify(tampered, headers)


def test_an_empty_secret_is_a_configuration_error():
    with pytest.raises(ValueError, match="secret"):
        CalcomWebhooks("")
