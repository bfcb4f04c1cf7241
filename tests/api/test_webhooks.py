"""Delivery webhooks: SendGrid Event Webhook and Twilio status callbacks update the
communications they are about, with real provider signatures."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from twilio.request_validator import RequestValidator

from api.app import create_app
from rebook.core.domain import Channel
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication, ContactOptOut
from rebook.db.stores import CommunicationStore
from rebook.delivery.callback_urls import with_idempotency_key
from rebook.settings import Settings
from tests.support.rows import add_appointment

SENDGRID_PATH = "/v1/webhooks/sendgrid"
TWILIO_PATH = "/v1/webhooks/twilio"
T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
TWILIO_TOKEN = "twilio-auth-token"
PUBLIC_BASE_URL = "https://rebook.example.com"

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_with(api_settings: Settings, temporal_client: Client) -> Iterator[ClientFactory]:
    """The app with extra settings; webhooks never reach Temporal."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> TestClient:
        app = create_app(api_settings.model_copy(update=settings), temporal_client=temporal_client)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(client_with: ClientFactory) -> TestClient:
    """Signatures not configured (development): webhooks accepted unsigned."""
    return client_with()


@pytest.fixture
def add_message(sessions: sessionmaker[Session]) -> Callable[..., Communication]:
    """Insert a sent message (with its contact and appointment) as the activity would."""

    def add(channel: str = "email", **changes: Any) -> Communication:
        suffix = uuid.uuid4().hex[:10]
        contact_id, appointment_id = f"c-{suffix}", f"apt_{suffix}"
        values: dict[str, Any] = {
            "id": f"com_{suffix}",
            "workspace_id": DEFAULT_WORKSPACE_ID,
            "idempotency_key": f"{appointment_id}:follow_up:{channel}",
            "appointment_id": appointment_id,
            "contact_id": contact_id,
            "recipient": "contact",
            "step": "follow_up",
            "template": "follow_up",
            "channel": channel,
            "variant": "a",
            "to_address": "ada@example.com" if channel == "email" else "+14155550123",
            "subject": "We missed you",
            "body": "Pick a new time",
            "status": "sent",
            "provider": "sendgrid" if channel == "email" else "twilio",
            "provider_message_id": f"msg-{suffix}" if channel == "email" else f"SM{suffix}",
            "attempts": 1,
            "scheduled_for": T0,
            "sent_at": T0,
            "created_at": T0,
        }
        values.update(changes)
        add_appointment(sessions, appointment_id, contact_id)
        with sessions.begin() as session:
            session.add(Communication(**values))
        return _reload(sessions, values["id"])

    return add


def _reload(sessions: sessionmaker[Session], communication_id: str) -> Communication:
    with sessions() as session:
        row = session.get(Communication, communication_id)
        assert row is not None
        session.expunge(row)
        return row


def _opt_outs(sessions: sessionmaker[Session], contact_id: str) -> set[Channel]:
    return CommunicationStore(sessions, DEFAULT_WORKSPACE_ID).opted_out_channels(contact_id)


def _sendgrid_event(message: Communication, event: str, at: datetime, **extra: Any) -> Any:
    return {
        "email": message.to_address,
        "event": event,
        "timestamp": int(at.timestamp()),
        "sg_message_id": f"{message.provider_message_id}.filterdrecv-5645d9c87f-6r2ch.1.0",
        "sg_event_id": uuid.uuid4().hex,
        "idempotency_key": message.idempotency_key,
        **extra,
    }


# ---------------------------------------------------------------------------- SendGrid


