"""Delivery webhooks per workspace: a workspace's own provider account signs its webhooks
with its own token (Twilio) or key (SendGrid), posted to `?workspace=<id>`; the
deployment's account keeps the plain URL. Real provider signatures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from api.app import create_app
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import ProviderReceipt
from rebook.core.records import CommunicationRecord
from rebook.core.workspaces import (
    DEFAULT_WORKSPACE_ID,
    SendGridCredentials,
    TwilioCredentials,
    Workspace,
    WorkspaceId,
)
from rebook.credentials import CredentialCipher
from rebook.db.stores import CommunicationStore, WorkspaceSettingsStore
from rebook.delivery.callback_urls import with_idempotency_key
from rebook.delivery.registry import sender_config
from rebook.settings import Settings
from tests.api.test_webhooks import SendGridSigner
from tests.support.factories import appointment
from tests.support.rows import LEASE, draft, save_appointment
from tests.support.workspaces import add_workspace

KEY = Fernet.generate_key().decode()
PUBLIC = "https://rebook.example.com"
DEPLOYMENT_TOKEN, OWN_TOKEN = "deployment-token", "acme-own-token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def deployment_signer() -> SendGridSigner:
    return SendGridSigner()


@pytest.fixture
def settings(api_settings: Settings, deployment_signer: SendGridSigner) -> Settings:
    return api_settings.model_copy(
        update={
            "credentials_key": SecretStr(KEY),
            "public_base_url": PUBLIC,
            "twilio_auth_token": DEPLOYMENT_TOKEN,
            "sendgrid_webhook_public_key": deployment_signer.public_key,
        }
    )


@pytest.fixture
def client(settings: Settings, temporal_client: Client) -> Iterator[TestClient]:
    with TestClient(create_app(settings, temporal_client=temporal_client)) as client:
        yield client


def _own_accounts(
    sessions: sessionmaker[Session], workspace: Workspace, signer: SendGridSigner
) -> None:
    cipher = CredentialCipher.from_setting(KEY)
    assert cipher is not None
    WorkspaceSettingsStore(sessions, workspace.id).update(
        {},
        {
            "twilio": cipher.encrypt(TwilioCredentials("AC" + "e" * 32, OWN_TOKEN)),
            "sendgrid": cipher.encrypt(
                SendGridCredentials("SG.own", webhook_public_key=signer.public_key)
            ),
        },
    )


def _sent(
    sessions: sessionmaker[Session], workspace_id: WorkspaceId, channel: Channel, provider_id: str
) -> CommunicationRecord:
    apt = f"apt_{workspace_id}_{channel.value}"
    save_appointment(sessions, appointment(appointment_id=apt, external_id=apt), workspace_id)
    store = CommunicationStore(sessions, workspace_id)
    claim = store.claim(replace(draft(f"{apt}:step", appointment_id=apt), channel=channel), LEASE)
    provider = "twilio" if channel is Channel.SMS else "sendgrid"
    receipt = ProviderReceipt(provider, provider_id, CommunicationStatus.SENT)
    return store.complete(claim.record.id, receipt)


def _twilio(client: TestClient, query: str, sid: str, token: str) -> int:
    params = {"MessageSid": sid, "MessageStatus": "delivered"}
    url = f"{PUBLIC}/v1/webhooks/twilio{query}"
    signature = RequestValidator(token).compute_signature(url, params)
    response = client.post(
        f"/v1/webhooks/twilio{query}",
        content=urlencode(params),
        headers={**FORM, "X-Twilio-Signature": signature},
    )
    return int(response.status_code)


def _provider_status(
    sessions: sessionmaker[Session], workspace_id: WorkspaceId, message: CommunicationRecord
) -> str | None:
    [stored] = CommunicationStore(sessions, workspace_id).for_appointment(message.appointment_id)
    return stored.provider_status


def test_twilio_callbacks_of_a_workspaces_own_account_are_checked_with_its_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme")
    _own_accounts(sessions, acme, SendGridSigner())
    message = _sent(sessions, acme.id, Channel.SMS, "SMacme")
    query = f"?workspace={acme.id}"

    assert _twilio(client, query, "SMacme", DEPLOYMENT_TOKEN) == 401
    assert _provider_status(sessions, acme.id, message) is None
    assert _twilio(client, query, "SMacme", OWN_TOKEN) == 200
    assert _provider_status(sessions, acme.id, message) == "delivered"


def test_a_workspace_on_the_deployments_account_is_checked_with_the_deployments_token(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    bravo = add_workspace(sessions, "bravo")
    message = _sent(sessions, bravo.id, Channel.SMS, "SMbravo")
    default = _sent(sessions, DEFAULT_WORKSPACE_ID, Channel.SMS, "SMdefault")

    assert _twilio(client, f"?workspace={bravo.id}", "SMbravo", OWN_TOKEN) == 401
    assert _twilio(client, f"?workspace={bravo.id}", "SMbravo", DEPLOYMENT_TOKEN) == 200
    assert _twilio(client, "", "SMdefault", DEPLOYMENT_TOKEN) == 200
    assert _provider_status(sessions, bravo.id, message) == "delivered"
    assert _provider_status(sessions, DEFAULT_WORKSPACE_ID, default) == "delivered"


def test_an_unknown_workspace_is_404(client: TestClient) -> None:
    assert _twilio(client, "?workspace=ws_nowhere", "SMx", DEPLOYMENT_TOKEN) == 404


def test_sendgrid_events_of_a_workspaces_own_account_are_checked_with_its_key(
    client: TestClient, sessions: sessionmaker[Session], deployment_signer: SendGridSigner
) -> None:
    acme, own_signer = add_workspace(sessions, "acme"), SendGridSigner()
    _own_accounts(sessions, acme, own_signer)
    message = _sent(sessions, acme.id, Channel.EMAIL, "sg-acme")
    event = {
        "event": "delivered",
        "timestamp": int(datetime.now(UTC).timestamp()),
        "sg_message_id": "sg-acme.filter1",
        "idempotency_key": message.idempotency_key,
        "workspace_id": acme.id,
    }
    body = json.dumps([event]).encode()
    path = f"/v1/webhooks/sendgrid?workspace={acme.id}"

    forged = client.post(path, content=body, headers=deployment_signer.headers(body))
    signed = client.post(path, content=body, headers=own_signer.headers(body))

    assert forged.status_code == 401
    assert signed.json() == {"received": 1, "applied": 1}
    assert _provider_status(sessions, acme.id, message) == "delivered"


def test_an_own_account_without_its_key_is_never_accepted_unsigned(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme")
    cipher = CredentialCipher.from_setting(KEY)
    assert cipher is not None
    WorkspaceSettingsStore(sessions, acme.id).update(
        {}, {"sendgrid": cipher.encrypt(SendGridCredentials("SG.own"))}
    )
    body = b"[]"
    path = f"/v1/webhooks/sendgrid?workspace={acme.id}"

    unsigned = client.post(path, content=body, headers={"Content-Type": "application/json"})
    foreign = client.post(path, content=body, headers=SendGridSigner().headers(body))

    assert (unsigned.status_code, foreign.status_code) == (401, 401)


def test_a_callback_to_the_url_a_workspaces_sender_requests_settles_its_send_in_doubt(
    client: TestClient, settings: Settings, sessions: sessionmaker[Session]
) -> None:
    acme = add_workspace(sessions, "acme")
    _own_accounts(sessions, acme, SendGridSigner())
    apt = "apt_acme_in_doubt"
    save_appointment(sessions, appointment(appointment_id=apt, external_id=apt), acme.id)
    store = CommunicationStore(sessions, acme.id)
    claim = store.claim(
        replace(draft(f"{apt}:step", appointment_id=apt), channel=Channel.SMS), LEASE
    )
    store.mark_in_doubt(claim.record.id, LEASE.holder, "read timeout")
    # Exactly the StatusCallback acme's Twilio sender asks for: its workspace and our key.
    requested = sender_config(settings, workspace_id=acme.id)
    assert requested.twilio_status_callback is not None
    callback = with_idempotency_key(requested.twilio_status_callback, claim.record.idempotency_key)
    query = callback.removeprefix(f"{PUBLIC}/v1/webhooks/twilio")

    # The same key on the deployment's URL names no message of the default workspace.
    assert (
        _twilio(client, f"?idempotency_key={claim.record.idempotency_key}", "SMx", DEPLOYMENT_TOKEN)
        == 200
    )
    assert _twilio(client, query, "SMlate", OWN_TOKEN) == 200

    [row] = store.for_appointment(apt)
    assert (row.status, row.provider_message_id) == (CommunicationStatus.SENT, "SMlate")
