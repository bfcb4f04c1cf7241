"""Brand: how a workspace's messages look and sign off. Pure module.

The one rule about brand colours lives here too (hex_colour_problem): Brand enforces it,
and the settings, the workspace API and the CLI report it as a field error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

DEFAULT_PRIMARY_COLOR: Final = "#2f6fed"
DEFAULT_ACCENT_COLOR: Final = "#2f6fed"

_HEX_COLOUR: Final = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def hex_colour_problem(value: str) -> str | None:
    """Why `value` is not a CSS hex colour (#rgb or #rrggbb), or None. Colours are placed
    into email markup (style attributes), so anything else is refused rather than escaped:
    it could inject CSS."""
    return None if _HEX_COLOUR.fullmatch(value) else "must be a hex colour like #2f6fed"


@dataclass(frozen=True)
class Brand:
    """The brand messages are rendered in: the deployment's Settings, overridden field by
    field by the workspace's (rebook.core.workspaces.WorkspaceSettings).

    Raises ValueError for a colour that is not hex. Every text is escaped where it lands in
    markup; a logo URL that is not http(s) is left out of the email."""

    name: str
    primary_color: str = DEFAULT_PRIMARY_COLOR  # header and call-to-action button
    accent_color: str = DEFAULT_ACCENT_COLOR  # the band above the header
    logo_url: str | None = None  # shown at the top of every email
    footer: str | None = None  # e.g. the postal address commercial email must carry
    postal_address: str | None = None  # below the footer, where marketing law wants it
    # The name SMS and WhatsApp messages start with; None: name.
    sender_name: str | None = None

    def __post_init__(self) -> None:
        for field_name in ("primary_color", "accent_color"):
            problem = hex_colour_problem(getattr(self, field_name))
            if problem:
                raise ValueError(f"{field_name} {problem}, not {getattr(self, field_name)!r}")
