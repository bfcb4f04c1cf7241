"""A worker process SIGKILLed at each point of a send, then a fresh worker: exactly one
message reaches the (fake) provider, and the ledger row says what happened, with the
provider's own id. The kill points are rebook.faults fail points armed through
REBOOK_FAILPOINTS in the first worker only; "during the provider call" is a kill while
the fake Twilio holds the request it has already taken."""

from __future__ import annotations

import asyncio
import time

import pytest
from temporalio.client import Client

from rebook.core.contracts import DeliveryResult
from rebook.core.domain import CommunicationStatus
from tests.faults.conftest import WAIT_S, FaultDatabase, Workers
from tests.faults.deliver_once import DeliverOnce
from tests.support.fakes import FakeTwilio
from tests.support.temporal_dev import DevServer

ENTRY = ("-m", "tests.faults.worker_entry")

# kill point -> how many send attempts the row records: an attempt begun before the kill
# counts even when it never reached the provider (then the retry sends, a second attempt).
KILL_POINTS = {
    "before_claim": 1,  # no row yet: the retry claims and sends
    "after_claim": 2,  # claimed, never sent: reconciled, Twilio has nothing, sent
    "before_send": 2,
    "during_call": 1,  # Twilio has it: reconciled from its Messages list, not resent
    "after_send": 1,  # Twilio answered; the receipt was lost with the worker
    "before_complete": 1,
}


def _wait_for_post(fake: FakeTwilio) -> None:
    deadline = time.monotonic() + WAIT_S
    while not fake.received("POST"):
        assert time.monotonic() < deadline, "the worker never called Twilio"
        time.sleep(0.05)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("point", list(KILL_POINTS))
async def test_a_worker_killed_at_any_point_of_a_send_delivers_it_exactly_once(
    point: str,
    dev_server: DevServer,
    workers: Workers,
    fault_db: FaultDatabase,
    fake_twilio: FakeTwilio,
) -> None:
    client = await Client.connect(dev_server.address)
    request = fault_db.sms_follow_up(point)
    if point == "during_call":
        fake_twilio.answer_late(WAIT_S)  # takes the message, never answers in time
        doomed = workers.launch(*ENTRY)
    else:
        doomed = workers.launch(*ENTRY, failpoints=f"{point}=kill")

    handle = await client.start_workflow(
        DeliverOnce.run,
        request,
        id=f"faults-{point}-{workers.task_queue}",
        task_queue=workers.task_queue,
    )
    if point == "during_call":
        await asyncio.to_thread(_wait_for_post, fake_twilio)
        doomed.kill()
    assert await asyncio.to_thread(doomed.wait_exit) == -9, doomed.output()
    workers.launch(*ENTRY)
    result: DeliveryResult = await asyncio.wait_for(handle.result(), WAIT_S)

    [sid] = fake_twilio.sids  # exactly one message at the provider
    row = fault_db.message(request.idempotency_key)
    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, sid)
    assert (row.status, row.provider, row.provider_message_id) == ("sent", "twilio", sid), (
        workers.output()
    )
    assert row.attempts == KILL_POINTS[point], workers.output()
