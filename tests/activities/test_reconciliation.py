"""Sends whose outcome is unknown are settled by evidence, against in-memory ports: the
retry never sends blindly, completes on the provider's word, resends only when the
provider has no such message, and settles UNCONFIRMED (logged) when nothing tells within
the window. test_messaging.py and tests/faults run the same paths over SQL and the SDKs."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.messaging import (
    DELIVERY_IN_DOUBT,
    FailPoint,
    MessagingActivities,
    no_fail_points,
)
from rebook.core.contracts import DeliveryRequest, DeliveryResult
from rebook.core.domain import Channel, CommunicationStatus
from rebook.core.ports import AmbiguousDeliveryError, NotFound
from rebook.core.steps import Template
from tests.support.messages import BRAND, delivery, renderer
from tests.support.ports import NO_EVIDENCE, InMemoryCommunicationLedger, RecordingSender

WINDOW = timedelta(minutes=10)
START_TO_CLOSE = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_attempts=10)


@pytest.fixture
def activities(ledger: InMemoryCommunicationLedger, email: RecordingSender) -> MessagingActivities:
    return MessagingActivities(
        ledger,
        {Channel.EMAIL: email},
        renderer(),
        BRAND,
        reconcile_window=WINDOW,
        clock=lambda: ledger.now,
    )


def attempt(
    activities: MessagingActivities, request: DeliveryRequest, number: int
) -> DeliveryResult:
    """Run the activity as Temporal's attempt `number` of one scheduled execution."""
    env = ActivityEnvironment()
    env.info = replace(
        env.info,
        attempt=number,
        start_to_close_timeout=START_TO_CLOSE,
        retry_policy=RETRY,
    )
    return env.run(activities.deliver_message, request)


def in_doubt(activities: MessagingActivities, request: DeliveryRequest, number: int):
    with pytest.raises(ApplicationError) as raised:
        attempt(activities, request, number)
    assert raised.value.type == DELIVERY_IN_DOUBT
    assert raised.value.non_retryable is False
    return raised.value


@pytest.fixture
def request_() -> DeliveryRequest:
    return delivery(Template.NO_SHOW_FOLLOWUP)


def test_a_send_accepted_after_the_timeout_is_found_and_not_sent_again(
    activities, ledger, email, request_
) -> None:
    email.accepted_anyway = True
    email.failures.append(AmbiguousDeliveryError("read timeout"))

    in_doubt(activities, request_, 1)
    row = ledger.messages[request_.idempotency_key]
    assert (row.status, row.in_doubt_since) == (CommunicationStatus.CHECKING, ledger.now)
    result = attempt(activities, request_, 2)

    assert len(email.sent) == 1
    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, "msg-1")
    row = ledger.messages[request_.idempotency_key]
    assert (row.status, row.attempts, row.error) == (CommunicationStatus.SENT, 1, None)


def test_a_send_the_provider_never_got_is_sent_on_its_word(
    activities, ledger, email, request_
) -> None:
    email.failures.append(AmbiguousDeliveryError("connection reset"))

    in_doubt(activities, request_, 1)
    result = attempt(activities, request_, 2)

    assert len(email.sent) == 1
    assert result.status is CommunicationStatus.SENT
    assert ledger.messages[request_.idempotency_key].attempts == 2  # two calls, one message


def test_without_evidence_it_is_checked_again_then_settled_unconfirmed_and_logged(
    activities, ledger, email, request_, caplog
) -> None:
    email.failures.append(AmbiguousDeliveryError("read timeout"))
    email.lookups.extend([NO_EVIDENCE, NO_EVIDENCE])
    first = in_doubt(activities, request_, 1)

    ledger.now += timedelta(minutes=1)
    second = in_doubt(activities, request_, 2)
    ledger.now += WINDOW
    with caplog.at_level(logging.WARNING):
        settled = attempt(activities, request_, 3)

    assert first.next_retry_delay is not None and second.next_retry_delay is not None
    # Checks are spread over what is left of the window within the attempts left.
    assert second.next_retry_delay == (WINDOW - timedelta(minutes=1)) / (10 - 2)
    assert settled.status is CommunicationStatus.UNCONFIRMED
    assert email.sent == [] and email.looked_up == 2
    row = ledger.messages[request_.idempotency_key]
    assert row.status is CommunicationStatus.UNCONFIRMED
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    text = warning.getMessage()
    assert "UNCONFIRMED" in text and request_.idempotency_key in text
    assert request_.appointment.appointment_id in text and "email" in text
    # Settled: a re-run reports it and never sends.
    assert attempt(activities, request_, 4).status is CommunicationStatus.UNCONFIRMED
    assert email.sent == []


