"""RateLimitStore: the token buckets every API process shares (rebook.core.rate_limits).

Each request refills and takes from its bucket in ONE statement, an upsert that returns the
result, so two processes (or threads) can never both spend the last token: PostgreSQL
locks the conflicting row for the statement, SQLite's write lock serialises writers. One
short round trip per request, no read-modify-write in Python.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, literal
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.rate_limits import Decision, Limit, RouteClass
from rebook.db.models import RateLimitBucket
from rebook.db.stores._sql import dialect_insert


class RateLimitStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def take(self, key_id: str, route_class: RouteClass, limit: Limit, now: float) -> Decision:
        """Refill the (key, class) bucket for the time since it was last refilled (never
        beyond limit.capacity), then take one token if there is one. now: unix seconds
        (API hosts' clocks must agree roughly; a clock behind the stored time refills
        nothing rather than draining the bucket)."""
        table = RateLimitBucket.__table__
        with self._sessions.begin() as session:
            insert = dialect_insert(session)(table).values(
                key_id=key_id,
                route_class=route_class.value,
                tokens=limit.capacity - 1,
                refilled_at=now,
                allowed=True,
            )
            elapsed = _greatest(literal(now) - table.c.refilled_at, literal(0.0))
            refilled = _least(
                table.c.tokens + elapsed * literal(limit.refill_per_s), literal(limit.capacity)
            )
            has_token = refilled >= literal(1.0)
            statement = insert.on_conflict_do_update(
                index_elements=[table.c.key_id, table.c.route_class],
                set_={
                    "tokens": case((has_token, refilled - literal(1.0)), else_=refilled),
                    "refilled_at": _greatest(table.c.refilled_at, literal(now)),
                    "allowed": has_token,
                },
            ).returning(table.c.tokens, table.c.allowed)
            tokens, allowed = session.execute(statement).one()
            return Decision(allowed=bool(allowed), tokens=float(tokens))


# CASE rather than GREATEST/LEAST (PostgreSQL) or two-argument MAX/MIN (SQLite): one
# spelling both databases run.
def _greatest(a: Any, b: Any) -> Any:
    return case((a >= b, a), else_=b)


def _least(a: Any, b: Any) -> Any:
    return case((a <= b, a), else_=b)
