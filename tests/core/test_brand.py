"""The brand messages are rendered in (rebook.core.brand): one rule for its colours, which
land in email markup, and the deployment's brand overridden by a workspace's."""

from __future__ import annotations

import pytest

from rebook.core.brand import Brand, hex_colour_problem


@pytest.mark.parametrize("colour", ["#2f6fed", "#FFF", "#0a7D5a"])
def test_hex_colours(colour: str) -> None:
    assert hex_colour_problem(colour) is None
    assert Brand("Acme", primary_color=colour, accent_color=colour).primary_color == colour


@pytest.mark.parametrize("colour", ["red", "2f6fed", "#2f6fe", "#2f6fedd", "#ggg", "#fff;x"])
def test_not_hex_colours(colour: str) -> None:
    assert hex_colour_problem(colour)


@pytest.mark.parametrize("field", ["primary_color", "accent_color"])
def test_a_brand_refuses_a_colour_that_could_inject_css(field: str) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a hex colour"):
        Brand("Acme", **{field: "red;background:url(x)"})
