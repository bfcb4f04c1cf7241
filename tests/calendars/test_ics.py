"""Invites are checked by parsing them back with icalendar, field by field, across the life
of one appointment: booked -> rescheduled -> rescheduled across a DST change -> cancelled."""

import base64
import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Mail,
    To,
)

from rebook.calendars import (
    Attendee,
    AttendeeRole,
    CalendarEvent,
    EventStatus,
    InviteMethod,
    Organizer,
    appointment_uid,
    build_ics,
    invite_file,
)
from tests.support.fakes import SENDGRID_API_KEY

NEW_YORK = ZoneInfo("America/New_York")
UID = "apt_01HV7Q@rebook.example"
JOIN = "https://meet.acme.example/grace?pwd=a,b;c"
BOOKED_AT = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)


def booked() -> CalendarEvent:
    # 5 March 2026 is before the US switch to daylight time (8 March): EST, UTC-5.
    return CalendarEvent(
        uid=UID,
        sequence=0,
        method=InviteMethod.REQUEST,
        starts_at=datetime(2026, 3, 5, 10, 0, tzinfo=NEW_YORK),
        ends_at=datetime(2026, 3, 5, 10, 30, tzinfo=NEW_YORK),
        timezone="America/New_York",
        summary="Product demo with Acme",
        description="We will walk through the team plan.",
        location=None,
        join_url=JOIN,
        organizer=Organizer("Grace Hopper", "grace@acme.example"),
        attendees=(
            Attendee("Ada Lovelace", "ada@example.com"),
            Attendee("Grace Hopper", "grace@acme.example", role=AttendeeRole.CHAIR, rsvp=False),
        ),
        stamp=BOOKED_AT,
        created=BOOKED_AT,
        last_modified=BOOKED_AT,
    )


def history() -> list[CalendarEvent]:
    first = booked()
    moved = dataclasses.replace(
        first,
        sequence=1,
        starts_at=datetime(2026, 3, 6, 15, 0, tzinfo=UTC),  # 10:00 EST
        ends_at=datetime(2026, 3, 6, 15, 30, tzinfo=UTC),
        stamp=BOOKED_AT + timedelta(days=1),
        last_modified=BOOKED_AT + timedelta(days=1),
    )
    # Same 10:00 wall-clock time, but after the switch: EDT, UTC-4.
    moved_again = dataclasses.replace(
        moved,
        sequence=2,
        starts_at=datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK),
        ends_at=datetime(2026, 3, 9, 10, 30, tzinfo=NEW_YORK),
        stamp=BOOKED_AT + timedelta(days=2),
        last_modified=BOOKED_AT + timedelta(days=2),
    )
    cancelled = dataclasses.replace(
        moved_again,
        sequence=3,
        method=InviteMethod.CANCEL,
        stamp=BOOKED_AT + timedelta(days=3),
        last_modified=BOOKED_AT + timedelta(days=3),
    )
    return [first, moved, moved_again, cancelled]


def parsed(event: CalendarEvent) -> Calendar:
    return Calendar.from_ical(build_ics(event))


def utc(value: date | datetime) -> datetime:
    assert isinstance(value, datetime), "appointments are never all-day"
    return value.astimezone(UTC)


