"""Names shared by the API (which starts, signals and queries) and the workflow.

Kept as strings in a pure module so the API can talk to workflows without importing them.
"""

from __future__ import annotations

WORKFLOW_NAME = "AppointmentWorkflow"
EVENT_SIGNAL = "appointment_event"
PROGRESS_QUERY = "progress"


def workflow_id_for(appointment_id: str) -> str:
    return f"appointment-{appointment_id}"
