"""A DeliveryRequest builder for message tests, on top of the shared factories."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rebook.core.contracts import AppointmentDetails, DeliveryRequest
from rebook.core.domain import Channel, Recipient
from rebook.core.steps import Template
from tests.factories import appointment

BRAND = "Acme"

HOST_TEMPLATES = frozenset({Template.HOST_RESCHEDULE_ALERT})


def delivery(
    template: Template,
    channel: Channel = Channel.EMAIL,
    details: AppointmentDetails | None = None,
    **changes: Any,
) -> DeliveryRequest:
    details = details or appointment()
    base = DeliveryRequest(
        idempotency_key="key-1",
        step=str(template),
        template=template,
        channel=channel,
        recipient=Recipient.HOST if template in HOST_TEMPLATES else Recipient.CONTACT,
        scheduled_for=details.starts_at,
        appointment=details,
    )
    return replace(base, **changes)
