"""The resolve_playbook activity: which playbook (latest version) an appointment runs.

The workflow calls it once when it starts (and at a reschedule) and pins the result in its
input, so the sequence never changes under a running appointment.

Imported by workflow code (through imports_passed_through): module-level imports must stay
pure; the resolver (over the playbook catalog) is built in the worker and handed in.
"""

from __future__ import annotations

from temporalio import activity

from rebook.core.contracts import PlaybookRequest
from rebook.core.playbook import Playbook
from rebook.core.ports import PlaybookResolver


class PlaybookActivities:
    def __init__(self, resolver: PlaybookResolver) -> None:
        self._resolver = resolver

    @activity.defn(name="resolve_playbook")
    def resolve_playbook(self, request: PlaybookRequest) -> Playbook:
        """Read-only and repeatable. Raises NoPlaybook (retried: the installation has no
        default playbook until someone restores it)."""
        resolution = self._resolver.resolve(request.appointment, request.name)
        playbook = resolution.playbook
        activity.logger.info(
            "appointment %s runs playbook %s v%d (%s)",
            request.appointment.appointment_id,
            playbook.name,
            playbook.version,
            resolution.reason,
        )
        return playbook
