"""RateLimitStore: the shared token bucket, refilled and spent in one statement."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.rate_limits import Limit, RouteClass
from rebook.db.stores import RateLimitStore

T0 = 1_800_000_000.0
PER_MINUTE = Limit(per_minute=3)  # a token every 20 s


def test_a_full_bucket_lets_a_burst_through_then_refuses(sessions: sessionmaker[Session]) -> None:
    store = RateLimitStore(sessions)

    decisions = [store.take("k1", RouteClass.WRITE, PER_MINUTE, T0) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [round(d.tokens, 6) for d in decisions] == [2, 1, 0, 0]


def test_tokens_come_back_with_time_up_to_the_capacity(sessions: sessionmaker[Session]) -> None:
    store = RateLimitStore(sessions)
    for _ in range(3):
        store.take("k1", RouteClass.WRITE, PER_MINUTE, T0)

    assert not store.take("k1", RouteClass.WRITE, PER_MINUTE, T0 + 10).allowed
    assert store.take("k1", RouteClass.WRITE, PER_MINUTE, T0 + 20).allowed
    # Hours later the bucket holds its capacity, not more.
    assert round(store.take("k1", RouteClass.WRITE, PER_MINUTE, T0 + 7200).tokens, 6) == 2


def test_a_clock_behind_the_stored_time_refills_nothing(sessions: sessionmaker[Session]) -> None:
    store = RateLimitStore(sessions)
    for _ in range(3):
        store.take("k1", RouteClass.WRITE, PER_MINUTE, T0)

    assert not store.take("k1", RouteClass.WRITE, PER_MINUTE, T0 - 600).allowed


def test_keys_and_route_classes_have_their_own_buckets(sessions: sessionmaker[Session]) -> None:
    store = RateLimitStore(sessions)
    for _ in range(3):
        store.take("k1", RouteClass.WRITE, PER_MINUTE, T0)

    assert store.take("k1", RouteClass.READ, PER_MINUTE, T0).allowed
    assert store.take("k2", RouteClass.WRITE, PER_MINUTE, T0).allowed
    assert not store.take("k1", RouteClass.WRITE, PER_MINUTE, T0).allowed


def test_concurrent_requests_never_spend_more_than_the_bucket_holds(
    sessions: sessionmaker[Session],
) -> None:
    store, limit = RateLimitStore(sessions), Limit(per_minute=10)

    with ThreadPoolExecutor(max_workers=8) as pool:
        decisions = list(
            pool.map(lambda _: store.take("k1", RouteClass.WRITE, limit, T0), range(40))
        )

    assert sum(d.allowed for d in decisions) == 10