def test_sendgrid_milestones_keep_the_first_time_whatever_the_order(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message()
    later, first = T0 + timedelta(minutes=30), T0 + timedelta(minutes=1)
    batches = [
        [_sendgrid_event(message, "open", later), _sendgrid_event(message, "click", later)],
        [_sendgrid_event(message, "delivered", first), _sendgrid_event(message, "open", first)],
        [_sendgrid_event(message, "delivered", later), _sendgrid_event(message, "click", first)],
    ]

    for batch in batches:
        response = client.post(SENDGRID_PATH, json=batch)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": 2, "applied": 2}

    row = _reload(sessions, message.id)
    assert (row.delivered_at, row.opened_at, row.clicked_at) == (first, first, first)
    assert row.provider_status == "clicked"


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (["delivered", "processed"], "delivered"),
        (["processed", "deferred", "delivered"], "delivered"),
        (["click", "open", "delivered", "processed"], "clicked"),
        (["delivered", "bounce", "delivered"], "bounced"),
        (["processed", "dropped"], "dropped"),
        (["open", "unsubscribe", "click"], "unsubscribed"),
    ],
)
def test_sendgrid_provider_status_is_the_most_significant_state_seen(
    client: TestClient,
    add_message: Callable[..., Communication],
    sessions: Any,
    events: list[str],
    expected: str,
) -> None:
    message = add_message()

    for event in events:
        assert client.post(SENDGRID_PATH, json=[_sendgrid_event(message, event, T0)]).is_success

    assert _reload(sessions, message.id).provider_status == expected


