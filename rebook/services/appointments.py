"""Booking appointments and reading them back with their progress and messages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from rebook.core.channels import reachability_problem
from rebook.core.contracts import AppointmentDetails, Progress
from rebook.core.records import AppointmentRecord, CommunicationRecord
from rebook.core.workspaces import Workspace
from rebook.db.stores import AppointmentStore, CommunicationStore
from rebook.playbooks.catalog import PlaybookCatalog
from rebook.services.blocking import in_thread
from rebook.services.errors import Conflict, InvalidField, NotFound
from rebook.temporal.gateway import AppointmentWorkflows

# "workflow": the running workflow answered the progress query; "database": the mirror the
# workflow writes, used once it has closed or when Temporal does not answer.
ProgressSource = Literal["workflow", "database"]


@dataclass(frozen=True)
class AppointmentView:
    """An appointment as it is shown: the stored record, its best-known progress (times in
    the offset it was booked in) and, when one appointment is read, its messages."""

    record: AppointmentRecord
    progress: Progress
    progress_source: ProgressSource
    communications: tuple[CommunicationRecord, ...] = ()


class AppointmentService:
    """One workspace's appointments: built from that workspace's stores and gateway."""

    def __init__(
        self,
        workspace: Workspace,
        appointments: AppointmentStore,
        communications: CommunicationStore,
        workflows: AppointmentWorkflows,
        *,
        playbooks: PlaybookCatalog | None = None,
    ) -> None:
        """playbooks: where a playbook asked for by name must exist (None: not checked)."""
        self._workspace = workspace
        self._appointments = appointments
        self._communications = communications
        self._workflows = workflows
        self._playbooks = playbooks

    @property
    def default_timezone(self) -> str:
        """The workspace's timezone: a contact booked without one gets it."""
        return self._workspace.timezone

    async def create(
        self,
        appointment: AppointmentDetails,
        fingerprint: str,
        *,
        legacy_fingerprint: str | None = None,
    ) -> tuple[AppointmentView, bool]:
        """Store the appointment and start its workflow; True when it is new.

        Idempotent on appointment.external_id: the same request (fingerprint, or for a
        booking stored before fingerprints compared instants, legacy_fingerprint) again
        answers the stored appointment, and starts its workflow if an earlier attempt
        could not.
        appointment.appointment_id (and the experiment arm drawn for it) is used only when
        the booking is new. Raises InvalidField when the contact cannot be reached as asked
        or the playbook asked for does not exist, Conflict when the external_id was booked
        with another request, and Unavailable when Temporal is down (the appointment is
        kept; a retry starts the workflow).
        """
        _check_reachable(appointment)
        await self._check_playbook(appointment)
        record, created = await self._store_once(appointment, fingerprint, legacy_fingerprint)
        # The row is committed before Temporal is asked: if Temporal is down the client gets
        # a 503, and its retry (same body) finds the row and starts the workflow then.
        await self._workflows.start(record.details, record.workflow_id)
        return AppointmentView(record, record.progress, "database"), created

    async def get(self, appointment_id: str) -> AppointmentView:
        """The appointment with its messages and progress: live from the workflow while it
        runs, else the database mirror. Raises NotFound."""
        record = await self._existing(appointment_id)
        live = await self._workflows.progress(record.workflow_id)
        communications = await in_thread(self._communications.for_appointment, appointment_id)
        if live is None:
            return AppointmentView(record, record.progress, "database", tuple(communications))
        booked_offset = record.details.starts_at.tzinfo
        progress = replace(live, starts_at=live.starts_at.astimezone(booked_offset))
        return AppointmentView(record, progress, "workflow", tuple(communications))

    async def communications(self, appointment_id: str) -> list[CommunicationRecord]:
        """Every message of the appointment, oldest first. Raises NotFound."""
        await self._existing(appointment_id)
        return await in_thread(self._communications.for_appointment, appointment_id)

    async def _check_playbook(self, appointment: AppointmentDetails) -> None:
        name = appointment.playbook
        if name is None or self._playbooks is None:
            return
        if await in_thread(self._playbooks.get, name) is None:
            raise InvalidField(("body", "playbook"), f"unknown playbook {name!r}", name)

    async def _existing(self, appointment_id: str) -> AppointmentRecord:
        record = await in_thread(self._appointments.get, appointment_id)
        if record is None:
            raise NotFound(f"appointment {appointment_id} not found")
        return record

    async def _store_once(
        self, appointment: AppointmentDetails, fingerprint: str, legacy_fingerprint: str | None
    ) -> tuple[AppointmentRecord, bool]:
        """The record for this external_id, inserted if new; True if inserted now."""
        external_id = appointment.external_id
        existing = await in_thread(self._appointments.find_by_external_id, external_id)
        if existing is None:
            inserted = await in_thread(self._appointments.create, appointment, fingerprint)
            if inserted is not None:
                return inserted, True
            # A concurrent request with the same external_id inserted first.
            existing = await in_thread(self._appointments.find_by_external_id, external_id)
            if existing is None:
                raise RuntimeError(f"appointment {external_id} vanished after a conflict")
        if existing.request_fingerprint not in (fingerprint, legacy_fingerprint):
            raise Conflict(
                f"external_id {external_id!r} was already used with a different request body"
            )
        return existing, False


def _check_reachable(appointment: AppointmentDetails) -> None:
    """The rule spans the contact and booked_via, so it is checked after parsing; the error
    names the field the platform has to fix."""
    problem = reachability_problem(appointment.contact, appointment.booked_via)
    if problem is None:
        return
    field, why = problem
    if field == "preferred_channel":
        preferred = appointment.contact.preferred_channel
        raise InvalidField(("body", "contact", "preferred_channel"), why, preferred)
    raise InvalidField(("body", "contact"), why, None)
