"""Rules about workspace settings (rebook.core.workspaces)."""

from __future__ import annotations

import pytest

from rebook.core.workspaces import hex_colour_problem, slug_problem, timezone_problem


@pytest.mark.parametrize("slug", ["acme", "acme-clinic", "a", "clinic-42", "9lives"])
def test_good_slugs(slug: str) -> None:
    assert slug_problem(slug) is None


@pytest.mark.parametrize(
    "slug", ["", "Acme", "-acme", "acme-", "acme clinic", "acme_clinic", "a" * 65]
)
def test_bad_slugs(slug: str) -> None:
    assert slug_problem(slug)


@pytest.mark.parametrize("colour", ["#2f6fed", "#FFF", "#0a7D5a"])
def test_hex_colours(colour: str) -> None:
    assert hex_colour_problem(colour) is None


@pytest.mark.parametrize("colour", ["red", "2f6fed", "#2f6fe", "#2f6fedd", "#ggg", "#fff;x"])
def test_not_hex_colours(colour: str) -> None:
    assert hex_colour_problem(colour)


def test_timezones_are_iana_names() -> None:
    assert timezone_problem("Europe/London") is None
    assert timezone_problem("Mars/Olympus_Mons")
    assert timezone_problem("../etc/passwd")
