"""Vocabulary shared by the API, the workflow and the activities.

Pure module: safe to import from workflow code.
"""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    IN_APP = "in_app"


class AppointmentKind(StrEnum):
    DEMO = "demo"
    CONSULTATION = "consultation"
    WEBINAR = "webinar"
    OTHER = "other"


class BookedVia(StrEnum):
    WEB = "web"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    PHONE = "phone"
    APP = "app"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    MISSED = "missed"  # a no-show whose follow-up sequence is running
    ATTENDED = "attended"
    CANCELLED = "cancelled"
    LOST = "lost"  # follow-ups exhausted without a rebooking
    EXPIRED = "expired"  # the platform never reported an outcome

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset(
    {
        AppointmentStatus.ATTENDED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.LOST,
        AppointmentStatus.EXPIRED,
    }
)


class EventType(StrEnum):
    ATTENDED = "attended"
    MISSED = "missed"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    # The contact wrote back (a reply to a message, an inbox answer). It changes no status:
    # follow-ups that list `replied` in their stop_when are not sent after it.
    REPLIED = "replied"


class Recipient(StrEnum):
    CONTACT = "contact"
    HOST = "host"


class CommunicationStatus(StrEnum):
    SENDING = "sending"  # claimed under a lease; the provider call is (or was) in flight
    SENT = "sent"  # accepted by the provider
    RECORDED = "recorded"  # written to the embedded outbox (no provider configured)
    DELIVERED = "delivered"  # in-app: stored in the contact's inbox
    RETRYING = "retrying"  # transient provider failure; the activity will retry
    FAILED = "failed"  # permanent provider failure; not retried
    # Not sent: the contact opted out of or cannot be reached on the channel, or a stop
    # condition of the step held (stop_when: rebooked, replied, opted_out).
    SKIPPED = "skipped"
    CHECKING = "checking"  # the send's outcome is unknown; being reconciled with the provider
    # No evidence either way within the reconciliation window: never resent (that could
    # duplicate), logged and listed for operators; a late webhook still settles it as sent.
    UNCONFIRMED = "unconfirmed"
    # Held back by the playbook's frequency cap; the step goes out once the cap allows
    # (its own row, under the step's real idempotency key, records the send).
    DEFERRED = "deferred"

    @property
    def is_success(self) -> bool:
        return self in (
            CommunicationStatus.SENT,
            CommunicationStatus.RECORDED,
            CommunicationStatus.DELIVERED,
        )

    @property
    def may_have_reached_the_recipient(self) -> bool:
        """Sent, or possibly sent (in flight, being retried, in doubt): what a frequency
        cap counts. Failed, skipped and deferred messages never went out."""
        return self.is_success or self in (
            CommunicationStatus.SENDING,
            CommunicationStatus.RETRYING,
            CommunicationStatus.CHECKING,
            CommunicationStatus.UNCONFIRMED,
        )