def test_create_reschedule_reschedule_cancel_keeps_one_entry_and_moves_it():
    calendars = [parsed(event) for event in history()]

    methods = [str(c["METHOD"]) for c in calendars]
    assert methods == ["REQUEST", "REQUEST", "REQUEST", "CANCEL"]
    events = [c.events[0] for c in calendars]
    assert all(len(c.events) == 1 for c in calendars)
    assert {str(e["UID"]) for e in events} == {UID}
    assert [e["SEQUENCE"] for e in events] == [0, 1, 2, 3]
    assert [utc(e.start) for e in events] == [
        datetime(2026, 3, 5, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 6, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
        datetime(2026, 3, 9, 14, 0, tzinfo=UTC),
    ]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED"] * 3 + ["CANCELLED"]
    assert [e.stamp for e in events] == [BOOKED_AT + timedelta(days=n) for n in range(4)]


def test_every_version_has_the_calendar_header_clients_require():
    for calendar in map(parsed, history()):
        assert str(calendar["VERSION"]) == "2.0"
        assert str(calendar["PRODID"]) == "-//Rebook//Rebook appointments//EN"
        assert str(calendar["CALSCALE"]) == "GREGORIAN"


def test_times_are_written_in_the_appointments_zone_with_its_tzid():
    raw = build_ics(history()[2]).decode()

    assert "DTSTART;TZID=America/New_York:20260309T100000" in raw
    assert "DTEND;TZID=America/New_York:20260309T103000" in raw
    assert "DTSTAMP:20260222T120000Z" in raw
    # A UTC input is shown in the zone, not as Z time.
    assert "DTSTART;TZID=America/New_York:20260306T100000" in build_ics(history()[1]).decode()


def test_the_embedded_vtimezone_gives_the_right_offset_on_both_sides_of_the_dst_change():
    for event in (history()[1], history()[2]):
        calendar = parsed(event)
        [zone] = calendar.timezones
        assert zone.tz_name == "America/New_York"
        # Read the VTIMEZONE itself, as a client without an IANA database would.
        from_vtimezone = zone.to_tz()
        wall_clock = event.starts_at.astimezone(NEW_YORK).replace(tzinfo=None)
        assert wall_clock.replace(tzinfo=from_vtimezone).astimezone(UTC) == event.starts_at


def test_an_appointment_spanning_the_dst_change_lasts_its_real_duration():
    # 01:30 EST to 03:30 EDT on 8 March 2026 is one hour, not two.
    event = dataclasses.replace(
        booked(),
        starts_at=datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK),
        ends_at=datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK),
    )

    vevent = parsed(event).events[0]

    # Subtracting in UTC: Python subtracts same-zone datetimes by wall clock.
    assert utc(vevent.end) - utc(vevent.start) == timedelta(hours=1)
    assert utc(vevent.start) == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)


def test_organizer_and_attendees_are_mailto_addresses_with_names_roles_and_rsvp():
    vevent = parsed(booked()).events[0]

    organizer = vevent["ORGANIZER"]
    assert str(organizer) == "mailto:grace@acme.example"
    assert organizer.params["CN"] == "Grace Hopper"
    ada, grace = vevent.attendees
    assert str(ada) == "mailto:ada@example.com"
    assert dict(ada.params) == {
        "CN": "Ada Lovelace",
        "CUTYPE": "INDIVIDUAL",
        "PARTSTAT": "NEEDS-ACTION",
        "ROLE": "REQ-PARTICIPANT",
        "RSVP": "TRUE",
    }
    assert grace.params["ROLE"] == "CHAIR"
    assert grace.params["RSVP"] == "FALSE"


def test_a_cancellation_lists_the_attendees_without_asking_them_to_answer():
    cancelled = parsed(history()[3]).events[0]

    for attendee in cancelled.attendees:
        assert "RSVP" not in attendee.params
        assert "PARTSTAT" not in attendee.params
    assert str(cancelled["ORGANIZER"]) == "mailto:grace@acme.example"


def test_the_join_url_is_the_url_the_location_and_in_the_description():
    vevent = parsed(booked()).events[0]

    assert str(vevent["URL"]) == JOIN
    assert str(vevent["LOCATION"]) == JOIN
    assert str(vevent["DESCRIPTION"]) == f"We will walk through the team plan.\n\nJoin: {JOIN}"


def test_a_place_stays_the_location_and_the_link_is_not_repeated_in_the_description():
    event = dataclasses.replace(
        booked(), location="Acme HQ, 1 Main St", description=f"Dial in: {JOIN}"
    )

    vevent = parsed(event).events[0]

    assert str(vevent["LOCATION"]) == "Acme HQ, 1 Main St"
    assert str(vevent["URL"]) == JOIN
    assert str(vevent["DESCRIPTION"]) == f"Dial in: {JOIN}"


def test_without_a_join_url_there_is_no_url_and_the_description_is_as_given():
    event = dataclasses.replace(booked(), join_url=None, location="Room 4")

    vevent = parsed(event).events[0]

    assert "URL" not in vevent
    assert str(vevent["LOCATION"]) == "Room 4"
    assert str(vevent["DESCRIPTION"]) == "We will walk through the team plan."


def test_requests_carry_a_display_alarm_and_the_cancellation_does_not():
    request, *_, cancel = [parsed(event).events[0] for event in history()]

    [alarm] = request.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert str(alarm["DESCRIPTION"]) == "Product demo with Acme"
    assert "BEGIN:VALARM" not in build_ics(history()[3]).decode()
    assert cancel.walk("VALARM") == []


