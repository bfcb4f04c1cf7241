import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from rebook.core.contracts import AppointmentDetails, ContactDetails, HostDetails
from rebook.core.domain import AppointmentKind, BookedVia, Channel
from rebook.outbound.events import (
    AppointmentRef,
    Clicked,
    Converted,
    Details,
    Failed,
    Flagged,
    MessageRef,
    OptedOut,
    OutboundEvent,
    Rebooked,
    Rescheduled,
    ScoreChanged,
    WebhookEventType,
    envelope,
    parse_event_types,
    serialize,
)

AT = datetime(2025, 3, 4, 9, 30, 15, 250000, tzinfo=UTC)
APPOINTMENT = AppointmentRef(
    id="apt_1",
    external_id="cal-991",
    starts_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
    kind="demo",
    host_id="host-7",
)
CONTACT = ContactDetails(
    id="c-42", name="Ada", timezone="Europe/London", email="ada@example.com", phone="+447700900123"
)
MESSAGE = MessageRef(
    id="com_1", channel=Channel.SMS, step="missed_1", template="no_show", variant="a"
)

DETAILS: dict[WebhookEventType, Details] = {
    WebhookEventType.APPOINTMENT_RESCHEDULED: Rescheduled(
        starts_at=datetime(2025, 3, 6, 10, 0, tzinfo=UTC),
        previous_starts_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
    ),
    WebhookEventType.APPOINTMENT_REBOOKED: Rebooked("apt_2", "cal-992"),
    WebhookEventType.APPOINTMENT_CONVERTED: Converted(Decimal("49.90"), "EUR", "purchase"),
    WebhookEventType.APPOINTMENT_FLAGGED: Flagged("no outcome reported"),
    WebhookEventType.MESSAGE_CLICKED: Clicked(0, "https://book.example/r"),
    WebhookEventType.MESSAGE_FAILED: Failed("unsubscribed recipient", "21610"),
    WebhookEventType.CONTACT_OPTED_OUT: OptedOut(Channel.SMS, "sms_stop"),
    WebhookEventType.LEAD_SCORE_CHANGED: ScoreChanged(62.5, 55.0, "hot", "warm", "message_clicked"),
}


def event_of(event_type: WebhookEventType) -> OutboundEvent:
    group = event_type.group
    return OutboundEvent(
        id=f"evt/{event_type.value}",
        type=event_type,
        occurred_at=AT,
        workspace_id="ws_1",
        appointment=APPOINTMENT if group in ("appointment", "message") else None,
        contact=CONTACT,
        message=MESSAGE if group == "message" else None,
        details=DETAILS.get(event_type),
    )


def test_the_catalogue_is_the_one_the_issue_names():
    assert {t.value for t in WebhookEventType} == {
        "appointment.created",
        "appointment.missed",
        "appointment.rescheduled",
        "appointment.rebooked",
        "appointment.recovered",
        "appointment.lost",
        "appointment.converted",
        "appointment.flagged",
        "message.sent",
        "message.delivered",
        "message.opened",
        "message.clicked",
        "message.failed",
        "message.unconfirmed",
        "contact.opted_out",
        "lead.score_changed",
    }


@pytest.mark.parametrize("event_type", list(WebhookEventType), ids=lambda t: t.value)
def test_every_event_type_has_the_envelope(event_type):
    payload = json.loads(serialize(event_of(event_type)))

    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == event_type.value
    assert payload["timestamp"] == "2025-03-04T09:30:15.250000Z"
    assert payload["data"]["workspace_id"] == "ws_1"
    assert payload["data"]["contact"]["id"] == "c-42"
    if event_type.group in ("appointment", "message"):
        assert payload["data"]["appointment"]["external_id"] == "cal-991"


def test_the_body_is_compact_sorted_and_byte_identical_every_time():
    event = event_of(WebhookEventType.APPOINTMENT_CONVERTED)

    body = serialize(event)

    assert body == serialize(event_of(WebhookEventType.APPOINTMENT_CONVERTED))
    assert body == (
        b'{"data":{"appointment":{"external_id":"cal-991","host_id":"host-7","id":"apt_1",'
        b'"kind":"demo","starts_at":"2025-03-04T09:00:00Z"},"contact":{"email":"ada@example.com",'
        b'"id":"c-42","name":"Ada","phone":"+447700900123","timezone":"Europe/London"},'
        b'"currency":"EUR","stage":"purchase","value":"49.90","workspace_id":"ws_1"},'
        b'"timestamp":"2025-03-04T09:30:15.250000Z","type":"appointment.converted"}'
    )


def test_message_events_carry_the_message_and_their_fields():
    data = envelope(event_of(WebhookEventType.MESSAGE_CLICKED))["data"]
    assert data["message"] == {
        "id": "com_1",
        "channel": "sms",
        "step": "missed_1",
        "template": "no_show",
        "variant": "a",
    }
    assert (data["link_index"], data["url"]) == (0, "https://book.example/r")


def test_score_and_opt_out_events_are_about_the_contact_only():
    score = envelope(event_of(WebhookEventType.LEAD_SCORE_CHANGED))["data"]
    assert score == {
        "workspace_id": "ws_1",
        "contact": {
            "id": "c-42",
            "email": "ada@example.com",
            "phone": "+447700900123",
            "name": "Ada",
            "timezone": "Europe/London",
        },
        "score": 62.5,
        "previous_score": 55.0,
        "band": "hot",
        "previous_band": "warm",
        "signal": "message_clicked",
    }
    opt_out = envelope(event_of(WebhookEventType.CONTACT_OPTED_OUT))["data"]
    assert (opt_out["channel"], opt_out["source"]) == ("sms", "sms_stop")


