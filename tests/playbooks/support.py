"""Shared helpers for playbook tests: the shipped playbooks, loaded once."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from rebook.playbooks.loading import load_playbook
from rebook.playbooks.validation import LoadedPlaybook

DEFAULTS = Path(__file__).resolve().parents[2] / "rebook" / "playbooks" / "defaults"


@cache
def shipped(name: str) -> LoadedPlaybook:
    return load_playbook(DEFAULTS / f"{name}.yaml")
