"""iCalendar invites (RFC 5545 content, RFC 5546 iTIP methods) built with `icalendar`.

One appointment is one calendar entry for its whole life: every version of its invite
carries the same UID and a SEQUENCE one higher than the last, so Google Calendar, Outlook
and Apple Calendar move (REQUEST) or remove (CANCEL) the existing entry instead of adding a
second one. The caller owns the numbering: 0 when booked, +1 on every reschedule or
cancellation, never reused.

Pure module: no clock reads (DTSTAMP, CREATED and LAST-MODIFIED are parameters) and no I/O,
so the same event always serialises to the same bytes.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event, vCalAddress

PRODID = "-//Rebook//Rebook appointments//EN"
INVITE_FILENAME = "invite.ics"
DEFAULT_ALARM_MINUTES = 15


class InviteMethod(StrEnum):
    REQUEST = "REQUEST"  # create or update the entry
    CANCEL = "CANCEL"  # remove it


class EventStatus(StrEnum):
    TENTATIVE = "TENTATIVE"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class AttendeeRole(StrEnum):
    CHAIR = "CHAIR"
    REQUIRED = "REQ-PARTICIPANT"
    OPTIONAL = "OPT-PARTICIPANT"
    NON_PARTICIPANT = "NON-PARTICIPANT"


@dataclass(frozen=True)
class Organizer:
    name: str
    email: str


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    role: AttendeeRole = AttendeeRole.REQUIRED
    # RSVP=TRUE makes clients offer Accept/Decline and mail the answer to the ORGANIZER;
    # set False when the organizer address is not read (a no-reply sender).
    rsvp: bool = True


@dataclass(frozen=True)
class CalendarEvent:
    """One version of an appointment's calendar entry.

    `status` defaults from the method: CONFIRMED for REQUEST, CANCELLED for CANCEL.
    `stamp` (DTSTAMP) is when this version was produced; `created`/`last_modified` are the
    appointment's own times, when known. `alarm_minutes_before=None` adds no reminder.

    Raises:
        ValueError: naive or inverted times, an unknown zone, a negative sequence or alarm,
            no attendees, an empty UID, or a CANCEL whose status is not CANCELLED.
    """

    uid: str
    sequence: int
    method: InviteMethod
    starts_at: datetime
    ends_at: datetime
    timezone: str  # IANA name the times are shown in, e.g. "Europe/Berlin"
    summary: str
    organizer: Organizer
    attendees: tuple[Attendee, ...]
    stamp: datetime
    description: str = ""
    location: str | None = None
    join_url: str | None = None
    alarm_minutes_before: int | None = DEFAULT_ALARM_MINUTES
    created: datetime | None = None
    last_modified: datetime | None = None
    status: EventStatus | None = None

    def __post_init__(self) -> None:
        if not self.uid.strip() or any(ch.isspace() for ch in self.uid):
            raise ValueError(f"uid must be a non-empty token without spaces, got {self.uid!r}")
        if self.sequence < 0:
            raise ValueError("sequence must be 0 or more")
        for name in ("starts_at", "ends_at", "stamp", "created", "last_modified"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        _zone(self.timezone)
        if not self.attendees:
            raise ValueError("an invite needs at least one attendee")
        for email in (self.organizer.email, *(a.email for a in self.attendees)):
            if "@" not in email or any(ch.isspace() for ch in email):
                raise ValueError(f"not an email address: {email!r}")
        if self.alarm_minutes_before is not None and self.alarm_minutes_before < 0:
            raise ValueError("alarm_minutes_before must be 0 or more")
        if self.method is InviteMethod.CANCEL and self.status not in (
            None,
            EventStatus.CANCELLED,
        ):
            raise ValueError("a CANCEL invite must have status CANCELLED")

    @property
    def effective_status(self) -> EventStatus:
        if self.status is not None:
            return self.status
        if self.method is InviteMethod.CANCEL:
            return EventStatus.CANCELLED
        return EventStatus.CONFIRMED


@dataclass(frozen=True)
class InviteFile:
    """The invite as an email attachment (or a `calendar.ics` download)."""

    content: bytes
    method: InviteMethod
    filename: str = INVITE_FILENAME

    @property
    def content_type(self) -> str:
        # The method parameter must match the METHOD inside the file, or Outlook shows the
        # attachment as a plain file instead of an invitation with Accept/Decline.
        return f"text/calendar; method={self.method.value}; charset=UTF-8"

    @property
    def base64_content(self) -> str:
        """For providers that take attachments as base64 text (SendGrid's `FileContent`)."""
        return base64.b64encode(self.content).decode("ascii")


def appointment_uid(appointment_id: str, domain: str) -> str:
    """The UID every version of an appointment's invite shares: `<appointment id>@<domain>`.

    The domain (the sending domain, e.g. "rebook.example") makes it globally unique, as
    RFC 5545 asks; it must never change for appointments already invited.
    """
    if not appointment_id or not domain or "@" in domain:
        raise ValueError("appointment_uid needs an appointment id and a bare domain")
    return f"{appointment_id}@{domain}"


def build_ics(event: CalendarEvent) -> bytes:
    """Serialise `event` as a one-event VCALENDAR with METHOD and the VTIMEZONE it uses.

    DTSTART/DTEND carry TZID=<event.timezone> so clients show the booked wall-clock time
    even across a DST change; DTSTAMP/CREATED/LAST-MODIFIED are UTC. The join URL goes in
    URL, in the description, and in LOCATION when there is no other location.
    """
    zone = _zone(event.timezone)
    start = event.starts_at.astimezone(zone)
    end = event.ends_at.astimezone(zone)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", event.method.value)
    vevent = Event.new(
        uid=event.uid,
        sequence=event.sequence,
        stamp=event.stamp.astimezone(UTC),
        created=event.created.astimezone(UTC) if event.created else None,
        last_modified=event.last_modified.astimezone(UTC) if event.last_modified else None,
        start=start,
        end=end,
        summary=event.summary,
        description=_description(event) or None,
        location=event.location or event.join_url,
        url=event.join_url,
        organizer=vCalAddress.new(event.organizer.email, cn=event.organizer.name),
        attendees=[_attendee(a, event.method) for a in event.attendees],
    )
    vevent.add("status", event.effective_status.value)
    vevent.add("transp", "OPAQUE")
    if event.method is InviteMethod.REQUEST and event.alarm_minutes_before is not None:
        vevent.add_component(_alarm(event))
    calendar.add_component(vevent)
    # A year either side is enough for the clients' own zone maths and keeps the VTIMEZONE
    # to a few transitions instead of every DST change since 1970.
    calendar.add_missing_timezones(
        first_date=_years_before(start.date(), 1), last_date=_years_before(end.date(), -1)
    )
    content: bytes = calendar.to_ical()
    return content


def invite_file(event: CalendarEvent) -> InviteFile:
    """`build_ics(event)` packaged with its MIME type and file name."""
    return InviteFile(content=build_ics(event), method=event.method)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA timezone {name!r}") from exc


def _description(event: CalendarEvent) -> str:
    text = event.description.strip()
    if event.join_url and event.join_url not in text:
        join = f"Join: {event.join_url}"
        text = f"{text}\n\n{join}" if text else join
    return text


def _attendee(attendee: Attendee, method: InviteMethod) -> vCalAddress:
    return vCalAddress.new(
        attendee.email,
        cn=attendee.name,
        cutype="INDIVIDUAL",
        role=attendee.role.value,
        partstat="NEEDS-ACTION" if method is InviteMethod.REQUEST else None,
        rsvp=attendee.rsvp if method is InviteMethod.REQUEST else None,
    )


def _alarm(event: CalendarEvent) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    # DISPLAY alarms must carry a DESCRIPTION (RFC 5545 3.6.6); clients show it as the text.
    alarm.add("description", event.summary)
    alarm.add("trigger", timedelta(minutes=-(event.alarm_minutes_before or 0)))
    return alarm


def _years_before(day: date, years: int) -> date:
    # 29 February has no twin in most years; the day before is as good for a range bound.
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return (day - timedelta(days=1)).replace(year=day.year - years)
