"""Sample appointments: what validation renders every template against, and what a
preview shows when it is given no real appointment.

`full` samples carry every optional detail (location, join link, instructions, content
and alternative links, unsubscribe link); sparse ones carry none, so a template that uses
an optional value without guarding it fails validation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from rebook.core.contracts import AppointmentDetails, ContactDetails, HostDetails
from rebook.core.domain import AppointmentKind, BookedVia, Channel
from rebook.playbooks.variables import AppointmentExtras, ContactLinks

SAMPLE_STARTS_AT: Final = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # a Tuesday
# A realistic worst case for the short channels: long names, long topic, long URLs.
_TOPIC: Final = "Reducing onboarding drop-off across our three regional sales teams"


def sample_appointment(
    kind: AppointmentKind = AppointmentKind.DEMO,
    *,
    full: bool = True,
    timezone: str = "Europe/Berlin",
    starts_at: datetime = SAMPLE_STARTS_AT,
) -> AppointmentDetails:
    return AppointmentDetails(
        appointment_id="apt_sample",
        external_id="ext-sample-1234567890",
        starts_at=starts_at,
        duration_minutes=45,
        kind=kind,
        topic=_TOPIC if full else "",
        reschedule_url="https://book.example.com/reschedule/ext-sample-1234567890",
        booked_via=BookedVia.WEB,
        contact=ContactDetails(
            id="con_sample",
            name="Maria-Fernanda Castellanos" if full else "",
            timezone=timezone,
            email="maria@example.com",
            phone="+14155550123",
            whatsapp="+14155550123",
            preferred_channel=Channel.EMAIL,
        ),
        host=HostDetails(id="host_sample", name="Grace Hopper" if full else "", email=None),
        content_url="https://media.example.com/recordings/sample-demo" if full else None,
        alternative_url="https://community.example.com/webinars/upcoming" if full else None,
    )


def sample_extras(*, full: bool = True, locale: str | None = None) -> AppointmentExtras:
    if not full:
        return AppointmentExtras(contact_locale=locale)
    return AppointmentExtras(
        location="Acme HQ, 5th floor, 1 Market St, San Francisco",
        join_url="https://meet.example.com/abc-defg-hij",
        instructions="Have last quarter's no-show numbers at hand.",
        interest="onboarding",
        contact_locale=locale,
    )


def sample_links(*, full: bool = True) -> ContactLinks:
    if not full:
        return ContactLinks()
    return ContactLinks(
        self_service="https://book.example.com/manage/ext-sample-1234567890",
        unsubscribe="https://rebook.example.com/u/sample-token",
    )


def sample_send_times(starts_at: datetime = SAMPLE_STARTS_AT) -> tuple[datetime, ...]:
    """Send moments that exercise every lateness phrase: the same day, the next day,
    a few days later, weeks later."""
    return tuple(starts_at + timedelta(days=d, hours=1) for d in (0, 1, 3, 10))
