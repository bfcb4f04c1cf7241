"""Shared helpers for playbook tests: the shipped playbooks, loaded once."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rebook.playbooks.loading import load_playbook
from rebook.playbooks.validation import LoadedPlaybook

DEFAULTS = Path(__file__).resolve().parents[2] / "rebook" / "playbooks" / "defaults"


@cache
def shipped(name: str) -> LoadedPlaybook:
    return load_playbook(DEFAULTS / f"{name}.yaml")


# Copy for a template (every channel), to tell a new version's messages from the old.
VERSION_TWO_COPY: dict[str, Any] = {
    "email": {
        "subject": "Version two: see you {{ appointment.when }}",
        "paragraphs": ["See you soon."],
        "cta": {"label": "Reschedule", "url": "{{ links.reschedule }}"},
    },
    "short": {"headline": "Version two", "link": "{{ links.reschedule }}"},
    "in_app": {"title": "Version two", "body": "See you soon."},
}


def playbook_file(
    directory: Path,
    name: str,
    version: int = 1,
    *,
    base: str = "default",
    file_name: str | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Write a playbook file: a shipped playbook (`base`, its locale files by absolute
    path) under another name and version, changed by `edit` (the parsed document)."""
    data = yaml.safe_load((DEFAULTS / f"{base}.yaml").read_text(encoding="utf-8"))
    data["name"], data["version"] = name, version
    data["locale_files"] = [str((DEFAULTS / f).resolve()) for f in data["locale_files"]]
    if edit is not None:
        edit(data)
    path = directory / (file_name or f"{name}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def with_copy(locale: str, template: str, copy: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """An `edit` that replaces one template's copy in one locale."""

    def edit(data: dict[str, Any]) -> None:
        locales = data.setdefault("locales", {})
        locales.setdefault(locale, {}).setdefault("templates", {})[template] = copy

    return edit
