"""What a client is told about its rate limit (rebook.core.rate_limits)."""

from __future__ import annotations

import pytest

from rebook.core.rate_limits import Decision, Limit, RouteClass, headers, route_class


def test_an_allowed_request_reports_the_limit_what_is_left_and_when_it_is_full_again() -> None:
    limit = Limit(per_minute=60)  # one token a second

    answer = headers(limit, Decision(allowed=True, tokens=57.5))

    assert answer == {
        "RateLimit-Limit": "60",
        "RateLimit-Remaining": "57",
        "RateLimit-Reset": "3",
        "RateLimit-Policy": "60;w=60",
    }


def test_a_refusal_says_when_the_next_token_comes() -> None:
    limit = Limit(per_minute=6)  # a token every 10 s

    answer = headers(limit, Decision(allowed=False, tokens=0.25))

    assert answer["RateLimit-Remaining"] == "0"
    assert answer["Retry-After"] == "8"  # 0.75 of a token at 0.1 a second
    assert answer["RateLimit-Reset"] == "58"


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", RouteClass.READ),
        ("head", RouteClass.READ),
        ("POST", RouteClass.WRITE),
        ("PUT", RouteClass.WRITE),
        ("DELETE", RouteClass.WRITE),
    ],
)
def test_route_classes(method: str, expected: RouteClass) -> None:
    assert route_class(method) is expected