def test_the_last_attempt_settles_unconfirmed_rather_than_fail_over(
    activities, ledger, email, request_
) -> None:
    email.failures.append(AmbiguousDeliveryError("read timeout"))
    email.lookups.append(NO_EVIDENCE)
    in_doubt(activities, request_, 9)

    settled = attempt(activities, request_, 10)

    assert settled.status is CommunicationStatus.UNCONFIRMED


class Died(BaseException):
    """Stands for a worker killed at a fail point: nothing after it runs."""


def dying_at(point: str) -> FailPoint:
    def fail_point(name: str) -> None:
        if name == point:
            raise Died(name)

    return fail_point


def on(
    ledger: InMemoryCommunicationLedger, email: RecordingSender, *, dying_at_: str | None = None
) -> MessagingActivities:
    """The activities over these ports, dying at one fail point when asked."""
    return MessagingActivities(
        ledger,
        {Channel.EMAIL: email},
        renderer(),
        BRAND,
        clock=lambda: ledger.now,
        fail_point=dying_at(dying_at_) if dying_at_ else no_fail_points,
    )


def test_an_attempt_that_died_after_its_claim_is_waited_for_then_reconciled(
    ledger, email, request_
) -> None:
    dying, healthy = on(ledger, email, dying_at_="after_claim"), on(ledger, email)
    with pytest.raises(Died):
        attempt(dying, request_, 1)

    # Until its lease runs out the first attempt may still be sending: wait for it.
    waited = in_doubt(healthy, request_, 2)
    ledger.now += START_TO_CLOSE
    result = attempt(healthy, request_, 3)

    assert waited.next_retry_delay == START_TO_CLOSE
    # Then reconciled: the provider has nothing, so it is sent, once.
    assert result.status is CommunicationStatus.SENT
    assert len(email.sent) == 1 and email.looked_up == 1


def test_an_attempt_that_died_after_the_provider_answered_is_completed_without_resending(
    ledger, email, request_
) -> None:
    dying, healthy = on(ledger, email, dying_at_="after_send"), on(ledger, email)
    with pytest.raises(Died):
        attempt(dying, request_, 1)
    ledger.now += START_TO_CLOSE

    result = attempt(healthy, request_, 2)

    assert (result.status, result.provider_message_id) == (CommunicationStatus.SENT, "msg-1")
    assert len(email.sent) == 1


def test_a_webhook_that_named_the_message_settles_it_without_a_lookup(
    activities, ledger, email, request_
) -> None:
    email.failures.append(AmbiguousDeliveryError("read timeout"))
    in_doubt(activities, request_, 1)
    row = ledger.messages[request_.idempotency_key]
    ledger.messages[row.idempotency_key] = replace(
        row, provider="recording", provider_message_id="msg-from-webhook"
    )

    result = attempt(activities, request_, 2)

    assert result.provider_message_id == "msg-from-webhook"
    assert email.looked_up == 0 and email.sent == []


def test_a_not_found_too_early_is_not_acted_on_by_a_lookup_that_says_no_evidence(
    activities, ledger, email, request_
) -> None:
    email.failures.append(AmbiguousDeliveryError("read timeout"))
    email.lookups.extend([NO_EVIDENCE, NotFound("provider is sure")])
    in_doubt(activities, request_, 1)

    in_doubt(activities, request_, 2)
    result = attempt(activities, request_, 3)

    assert result.status is CommunicationStatus.SENT
    assert len(email.sent) == 1


def test_a_crashing_lookup_is_no_evidence(activities, ledger, email, request_) -> None:
    email.failures.append(AmbiguousDeliveryError("read timeout"))
    in_doubt(activities, request_, 1)

    def broken(*_args: object) -> None:
        raise RuntimeError("SDK bug")

    email.lookup = broken

    in_doubt(activities, request_, 2)
    assert email.sent == []
