"""Brand: how a workspace's messages look and sign off. Pure module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_PRIMARY_COLOR: Final = "#2f6fed"
DEFAULT_ACCENT_COLOR: Final = "#2f6fed"


@dataclass(frozen=True)
class Brand:
    """The brand messages are rendered in: the deployment's Settings, overridden field by
    field by the workspace's (rebook.core.workspaces.WorkspaceSettings). Colours are
    validated hex values; every text is escaped where it lands in markup."""

    name: str
    primary_color: str = DEFAULT_PRIMARY_COLOR
    accent_color: str = DEFAULT_ACCENT_COLOR
    logo_url: str | None = None
    footer: str | None = None  # e.g. the postal address commercial email must carry