def test_alarm_lead_time_is_configurable_and_can_be_turned_off():
    hour = parsed(dataclasses.replace(booked(), alarm_minutes_before=60)).events[0]
    none = parsed(dataclasses.replace(booked(), alarm_minutes_before=None)).events[0]

    raw = build_ics(dataclasses.replace(booked(), alarm_minutes_before=60)).decode()
    assert "TRIGGER:-PT1H" in raw
    assert hour.walk("VALARM")[0].decoded("TRIGGER") == timedelta(hours=-1)
    assert none.walk("VALARM") == []


def test_created_and_last_modified_are_utc_stamps_when_given():
    vevent = parsed(history()[1]).events[0]

    assert vevent.created == BOOKED_AT
    assert vevent.last_modified == BOOKED_AT + timedelta(days=1)
    bare = parsed(dataclasses.replace(booked(), created=None, last_modified=None)).events[0]
    assert "CREATED" not in bare and "LAST-MODIFIED" not in bare


def test_text_with_commas_semicolons_newlines_and_accents_round_trips():
    summary = "Zoë's demo; pricing, SSO\nand Q&A"
    vevent = parsed(dataclasses.replace(booked(), summary=summary)).events[0]

    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["URL"]) == JOIN


def test_a_tentative_status_can_be_set_on_a_request():
    vevent = parsed(dataclasses.replace(booked(), status=EventStatus.TENTATIVE)).events[0]

    assert str(vevent["STATUS"]) == "TENTATIVE"


def test_the_same_event_always_serialises_to_the_same_bytes():
    assert build_ics(booked()) == build_ics(booked())


def test_a_utc_appointment_needs_no_vtimezone():
    event = dataclasses.replace(booked(), timezone="UTC")

    calendar = parsed(event)

    assert calendar.timezones == []
    assert calendar.events[0].start == datetime(2026, 3, 5, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": datetime(2026, 3, 5, 10, 0)}, "starts_at must be timezone-aware"),
        ({"stamp": datetime(2026, 3, 5, 10, 0)}, "stamp must be timezone-aware"),
        ({"ends_at": datetime(2026, 3, 5, 9, 0, tzinfo=NEW_YORK)}, "ends_at must be after"),
        ({"timezone": "America/Gotham"}, "unknown IANA timezone"),
        ({"attendees": ()}, "at least one attendee"),
        ({"sequence": -1}, "sequence"),
        ({"uid": "two words@rebook.example"}, "uid"),
        ({"alarm_minutes_before": -5}, "alarm_minutes_before"),
        ({"organizer": Organizer("Grace", "grace")}, "not an email address: 'grace'"),
        ({"attendees": (Attendee("Ada", "ada @example.com"),)}, "not an email address"),
        (
            {"method": InviteMethod.CANCEL, "status": EventStatus.CONFIRMED},
            "CANCEL invite must have status CANCELLED",
        ),
    ],
)
def test_an_impossible_event_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(booked(), **changes)


def test_appointment_uid_is_the_id_at_the_domain():
    assert appointment_uid("apt_01HV7Q", "rebook.example") == UID
    with pytest.raises(ValueError):
        appointment_uid("apt_01HV7Q", "user@rebook.example")
    with pytest.raises(ValueError):
        appointment_uid("", "rebook.example")


def test_the_invite_file_has_the_mime_type_and_name_mail_clients_expect():
    request = invite_file(booked())
    cancel = invite_file(history()[3])

    assert request.filename == "invite.ics"
    assert request.content_type == "text/calendar; method=REQUEST; charset=UTF-8"
    assert cancel.content_type == "text/calendar; method=CANCEL; charset=UTF-8"
    assert base64.b64decode(request.base64_content) == request.content == build_ics(booked())


def test_the_invite_travels_as_a_sendgrid_attachment(fake_sendgrid):
    invite = invite_file(booked())
    mail = Mail(
        from_email=From("appointments@rebook.example", "Acme"),
        to_emails=To("ada@example.com", "Ada Lovelace"),
        subject="Your demo is booked",
        plain_text_content="See you on Thursday.",
    )
    mail.attachment = Attachment(
        FileContent(invite.base64_content),
        FileName(invite.filename),
        FileType(invite.content_type),
        Disposition("attachment"),
    )

    SendGridAPIClient(api_key=SENDGRID_API_KEY, host=fake_sendgrid.base_url).send(mail)

    [attachment] = fake_sendgrid.mails[0]["attachments"]
    assert attachment["filename"] == "invite.ics"
    assert attachment["type"] == "text/calendar; method=REQUEST; charset=UTF-8"
    assert attachment["disposition"] == "attachment"
    sent = Calendar.from_ical(base64.b64decode(attachment["content"]))
    assert str(sent.events[0]["UID"]) == UID
