"""Errors a use case reports to its caller. The API maps each to one HTTP status
(api/errors.py); other callers can catch them by type. A leaf module: the Temporal gateway
raises Unavailable from here too, so the services pass it on untranslated."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ServiceError(Exception):
    """Base class; `detail` is safe to show the client."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(ServiceError):
    """The appointment, contact or message named in the request does not exist."""


class Conflict(ServiceError):
    """The request contradicts what is stored (an external_id reused with another body, an
    event for an appointment that has closed)."""


class Unavailable(ServiceError):
    """A dependency (Temporal) cannot be reached now. Nothing accepted is lost: retrying the
    same request completes it."""


class InvalidField(ServiceError):
    """One input value breaks a rule that spans several fields, found after parsing.

    loc names the value the way the client addressed it, as in FastAPI's own validation
    errors: ("body", "contact", "preferred_channel"), ("query", "since").
    """

    def __init__(self, loc: Sequence[str | int], message: str, value: Any) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
        self.value = value


class Unauthenticated(ServiceError):
    """No API key, or one that is malformed, unknown or revoked."""


class Forbidden(ServiceError):
    """A valid key whose scopes do not allow the request."""


class RateLimited(ServiceError):
    """The key used up its allowance for now; `headers` tell the client when to retry."""

    def __init__(self, detail: str, headers: dict[str, str]) -> None:
        super().__init__(detail)
        self.headers = headers