def test_sendgrid_bounce_keeps_the_reason(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message()

    client.post(
        SENDGRID_PATH,
        json=[_sendgrid_event(message, "bounce", T0, reason="550 5.1.1 user unknown")],
    )

    row = _reload(sessions, message.id)
    assert row.provider_status == "bounced"
    assert row.error == "SendGrid bounce: 550 5.1.1 user unknown"
    assert _opt_outs(sessions, row.contact_id) == set()  # a bounce is not an opt-out


def test_sendgrid_matches_by_message_id_without_our_custom_arg(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message()
    event = _sendgrid_event(message, "delivered", T0)
    del event["idempotency_key"]

    assert client.post(SENDGRID_PATH, json=[event]).json() == {"received": 1, "applied": 1}
    assert _reload(sessions, message.id).delivered_at == T0


@pytest.mark.parametrize("event", ["unsubscribe", "group_unsubscribe", "spamreport"])
def test_sendgrid_unsubscribe_and_spam_report_opt_the_contact_out_of_email(
    client: TestClient,
    add_message: Callable[..., Communication],
    sessions: sessionmaker[Session],
    event: str,
) -> None:
    message = add_message()

    for _ in range(2):  # a repeat is harmless
        assert client.post(SENDGRID_PATH, json=[_sendgrid_event(message, event, T0)]).is_success

    assert _opt_outs(sessions, message.contact_id) == {Channel.EMAIL}
    with sessions() as session:
        opt_out = session.get(ContactOptOut, (DEFAULT_WORKSPACE_ID, message.contact_id, "email"))
        assert opt_out is not None
        assert "sendgrid" in opt_out.reason


def test_sendgrid_unknown_messages_and_event_types_are_acknowledged_and_ignored(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message()
    unknown = {
        "event": "delivered",
        "timestamp": 1,
        "sg_message_id": "not-ours.filter",
        "idempotency_key": "not-ours",
    }
    batch = [
        unknown,
        _sendgrid_event(message, "machine_opened", T0),
        {"event": "open", "timestamp": 1},
    ]

    response = client.post(SENDGRID_PATH, json=batch)

    assert response.status_code == 200
    assert response.json() == {"received": 3, "applied": 0}
    assert _reload(sessions, message.id).provider_status is None


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"event": "open"}', b'[{"timestamp": 1}]', b'[{"event": "open"}]',
     b'[{"event": "open", "timestamp": 99999999999999999999}]', b"",
     b"\xff\xfe\x00 not even UTF-8", b'[{"event": "open", "timestamp": false}]',
     b'[{"event": "open", "timestamp": "1700000000"}]',
     b'[{"event": "op\\ud800en", "timestamp": 1}]', b'[{"event": "open\\u0000", "timestamp": 1}]'],
)  # fmt: skip
def test_sendgrid_malformed_body_is_422(client: TestClient, body: bytes) -> None:
    response = client.post(
        SENDGRID_PATH, content=body, headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 422, response.text
    assert isinstance(response.json()["detail"], list)


class SendGridSigner:
    """What SendGrid does: ECDSA P-256 / SHA-256 over timestamp + raw body."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        der = self._key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        self.public_key = base64.b64encode(der).decode("ascii")  # as SendGrid's UI shows it

    def headers(self, body: bytes, timestamp: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(datetime.now(UTC).timestamp()))
        signature = self._key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        }


def test_sendgrid_signed_events_are_accepted_and_forged_ones_refused(
    client_with: ClientFactory, add_message: Callable[..., Communication], sessions: Any
) -> None:
    signer = SendGridSigner()
    client = client_with(sendgrid_webhook_public_key=signer.public_key)
    message = add_message()
    body = json.dumps([_sendgrid_event(message, "delivered", T0)]).encode()
    signed = signer.headers(body)
    forged = json.dumps([_sendgrid_event(message, "spamreport", T0)]).encode()

    refused = [
        client.post(SENDGRID_PATH, content=forged, headers=signed),  # body changed
        client.post(SENDGRID_PATH, content=body, headers=SendGridSigner().headers(body)),
        client.post(SENDGRID_PATH, content=body, headers={"Content-Type": "application/json"}),
        client.post(
            SENDGRID_PATH,
            content=body,
            headers={**signed, "X-Twilio-Email-Event-Webhook-Signature": "%%not base64"},
        ),
    ]
    accepted = client.post(SENDGRID_PATH, content=body, headers=signed)

    assert [r.status_code for r in refused] == [401] * 4
    assert accepted.status_code == 200, accepted.text
    row = _reload(sessions, message.id)
    assert (row.delivered_at, row.provider_status) == (T0, "delivered")
    assert _opt_outs(sessions, message.contact_id) == set()


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_sendgrid_signed_events_outside_five_minutes_are_refused_as_replays(
    client_with: ClientFactory,
    add_message: Callable[..., Communication],
    sessions: Any,
    age: timedelta,
) -> None:
    signer = SendGridSigner()
    client = client_with(sendgrid_webhook_public_key=signer.public_key)
    message = add_message()
    body = json.dumps([_sendgrid_event(message, "spamreport", T0)]).encode()
    signed_then = str(int((datetime.now(UTC) - age).timestamp()))

    replayed = client.post(SENDGRID_PATH, content=body, headers=signer.headers(body, signed_then))

    assert replayed.status_code == 401, replayed.text
    assert "replays" in replayed.json()["detail"]
    row = _reload(sessions, message.id)
    assert (row.delivered_at, row.provider_status) == (None, None)
    assert _opt_outs(sessions, message.contact_id) == set()


def test_sendgrid_event_with_our_key_settles_a_send_in_doubt(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message(
        status="checking", provider=None, provider_message_id=None, sent_at=None, in_doubt_since=T0
    )
    event = {
        **_sendgrid_event(message, "processed", T0),
        "sg_message_id": "sg-found.filter0001.1.0",
    }

    response = client.post(SENDGRID_PATH, json=[event])

    assert response.json() == {"received": 1, "applied": 1}
    row = _reload(sessions, message.id)
    assert (row.status, row.provider, row.provider_message_id) == ("sent", "sendgrid", "sg-found")


def test_webhooks_need_no_api_key(client_with: ClientFactory) -> None:
    client = client_with(api_keys="secret")

    assert client.post(SENDGRID_PATH, json=[]).status_code == 200
    assert client.post(TWILIO_PATH, data={"MessageSid": "SMx", "MessageStatus": "sent"}).is_success
    assert client.get("/v1/appointments/apt_x").status_code == 401  # the rest still does


# ---------------------------------------------------------------------------- Twilio


def _status(message: Communication, status: str, **extra: str) -> dict[str, str]:
    return {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": str(message.provider_message_id),
        "MessageStatus": status,
        "To": message.to_address,
        **extra,
    }


def test_twilio_delivered_and_read_set_their_first_times(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message("whatsapp")

    for status in ("sent", "delivered", "read", "delivered", "sent"):
        response = client.post(TWILIO_PATH, data=_status(message, status))
        assert response.json() == {"received": 1, "applied": 1}
        if status == "read":
            after_read = _reload(sessions, message.id)

    row = _reload(sessions, message.id)
    assert row.provider_status == "opened"
    assert row.delivered_at is not None and row.opened_at is not None
    assert row.delivered_at <= row.opened_at
    assert (row.delivered_at, row.opened_at) == (after_read.delivered_at, after_read.opened_at)


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
def test_twilio_21610_opts_the_contact_out_of_that_channel(
    client: TestClient,
    add_message: Callable[..., Communication],
    sessions: sessionmaker[Session],
    channel: str,
) -> None:
    message = add_message(channel)

    client.post(TWILIO_PATH, data=_status(message, "failed", ErrorCode="21610"))

    row = _reload(sessions, message.id)
    assert row.provider_status == "failed"
    assert row.error is not None and "21610" in row.error
    assert _opt_outs(sessions, message.contact_id) == {Channel(channel)}


def test_twilio_undelivered_keeps_the_error_code_without_opting_out(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message("sms")

    client.post(TWILIO_PATH, data=_status(message, "undelivered", ErrorCode="30003"))
    client.post(TWILIO_PATH, data=_status(message, "sent"))  # late, must not hide it

    row = _reload(sessions, message.id)
    assert row.provider_status == "undelivered"
    assert row.error == "Twilio undelivered (error 30003)"
    assert _opt_outs(sessions, message.contact_id) == set()


def test_twilio_matches_only_its_own_messages(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    email = add_message("email", provider_message_id="SMsame")

    unknown = client.post(TWILIO_PATH, data={"MessageSid": "SMnope", "MessageStatus": "failed"})
    other_provider = client.post(
        TWILIO_PATH, data={"MessageSid": "SMsame", "MessageStatus": "delivered"}
    )
    unknown_status = client.post(
        TWILIO_PATH, data={"MessageSid": "SMsame", "MessageStatus": "receiving"}
    )

    for response in (unknown, other_provider, unknown_status):
        assert response.status_code == 200
        assert response.json()["applied"] == 0
    assert _reload(sessions, email.id).delivered_at is None


def test_a_repeated_twilio_callback_changes_nothing(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message("sms")
    callback = _status(message, "delivered")
    client.post(TWILIO_PATH, data=callback)
    once = _reload(sessions, message.id)

    again = client.post(TWILIO_PATH, data=callback)

    assert again.status_code == 200
    twice = _reload(sessions, message.id)
    assert {c: getattr(twice, c) for c in _COLUMNS} == {c: getattr(once, c) for c in _COLUMNS}
    assert _opt_outs(sessions, message.contact_id) == set()


_COLUMNS = [
    column.name for column in Communication.__table__.columns if column.name != "updated_at"
]


def test_twilio_callback_naming_our_key_settles_a_send_in_doubt(
    client: TestClient, add_message: Callable[..., Communication], sessions: Any
) -> None:
    message = add_message(
        "sms",
        status="unconfirmed",
        provider=None,
        provider_message_id=None,
        sent_at=None,
        in_doubt_since=T0,
    )
    query = urlencode({"idempotency_key": message.idempotency_key})

    response = client.post(
        f"{TWILIO_PATH}?{query}", data={"MessageSid": "SMlate", "MessageStatus": "delivered"}
    )

    assert response.json() == {"received": 1, "applied": 1}
    row = _reload(sessions, message.id)
    assert (row.status, row.provider_message_id, row.provider_status) == (
        "sent",
        "SMlate",
        "delivered",
    )


@pytest.mark.parametrize(
    "body",
    ["", "MessageStatus=delivered", "MessageSid=SM1", "%%%", "MessageSid=&MessageStatus=",
     "MessageSid=SM%00&MessageStatus=sent", "MessageSid=SM%ED%A0%80&MessageStatus=sent"],
)  # fmt: skip
def test_twilio_malformed_body_is_422(client: TestClient, body: str) -> None:
    response = client.post(
        TWILIO_PATH, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 422, response.text


def _twilio_signature(url: str, params: dict[str, str], token: str = TWILIO_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def test_twilio_signature_over_the_public_url_is_accepted_and_others_refused(
    client_with: ClientFactory, add_message: Callable[..., Communication], sessions: Any
) -> None:
    client = client_with(twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC_BASE_URL + "/")
    message = add_message("sms")
    params = _status(message, "delivered")
    public_url = PUBLIC_BASE_URL + TWILIO_PATH
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def post(signature: str | None, data: dict[str, str] = params) -> int:
        headers = {**form, "X-Twilio-Signature": signature} if signature is not None else form
        return int(client.post(TWILIO_PATH, content=urlencode(data), headers=headers).status_code)

    refused = [
        post(None),
        post(_twilio_signature(public_url, params, token="other-token")),
        post(_twilio_signature("http://testserver" + TWILIO_PATH, params)),  # not the public URL
        post(_twilio_signature(public_url, params), {**params, "MessageStatus": "failed"}),
    ]
    accepted = post(_twilio_signature(public_url, params))

    assert refused == [401] * 4
    assert accepted == 200
    assert _reload(sessions, message.id).provider_status == "delivered"


def test_twilio_signature_covers_the_query_string(
    client_with: ClientFactory, add_message: Callable[..., Communication]
) -> None:
    client = client_with(twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC_BASE_URL)
    message = add_message("sms")
    params = _status(message, "delivered")
    url = f"{PUBLIC_BASE_URL}{TWILIO_PATH}?attempt=1"

    response = client.post(
        f"{TWILIO_PATH}?attempt=1",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": _twilio_signature(url, params),
        },
    )

    assert response.status_code == 200


# ---------------------------------------------------------------------------- the log


def test_communication_log_shows_what_providers_reported(
    client: TestClient, add_message: Callable[..., Communication]
) -> None:
    message = add_message()
    client.post(
        SENDGRID_PATH,
        json=[_sendgrid_event(message, "delivered", T0), _sendgrid_event(message, "open", T0)],
    )

    response = client.get(f"/v1/appointments/{message.appointment_id}/communications")

    assert response.status_code == 200
    [logged] = response.json()
    assert logged["provider_status"] == "opened"
    assert datetime.fromisoformat(logged["delivered_at"]) == T0
    assert datetime.fromisoformat(logged["opened_at"]) == T0
    assert logged["clicked_at"] is None


def test_follow_up_report_counts_delivered_opened_and_clicked_messages(
    client: TestClient, add_message: Callable[..., Communication]
) -> None:
    opened, clicked, _silent = add_message(), add_message(), add_message()
    client.post(
        SENDGRID_PATH,
        json=[
            _sendgrid_event(opened, "delivered", T0),
            _sendgrid_event(opened, "open", T0),
            _sendgrid_event(clicked, "delivered", T0),
            _sendgrid_event(clicked, "open", T0),
            _sendgrid_event(clicked, "click", T0),
        ],
    )

    report = client.get("/v1/reports/follow-ups").json()

    [email_sent] = [
        d for d in report["deliveries"] if (d["channel"], d["status"]) == ("email", "sent")
    ]
    assert (email_sent["messages"], email_sent["delivered"]) == (3, 2)
    assert (email_sent["opened"], email_sent["clicked"]) == (2, 1)


def test_a_signed_callback_to_the_url_our_senders_request_is_accepted(
    client_with: ClientFactory, add_message: Callable[..., Communication], sessions: Any
) -> None:
    client = client_with(twilio_auth_token=TWILIO_TOKEN, public_base_url=PUBLIC_BASE_URL)
    message = add_message("sms")
    params = _status(message, "delivered")
    # Exactly the StatusCallback a Twilio sender asks for: our key percent-encoded.
    callback = with_idempotency_key(PUBLIC_BASE_URL + TWILIO_PATH, message.idempotency_key)

    response = client.post(
        callback.removeprefix(PUBLIC_BASE_URL),
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": _twilio_signature(callback, params),
        },
    )

    assert response.status_code == 200, response.text
    assert response.json()["applied"] == 1
