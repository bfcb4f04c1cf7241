"""The activities the worker registers: each call runs in the workspace its input names
(the workflow's workspace), with that workspace's ledgers, brand, senders and settings, so
a workflow can only ever read and write its own workspace's rows and send in its own name.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure. The per-workspace pieces are built by factories the worker hands in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity

from activities.messaging import (
    DEFAULT_RECONCILE_WINDOW,
    FailPoint,
    MessagingActivities,
    no_fail_points,
)
from activities.playbooks import PlaybookActivities
from activities.records import RecordActivities
from activities.send_checks import SendCheckActivities
from rebook.core.contracts import (
    Ack,
    DeliveryRequest,
    DeliveryResult,
    NoShowRecord,
    NoShowTally,
    PlaybookRequest,
    ProgressReport,
    SendCheck,
    SendClearance,
)
from rebook.core.playbook import Playbook
from rebook.core.ports import (
    AppointmentLedger,
    CommunicationLedger,
    ContactBookings,
    DeliveryProfile,
    MessageHistory,
    MessageRenderer,
    PlaybookResolver,
)
from rebook.core.workspaces import WorkspaceId, WorkspaceSettings, with_workspace_quiet_hours


@dataclass(frozen=True)
class WorkspacePorts:
    """Factories of each workspace's ports (the worker builds them from the database), and
    the pieces every workspace shares for now: the playbook catalog's resolver, the
    renderer of its copy (which takes the workspace's brand per message), how long a send
    in doubt is reconciled, and the fail points of fault tests (rebook.faults)."""

    communications: Callable[[WorkspaceId], CommunicationLedger]
    appointments: Callable[[WorkspaceId], AppointmentLedger]
    delivery: Callable[[WorkspaceId], DeliveryProfile]
    history: Callable[[WorkspaceId], MessageHistory]
    bookings: Callable[[WorkspaceId], ContactBookings]
    settings: Callable[[WorkspaceId], WorkspaceSettings]
    playbooks: PlaybookResolver
    renderer: MessageRenderer
    reconcile_window: timedelta = DEFAULT_RECONCILE_WINDOW
    fail_point: FailPoint = no_fail_points


class WorkspaceActivities:
    def __init__(self, ports: WorkspacePorts) -> None:
        self._ports = ports

    @activity.defn(name="deliver_message")
    def deliver_message(self, request: DeliveryRequest) -> DeliveryResult:
        workspace_id = WorkspaceId(request.workspace_id)
        profile = self._ports.delivery(workspace_id)
        messaging = MessagingActivities(
            self._ports.communications(workspace_id),
            profile.senders,
            self._ports.renderer,
            profile.brand,
            reconcile_window=self._ports.reconcile_window,
            fail_point=self._ports.fail_point,
        )
        return messaging.deliver_message(request)

    @activity.defn(name="record_no_show")
    def record_no_show(self, record: NoShowRecord) -> NoShowTally:
        """Idempotent on record.occurrence_key (see RecordActivities)."""
        return self._records(record.workspace_id).record_no_show(record)

    @activity.defn(name="record_status")
    def record_status(self, report: ProgressReport) -> Ack:
        return self._records(report.workspace_id).record_status(report.progress)

    @activity.defn(name="resolve_playbook")
    def resolve_playbook(self, request: PlaybookRequest) -> Playbook:
        """The playbook the catalog resolves (see PlaybookActivities), with the
        workspace's own quiet hours where it sets them. Read-only and repeatable."""
        playbook = PlaybookActivities(self._ports.playbooks).resolve_playbook(request)
        own = self._ports.settings(WorkspaceId(request.workspace_id))
        return with_workspace_quiet_hours(playbook, own)

    @activity.defn(name="check_send")
    def check_send(self, check: SendCheck) -> SendClearance:
        """The send-time rules against the workspace's ledger only (see
        SendCheckActivities): another workspace's messages and appointments never count."""
        workspace_id = WorkspaceId(check.workspace_id)
        checks = SendCheckActivities(
            self._ports.history(workspace_id), self._ports.bookings(workspace_id)
        )
        return checks.check_send(check)

    def functions(self) -> list[Callable[..., object]]:
        return [
            self.deliver_message,
            self.record_no_show,
            self.record_status,
            self.resolve_playbook,
            self.check_send,
        ]

    def _records(self, workspace_id: str) -> RecordActivities:
        return RecordActivities(self._ports.appointments(WorkspaceId(workspace_id)))
