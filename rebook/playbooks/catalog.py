"""Where playbooks come from: the PlaybookCatalog port, and the resolution of the playbook
an appointment runs.

Implementations: DiskPlaybookCatalog (rebook/playbooks/disk_catalog.py: the shipped
defaults plus PLAYBOOK_DIR) now; a SQL one per workspace (stored, versioned documents)
later, behind the same port. A catalog keeps every version it has served, so a running
appointment's pinned version can always be rendered.
"""

from __future__ import annotations

from typing import Final, Protocol

from rebook.core.contracts import AppointmentDetails
from rebook.core.playbook import PlaybookRef
from rebook.core.playbook_legacy import LEGACY_NAME, LEGACY_VERSION
from rebook.core.ports import PlaybookResolution
from rebook.playbooks.content import ContentLibrary
from rebook.playbooks.selection import DEFAULT_PLAYBOOK, PlaybookSelection
from rebook.playbooks.validation import LoadedPlaybook

# The copy of messages requested before playbooks existed: the default playbook's first
# version is exactly that copy.
LEGACY_REF: Final = PlaybookRef(LEGACY_NAME, LEGACY_VERSION)


class PlaybookCatalog(Protocol):
    def get(self, name: str, version: int | None = None) -> LoadedPlaybook | None:
        """That version of the playbook (any version ever served), or with version None
        the latest one currently offered; None when there is no such playbook or version.
        Thread-safe."""
        ...

    def selection(self) -> PlaybookSelection:
        """The rules that pick a playbook for appointments that name none."""
        ...

    def library(self) -> ContentLibrary:
        """The content library steps choose content from."""
        ...


class NoPlaybook(LookupError):
    """Not even the default playbook is in the catalog (a broken installation)."""


def resolve_playbook(
    catalog: PlaybookCatalog, appointment: AppointmentDetails, name: str | None = None
) -> PlaybookResolution:
    """The latest version of the playbook for the appointment: `name` when given (a
    reschedule stays on its playbook), else the one the appointment names, else the one
    the selection rules choose, else the default. A name the catalog does not know (a
    playbook removed since) falls through to the next choice, with the reason saying so.
    Raises NoPlaybook when even the default is missing."""
    notes: list[str] = []
    for candidate, why in ((name, "kept"), (appointment.playbook, "named by the appointment")):
        if not candidate:
            continue
        loaded = catalog.get(candidate)
        if loaded is not None:
            return PlaybookResolution(loaded.playbook, _because(why, notes))
        notes.append(f"playbook {candidate!r} is unknown")
    chosen, why = catalog.selection().choose(appointment)
    loaded = catalog.get(chosen)
    if loaded is None and chosen != DEFAULT_PLAYBOOK:
        notes.append(f"selected playbook {chosen!r} is unknown")
        why, loaded = "the default", catalog.get(DEFAULT_PLAYBOOK)
    if loaded is None:
        raise NoPlaybook(f"no {DEFAULT_PLAYBOOK!r} playbook in the catalog")
    return PlaybookResolution(loaded.playbook, _because(why, notes))


def _because(why: str, notes: list[str]) -> str:
    return "; ".join([*notes, why])


class CatalogResolver:
    """The PlaybookResolver port (rebook.core.ports) over a catalog."""

    def __init__(self, catalog: PlaybookCatalog) -> None:
        self._catalog = catalog

    def resolve(
        self, appointment: AppointmentDetails, name: str | None = None
    ) -> PlaybookResolution:
        return resolve_playbook(self._catalog, appointment, name)
