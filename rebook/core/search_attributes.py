"""Custom search attributes that make appointments findable in the Temporal UI.

The one list of them: the API sets them when it starts a workflow, the workflow keeps them
current, the dev stack registers them (temporal server start-dev --search-attribute, see
cli_flags), tests register them through the operator service, and docker-compose.yml's
flags are checked against cli_flags by a test. Pure module: safe to import from workflows.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

from rebook.core.contracts import AppointmentDetails, SequenceState
from rebook.core.domain import AppointmentStatus

APPOINTMENT_ID = SearchAttributeKey.for_keyword("AppointmentId")
CONTACT_ID = SearchAttributeKey.for_keyword("ContactId")
APPOINTMENT_KIND = SearchAttributeKey.for_keyword("AppointmentKind")
APPOINTMENT_STATUS = SearchAttributeKey.for_keyword("AppointmentStatus")
NO_SHOW_COUNT = SearchAttributeKey.for_int("NoShowCount")
RESCHEDULE_COUNT = SearchAttributeKey.for_int("RescheduleCount")
# The business (rebook.core.workspaces) the appointment belongs to. It never changes, so it
# is set when the workflow starts; see pairs() for the workflow's own upserts.
WORKSPACE_ID = SearchAttributeKey.for_keyword("WorkspaceId")

ALL_KEYS: tuple[SearchAttributeKey[str] | SearchAttributeKey[int], ...] = (
    APPOINTMENT_ID,
    CONTACT_ID,
    APPOINTMENT_KIND,
    APPOINTMENT_STATUS,
    NO_SHOW_COUNT,
    RESCHEDULE_COUNT,
    WORKSPACE_ID,
)


def pairs(
    appointment: AppointmentDetails,
    state: SequenceState | None = None,
    *,
    workspace_id: str | None,
) -> list[SearchAttributePair[Any]]:
    """Every attribute's value for this appointment; state None: freshly booked.

    workspace_id None leaves WorkspaceId out: workflows started before it existed upsert
    the others only, so their replays issue the same commands (see the workflow's
    WORKSPACE_ATTRIBUTE_PATCH).
    """
    status = state.status if state else AppointmentStatus.SCHEDULED
    workspace = [] if workspace_id is None else [SearchAttributePair(WORKSPACE_ID, workspace_id)]
    return [
        SearchAttributePair(APPOINTMENT_ID, appointment.appointment_id),
        SearchAttributePair(CONTACT_ID, appointment.contact.id),
        SearchAttributePair(APPOINTMENT_KIND, appointment.kind.value),
        SearchAttributePair(APPOINTMENT_STATUS, status.value),
        SearchAttributePair(NO_SHOW_COUNT, state.no_show_count if state else 0),
        SearchAttributePair(RESCHEDULE_COUNT, state.reschedule_count if state else 0),
        *workspace,
    ]


def already_set(wanted: list[SearchAttributePair[Any]], current: TypedSearchAttributes) -> bool:
    """Whether every wanted attribute already holds its value in current (e.g. the ones a
    workflow was started with), so upserting them would change nothing."""
    return all(current.get(pair.key) == pair.value for pair in wanted)


def cli_flags() -> list[str]:
    """`--search-attribute=Name=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int"}
    return [
        f"--search-attribute={key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}"
        for key in ALL_KEYS
    ]
