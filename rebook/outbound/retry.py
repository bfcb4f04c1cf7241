"""When to try a webhook delivery again, and when to give up on an endpoint.

Schedule (the Standard Webhooks example, cut to a 24 h horizon). Each delay runs from the
previous attempt and carries +/-20 % jitter derived from a seed (the message id), so a
workflow computes the same times on replay and an outage's backlog does not come back in
one wave:

    attempt   delay after previous   nominal time since the first attempt
    1         immediately            0:00:00
    2         5 s                    0:00:05
    3         5 min                  0:05:05
    4         30 min                 0:35:05
    5         2 h                    2:35:05
    6         5 h                    7:35:05
    7         10 h                   17:35:05
    8         (10 h, capped)         24:00:00   the last attempt is at the horizon
    then the message is failed (kept in the delivery log, can be redelivered by hand).

A `Retry-After` (429, 503) lengthens the next delay, never past the horizon.

Outcome of one attempt:
    2xx                                delivered
    410 Gone                           endpoint gone: disable it now, no further attempts
    408, 429, 502, 503, 504            throttled: retried; the receiver is overloaded, so
                                       the caller should also hold the endpoint's other
                                       messages until the next attempt time
    no response (timeout, refused,     failed: retried
      reset, TLS, DNS)
    any other status (3xx, 4xx, 5xx)   failed: retried. The spec counts them as failures
                                       and retries them; a 400/401/404 is usually a
                                       receiver being deployed or a secret being rotated,
                                       fixed within the day. Redirects are not followed.

Disable rule: an endpoint is disabled when it answers 410, or when every attempt to it
has failed for a whole retry horizon (24 h) - i.e. some message has exhausted its schedule
without the endpoint accepting anything else meanwhile. One success resets the clock, so
an endpoint that rejects one malformed event but takes the rest stays enabled (that event
is failed and logged). The workspace is told when an endpoint is disabled.

Pure module: safe to import from workflow code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

DEFAULT_DELAYS: tuple[timedelta, ...] = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
)
DEFAULT_HORIZON = timedelta(hours=24)
DEFAULT_JITTER = 0.2
# The spec recommends 15-30 s; a receiver slower than this is treated as down.
REQUEST_TIMEOUT = timedelta(seconds=15)

_THROTTLE_STATUSES = frozenset({408, 429, 502, 503, 504})
GONE_STATUS = 410


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # retried per schedule
    THROTTLED = "throttled"  # retried per schedule, honouring Retry-After
    ENDPOINT_GONE = "endpoint_gone"  # 410: disable the endpoint, stop


class DisableReason(StrEnum):
    GONE = "gone"  # the receiver answered 410
    FAILING = "failing"  # nothing accepted for a whole retry horizon


@dataclass(frozen=True)
class RetrySchedule:
    """`delays[n]` is the wait before attempt n+1 (delays[0], the first attempt's, is 0);
    past the table the last delay repeats until the horizon."""

    delays: tuple[timedelta, ...] = DEFAULT_DELAYS
    horizon: timedelta = DEFAULT_HORIZON
    jitter: float = DEFAULT_JITTER

    def __post_init__(self) -> None:
        if len(self.delays) < 2:
            raise ValueError("a schedule needs the first attempt and at least one retry")
        if any(d < timedelta(0) for d in self.delays) or self.horizon <= timedelta(0):
            raise ValueError("delays must not be negative and the horizon must be positive")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")


def classify_attempt(status_code: int | None) -> AttemptOutcome:
    """The outcome of one attempt; `None` when no HTTP response came back (timeout,
    connection refused or reset, TLS or DNS failure)."""
    if status_code is None:
        return AttemptOutcome.FAILED
    if 200 <= status_code <= 299:
        return AttemptOutcome.DELIVERED
    if status_code == GONE_STATUS:
        return AttemptOutcome.ENDPOINT_GONE
    if status_code in _THROTTLE_STATUSES:
        return AttemptOutcome.THROTTLED
    return AttemptOutcome.FAILED


def next_attempt_at(
    schedule: RetrySchedule,
    *,
    attempts_made: int,
    first_attempt_at: datetime,
    last_attempt_at: datetime,
    seed: str,
    retry_after: timedelta | None = None,
) -> datetime | None:
    """When to make the next attempt after `attempts_made` failed ones, or None when the
    message is out of attempts (the last one was made at or after the horizon).

    Deterministic in its arguments: `seed` (use the message id) fixes the jitter.
    """
    if attempts_made < 1:
        raise ValueError("the first attempt is made immediately; ask after it failed")
    deadline = first_attempt_at + schedule.horizon
    if last_attempt_at >= deadline:
        return None
    nominal = schedule.delays[min(attempts_made, len(schedule.delays) - 1)]
    delay = nominal * (1 + schedule.jitter * _unit(seed, attempts_made))
    if retry_after is not None:
        delay = max(delay, retry_after)
    return min(last_attempt_at + delay, deadline)


def planned_attempts(schedule: RetrySchedule, *, start: datetime, seed: str) -> list[datetime]:
    """Every attempt time of a message that keeps failing (no Retry-After): the schedule
    as the delivery log and documentation show it."""
    times = [start]
    while (following := _following(schedule, times, seed)) is not None:
        times.append(following)
    return times


def parse_retry_after(value: str | None, *, now: datetime) -> timedelta | None:
    """A Retry-After header (delay seconds or an HTTP date) as a delay from `now`; None
    when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(moment - now, timedelta(0))


# ---------------------------------------------------------------------- endpoint health


@dataclass(frozen=True)
class EndpointHealth:
    """What the disable rule needs to know about an endpoint; stored with it."""

    failing_since: datetime | None = None  # first failed attempt since the last success
    last_success_at: datetime | None = None
    consecutive_failures: int = 0


def record_attempt(
    health: EndpointHealth, *, at: datetime, outcome: AttemptOutcome
) -> EndpointHealth:
    """The endpoint's health after one attempt."""
    if outcome is AttemptOutcome.DELIVERED:
        return EndpointHealth(failing_since=None, last_success_at=at, consecutive_failures=0)
    return replace(
        health,
        failing_since=health.failing_since or at,
        consecutive_failures=health.consecutive_failures + 1,
    )


def disable_reason(
    health: EndpointHealth,
    *,
    now: datetime,
    outcome: AttemptOutcome,
    schedule: RetrySchedule = RetrySchedule(),
) -> DisableReason | None:
    """Whether to disable the endpoint after an attempt with `outcome`, given its health
    with that attempt already recorded."""
    if outcome is AttemptOutcome.ENDPOINT_GONE:
        return DisableReason.GONE
    if outcome is AttemptOutcome.DELIVERED or health.failing_since is None:
        return None
    if now - health.failing_since >= schedule.horizon:
        return DisableReason.FAILING
    return None


def _following(schedule: RetrySchedule, times: list[datetime], seed: str) -> datetime | None:
    return next_attempt_at(
        schedule,
        attempts_made=len(times),
        first_attempt_at=times[0],
        last_attempt_at=times[-1],
        seed=seed,
    )


def _unit(seed: str, attempt: int) -> float:
    """A number in [-1, 1) fixed by (seed, attempt)."""
    digest = hashlib.sha256(f"{seed}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**63 - 1
