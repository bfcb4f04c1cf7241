"""The activities the worker registers: each call runs in the workspace its input names
(the workflow's workspace), with that workspace's ledgers, brand and senders, so a
workflow can only ever write its own workspace's rows and send in its own name.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure. The per-workspace pieces are built by factories the worker hands in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from temporalio import activity

from activities.messaging import MessagingActivities
from activities.records import RecordActivities
from rebook.core.contracts import (
    Ack,
    DeliveryRequest,
    DeliveryResult,
    NoShowRecord,
    NoShowTally,
    ProgressReport,
)
from rebook.core.ports import AppointmentLedger, CommunicationLedger, DeliveryProfile
from rebook.core.workspaces import WorkspaceId


@dataclass(frozen=True)
class WorkspacePorts:
    """Factories of each workspace's ports (the worker builds them from the database)."""

    communications: Callable[[WorkspaceId], CommunicationLedger]
    appointments: Callable[[WorkspaceId], AppointmentLedger]
    delivery: Callable[[WorkspaceId], DeliveryProfile]


class WorkspaceActivities:
    def __init__(self, ports: WorkspacePorts) -> None:
        self._ports = ports

    @activity.defn(name="deliver_message")
    def deliver_message(self, request: DeliveryRequest) -> DeliveryResult:
        workspace_id = WorkspaceId(request.workspace_id)
        profile = self._ports.delivery(workspace_id)
        messaging = MessagingActivities(
            self._ports.communications(workspace_id), profile.senders, profile.brand
        )
        return messaging.deliver_message(request)

    @activity.defn(name="record_no_show")
    def record_no_show(self, record: NoShowRecord) -> NoShowTally:
        """Idempotent on record.occurrence_key (see RecordActivities)."""
        return self._records(record.workspace_id).record_no_show(record)

    @activity.defn(name="record_status")
    def record_status(self, report: ProgressReport) -> Ack:
        return self._records(report.workspace_id).record_status(report.progress)

    def functions(self) -> list[Callable[..., object]]:
        return [self.deliver_message, self.record_no_show, self.record_status]

    def _records(self, workspace_id: str) -> RecordActivities:
        return RecordActivities(self._ports.appointments(WorkspaceId(workspace_id)))
