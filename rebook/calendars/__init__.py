"""Calendar files for appointments: iCalendar invites that calendar clients treat as one
entry per appointment across reschedules and cancellation. Pure (no I/O, no clock)."""

from rebook.calendars.ics import (
    Attendee,
    AttendeeRole,
    CalendarEvent,
    EventStatus,
    InviteFile,
    InviteMethod,
    Organizer,
    appointment_uid,
    build_ics,
    invite_file,
)

__all__ = [
    "Attendee",
    "AttendeeRole",
    "CalendarEvent",
    "EventStatus",
    "InviteFile",
    "InviteMethod",
    "Organizer",
    "appointment_uid",
    "build_ics",
    "invite_file",
]
