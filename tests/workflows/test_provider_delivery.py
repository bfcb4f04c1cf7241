"""The workflow delivering through the real SendGrid and Twilio SDKs, pointed at local fake
provider servers: retries on 429/5xx never double-send, permanent errors fall back to the
next channel, opt-outs are remembered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from temporalio.testing import WorkflowEnvironment

from rebook.core.domain import EventType
from tests.support.fakes import (
    FakeSendGrid,
    FakeTwilio,
    provider_senders,
)
from tests.support.harness import Harness, running


@pytest.fixture
async def provider_harness(
    time_skipping_env: WorkflowEnvironment,
    sessions: sessionmaker[Session],
    fake_sendgrid: FakeSendGrid,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Harness]:
    senders = provider_senders(fake_sendgrid, fake_twilio)
    async with running(Harness(time_skipping_env, sessions, senders)) as h:
        yield h


async def test_rate_limited_send_is_retried_and_sent_once(
    provider_harness: Harness, fake_sendgrid: FakeSendGrid
) -> None:
    fake_sendgrid.fail_next(429, times=2)
    fake_sendgrid.fail_next(503)
    details = await provider_harness.booked("apt_retry", timedelta(days=3))
    handle = await provider_harness.start(details)
    await provider_harness.env.sleep(timedelta(minutes=5))

    assert len(fake_sendgrid.requests) == 4  # three refusals, one acceptance
    assert len(fake_sendgrid.accepted) == 1
    mail = fake_sendgrid.accepted[0].json()
    assert mail["personalizations"][0]["to"][0]["email"] == "ada@example.com"
    [confirmation] = provider_harness.sent(details.appointment_id)
    assert (confirmation.step, confirmation.status) == ("confirmation", "sent")

    await provider_harness.signal(handle, EventType.CANCELLED)
    await handle.result()


async def test_invalid_number_falls_back_to_the_next_channel(
    provider_harness: Harness, fake_sendgrid: FakeSendGrid, fake_twilio: FakeTwilio
) -> None:
    details = await provider_harness.booked("apt_badnum", timedelta(hours=2))
    handle = await provider_harness.start(details)
    fake_twilio.fail_next(400, code=21211, message="The 'To' number is not a valid phone number.")
    await provider_harness.env.sleep(timedelta(hours=1, minutes=5))

    reminders = [
        s for s in provider_harness.sent(details.appointment_id) if s.step == "reminder_1h"
    ]
    assert [(s.channel, s.status) for s in reminders] == [("sms", "failed"), ("email", "sent")]
    assert len(fake_twilio.accepted) == 0
    assert len(fake_twilio.requests) == 1  # permanent: not retried
    await provider_harness.signal(handle, EventType.ATTENDED)
    await handle.result()


async def test_unsubscribed_contact_is_not_texted_again(
    provider_harness: Harness, fake_twilio: FakeTwilio
) -> None:
    details = await provider_harness.booked("apt_stop", timedelta(hours=2))
    handle = await provider_harness.start(details)
    fake_twilio.fail_next(400, code=21610, message="Attempt to send to unsubscribed recipient")
    await provider_harness.env.sleep(timedelta(hours=2, minutes=5))
    await provider_harness.signal(handle, EventType.MISSED)
    await provider_harness.env.sleep(timedelta(hours=5))

    sent = provider_harness.sent(details.appointment_id)
    nudge = [(s.channel, s.status) for s in sent if s.step == "no_show_nudge"]
    assert nudge == [("sms", "skipped"), ("email", "sent")]
    assert len(fake_twilio.requests) == 1  # only the reminder that revealed the opt-out
    await provider_harness.signal(handle, EventType.CANCELLED)
    await handle.result()


async def test_email_carries_idempotency_key_and_step_category(
    provider_harness: Harness, fake_sendgrid: FakeSendGrid
) -> None:
    details = await provider_harness.booked("apt_categories", timedelta(days=3))
    handle = await provider_harness.start(details)
    await provider_harness.env.sleep(timedelta(seconds=30))
    [mail] = fake_sendgrid.mails
    assert sorted(mail["categories"]) == ["confirmation", "rebook"]  # SDK orders them
    assert mail["custom_args"]["idempotency_key"].startswith("apt_categories:confirmation@")
    await provider_harness.signal(handle, EventType.CANCELLED)
    await handle.result()
