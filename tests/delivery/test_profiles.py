"""Each workspace's messages go out in its own brand, from its own senders and, when it has
them, on its own provider accounts; the deployment's Settings fill in the rest. Real
SendGrid and Twilio SDKs against the local fakes."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import ActivityEnvironment

from activities.workspaces import WorkspaceActivities
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import DeliveryProfile
from rebook.core.steps import Template
from rebook.core.workspaces import (
    DEFAULT_WORKSPACE_ID,
    SendGridCredentials,
    TwilioCredentials,
    Workspace,
    WorkspaceId,
)
from rebook.credentials import CredentialCipher, CredentialsKeyMissing
from rebook.db.stores import CommunicationStore, WorkspaceSettingsStore
from rebook.delivery.callback_urls import with_idempotency_key
from rebook.delivery.outbox import OutboxSender
from rebook.delivery.profiles import DeliveryProfiles
from rebook.settings import Settings
from tests.support.factories import appointment
from tests.support.fakes import (
    SENDGRID_API_KEY,
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    FakeSendGrid,
    FakeTwilio,
)
from tests.support.messages import delivery, rendered, shipped_catalog
from tests.support.rows import save_appointment
from tests.support.workspaces import add_workspace
from worker import activities_on

KEY = Fernet.generate_key().decode()
OWN_SID, OWN_TOKEN = "AC" + "c" * 32, "own-auth-token"


@pytest.fixture
def settings(fake_sendgrid: FakeSendGrid, fake_twilio: FakeTwilio, database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database_url,
        credentials_key=SecretStr(KEY),
        sendgrid_api_key=SENDGRID_API_KEY,
        sendgrid_host=fake_sendgrid.base_url,
        email_from_address="appointments@rebook.example",
        email_from_name="Rebook",
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_base_url=fake_twilio.base_url,
        twilio_sms_from="+15005550006",
        twilio_whatsapp_from=None,
        public_base_url="https://rebook.example.com",
        brand_name="Rebook",
    )


@pytest.fixture
def profiles(settings: Settings, sessions: sessionmaker[Session]) -> DeliveryProfiles:
    return DeliveryProfiles(
        settings,
        lambda workspace_id: WorkspaceSettingsStore(sessions, workspace_id),
        settings.credential_cipher(),
    )


@pytest.fixture
def acme(sessions: sessionmaker[Session]) -> Workspace:
    return add_workspace(sessions, "acme")


def _configure(
    sessions: sessionmaker[Session],
    workspace_id: WorkspaceId,
    credentials: Any = None,
    **values: Any,
) -> None:
    cipher = CredentialCipher.from_setting(KEY)
    assert cipher is not None
    tokens = {}
    for provider, given in (credentials or {}).items():
        tokens[provider] = cipher.encrypt(given)
    WorkspaceSettingsStore(sessions, workspace_id).update(values, tokens)


def _send_email_and_sms(profiles: DeliveryProfiles, workspace_id: WorkspaceId) -> DeliveryProfile:
    profile = profiles(workspace_id)
    profile.senders[Channel.EMAIL].send(rendered(Channel.EMAIL))
    profile.senders[Channel.SMS].send(rendered(Channel.SMS))
    return profile


def test_the_default_workspace_sends_as_the_deployment(
    profiles: DeliveryProfiles, fake_sendgrid: FakeSendGrid, fake_twilio: FakeTwilio
) -> None:
    profile = _send_email_and_sms(profiles, DEFAULT_WORKSPACE_ID)

    [mail] = fake_sendgrid.mails
    assert mail["from"] == {"email": "appointments@rebook.example", "name": "Rebook"}
    assert mail["custom_args"]["workspace_id"] == DEFAULT_WORKSPACE_ID
    [sms] = fake_twilio.messages
    assert sms["From"] == "+15005550006"
    # The plain URL (as before workspaces), naming the message by our key.
    assert sms["StatusCallback"] == with_idempotency_key(
        "https://rebook.example.com/v1/webhooks/twilio", rendered(Channel.SMS).idempotency_key
    )
    assert profile.brand.name == "Rebook"


def test_a_workspace_overrides_brand_and_senders_on_the_deployments_accounts(
    profiles: DeliveryProfiles,
    sessions: sessionmaker[Session],
    acme: Workspace,
    fake_sendgrid: FakeSendGrid,
    fake_twilio: FakeTwilio,
) -> None:
    _configure(
        sessions,
        acme.id,
        brand_name="Acme Dental",
        brand_primary_color="#0a7d5a",
        brand_footer="Acme Dental, 1 Main St",
        email_from_address="hello@acme.example",
        twilio_sms_from="+15005550099",
    )

    profile = _send_email_and_sms(profiles, acme.id)

    assert (profile.brand.name, profile.brand.primary_color) == ("Acme Dental", "#0a7d5a")
    assert profile.brand.accent_color == Settings(_env_file=None).brand_accent_color  # type: ignore[call-arg]
    [mail] = fake_sendgrid.mails
    assert mail["from"] == {"email": "hello@acme.example", "name": "Acme Dental"}
    assert mail["custom_args"]["workspace_id"] == acme.id
    assert fake_sendgrid.accepted[0].headers["authorization"] == f"Bearer {SENDGRID_API_KEY}"
    [sms] = fake_twilio.messages
    assert sms["From"] == "+15005550099"
    assert sms["StatusCallback"] == with_idempotency_key(
        f"https://rebook.example.com/v1/webhooks/twilio?workspace={acme.id}",
        rendered(Channel.SMS).idempotency_key,
    )


def test_a_workspace_with_its_own_accounts_sends_on_them_only(
    profiles: DeliveryProfiles,
    sessions: sessionmaker[Session],
    acme: Workspace,
    fake_sendgrid: FakeSendGrid,
    fake_twilio: FakeTwilio,
) -> None:
    _configure(
        sessions,
        acme.id,
        {
            "sendgrid": SendGridCredentials(api_key="SG.acme-own-key"),
            "twilio": TwilioCredentials(account_sid=OWN_SID, auth_token=OWN_TOKEN),
        },
        email_from_address="hello@acme.example",
        twilio_messaging_service_sid="MG" + "d" * 32,
    )

    profile = _send_email_and_sms(profiles, acme.id)

    assert fake_sendgrid.accepted[0].headers["authorization"] == "Bearer SG.acme-own-key"
    assert FakeTwilio.basic_auth(fake_twilio.accepted[0]) == (OWN_SID, OWN_TOKEN)
    [sms] = fake_twilio.messages
    assert sms["MessagingServiceSid"] == "MG" + "d" * 32 and "From" not in sms
    # The deployment's WhatsApp number is not on Acme's account: no WhatsApp sender.
    assert isinstance(profile.senders[Channel.WHATSAPP], OutboxSender)


def test_unreadable_credentials_stop_the_send_instead_of_using_another_account(
    settings: Settings, sessions: sessionmaker[Session], acme: Workspace
) -> None:
    _configure(sessions, acme.id, {"twilio": TwilioCredentials(OWN_SID, OWN_TOKEN)})
    keyless = DeliveryProfiles(
        settings, lambda workspace_id: WorkspaceSettingsStore(sessions, workspace_id), None
    )

    with pytest.raises(CredentialsKeyMissing):
        keyless(acme.id)


def test_profiles_and_their_clients_are_reused(profiles: DeliveryProfiles, acme: Workspace) -> None:
    first, again = profiles(acme.id), profiles(acme.id)

    assert first is again
    assert first.senders is again.senders


def test_the_worker_renders_and_records_each_message_in_its_workspace(
    profiles: DeliveryProfiles,
    sessions: sessionmaker[Session],
    acme: Workspace,
    fake_sendgrid: FakeSendGrid,
) -> None:
    _configure(sessions, acme.id, brand_name="Acme Dental", brand_footer="1 Main St")
    details = appointment(appointment_id="apt_acme")
    save_appointment(sessions, details, acme.id)
    activities: WorkspaceActivities = activities_on(sessions, profiles, shipped_catalog())
    request = delivery(Template.BOOKING_CONFIRMATION, Channel.EMAIL, details, workspace_id=acme.id)

    result = ActivityEnvironment().run(activities.deliver_message, request)

    assert result.status is CommunicationStatus.SENT
    [mail] = fake_sendgrid.mails
    html = next(c["value"] for c in mail["content"] if c["type"] == "text/html")
    assert "Acme Dental" in html and "1 Main St" in html
    [stored] = CommunicationStore(sessions, acme.id).for_appointment("apt_acme")
    assert stored.id == result.communication_id
    assert CommunicationStore(sessions, DEFAULT_WORKSPACE_ID).for_appointment("apt_acme") == []
