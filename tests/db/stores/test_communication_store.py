"""CommunicationStore: every transition in CommunicationLedger.claim's contract."""

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
from rebook.core.ports import Claim, CommunicationLedger, MessageHistory, ProviderReceipt
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication
from rebook.db.stores import CommunicationNotFound, CommunicationStore
from tests.support.rows import add_appointment, add_contact, draft

SUCCESS_STATUSES = [
    CommunicationStatus.SENT,
    CommunicationStatus.RECORDED,
    CommunicationStatus.DELIVERED,
]
CONCURRENT_CLAIMERS = 8


@pytest.fixture
def store(sessions: sessionmaker[Session]) -> CommunicationStore:
    add_contact(sessions)
    add_appointment(sessions)
    return CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)


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
    claim = store.claim(draft())

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
    first = store.claim(draft())

    completed = store.complete(first.record.id, _receipt(status))
    again = store.claim(draft())

    assert completed.status is status
    assert completed.provider == "sendgrid"
    assert completed.provider_message_id == "msg-123"
    assert _row(sessions, first.record.id).sent_at is not None
    assert again == Claim(record=completed, must_send=False)


def test_claim_of_a_retrying_row_sends_again_and_counts_the_attempt(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft())
    store.fail(first.record.id, "429 Too Many Requests", CommunicationStatus.RETRYING)

    retry = store.claim(draft())

    assert retry.must_send is True
    assert retry.record.id == first.record.id
    assert retry.record.status is CommunicationStatus.SENDING
    assert retry.record.attempts == 2


def test_claim_of_a_row_still_sending_marks_it_unconfirmed_without_sending(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft())  # this attempt "dies" before complete/fail

    second = store.claim(draft())
    third = store.claim(draft())

    assert second.must_send is False
    assert second.record.status is CommunicationStatus.UNCONFIRMED
    assert second.record.attempts == 1
    assert third == second
    assert second.record.id == first.record.id


@pytest.mark.parametrize("status", [CommunicationStatus.FAILED, CommunicationStatus.SKIPPED])
def test_claim_of_a_failed_or_skipped_row_changes_nothing(
    store: CommunicationStore, status: CommunicationStatus
) -> None:
    first = store.claim(draft())
    failed = store.fail(first.record.id, "21610 unsubscribed", status)

    again = store.claim(draft())

    assert failed.status is status
    assert failed.error == "21610 unsubscribed"
    assert again == Claim(record=failed, must_send=False)


def test_late_receipt_after_unconfirmed_is_still_recorded(
    store: CommunicationStore,
) -> None:
    first = store.claim(draft())
    store.claim(draft())  # -> UNCONFIRMED

    completed = store.complete(first.record.id, _receipt())

    assert completed.status is CommunicationStatus.SENT


def test_fail_rejects_statuses_that_are_not_failures(store: CommunicationStore) -> None:
    claim = store.claim(draft())

    with pytest.raises(ValueError):
        store.fail(claim.record.id, "nope", CommunicationStatus.SENT)


def test_complete_rejects_a_receipt_without_success_status(
    store: CommunicationStore,
) -> None:
    claim = store.claim(draft())

    with pytest.raises(ValueError):
        store.complete(claim.record.id, _receipt(CommunicationStatus.FAILED))


def test_unknown_communication_id_is_reported(store: CommunicationStore) -> None:
    with pytest.raises(CommunicationNotFound):
        store.complete("com_missing", _receipt())
    with pytest.raises(CommunicationNotFound):
        store.fail("com_missing", "x", CommunicationStatus.FAILED)


def test_claim_for_an_unknown_appointment_is_an_error_not_a_duplicate(
    store: CommunicationStore,
) -> None:
    with pytest.raises(IntegrityError):
        store.claim(draft("other-key", appointment_id="apt_missing"))


def test_distinct_keys_get_distinct_rows(store: CommunicationStore) -> None:
    first = store.claim(draft("key-1"))
    second = store.claim(draft("key-2"))

    assert first.must_send and second.must_send
    assert first.record.id != second.record.id


def _claim_concurrently(store: CommunicationStore, key: str) -> list[Claim]:
    start = threading.Barrier(CONCURRENT_CLAIMERS)

    def claim_when_all_ready() -> Claim:
        start.wait()
        return store.claim(draft(key))

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
    first = store.claim(draft("retry-race"))
    store.fail(first.record.id, "503", CommunicationStatus.RETRYING)

    claims = _claim_concurrently(store, "retry-race")

    assert sum(claim.must_send for claim in claims) == 1
    [stored] = store.for_appointment(first.record.appointment_id)
    assert stored.attempts == 2


# ---------------------------------------------------------------------------- send-time rules


def test_implements_the_message_history_port(sessions: sessionmaker[Session]) -> None:
    history: MessageHistory = CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)
    assert history is not None


def _sent_at(store: CommunicationStore, key: str, at: datetime, **changes: object) -> str:
    claim = store.claim(replace(draft(key), scheduled_for=at, **changes))  # type: ignore[arg-type]
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
    in_flight = store.claim(replace(draft("flight"), scheduled_for=t0 - timedelta(minutes=1)))
    failed = store.claim(replace(draft("failed"), scheduled_for=t0 - timedelta(minutes=2)))
    store.fail(failed.record.id, "bad number", CommunicationStatus.FAILED)
    store.record_hold(
        replace(draft("held"), scheduled_for=t0), CommunicationStatus.DEFERRED, "capped"
    )

    times = store.sends_to_contact("ct_1", t0 - timedelta(days=1), t0)

    assert times == [
        t0 - timedelta(hours=20),
        t0 - timedelta(hours=2),
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
