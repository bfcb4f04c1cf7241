import pytest

from rebook.core.domain import CommunicationStatus
from rebook.core.ports import PermanentDeliveryError, TransientDeliveryError
from rebook.delivery.sendgrid_email import SendGridEmailSender
from tests.support.fakes import SENDGRID_API_KEY, FakeSendGrid
from tests.support.messages import rendered


def sender_for(fake: FakeSendGrid) -> SendGridEmailSender:
    return SendGridEmailSender(
        api_key=SENDGRID_API_KEY,
        host=fake.base_url,
        from_email="appointments@rebook.example",
        from_name="Rebook",
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


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_transient(fake_sendgrid, status):
    fake_sendgrid.fail_next(status)

    with pytest.raises(TransientDeliveryError, match=str(status)):
        sender_for(fake_sendgrid).send(rendered())


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
    assert len(fake_sendgrid.accepted) == 1


def test_unreachable_api_is_transient():
    with FakeSendGrid() as fake:
        sender = sender_for(fake)  # the port is free again once the fake stops

    with pytest.raises(TransientDeliveryError, match="unreachable"):
        sender.send(rendered())
