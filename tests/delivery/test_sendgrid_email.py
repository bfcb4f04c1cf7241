import socket
import threading
from datetime import timedelta

import pytest

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import (
    AmbiguousDeliveryError,
    Found,
    NoEvidence,
    NotFound,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from rebook.delivery.sendgrid_email import SendGridEmailSender
from tests.support.fakes import SENDGRID_API_KEY, FakeSendGrid
from tests.support.messages import lookup_window as window
from tests.support.messages import rendered


def sender_for(fake: FakeSendGrid, **kwargs) -> SendGridEmailSender:
    return SendGridEmailSender(
        api_key=SENDGRID_API_KEY,
        host=fake.base_url,
        from_email="appointments@rebook.example",
        from_name="Rebook",
        **kwargs,
    )


def test_sends_plain_and_html_mail_keyed_by_idempotency_key(fake_sendgrid):
    message = rendered()

    receipt = sender_for(fake_sendgrid).send(message)

    [request] = fake_sendgrid.requests
    assert request.method == "POST"
    assert request.path == "/v3/mail/send"
    assert request.headers["authorization"] == f"Bearer {SENDGRID_API_KEY}"
    mail = request.json()
    assert mail["from"] == {"email": "appointments@rebook.example", "name": "Rebook"}
    assert mail["personalizations"][0]["to"] == [
        {"email": "ada@example.com", "name": "Ada Lovelace"}
    ]
    assert mail["subject"] == message.subject
    assert mail["content"] == [
        {"type": "text/plain", "value": message.body},
        {"type": "text/html", "value": message.html_body},
    ]
    assert mail["custom_args"] == {"idempotency_key": message.idempotency_key}
    assert "rebook" in mail["categories"]
    assert receipt.provider == "sendgrid"
    assert receipt.status is CommunicationStatus.SENT
    assert receipt.provider_message_id == "fake-sg-000001"


def test_plain_text_only_mail(fake_sendgrid):
    sender_for(fake_sendgrid).send(rendered(html_body=None))

    assert fake_sendgrid.mails[0]["content"] == [{"type": "text/plain", "value": rendered().body}]


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_and_unavailability_are_transient(fake_sendgrid, status):
    fake_sendgrid.fail_next(status)

    with pytest.raises(TransientDeliveryError, match=str(status)):
        sender_for(fake_sendgrid).send(rendered())


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_after_the_request_arrived_leave_the_outcome_unknown(fake_sendgrid, status):
    fake_sendgrid.fail_next(status)

    with pytest.raises(AmbiguousDeliveryError, match=str(status)):
        sender_for(fake_sendgrid).send(rendered())


def test_an_answer_after_the_timeout_leaves_the_outcome_unknown(fake_sendgrid):
    fake_sendgrid.answer_late(5)

    with pytest.raises(AmbiguousDeliveryError, match="outcome unknown"):
        sender_for(fake_sendgrid, timeout_s=0.5).send(rendered())

    assert len(fake_sendgrid.sends) == 1  # SendGrid took it all the same


def test_a_connection_dropped_mid_answer_leaves_the_outcome_unknown():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def read_then_hang_up() -> None:
            connection, _ = server.accept()
            connection.recv(65536)
            connection.close()

        threading.Thread(target=read_then_hang_up, daemon=True).start()
        sender = SendGridEmailSender(
            SENDGRID_API_KEY, f"http://127.0.0.1:{port}", "a@rebook.example", "Rebook"
        )
        with pytest.raises(AmbiguousDeliveryError):
            sender.send(rendered())


def test_lookup_finds_the_email_by_our_key_in_email_activity(fake_sendgrid):
    sender = sender_for(fake_sendgrid, email_activity=True)
    message = rendered()
    receipt = sender.send(message)

    found = sender.lookup(message, window())

    assert found == Found(receipt)
    [query] = fake_sendgrid.received("GET", "/v3/messages")
    assert query.query["query"] == f"unique_args['idempotency_key']=\"{message.idempotency_key}\""


def test_lookup_trusts_an_empty_email_activity_only_after_its_lag(fake_sendgrid):
    sender = sender_for(fake_sendgrid, email_activity=True, activity_lag=timedelta(minutes=5))

    early = sender.lookup(rendered(), window(in_doubt_for=timedelta(minutes=1)))
    late = sender.lookup(rendered(), window(in_doubt_for=timedelta(minutes=6)))

    assert isinstance(early, NoEvidence)
    assert isinstance(late, NotFound)


def test_lookup_without_email_activity_has_no_evidence(fake_sendgrid):
    result = sender_for(fake_sendgrid).lookup(rendered(), window(timedelta(days=1)))

    assert isinstance(result, NoEvidence)
    assert fake_sendgrid.requests == []  # the webhook is the only evidence then


def test_lookup_of_an_unreachable_api_has_no_evidence():
    with FakeSendGrid() as fake:
        sender = sender_for(fake, email_activity=True)

    assert isinstance(sender.lookup(rendered(), window(timedelta(days=1))), NoEvidence)


def test_rejected_api_key_is_transient_but_logged_loudly(fake_sendgrid, caplog):
    fake_sendgrid.fail_next(401)

    with pytest.raises(TransientDeliveryError, match="credentials"):
        sender_for(fake_sendgrid).send(rendered())

    assert any(r.levelname == "ERROR" and "401" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("status", [400, 403, 413])
def test_rejected_requests_are_permanent_with_the_provider_text(fake_sendgrid, status):
    fake_sendgrid.fail_next(status, message=f"rejected with {status}")

    with pytest.raises(PermanentDeliveryError) as raised:
        sender_for(fake_sendgrid).send(rendered())

    assert f"rejected with {status}" in str(raised.value)
    assert raised.value.code == str(status)
    assert raised.value.opted_out is False


def test_a_scripted_failure_applies_only_to_the_next_requests(fake_sendgrid):
    fake_sendgrid.fail_next(503, times=2)
    sender = sender_for(fake_sendgrid)

    for _ in range(2):
        with pytest.raises(TransientDeliveryError):
            sender.send(rendered())
    sender.send(rendered())

    assert [r.status for r in fake_sendgrid.requests] == [503, 503, 202]
    assert len(fake_sendgrid.sends) == 1


def test_unreachable_api_is_transient():
    with FakeSendGrid() as fake:
        sender = sender_for(fake)  # the port is free again once the fake stops

    with pytest.raises(TransientDeliveryError, match="unreachable"):
        sender.send(rendered())
