"""Inbound webhooks from booking platforms (Cal.com, Calendly), verified and read into
neutral dataclasses (`rebook.platforms.common`) that the API maps onto Rebook's own
create-appointment and appointment-event use cases.

Adapter modules: pydantic (for the platforms' payload shapes) and the standard library;
no I/O, no clock reads (`now` is passed in), no settings.
"""

from rebook.platforms.calcom import CalcomWebhooks
from rebook.platforms.calendly import CalendlyWebhooks
from rebook.platforms.common import (
    InvalidSignature,
    MalformedSignature,
    MissingSignature,
    ParsedWebhook,
    PayloadError,
    Platform,
    PlatformBooking,
    PlatformEvent,
    SignatureError,
    SlotEnded,
    StaleSignature,
    WebhookItem,
    WebhookReader,
)

__all__ = [
    "CalcomWebhooks",
    "CalendlyWebhooks",
    "InvalidSignature",
    "MalformedSignature",
    "MissingSignature",
    "ParsedWebhook",
    "PayloadError",
    "Platform",
    "PlatformBooking",
    "PlatformEvent",
    "SignatureError",
    "SlotEnded",
    "StaleSignature",
    "WebhookItem",
    "WebhookReader",
]
