"""Signing against the Standard Webhooks spec's published vector and against an
independent implementation of the algorithm written here from the spec's text."""

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rebook.outbound.signing import (
    InvalidWebhookSecret,
    SignedWebhook,
    WebhookSignatureError,
    generate_secret,
    message_id_for,
    sign,
    validate_secret,
    verify,
)

# The vector of the spec repository's libraries (standard-webhooks/standard-webhooks,
# libraries/python/tests/test_webhooks.py::test_sign_function and the Go, JS... twins).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_MESSAGE_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIMESTAMP = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def reference_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The spec's algorithm, independently: HMAC-SHA256 keyed with the base64-decoded
    secret (after "whsec_") over "{id}.{timestamp}.{body}", base64, prefixed "v1,"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_the_spec_vector():
    signed = sign(
        SPEC_BODY,
        message_id=SPEC_MESSAGE_ID,
        timestamp=datetime.fromtimestamp(SPEC_TIMESTAMP, UTC),
        secrets=[SPEC_SECRET],
    )

    assert signed.signature == SPEC_SIGNATURE
    assert signed.timestamp == SPEC_TIMESTAMP
    assert reference_signature(SPEC_SECRET, SPEC_MESSAGE_ID, SPEC_TIMESTAMP, SPEC_BODY) == (
        SPEC_SIGNATURE
    )


@given(
    key=st.binary(min_size=24, max_size=64),
    body=st.binary(max_size=2000),
    seconds=st.integers(min_value=0, max_value=4_000_000_000),
    event=st.text(max_size=40),
)
def test_signatures_match_the_reference_algorithm(key, body, seconds, event):
    secret = "whsec_" + base64.b64encode(key).decode()
    message_id = message_id_for(event)
    moment = datetime.fromtimestamp(seconds, UTC)

    signed = sign(body, message_id=message_id, timestamp=moment, secrets=[secret])

    assert signed.signature == reference_signature(secret, message_id, seconds, body)
    assert signed.body == body


def test_sub_second_timestamps_are_floored_as_the_header_says():
    moment = datetime.fromtimestamp(SPEC_TIMESTAMP, UTC) + timedelta(milliseconds=999)
    signed = sign(SPEC_BODY, message_id=SPEC_MESSAGE_ID, timestamp=moment, secrets=[SPEC_SECRET])
    assert signed.signature == SPEC_SIGNATURE
    assert signed.headers()["webhook-timestamp"] == str(SPEC_TIMESTAMP)


def test_headers_of_a_delivery():
    signed = SignedWebhook("msg_1", 1700000000, "v1,abc", b"{}")
    assert signed.headers() == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1,abc",
        "content-type": "application/json",
    }


def test_a_rotating_endpoint_gets_one_signature_per_secret():
    new, old = generate_secret(), generate_secret()
    now = datetime.now(UTC)
    signed = sign(b'{"a":1}', message_id="msg_x", timestamp=now, secrets=[new, old])

    signatures = signed.signature.split(" ")
    assert signatures == [
        reference_signature(new, "msg_x", signed.timestamp, b'{"a":1}'),
        reference_signature(old, "msg_x", signed.timestamp, b'{"a":1}'),
    ]
    # A receiver still on the old secret and one already on the new both accept it.
    verify(old, signed.body, signed.headers())
    verify(new, signed.body, signed.headers())


def test_verify_accepts_a_fresh_delivery_with_headers_in_any_case():
    secret = generate_secret()
    signed = sign(b'{"ok":true}', message_id="msg_1", timestamp=datetime.now(UTC), secrets=[secret])
    headers = {name.title(): value for name, value in signed.headers().items()}

    verify(secret, signed.body, headers)


def test_verify_refuses_an_altered_body():
    secret = generate_secret()
    signed = sign(b'{"ok":true}', message_id="msg_1", timestamp=datetime.now(UTC), secrets=[secret])
    with pytest.raises(WebhookSignatureError):
        verify(secret, b'{"ok":false}', signed.headers())


def test_verify_refuses_another_secret():
    signed = sign(
        b"{}", message_id="msg_1", timestamp=datetime.now(UTC), secrets=[generate_secret()]
    )
    with pytest.raises(WebhookSignatureError):
        verify(generate_secret(), signed.body, signed.headers())


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_verify_refuses_stale_and_future_timestamps(offset):
    secret = generate_secret()
    moment = datetime.now(UTC) + offset
    signed = sign(b"{}", message_id="msg_1", timestamp=moment, secrets=[secret])
    with pytest.raises(WebhookSignatureError, match="too"):
        verify(secret, signed.body, signed.headers())


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_verify_refuses_missing_headers(missing):
    secret = generate_secret()
    signed = sign(b"{}", message_id="msg_1", timestamp=datetime.now(UTC), secrets=[secret])
    headers = {k: v for k, v in signed.headers().items() if k != missing}
    with pytest.raises(WebhookSignatureError):
        verify(secret, signed.body, headers)


def test_the_id_is_part_of_what_is_signed():
    secret = generate_secret()
    signed = sign(b"{}", message_id="msg_1", timestamp=datetime.now(UTC), secrets=[secret])
    with pytest.raises(WebhookSignatureError):
        verify(secret, signed.body, {**signed.headers(), "webhook-id": "msg_2"})


def test_generated_secrets_follow_the_spec_format():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert validate_secret(secret) == secret
    assert generate_secret() != secret


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "starts with"),
        ("whsec_not base64!", "base64"),
        ("whsec_" + base64.b64encode(b"x" * 23).decode(), "not 23"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "not 65"),
    ],
)
def test_malformed_secrets_are_refused(secret, fragment):
    with pytest.raises(InvalidWebhookSecret, match=fragment):
        validate_secret(secret)


def test_message_ids_are_stable_per_event_and_contain_no_dots():
    first = message_id_for("ws_1/apt_9/missed")
    assert first == message_id_for("ws_1/apt_9/missed")
    assert first != message_id_for("ws_1/apt_9/rebooked")
    assert first.startswith("msg_")
    assert "." not in first


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"message_id": "msg.1"}, "must match"),
        ({"secrets": []}, "at least one"),
        ({"timestamp": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"secrets": ["not-a-whsec"]}, "starts with"),
    ],
)
def test_sign_refuses_bad_arguments(kwargs, fragment):
    arguments = {
        "message_id": "msg_1",
        "timestamp": datetime.now(UTC),
        "secrets": [generate_secret()],
        **kwargs,
    }
    with pytest.raises(ValueError, match=fragment):
        sign(b"{}", **arguments)
