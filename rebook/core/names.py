"""Names shared by the API (which starts, signals and queries) and the workflow.

Kept as strings in a pure module so the API can talk to workflows without importing them.
"""

from __future__ import annotations

WORKFLOW_NAME = "AppointmentWorkflow"
EVENT_SIGNAL = "appointment_event"
PROGRESS_QUERY = "progress"


def workflow_id_for(workspace_id: str, appointment_id: str) -> str:
    """The id a new appointment's workflow gets: namespaced by its workspace, so an operator
    sees whose it is. Appointments booked before workspaces keep `appointment-<id>`: the
    workflow_id stored with each appointment is what callers address, never this."""
    return f"{workspace_id}/{appointment_id}"
