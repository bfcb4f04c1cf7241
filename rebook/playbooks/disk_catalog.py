"""DiskPlaybookCatalog: playbooks, selection rules and a content library read from
directories of YAML files (until playbooks are stored per workspace in the database).

Directories are read in order: the shipped defaults (rebook/playbooks/defaults) first,
then PLAYBOOK_DIR when it is set. In each:

- every `*.yaml` / `*.yml` file at the top level is a playbook (its locale files may sit
  anywhere it points to), except these two:
- `selection.yaml`: the selection rules (rebook/playbooks/selection.py); the last
  directory that has one wins;
- `content_library.yaml`: the content library; the last directory that has one wins.
  (Files named `content_library.*.yaml`, such as the shipped example, are not read.)

Versions are pinned by running appointments, so the catalog keeps every version it has
loaded, for as long as the process runs, and serves the highest version of each name as
its latest. A file edited in place must raise its `version`: content that changed under
a (name, version) already served is refused (and logged) so pinned appointments keep the
copy they started with. Keep the file of an old version next to the new one (any file
name) while appointments still run on it: after a restart only what is on disk is known,
and a render whose version is gone uses the latest version of that playbook.

Changes on disk are picked up by rescanning (file sizes and modification times, at most
every `rescan_after_s`); a file that no longer validates is logged and its last good
version kept. `load()` is the strict first scan for entrypoints: any problem is fatal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Final

from rebook.playbooks.content import EMPTY_LIBRARY, ContentLibrary
from rebook.playbooks.loading import (
    canonical_document,
    load_content_library,
    load_playbook,
    load_selection,
    locale_files_of,
)
from rebook.playbooks.selection import DEFAULT_SELECTION, PlaybookSelection
from rebook.playbooks.validation import LoadedPlaybook, PlaybookInvalid

log = logging.getLogger(__name__)

DEFAULTS_DIR: Final = Path(__file__).resolve().parent / "defaults"
SELECTION_FILE: Final = "selection.yaml"
LIBRARY_FILE: Final = "content_library.yaml"
_NOT_PLAYBOOKS: Final = ("selection.", "content_library.")

# A file as last seen: (path, modification time in ns, size); None when it is missing.
_Stamp = tuple[str, int, int] | None


class PlaybookCatalogInvalid(ValueError):
    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("playbooks cannot be loaded:\n" + "\n".join(self.problems))


@dataclass(frozen=True)
class _Offer:
    """What the catalog offers since its last scan."""

    latest: Mapping[str, LoadedPlaybook] = field(default_factory=dict)
    selection: PlaybookSelection = DEFAULT_SELECTION
    library: ContentLibrary = EMPTY_LIBRARY


class DiskPlaybookCatalog:
    """A PlaybookCatalog (rebook/playbooks/catalog.py) over directories; see the module
    docstring. Thread-safe: activities call it from the worker's thread pool."""

    def __init__(
        self,
        directories: Sequence[Path],
        *,
        rescan_after_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._directories = tuple(Path(d) for d in directories)
        self._rescan_after_s = rescan_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._scanned_at: float | None = None
        self._offer = _Offer()
        # Every version ever loaded, and the fingerprint of its document.
        self._versions: dict[tuple[str, int], LoadedPlaybook] = {}
        self._fingerprints: dict[tuple[str, int], str] = {}
        # Per playbook file: the stamps it was loaded with and the version it held; and
        # the stamps of files that failed, so they are not validated again until edited.
        self._files: dict[Path, tuple[tuple[_Stamp, ...], tuple[str, int]]] = {}
        self._failed: dict[Path, tuple[_Stamp, ...]] = {}
        self._logged: frozenset[str] = frozenset()

    @classmethod
    def with_defaults(
        cls, playbook_dir: Path | None = None, *, rescan_after_s: float = 2.0
    ) -> DiskPlaybookCatalog:
        """The shipped defaults, then playbook_dir (Settings.playbook_dir) when set."""
        directories = [DEFAULTS_DIR] + ([Path(playbook_dir)] if playbook_dir else [])
        return cls(directories, rescan_after_s=rescan_after_s)

    # ------------------------------------------------------------------ the port

    def get(self, name: str, version: int | None = None) -> LoadedPlaybook | None:
        if version is None:
            self._refresh_if_due()
            return self._offer.latest.get(name)
        found = self._versions.get((name, version))
        if found is None and self._refresh_if_due():
            found = self._versions.get((name, version))
        return found

    def selection(self) -> PlaybookSelection:
        self._refresh_if_due()
        return self._offer.selection

    def library(self) -> ContentLibrary:
        self._refresh_if_due()
        return self._offer.library

    def offered(self) -> tuple[LoadedPlaybook, ...]:
        """The latest version of every playbook on offer, by name."""
        self._refresh_if_due()
        latest = self._offer.latest
        return tuple(latest[name] for name in sorted(latest))

    def template_names(self) -> frozenset[str]:
        """Every template any offered playbook has, in any locale."""
        return frozenset(
            name
            for loaded in self.offered()
            for template_set in loaded.templates.locales.values()
            for name in template_set.templates
        )

    # ------------------------------------------------------------------ scanning

    def load(self) -> None:
        """Scan now; raise PlaybookCatalogInvalid naming every problem (a broken playbook
        directory must stop the worker from starting, not surface at send time)."""
        problems = self.refresh()
        if problems:
            raise PlaybookCatalogInvalid(problems)

    def refresh(self) -> tuple[str, ...]:
        """Scan the directories now and return the problems this scan found (each is
        logged once); what they concern keeps its last good state."""
        with self._lock:
            problems = self._scan()
            self._scanned_at = self._clock()
            new = [p for p in problems if p not in self._logged]
            self._logged = frozenset(problems)
        for problem in new:
            log.error("playbooks: %s", problem)
        return problems

    def _refresh_if_due(self) -> bool:
        scanned_at = self._scanned_at
        if scanned_at is not None and self._clock() - scanned_at < self._rescan_after_s:
            return False
        self.refresh()
        return True

    def _scan(self) -> tuple[str, ...]:
        problems: list[str] = []
        library = self._library(problems)
        offered: dict[str, LoadedPlaybook] = {}
        for path in self._playbook_files():
            loaded = self._playbook(path, library, problems)
            if loaded is None:
                continue
            name = loaded.playbook.name
            if name not in offered or loaded.playbook.version > offered[name].playbook.version:
                offered[name] = loaded
        selection = self._selection(offered, problems)
        self._offer = _Offer(offered, selection, library)
        return tuple(problems)

    def _playbook_files(self) -> list[Path]:
        files: list[Path] = []
        for directory in self._directories:
            candidates = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
            files.extend(p.resolve() for p in candidates if not p.name.startswith(_NOT_PLAYBOOKS))
        return files

    def _playbook(
        self, path: Path, library: ContentLibrary, problems: list[str]
    ) -> LoadedPlaybook | None:
        own = _stamp(path)
        stamps = (own, *(_stamp(p) for p in _locale_files(path, own)))
        known = self._files.get(path)
        if known is not None and known[0] == stamps:
            return self._versions[known[1]]
        last_good = None if known is None else self._versions[known[1]]
        if self._failed.get(path) == stamps:
            return last_good
        try:
            loaded = _load(path, stamps, library)
        except PlaybookInvalid as err:
            self._failed[path] = stamps
            problems.extend(str(issue) for issue in err.issues)
            return last_good
        self._failed.pop(path, None)
        key = (loaded.playbook.name, loaded.playbook.version)
        fingerprint = _fingerprint(loaded)
        served = self._fingerprints.get(key)
        if served is not None and served != fingerprint:
            problems.append(
                f"{path}: playbook {key[0]!r} version {key[1]} changed without a new version; "
                "still serving the version first loaded (raise `version` to publish a change)"
            )
        else:
            self._versions[key] = loaded
            self._fingerprints[key] = fingerprint
        self._files[path] = (stamps, key)
        return self._versions[key]

    def _library(self, problems: list[str]) -> ContentLibrary:
        path = self._last(LIBRARY_FILE)
        if path is None:
            return EMPTY_LIBRARY
        try:
            return _load_library(path, _stamp(path))
        except PlaybookInvalid as err:
            problems.extend(str(issue) for issue in err.issues)
            return self._offer.library

    def _selection(
        self, offered: Mapping[str, LoadedPlaybook], problems: list[str]
    ) -> PlaybookSelection:
        path = self._last(SELECTION_FILE)
        if path is None:
            selection = DEFAULT_SELECTION
        else:
            try:
                selection = _load_selection(path, _stamp(path))
            except PlaybookInvalid as err:
                problems.extend(str(issue) for issue in err.issues)
                return self._offer.selection
        unknown = sorted(selection.names() - set(offered))
        if unknown:
            where = path or "the default selection"
            problems.append(f"{where}: names playbooks that do not exist: {', '.join(unknown)}")
            return self._offer.selection
        return selection

    def _last(self, file_name: str) -> Path | None:
        found = [d / file_name for d in self._directories if (d / file_name).is_file()]
        return found[-1] if found else None


def _stamp(path: Path) -> _Stamp:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)


# Parsing and validating a playbook renders every template (tenths of a second), so files
# are parsed once per content for the whole process: catalogs over the same directories
# (the API's and the worker's in one process, tests) share the work.
@lru_cache(maxsize=256)
def _load(path: Path, stamps: tuple[_Stamp, ...], library: ContentLibrary) -> LoadedPlaybook:
    return load_playbook(path, library=library)


@lru_cache(maxsize=256)
def _locale_files(path: Path, stamp: _Stamp) -> tuple[Path, ...]:
    return locale_files_of(path)


@lru_cache(maxsize=32)
def _load_library(path: Path, stamp: _Stamp) -> ContentLibrary:
    return load_content_library(path)


@lru_cache(maxsize=32)
def _load_selection(path: Path, stamp: _Stamp) -> PlaybookSelection:
    return load_selection(path)


def _fingerprint(loaded: LoadedPlaybook) -> str:
    canonical = json.dumps(canonical_document(loaded), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
