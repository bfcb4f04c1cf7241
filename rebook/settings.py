"""The one configuration object. Load it only in entrypoints (worker.py, api app factory,
the dev stack, bench) and pass what is needed down; never import it from workflows.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rebook.core.contracts import FollowUpPolicy
from rebook.core.steps import Template

# Served by api/routers/webhooks.py; here so the worker can build callback URLs without
# importing the API.
TWILIO_WEBHOOK_PATH = "/v1/webhooks/twilio"
SENDGRID_WEBHOOK_PATH = "/v1/webhooks/sendgrid"

# The product's sequence defaults live on FollowUpPolicy; the settings only override them.
_POLICY = FollowUpPolicy()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///.data/rebook.db"

    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "rebook-appointments"

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # Bearer keys booking platforms must present on /v1 (comma-separated, so keys can be
    # rotated: add the new one, move the platforms over, drop the old one). Empty: open,
    # which suits `make run` on loopback only.
    api_keys: str = ""

    @property
    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())

    # Sequence policy for every appointment (per appointment overrides are not exposed yet).
    reschedule_limit: int = Field(default=_POLICY.reschedule_limit, ge=1)
    # Contact-local hours in which later follow-ups are held back until the end hour
    # (equal values switch this off). The first follow-up after a miss is always immediate.
    quiet_hours_start_h: int = Field(default=_POLICY.quiet_hours_start_h, ge=0, le=23)
    quiet_hours_end_h: int = Field(default=_POLICY.quiet_hours_end_h, ge=0, le=23)

    def follow_up_policy(self) -> FollowUpPolicy:
        """The policy every new workflow starts with (running ones keep theirs)."""
        return FollowUpPolicy(
            reschedule_limit=self.reschedule_limit,
            quiet_hours_start_h=self.quiet_hours_start_h,
            quiet_hours_end_h=self.quiet_hours_end_h,
        )

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
    # message. Variables: rebook/core/messages/template_variables.py.
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
    # The account has SendGrid's Email Activity API add-on: in-doubt emails are looked up
    # there. False: only Event Webhook events carrying our key settle them.
    sendgrid_email_activity: bool = False
    # How long after a send an email may still be missing from Email Activity (its index
    # lags); an empty answer is believed only after this.
    sendgrid_activity_lag_s: float = Field(default=300.0, ge=0)

    brand_name: str = "Rebook"

    # Activity worker threads (provider SDKs and SQLAlchemy are synchronous).
    activity_threads: int = Field(default=32, ge=1)

    @property
    def twilio_status_callback_url(self) -> str | None:
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + TWILIO_WEBHOOK_PATH

    @field_validator("twilio_whatsapp_content_sids")
    @classmethod
    def _known_templates(cls, mapping: dict[str, str]) -> dict[str, str]:
        # A misspelt name would never match and silently fall back to free-form text.
        unknown = sorted(set(mapping) - {t.value for t in Template})
        if unknown:
            raise ValueError(f"unknown template names {unknown}; use {[t.value for t in Template]}")
        return mapping

    @property
    def sendgrid_enabled(self) -> bool:
        return bool(self.sendgrid_api_key)

    @property
    def twilio_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)
