"""Request and response bodies of the workspace routes (settings, keys, audit log), read
into and out of rebook.core.workspaces / api_keys / audit. The CLI parses `rebook
workspace settings --set` with WorkspaceSettingsIn too, so both apply the same rules.

Credentials are write-only: WorkspaceSettingsIn takes them, WorkspaceSettingsOut only says
whether they are configured.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, EmailStr, Field, field_validator

from api.schemas import E164Phone, IanaTimezone, StrictBody, WebUrl
from rebook.core.api_keys import Scope
from rebook.core.audit import Actor
from rebook.core.brand import hex_colour_problem
from rebook.core.workspaces import SETTING_NAMES, SendGridCredentials, TwilioCredentials
from rebook.services.workspaces import CredentialChanges, SettingsView


def _hex_colour(value: str) -> str:
    problem = hex_colour_problem(value)
    if problem:
        raise ValueError(problem)
    return value


HexColour = Annotated[str, AfterValidator(_hex_colour)]
PerMinute = Annotated[int, Field(ge=1, le=1_000_000)]
Hour = Annotated[int, Field(ge=0, le=23)]


# --------------------------------------------------------------------------- workspace


class WorkspaceOut(BaseModel):
    id: str
    slug: str
    name: str
    timezone: str = Field(description="contacts booked without a timezone get this one")
    created_at: datetime


class PrincipalOut(BaseModel):
    workspace: WorkspaceOut
    key_id: str | None = Field(description="the key this request used; null: API open")
    scopes: list[Scope]


# --------------------------------------------------------------------------- settings


class SendGridCredentialsIn(StrictBody):
    api_key: str = Field(min_length=1, max_length=500)
    webhook_public_key: str | None = Field(
        default=None,
        max_length=2000,
        description="the Signed Event Webhook verification key of this SendGrid account",
    )


class TwilioCredentialsIn(StrictBody):
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: str = Field(min_length=1, max_length=200)


class CredentialsIn(StrictBody):
    """Each provider given is replaced; null forgets the workspace's own account (the
    deployment's is used again); a provider left out is kept."""

    sendgrid: SendGridCredentialsIn | None = None
    twilio: TwilioCredentialsIn | None = None

    def changes(self) -> CredentialChanges:
        changes: dict[str, SendGridCredentials | TwilioCredentials | None] = {}
        if "sendgrid" in self.model_fields_set:
            changes["sendgrid"] = (
                SendGridCredentials(**self.sendgrid.model_dump()) if self.sendgrid else None
            )
        if "twilio" in self.model_fields_set:
            changes["twilio"] = (
                TwilioCredentials(**self.twilio.model_dump()) if self.twilio else None
            )
        return changes


class WorkspaceSettingsIn(StrictBody):
    """Only the fields sent change; null sets a setting back to the deployment's value."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    timezone: IanaTimezone | None = None
    brand_name: str | None = Field(default=None, min_length=1, max_length=200)
    brand_primary_color: HexColour | None = None
    brand_accent_color: HexColour | None = None
    brand_logo_url: WebUrl | None = None
    brand_footer: str | None = Field(
        default=None, max_length=1000, description="footer of every email: the postal address"
    )
    sender_name: str | None = Field(default=None, min_length=1, max_length=200)
    email_from_address: EmailStr | None = Field(default=None, max_length=320)
    twilio_sms_from: E164Phone | None = None
    twilio_messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    twilio_whatsapp_from: E164Phone | None = None
    quiet_hours_start_h: Hour | None = None
    quiet_hours_end_h: Hour | None = None
    rate_limit_write_per_minute: PerMinute | None = None
    rate_limit_read_per_minute: PerMinute | None = None
    credentials: CredentialsIn | None = None

    @field_validator("name", "timezone")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        # A workspace always has a name and a timezone; there is nothing to inherit.
        if value is None:
            raise ValueError("cannot be null")
        return value

    def values(self) -> dict[str, Any]:
        """The settings sent, by name (credentials apart)."""
        return {
            name: getattr(self, name) for name in self.model_fields_set if name != "credentials"
        }

    def credential_changes(self) -> CredentialChanges:
        return self.credentials.changes() if self.credentials is not None else {}


class CredentialStatusOut(BaseModel):
    configured: bool


class CredentialsOut(BaseModel):
    sendgrid: CredentialStatusOut
    twilio: CredentialStatusOut


class WorkspaceSettingsOut(BaseModel):
    """The workspace's own settings; null: the deployment's value applies."""

    workspace: WorkspaceOut
    brand_name: str | None
    brand_primary_color: str | None
    brand_accent_color: str | None
    brand_logo_url: str | None
    brand_footer: str | None
    sender_name: str | None
    email_from_address: str | None
    twilio_sms_from: str | None
    twilio_messaging_service_sid: str | None
    twilio_whatsapp_from: str | None
    quiet_hours_start_h: int | None
    quiet_hours_end_h: int | None
    rate_limit_write_per_minute: int | None
    rate_limit_read_per_minute: int | None
    credentials: CredentialsOut = Field(description="never returned; only whether they are set")

    @classmethod
    def of(cls, view: SettingsView) -> WorkspaceSettingsOut:
        settings = view.settings
        return cls.model_validate(
            {
                **{name: getattr(settings, name) for name in SETTING_NAMES},
                "workspace": WorkspaceOut.model_validate(view.workspace, from_attributes=True),
                "credentials": {
                    "sendgrid": {"configured": settings.sendgrid_configured},
                    "twilio": {"configured": settings.twilio_configured},
                },
            }
        )


def settings_input(values: Mapping[str, Any]) -> WorkspaceSettingsIn:
    """The CLI's way in: the same model, from --set pairs or a JSON file."""
    return WorkspaceSettingsIn.model_validate(values)


# --------------------------------------------------------------------------- keys


class ApiKeyIn(StrictBody):
    name: str = Field(min_length=1, max_length=200, description="what the key is for")
    scopes: list[Scope] = Field(min_length=1)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="to the minute")

    @field_validator("scopes", mode="before")
    @classmethod
    def _sorted(cls, scopes: Any) -> Any:
        return sorted(scopes) if isinstance(scopes, frozenset | set) else scopes


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="the key itself: shown this once, never stored")


# --------------------------------------------------------------------------- audit


class AuditEntryOut(BaseModel):
    id: int
    actor: Actor
    key_id: str | None
    action: str = Field(description='the route ("POST /v1/appointments") or CLI command')
    target_id: str | None
    status_code: int
    created_at: datetime


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for older entries")
