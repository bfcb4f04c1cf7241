"""The one configuration object. Load it only in entrypoints (worker.py, api app factory,
the dev stack, bench) and pass what is needed down; never import it from workflows.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rebook.core.brand import (
    DEFAULT_ACCENT_COLOR,
    DEFAULT_PRIMARY_COLOR,
    Brand,
    hex_colour_problem,
)
from rebook.core.contracts import FollowUpPolicy
from rebook.credentials import CredentialCipher, parse_keys

# Served by api/routers/webhooks.py; here so the worker can build callback URLs without
# importing the API.
TWILIO_WEBHOOK_PATH = "/v1/webhooks/twilio"
SENDGRID_WEBHOOK_PATH = "/v1/webhooks/sendgrid"

# The product's sequence defaults live on FollowUpPolicy; the settings only override them.
_POLICY = FollowUpPolicy()
_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # as playbooks name templates


class Settings(BaseSettings):
    # Secrets are settings too: a bad value must not be echoed into a start-up log.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str = "sqlite:///.data/rebook.db"

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "rebook-appointments"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Bearer keys booking platforms must present on /v1 (comma-separated, so keys can be
    # rotated: add the new one, move the platforms over, drop the old one). They act on the
    # default workspace with every scope. Keys made with `rebook key create` live in the
    # database instead, bound to their workspace and scopes. No keys of either kind: open
    # (every request acts on the default workspace), which suits `make run` on loopback.
    api_keys: str = ""

    # Fernet keys (comma-separated, newest first: the first encrypts, all decrypt) that
    # encrypt workspaces' provider credentials at rest. Unset: storing credentials is
    # refused. Make one: python -c 'from cryptography.fernet import Fernet;
    # print(Fernet.generate_key().decode())'
    credentials_key: SecretStr | None = None

    # Requests a minute per API key, for writes (POST/PUT/DELETE) and reads (GET), unless
    # the workspace sets its own. A burst of up to a minute's allowance is let through.
    rate_limit_write_per_minute: int = Field(default=600, ge=1, le=1_000_000)
    rate_limit_read_per_minute: int = Field(default=1200, ge=1, le=1_000_000)

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    # Playbooks (the sequence, its copy and policy) come from the shipped defaults
    # (rebook/playbooks/defaults) and, when set, this directory: playbook YAML files, a
    # selection.yaml (which playbook an appointment runs) and a content_library.yaml. A
    # playbook here with a default's name and a higher version replaces it. Unset: the
    # shipped playbooks only.
    playbook_dir: Path | None = None

    # Replaced by the playbook's policy (quiet hours, reschedule limit) for every
    # appointment started since playbooks; they only reach the input of new workflows,
    # which ignore it. The worker warns when one is set (replaced_by_playbooks).
    reschedule_limit: int = Field(default=_POLICY.reschedule_limit, ge=1)
    quiet_hours_start_h: int = Field(default=_POLICY.quiet_hours_start_h, ge=0, le=23)
    quiet_hours_end_h: int = Field(default=_POLICY.quiet_hours_end_h, ge=0, le=23)

    def follow_up_policy(self) -> FollowUpPolicy:
        """The legacy policy put in a new workflow's input (see reschedule_limit)."""
        return FollowUpPolicy(
            reschedule_limit=self.reschedule_limit,
            quiet_hours_start_h=self.quiet_hours_start_h,
            quiet_hours_end_h=self.quiet_hours_end_h,
        )

    def replaced_by_playbooks(self) -> list[str]:
        """Options set away from their defaults that playbooks now decide instead."""
        return [
            name.upper()
            for name in ("reschedule_limit", "quiet_hours_start_h", "quiet_hours_end_h")
            if getattr(self, name) != getattr(_POLICY, name)
        ]

    # Email via SendGrid. Without an API key, email goes to the embedded outbox.
    sendgrid_api_key: str | None = None
    sendgrid_host: str = "https://api.sendgrid.com"
    email_from_address: str = "appointments@rebook.example"
    email_from_name: str = "Rebook"

    # SMS and WhatsApp via Twilio. Without credentials, they go to the embedded outbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_base_url: str | None = None  # override of https://api.twilio.com (tests, proxies)
    twilio_sms_from: str | None = None  # E.164 sender number
    twilio_messaging_service_sid: str | None = None  # alternative to a sender number
    twilio_whatsapp_from: str | None = None  # E.164, sent as whatsapp:+...
    # Rebook template name -> Twilio Content SID ("HX...") of its pre-approved WhatsApp
    # version, as JSON: {"no_show_followup": "HX..."}. Templates without one are sent as
    # free-form text, which WhatsApp delivers only within 24 h of the contact's last
    # message. Variables: PlaybookRenderer.whatsapp_template_variables
    # (rebook/playbooks/rendering.py).
    twilio_whatsapp_content_sids: dict[str, str] = Field(default_factory=dict)

    # Where providers reach this API from the internet (e.g. https://rebook.example.com).
    # Set: Twilio senders ask for status callbacks, and their signatures are checked
    # against this URL (behind a proxy the API cannot see the URL Twilio signed).
    # None: no status callbacks are requested.
    public_base_url: str | None = None
    # SendGrid Event Webhook verification key (base64, as SendGrid's settings page shows
    # it). Set: unsigned or wrongly signed webhook posts are refused. None: accepted (dev).
    sendgrid_webhook_public_key: str | None = None

    # HTTP timeout of each provider call (SendGrid, Twilio). A send that times out after
    # the request left is in doubt and reconciled, never blindly resent. At most 10 s: a
    # send must end well inside its activity's lease (activities/messaging.SEND_BUDGET).
    provider_timeout_s: float = Field(default=10.0, gt=0, le=10)
    # Delivery in doubt (a send whose outcome is unknown, e.g. a timeout after the request
    # left): how long it is reconciled with the provider before it is settled "unconfirmed"
    # (listed by GET /v1/communications?status=unconfirmed, never resent).
    delivery_reconcile_window_s: float = Field(default=600.0, ge=0)
    # How long after a Twilio send went in doubt an empty Messages list is believed (a
    # request our client gave up on may still be finishing at Twilio).
    twilio_lookup_settle_s: float = Field(default=60.0, ge=0)
    # The deployment's SendGrid account has the Email Activity API add-on: in-doubt emails
    # sent through it are looked up there. False (and for workspaces with their own
    # account): only Event Webhook events carrying our key settle them.
    sendgrid_email_activity: bool = False
    # How long after a send an email may still be missing from Email Activity (its index
    # lags); an empty answer is believed only after this.
    sendgrid_activity_lag_s: float = Field(default=300.0, ge=0)

    # The brand of every workspace that does not set its own (GET/PUT /v1/workspace/settings).
    brand_name: str = "Rebook"
    brand_primary_color: str = DEFAULT_PRIMARY_COLOR
    brand_accent_color: str = DEFAULT_ACCENT_COLOR
    brand_logo_url: str | None = None
    brand_footer: str | None = None  # e.g. the postal address commercial email must carry

    # Activity worker threads (provider SDKs and SQLAlchemy are synchronous).
    activity_threads: int = Field(default=32, ge=1)

    def brand(self) -> Brand:
        """The deployment's brand: what a workspace without its own renders in."""
        return Brand(
            name=self.brand_name,
            primary_color=self.brand_primary_color,
            accent_color=self.brand_accent_color,
            logo_url=self.brand_logo_url,
            footer=self.brand_footer,
        )

    def credential_cipher(self) -> CredentialCipher | None:
        """None without CREDENTIALS_KEY."""
        key = self.credentials_key.get_secret_value() if self.credentials_key else None
        return CredentialCipher.from_setting(key)

    @field_validator("credentials_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_keys(value.get_secret_value())  # raises ValueError naming the bad key
        return value

    @field_validator("brand_primary_color", "brand_accent_color")
    @classmethod
    def _hex_colour(cls, value: str) -> str:
        problem = hex_colour_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @property
    def twilio_status_callback_url(self) -> str | None:
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + TWILIO_WEBHOOK_PATH

    @field_validator("twilio_whatsapp_content_sids")
    @classmethod
    def _template_names(cls, mapping: dict[str, str]) -> dict[str, str]:
        # Templates are playbook data now, so only their spelling can be checked here.
        bad = sorted(name for name in mapping if not _TEMPLATE_NAME.match(name))
        if bad:
            raise ValueError(f"not template names: {bad}; use names such as no_show_followup")
        return mapping

    @property
    def sendgrid_enabled(self) -> bool:
        return bool(self.sendgrid_api_key)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)