def test_the_appointment_reference_is_built_from_the_workflows_details():
    contact = ContactDetails(
        "c-1", name="C", timezone="UTC", preferred_channel=Channel.WHATSAPP, whatsapp="+331"
    )
    details = AppointmentDetails(
        appointment_id="apt_1",
        external_id="cal-1",
        starts_at=datetime(2025, 3, 4, 9, 0, tzinfo=UTC),
        duration_minutes=30,
        kind=AppointmentKind.CONSULTATION,
        topic="Intro",
        reschedule_url="https://book.example/r",
        booked_via=BookedVia.WEB,
        contact=contact,
        host=HostDetails("host-7", "Grace"),
    )
    event = OutboundEvent(
        id="e1",
        type=WebhookEventType.APPOINTMENT_CREATED,
        occurred_at=AT,
        workspace_id="ws_1",
        appointment=AppointmentRef.of(details),
        contact=details.contact,
    )

    data = envelope(event)["data"]
    assert data["appointment"] == {
        "id": "apt_1",
        "external_id": "cal-1",
        "starts_at": "2025-03-04T09:00:00Z",
        "kind": "consultation",
        "host_id": "host-7",
    }
    assert data["contact"]["preferred_channel"] == "whatsapp"


def test_absent_optional_values_are_left_out_not_null():
    event = OutboundEvent(
        id="e1",
        type=WebhookEventType.APPOINTMENT_CONVERTED,
        occurred_at=AT,
        workspace_id="ws_1",
        appointment=AppointmentRef("apt_1", "cal-1"),
        contact=ContactDetails("c-1", name="C", timezone="UTC"),
        details=Converted(),
    )
    assert envelope(event)["data"] == {
        "workspace_id": "ws_1",
        "appointment": {"id": "apt_1", "external_id": "cal-1"},
        "contact": {"id": "c-1", "name": "C", "timezone": "UTC"},
    }
    assert b"null" not in serialize(event)


def test_times_in_other_zones_are_sent_in_utc():
    paris = timezone(timedelta(hours=1))
    event = OutboundEvent(
        id="e1",
        type=WebhookEventType.APPOINTMENT_MISSED,
        occurred_at=datetime(2025, 3, 4, 10, 30, tzinfo=paris),
        workspace_id="ws_1",
        appointment=AppointmentRef(
            "apt_1", "cal-1", starts_at=datetime(2025, 3, 4, 10, 0, tzinfo=paris)
        ),
        contact=ContactDetails("c-1", name="C", timezone="UTC"),
    )
    payload = envelope(event)
    assert payload["timestamp"] == "2025-03-04T09:30:00Z"
    assert payload["data"]["appointment"]["starts_at"] == "2025-03-04T09:00:00Z"


def test_non_ascii_text_is_sent_as_utf8():
    event = OutboundEvent(
        id="e1",
        type=WebhookEventType.APPOINTMENT_FLAGGED,
        occurred_at=AT,
        workspace_id="ws_1",
        appointment=APPOINTMENT,
        contact=ContactDetails("c-1", name="Zoë", timezone="Europe/Paris"),
        details=Flagged("Rendez-vous annulé"),
    )
    body = serialize(event)
    assert "Zoë".encode() in body
    assert json.loads(body)["data"]["reason"] == "Rendez-vous annulé"


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"type": WebhookEventType.APPOINTMENT_MISSED, "appointment": None}, "needs appointment"),
        ({"type": WebhookEventType.MESSAGE_SENT, "message": None}, "needs message"),
        ({"type": WebhookEventType.LEAD_SCORE_CHANGED, "contact": None}, "needs contact"),
        ({"type": WebhookEventType.APPOINTMENT_CONVERTED, "details": None}, "needs Converted"),
        ({"type": WebhookEventType.APPOINTMENT_CONVERTED, "details": Flagged("x")}, "Converted"),
        ({"type": WebhookEventType.APPOINTMENT_MISSED, "details": Flagged("x")}, "no fields"),
        ({"occurred_at": datetime(2025, 1, 1)}, "timezone-aware"),
    ],
)
def test_incomplete_events_are_refused_on_construction(kwargs, fragment):
    arguments = {
        "id": "e1",
        "type": WebhookEventType.MESSAGE_SENT,
        "occurred_at": AT,
        "workspace_id": "ws_1",
        "appointment": APPOINTMENT,
        "contact": CONTACT,
        "message": MESSAGE,
        **kwargs,
    }
    with pytest.raises(ValueError, match=fragment):
        OutboundEvent(**arguments)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity")])
def test_a_conversion_value_must_be_a_number(value):
    with pytest.raises(ValueError):
        Converted(value=value)


def test_subscriptions_accept_types_groups_and_everything():
    assert parse_event_types(["appointment.missed"]) == {WebhookEventType.APPOINTMENT_MISSED}
    assert parse_event_types(["message.*", "lead.score_changed"]) == {
        t for t in WebhookEventType if t.group == "message"
    } | {WebhookEventType.LEAD_SCORE_CHANGED}
    assert parse_event_types(["*"]) == set(WebhookEventType)
    assert parse_event_types([]) == frozenset()


@pytest.mark.parametrize(
    ("names", "fragment"),
    [(["appointment.misssed"], "'appointment.misssed'"), (["invoice.*"], "'invoice.*'")],
)
def test_unknown_subscriptions_are_named_in_the_error(names, fragment):
    with pytest.raises(ValueError, match=fragment):
        parse_event_types(names)
