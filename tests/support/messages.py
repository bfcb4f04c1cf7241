"""Builders for a message at both ends of rendering: the DeliveryRequest a workflow step
sends to the activity (for message and activity tests), and the RenderedMessage a sender
receives (for sender tests). Valid by default; each test changes only what it tests. And
the shipped playbooks and the renderer the activity uses, built once per test session."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from rebook.core.brand import Brand
from rebook.core.contracts import AppointmentDetails, DeliveryRequest, ExperimentAssignment
from rebook.core.domain import Channel, Recipient
from rebook.core.ports import LookupWindow, MessageText, RenderedMessage
from rebook.core.steps import Template
from rebook.playbooks.disk_catalog import DiskPlaybookCatalog
from rebook.playbooks.message_renderer import CatalogMessageRenderer
from tests.support.factories import appointment

BRAND = Brand("Acme")

HOST_TEMPLATES = frozenset({Template.HOST_RESCHEDULE_ALERT})


@cache
def shipped_catalog() -> DiskPlaybookCatalog:
    """The shipped playbooks (loaded once: validating them renders every template)."""
    catalog = DiskPlaybookCatalog.with_defaults()
    catalog.load()
    return catalog


@cache
def renderer() -> CatalogMessageRenderer:
    """What deliver_message renders with, over the shipped playbooks."""
    return CatalogMessageRenderer(shipped_catalog())


def render(request: DeliveryRequest, brand: Brand = BRAND) -> MessageText:
    """The message as deliver_message renders it in `brand` (the default playbook's copy
    unless the request names another playbook)."""
    return renderer().render(request, brand)


def delivery(
    template: Template,
    channel: Channel = Channel.EMAIL,
    details: AppointmentDetails | None = None,
    variant: str | None = None,
    **changes: Any,
) -> DeliveryRequest:
    """variant: the copy variant, i.e. the arm of an experiment the appointment is in."""
    details = details or appointment()
    if variant is not None:
        details = replace(details, experiment=ExperimentAssignment("copy-test", variant))
    base = DeliveryRequest(
        idempotency_key="key-1",
        step=str(template),
        template=template.value,
        channel=channel,
        recipient=Recipient.HOST if template in HOST_TEMPLATES else Recipient.CONTACT,
        scheduled_for=details.starts_at,
        appointment=details,
    )
    return replace(base, **changes)


def rendered(channel: Channel = Channel.EMAIL, **changes: Any) -> RenderedMessage:
    base = RenderedMessage(
        idempotency_key=f"apt_1:reminder_24h@2026-12-03T09:00:00+00:00:{channel.value}",
        channel=channel,
        to_address="ada@example.com" if channel is Channel.EMAIL else "+447700900123",
        subject="Your demo is tomorrow",
        body="Hi Ada, see you tomorrow at 09:00.",
        html_body="<p>Hi Ada, see you tomorrow at 09:00.</p>" if channel is Channel.EMAIL else None,
        to_name="Ada Lovelace",
        contact_id="con_1",
    )
    return replace(base, **changes)


def lookup_window(
    in_doubt_for: timedelta = timedelta(0), since: datetime | None = None
) -> LookupWindow:
    """A sender lookup now, for a message claimed a minute ago (or `since`) whose send has
    been in doubt for in_doubt_for."""
    now = datetime.now(UTC)
    return LookupWindow(
        since=since or now - timedelta(minutes=1), in_doubt_since=now - in_doubt_for, now=now
    )
