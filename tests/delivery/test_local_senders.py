from rebook.core.domain import Channel, CommunicationStatus
from rebook.delivery.in_app import InAppSender
from rebook.delivery.outbox import OutboxSender
from tests.support.messages import rendered


def test_outbox_records_with_an_id_derived_from_the_idempotency_key(caplog):
    sender = OutboxSender(Channel.SMS)
    message = rendered(Channel.SMS)

    with caplog.at_level("INFO", logger="rebook.delivery.outbox"):
        first = sender.send(message)
    again = sender.send(message)
    other = sender.send(rendered(Channel.SMS, idempotency_key="another-key"))

    assert first.provider == "outbox"
    assert first.status is CommunicationStatus.RECORDED
    assert first.provider_message_id == again.provider_message_id
    assert first.provider_message_id != other.provider_message_id
    assert message.body in caplog.text
    assert message.to_address in caplog.text


def test_in_app_is_delivered_on_recording():
    receipt = InAppSender().send(rendered(Channel.IN_APP, to_address="con_1"))

    assert receipt.provider == "in_app"
    assert receipt.status is CommunicationStatus.DELIVERED
    assert receipt.provider_message_id
