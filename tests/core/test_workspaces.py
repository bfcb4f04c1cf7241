"""Rules about workspace settings (rebook.core.workspaces)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rebook.core.playbook import Playbook, Policy, QuietHours
from rebook.core.workspaces import (
    WorkspaceSettings,
    slug_problem,
    timezone_problem,
    with_workspace_quiet_hours,
)


@pytest.mark.parametrize("slug", ["acme", "acme-clinic", "a", "clinic-42", "9lives"])
def test_good_slugs(slug: str) -> None:
    assert slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug", ["", "Acme", "-acme", "acme-", "acme clinic", "acme_clinic", "a" * 65]
)
def test_bad_slugs(slug: str) -> None:
    assert slug_problem(slug)


def test_timezones_are_iana_names() -> None:
    assert timezone_problem("Europe/London") is None
    assert timezone_problem("Mars/Olympus_Mons")
    assert timezone_problem("../etc/passwd")


def test_a_workspaces_quiet_hours_replace_its_playbooks() -> None:
    playbook = Playbook("default", 1, policy=Policy(quiet_hours=QuietHours(21 * 60, 8 * 60)))
    off = replace(playbook, policy=Policy(quiet_hours=None))

    def quiet(pb: Playbook, **hours: int) -> QuietHours | None:
        return with_workspace_quiet_hours(pb, WorkspaceSettings(**hours)).policy.quiet_hours  # type: ignore[arg-type]

    assert with_workspace_quiet_hours(playbook, WorkspaceSettings()) is playbook
    assert quiet(playbook, quiet_hours_start_h=20) == QuietHours(20 * 60, 8 * 60)
    assert quiet(playbook, quiet_hours_start_h=22, quiet_hours_end_h=6) == QuietHours(1320, 360)
    assert quiet(playbook, quiet_hours_start_h=7, quiet_hours_end_h=7) is None  # equal: off
    # A playbook without quiet hours: the hour left unset is the product's.
    assert quiet(off, quiet_hours_end_h=7) == QuietHours(21 * 60, 7 * 60)
