"""The CRM port: what Rebook needs from any CRM (HubSpot today; Salesforce or Pipedrive
later), so activities depend on this protocol and never on an SDK.

Every call is safe to repeat: a contact is upserted by its identity, a timeline entry
carries Rebook's stable id and is created at most once, a score is a property set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from rebook.core.contracts import ContactDetails
from rebook.core.domain import Channel


class TimelineKind(StrEnum):
    MESSAGE_SENT = "message_sent"
    MESSAGE_OPENED = "message_opened"
    MESSAGE_CLICKED = "message_clicked"
    APPOINTMENT_OUTCOME = "appointment_outcome"


@dataclass(frozen=True)
class TimelineEntry:
    """One line on the contact's CRM timeline.

    `entry_id` is Rebook's business identity for the entry (e.g. "com_12/sent" or
    "apt_7/outcome/rebooked"): logging the same id again must not add a second line.
    """

    entry_id: str
    kind: TimelineKind
    at: datetime  # timezone-aware; where the entry sits on the timeline
    channel: Channel | None = None  # message entries
    subject: str | None = None
    text: str | None = None  # the message as sent
    url: str | None = None  # MESSAGE_CLICKED: the link followed
    outcome: str | None = None  # APPOINTMENT_OUTCOME: missed, rebooked, attended, lost, ...
    appointment_id: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("timeline times must be timezone-aware")
        if self.kind is TimelineKind.APPOINTMENT_OUTCOME and not self.outcome:
            raise ValueError("an appointment outcome entry needs the outcome")
        if self.kind is not TimelineKind.APPOINTMENT_OUTCOME and self.channel is None:
            raise ValueError("a message entry needs its channel")


class CrmError(Exception):
    """Base of the CRM adapters' errors. The message never contains credentials."""


class TransientCrmError(CrmError):
    """Rate limit, 5xx, timeout or network failure: retry, not before `retry_after`."""

    def __init__(self, message: str, *, retry_after: timedelta | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentCrmError(CrmError):
    """Bad credentials (401), missing scope (403), invalid data (400), unknown record:
    retrying cannot help; the workspace has to fix its CRM connection or data."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CrmPort(Protocol):
    def upsert_contact(self, contact: ContactDetails) -> str:
        """Create or update the contact; returns the CRM's contact id. Idempotent.

        Raises: TransientCrmError, PermanentCrmError.
        """
        ...

    def log_activity(self, crm_contact_id: str, entry: TimelineEntry) -> str:
        """Put the entry on the contact's timeline; returns the CRM's id of the entry.
        Idempotent on `entry.entry_id`: a repeat returns the id of the existing entry.

        Raises: TransientCrmError, PermanentCrmError.
        """
        ...

    def set_score(self, crm_contact_id: str, score: float, band: str) -> None:
        """Write the lead score and its band to the contact. Idempotent.

        Raises: TransientCrmError, PermanentCrmError.
        """
        ...
