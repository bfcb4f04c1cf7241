"""CommunicationStore: every transition in the CommunicationLedger contract (claims under
leases, reconciliation, guarded settlements)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.domain import CommunicationStatus, Recipient
from rebook.core.ports import (
    Claim,
    ClaimAction,
    CommunicationLedger,
    Lease,
    MessageHistory,
    ProviderReceipt,
)
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication
from rebook.db.stores import CommunicationNotFound, CommunicationStore
from tests.support.rows import LEASE, add_appointment, add_contact, draft

SUCCESS_STATUSES = [
    CommunicationStatus.SENT,
    CommunicationStatus.RECORDED,
    CommunicationStatus.DELIVERED,
]
CONCURRENT_CLAIMERS = 8
NEXT = Lease("run-1/act-1#2", timedelta(seconds=30))
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(sessions: sessionmaker[Session], clock: Clock) -> CommunicationStore:
    add_contact(sessions)
    add_appointment(sessions)
    return CommunicationStore(sessions, DEFAULT_WORKSPACE_ID, clock=clock)


def _receipt(status: CommunicationStatus = CommunicationStatus.SENT) -> ProviderReceipt:
    return ProviderReceipt(provider="sendgrid", provider_message_id="msg-123", status=status)


def _row(sessions: sessionmaker[Session], communication_id: str) -> Communication:
    with sessions() as session:
        row = session.get(Communication, communication_id)
        assert row is not None
        return row


def test_implements_the_port(sessions: sessionmaker[Session]) -> None:
    store: CommunicationLedger = CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)
    assert store is not None


def test_first_claim_creates_a_sending_row_and_must_send(
    store: CommunicationStore, sessions: sessionmaker[Session]
) -> None:
    claim = store.claim(draft(), LEASE)

    assert claim.must_send is True
    assert claim.record.status is CommunicationStatus.SENDING
    assert claim.record.attempts == 1
    assert claim.record.id.startswith("com_")
    assert len(claim.record.id) == len("com_") + 32
    row = _row(sessions, claim.record.id)
    assert row.idempotency_key == draft().idempotency_key
    assert row.to_address == "ada@example.com"
    assert row.scheduled_for == draft().scheduled_for
    assert row.sent_at is None


@pytest.mark.parametrize("status", SUCCESS_STATUSES)
def test_complete_records_the_receipt_and_later_claims_do_not_send(
    store: CommunicationStore, sessions: sessionmaker[Session], status: CommunicationStatus
) -> None:
    first = store.claim(draft(), LEASE)

    completed = store.complete(first.record.id, _receipt(status))
    again = store.claim(draft(), LEASE)

    assert completed.status is status
    assert completed.provider == "sendgrid"
    assert completed.provider_message_id == "msg-123"
    assert _row(sessions, first.record.id).sent_at is not None
    assert again == Claim(record=completed, action=ClaimAction.DONE)


def test_claim_of_a_retrying_row_sends_again_and_counts_the_attempt(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft(), LEASE)
    store.fail(first.record.id, LEASE.holder, "429 Too Many Requests", CommunicationStatus.RETRYING)

    retry = store.claim(draft(), LEASE)

    assert retry.must_send is True
    assert retry.record.id == first.record.id
    assert retry.record.status is CommunicationStatus.SENDING
    assert retry.record.attempts == 2


def test_claim_of_a_row_under_a_running_lease_waits(store: CommunicationStore) -> None:
    first = store.claim(draft(), LEASE)  # that attempt may still be sending

    second = store.claim(draft(), NEXT)

    assert second.action is ClaimAction.WAIT
    assert second.record.status is CommunicationStatus.SENDING
    assert second.record.lease_holder == LEASE.holder
    assert second.record.lease_expires_at == T0 + LEASE.duration
    assert second.record.id == first.record.id


def test_claim_of_a_sending_row_whose_lease_expired_reconciles(
    store: CommunicationStore, clock: Clock
) -> None:
    store.claim(draft(), LEASE)  # this attempt dies before complete/fail
    clock.now = T0 + LEASE.duration + timedelta(seconds=1)

    second = store.claim(draft(), NEXT)

    assert second.action is ClaimAction.RECONCILE
    assert second.record.status is CommunicationStatus.CHECKING
    assert second.record.in_doubt_since == clock.now
    assert second.record.lease_holder == NEXT.holder
    assert second.record.attempts == 1  # nothing was sent by this attempt (yet)


def test_ambiguous_send_is_in_doubt_and_the_next_claim_reconciles(
    store: CommunicationStore, clock: Clock
) -> None:
    first = store.claim(draft(), LEASE)
    doubted = store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")
    clock.now += timedelta(seconds=5)

    second = store.claim(draft(), NEXT)

    assert doubted.status is CommunicationStatus.CHECKING
    assert doubted.in_doubt_since == T0
    assert doubted.error == "read timeout"
    assert second.action is ClaimAction.RECONCILE
    assert second.record.in_doubt_since == T0  # in doubt since the send, not the check


def test_a_checking_row_under_another_running_lease_waits(
    store: CommunicationStore, clock: Clock
) -> None:
    first = store.claim(draft(), LEASE)
    store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")
    store.claim(draft(), NEXT)  # reconciling now

    third = store.claim(draft(), Lease("run-1/act-1#3", timedelta(seconds=30)))

    assert third.action is ClaimAction.WAIT


def test_resend_after_not_found_counts_the_attempt_for_the_holder_only(
    store: CommunicationStore, clock: Clock
) -> None:
    first = store.claim(draft(), LEASE)
    store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")
    store.claim(draft(), NEXT)

    assert store.resend(first.record.id, LEASE.holder) is None  # the old attempt lost it
    resending = store.resend(first.record.id, NEXT.holder)

    assert resending is not None
    assert resending.status is CommunicationStatus.SENDING
    assert resending.attempts == 2


def test_settle_unconfirmed_only_from_checking_by_the_holder(store: CommunicationStore) -> None:
    first = store.claim(draft(), LEASE)
    unchanged = store.settle_unconfirmed(first.record.id, LEASE.holder, "no evidence")
    store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")

    settled = store.settle_unconfirmed(first.record.id, LEASE.holder, "no evidence")
    again = store.claim(draft(), NEXT)

    assert unchanged.status is CommunicationStatus.SENDING
    assert settled.status is CommunicationStatus.UNCONFIRMED
    assert settled.error == "no evidence"
    assert again == Claim(record=settled, action=ClaimAction.DONE)


def test_an_attempt_that_lost_its_lease_cannot_overwrite_the_row(
    store: CommunicationStore, clock: Clock
) -> None:
    first = store.claim(draft(), LEASE)
    clock.now = T0 + timedelta(minutes=5)
    store.claim(draft(), NEXT)  # took over: reconciling

    late_failure = store.fail(first.record.id, LEASE.holder, "503", CommunicationStatus.RETRYING)
    late_doubt = store.mark_in_doubt(first.record.id, LEASE.holder, "timeout")

    assert late_failure.status is CommunicationStatus.CHECKING
    assert late_doubt.lease_holder == NEXT.holder


@pytest.mark.parametrize("status", [CommunicationStatus.FAILED, CommunicationStatus.SKIPPED])
def test_claim_of_a_failed_or_skipped_row_changes_nothing(
    store: CommunicationStore, status: CommunicationStatus
) -> None:
    first = store.claim(draft(), LEASE)
    failed = store.fail(first.record.id, LEASE.holder, "21610 unsubscribed", status)

    again = store.claim(draft(), LEASE)

    assert failed.status is status
    assert failed.error == "21610 unsubscribed"
    assert again == Claim(record=failed, action=ClaimAction.DONE)


def test_a_receipt_is_recorded_whatever_the_state_and_the_first_one_wins(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft(), LEASE)
    store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")
    store.settle_unconfirmed(first.record.id, LEASE.holder, "no evidence")

    completed = store.complete(first.record.id, _receipt())
    second = store.complete(
        first.record.id, ProviderReceipt("sendgrid", "msg-other", CommunicationStatus.SENT)
    )

    assert completed.status is CommunicationStatus.SENT
    assert second.provider_message_id == "msg-123"


def test_fail_rejects_statuses_that_are_not_failures(store: CommunicationStore) -> None:
    claim = store.claim(draft(), LEASE)

    with pytest.raises(ValueError):
        store.fail(claim.record.id, LEASE.holder, "nope", CommunicationStatus.SENT)


def test_complete_rejects_a_receipt_without_success_status(
    store: CommunicationStore,
) -> None:
    claim = store.claim(draft(), LEASE)

    with pytest.raises(ValueError):
        store.complete(claim.record.id, _receipt(CommunicationStatus.FAILED))


def test_unknown_communication_id_is_reported(store: CommunicationStore) -> None:
    with pytest.raises(CommunicationNotFound):
        store.complete("com_missing", _receipt())
    with pytest.raises(CommunicationNotFound):
        store.fail("com_missing", LEASE.holder, "x", CommunicationStatus.FAILED)


def test_claim_for_an_unknown_appointment_is_an_error_not_a_duplicate(
    store: CommunicationStore,
) -> None:
    with pytest.raises(IntegrityError):
        store.claim(draft("other-key", appointment_id="apt_missing"), LEASE)


def test_distinct_keys_get_distinct_rows(store: CommunicationStore) -> None:
    first = store.claim(draft("key-1"), LEASE)
    second = store.claim(draft("key-2"), LEASE)

    assert first.must_send and second.must_send
    assert first.record.id != second.record.id


def _claim_concurrently(store: CommunicationStore, key: str) -> list[Claim]:
    start = threading.Barrier(CONCURRENT_CLAIMERS)

    def claim_when_all_ready() -> Claim:
        start.wait()
        return store.claim(
            draft(key), Lease(f"claimer-{threading.get_ident()}", timedelta(seconds=30))
        )

    with ThreadPoolExecutor(max_workers=CONCURRENT_CLAIMERS) as pool:
        futures = [pool.submit(claim_when_all_ready) for _ in range(CONCURRENT_CLAIMERS)]
        return [future.result() for future in futures]


def test_concurrent_first_claims_of_one_key_send_exactly_once(
    store: CommunicationStore, sessions: sessionmaker[Session]
) -> None:
    claims = _claim_concurrently(store, "race-key")

    assert sum(claim.must_send for claim in claims) == 1
    assert len({claim.record.id for claim in claims}) == 1
    with sessions() as session:
        rows = session.scalar(
            select(func.count())
            .select_from(Communication)
            .where(Communication.idempotency_key == "race-key")
        )
    assert rows == 1


def test_concurrent_claims_of_a_retrying_row_send_exactly_once(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft("retry-race"), LEASE)
    store.fail(first.record.id, LEASE.holder, "503", CommunicationStatus.RETRYING)

    claims = _claim_concurrently(store, "retry-race")

    assert sum(claim.must_send for claim in claims) == 1
    [stored] = store.for_appointment(first.record.appointment_id)
    assert stored.attempts == 2


def test_release_ends_the_holders_lease_so_the_next_attempt_reconciles_at_once(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft(), LEASE)
    store.mark_in_doubt(first.record.id, LEASE.holder, "read timeout")
    store.claim(draft(), NEXT)  # reconciling, its lease running

    store.release(first.record.id, LEASE.holder, "not the holder: ignored")
    waiting = store.claim(draft(), Lease("run-1/act-1#3", timedelta(seconds=30)))
    store.release(first.record.id, NEXT.holder, "in doubt: no evidence yet")
    next_check = store.claim(draft(), Lease("run-1/act-1#4", timedelta(seconds=30)))

    assert waiting.action is ClaimAction.WAIT
    assert next_check.action is ClaimAction.RECONCILE
    assert next_check.record.error == "in doubt: no evidence yet"
    assert next_check.record.in_doubt_since == T0


# ---------------------------------------------------------------------------- send-time rules


def test_implements_the_message_history_port(sessions: sessionmaker[Session]) -> None:
    history: MessageHistory = CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)
    assert history is not None


def _sent_at(store: CommunicationStore, key: str, at: datetime, **changes: object) -> str:
    claim = store.claim(replace(draft(key), scheduled_for=at, **changes), LEASE)  # type: ignore[arg-type]
    store.complete(claim.record.id, _receipt())
    return claim.record.id


def test_sends_to_contact_counts_what_may_have_reached_the_contact(
    store: CommunicationStore, sessions: sessionmaker[Session]
) -> None:
    add_appointment(sessions, "apt_2", "ct_1")  # another appointment of the same contact
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    _sent_at(store, "a", t0 - timedelta(hours=20))
    _sent_at(store, "b", t0 - timedelta(hours=2), appointment_id="apt_2")
    _sent_at(store, "old", t0 - timedelta(days=2))
    _sent_at(store, "host", t0 - timedelta(hours=1), recipient=Recipient.HOST)
    in_flight = store.claim(
        replace(draft("flight"), scheduled_for=t0 - timedelta(minutes=1)), LEASE
    )
    failed = store.claim(replace(draft("failed"), scheduled_for=t0 - timedelta(minutes=2)), LEASE)
    store.fail(failed.record.id, LEASE.holder, "bad number", CommunicationStatus.FAILED)
    doubted = store.claim(replace(draft("doubted"), scheduled_for=t0 - timedelta(minutes=3)), LEASE)
    store.mark_in_doubt(doubted.record.id, LEASE.holder, "read timeout")
    store.record_hold(
        replace(draft("held"), scheduled_for=t0), CommunicationStatus.DEFERRED, "capped"
    )

    times = store.sends_to_contact("ct_1", t0 - timedelta(days=1), t0)

    assert times == [
        t0 - timedelta(hours=20),
        t0 - timedelta(hours=2),
        t0 - timedelta(minutes=3),  # in doubt (CHECKING): it may have reached them
        t0 - timedelta(minutes=1),  # in flight: it may reach them
    ]
    assert in_flight.must_send
    assert store.sends_to_contact("ct_2", t0 - timedelta(days=1), t0) == []


def test_a_hold_is_recorded_once_with_its_reason(
    store: CommunicationStore, sessions: sessionmaker[Session]
) -> None:
    held = replace(draft("apt_1:nudge@x:deferred"), to_address="", subject="", body="")
    store.record_hold(held, CommunicationStatus.DEFERRED, "deferred until 10:00")
    store.record_hold(held, CommunicationStatus.DEFERRED, "deferred until 11:00")

    [record] = store.for_appointment("apt_1")
    assert (record.status, record.error, record.attempts) == (
        CommunicationStatus.DEFERRED,
        "deferred until 10:00",
        0,
    )
    with pytest.raises(ValueError, match="DEFERRED or SKIPPED"):
        store.record_hold(draft("x"), CommunicationStatus.SENT, "no")
