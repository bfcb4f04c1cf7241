"""Workspaces: the unit of isolation. One deployment serves many businesses; each is a
workspace with its own appointments, contacts, messages, keys, brand, senders, credentials
and limits, and nothing of one is visible to another.

Pure module: the workflow carries the workspace id in its input, so this is importable from
workflow code. The rules about slugs and timezones are defined here once (colours: in
rebook.core.brand); the HTTP models and the CLI apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Final, NewType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rebook.core.playbook import Playbook, QuietHours

# A workspace id. Stores, services and activities take one as their scope; NewType makes a
# plain string (an appointment or contact id, say) a type error where a scope belongs.
WorkspaceId = NewType("WorkspaceId", str)

# The workspace the 0003 migration creates and fills with every row written before
# workspaces existed; API_KEYS keys and an API without keys act on it, and workflows
# started before workspaces (whose input has no workspace) belong to it.
DEFAULT_WORKSPACE_ID: Final = WorkspaceId("default")
DEFAULT_WORKSPACE_SLUG: Final = "default"

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a workspace, or None. Slugs appear in URLs and CLI commands:
    lower-case letters, digits and inner hyphens, 1 to 64 characters."""
    if _SLUG.fullmatch(slug):
        return None
    return "must be 1-64 lower-case letters, digits or inner hyphens, e.g. acme-clinic"


def timezone_problem(name: str) -> str | None:
    """Why `name` is not an IANA timezone, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown IANA timezone {name!r}"
    return None


@dataclass(frozen=True)
class Workspace:
    id: WorkspaceId
    slug: str  # unique and unchanging: what operators type (rebook key create --workspace)
    name: str
    timezone: str  # IANA; contacts booked without a timezone get this one
    created_at: datetime


@dataclass(frozen=True)
class WorkspaceSettings:
    """What a workspace sets for itself; None inherits the deployment's Settings.

    Provider credentials are not here: they are stored encrypted and never read back by
    the API; sendgrid_configured and twilio_configured only say whether they are set.
    """

    brand_name: str | None = None
    brand_primary_color: str | None = None  # hex; header and call-to-action button
    brand_accent_color: str | None = None  # hex; the band above the header
    brand_logo_url: str | None = None  # shown at the top of every email
    brand_footer: str | None = None  # footer of every email, e.g. the postal address
    # The From name of emails and the name SMS and WhatsApp start with (default: the
    # brand name).
    sender_name: str | None = None
    email_from_address: str | None = None  # SendGrid From address (a verified sender)
    twilio_sms_from: str | None = None  # E.164
    twilio_messaging_service_sid: str | None = None  # MG..., instead of a number
    twilio_whatsapp_from: str | None = None  # E.164
    quiet_hours_start_h: int | None = None
    quiet_hours_end_h: int | None = None
    rate_limit_write_per_minute: int | None = None
    rate_limit_read_per_minute: int | None = None
    sendgrid_configured: bool = False
    twilio_configured: bool = False


def with_workspace_quiet_hours(playbook: Playbook, own: WorkspaceSettings) -> Playbook:
    """The playbook with the workspace's quiet hours where it sets them (an hour it leaves
    unset keeps the playbook's, or the product's when the playbook has none); equal start
    and end hours turn quiet hours off. Until workspaces have playbooks of their own, this
    is how a workspace keeps follow-ups out of its contacts' nights."""
    if own.quiet_hours_start_h is None and own.quiet_hours_end_h is None:
        return playbook
    base = playbook.policy.quiet_hours or QuietHours()
    start = base.start_minute if own.quiet_hours_start_h is None else own.quiet_hours_start_h * 60
    end = base.end_minute if own.quiet_hours_end_h is None else own.quiet_hours_end_h * 60
    quiet = None if start == end else QuietHours(start, end)
    return replace(playbook, policy=replace(playbook.policy, quiet_hours=quiet))


# The settings a workspace can change (the configured flags follow from its credentials).
SETTING_NAMES: Final = tuple(
    f.name for f in fields(WorkspaceSettings) if not f.name.endswith("_configured")
)


@dataclass(frozen=True)
class SendGridCredentials:
    # repr=False: a dataclass logged by accident must not print the secret.
    api_key: str = field(repr=False)
    # SendGrid's Signed Event Webhook verification key for this account (public, but kept
    # with the account it belongs to).
    webhook_public_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TwilioCredentials:
    account_sid: str = field(repr=False)
    auth_token: str = field(repr=False)


@dataclass(frozen=True)
class ProviderCredentials:
    """A workspace's own provider accounts; None uses the deployment's."""

    sendgrid: SendGridCredentials | None = None
    twilio: TwilioCredentials | None = None


@dataclass(frozen=True)
class EncryptedCredentials:
    """A workspace's provider accounts as stored: Fernet tokens (rebook.credentials);
    None: not configured."""

    sendgrid: str | None = None
    twilio: str | None = None
