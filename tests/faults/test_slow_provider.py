"""Twilio takes the message but answers after the client's timeout: the worker cannot know
it was sent. It must neither send it again nor lose it: the retry finds it in Twilio's
Messages list and records Twilio's own SID. One POST, one message, attempts 1."""

from __future__ import annotations

import asyncio

import pytest
from temporalio.client import Client

from rebook.core.contracts import DeliveryResult
from rebook.core.domain import CommunicationStatus
from tests.faults.conftest import WAIT_S, FaultDatabase, Workers
from tests.faults.deliver_once import DeliverOnce
from tests.support.fakes import FakeTwilio
from tests.support.temporal_dev import DevServer


@pytest.mark.timeout(120)
async def test_a_message_twilio_took_but_answered_too_late_is_sent_exactly_once(
    dev_server: DevServer, workers: Workers, fault_db: FaultDatabase, fake_twilio: FakeTwilio
) -> None:
    request = fault_db.sms_follow_up("slow")
    fake_twilio.answer_late(3)  # the worker's client gives up after 1 s (PROVIDER_TIMEOUT_S)
    workers.launch("-m", "tests.faults.worker_entry")
    client = await Client.connect(dev_server.address)

    result: DeliveryResult = await asyncio.wait_for(
        client.execute_workflow(
            DeliverOnce.run, request, id="faults-slow", task_queue=workers.task_queue
        ),
        WAIT_S,
    )

    assert len(fake_twilio.received("POST")) == 1  # never POSTed twice
    [sid] = fake_twilio.sids
    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, sid)
    row = fault_db.message(request.idempotency_key)
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", sid, 1)
    assert row.in_doubt_since is not None  # it was in doubt, and settled by evidence
    assert row.error is None
    assert "outcome unknown" in workers.output()
