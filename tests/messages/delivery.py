"""A DeliveryRequest builder for message tests, on top of the shared factories."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rebook.core.contracts import AppointmentDetails, DeliveryRequest, ExperimentAssignment
from rebook.core.domain import Channel, Recipient
from rebook.core.steps import Template
from tests.factories import appointment

BRAND = "Acme"

HOST_TEMPLATES = frozenset({Template.HOST_RESCHEDULE_ALERT})


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
        template=template,
        channel=channel,
        recipient=Recipient.HOST if template in HOST_TEMPLATES else Recipient.CONTACT,
        scheduled_for=details.starts_at,
        appointment=details,
    )
    return replace(base, **changes)
