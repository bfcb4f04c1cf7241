"""SendGrid's v3 Mail Send endpoint: POST /v3/mail/send -> 202 with X-Message-Id."""

from __future__ import annotations

from typing import Any

from tests.support.fakes.http_server import (
    FakeHttpServer,
    FakeResponse,
    RecordedRequest,
    ScriptedFailure,
)

MAIL_SEND_PATH = "/v3/mail/send"

_DEFAULT_MESSAGES = {
    400: "The to array is required for all personalization objects.",
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "The from address does not match a verified Sender Identity.",
    413: "The JSON payload you have included in your request is too large.",
    429: "too many requests",
    500: "internal server error",
}


class FakeSendGrid(FakeHttpServer):
    @property
    def mails(self) -> list[Any]:
        """JSON bodies of accepted mail sends, in order."""
        return [r.json() for r in self.accepted]

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.method != "POST" or request.path != MAIL_SEND_PATH:
            return _errors(404, "not found")
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _errors(401, _DEFAULT_MESSAGES[401])
        return FakeResponse(202, headers={"X-Message-Id": f"fake-sg-{self.next_id():06d}"})

    def error_response(self, failure: ScriptedFailure) -> FakeResponse:
        message = failure.message or _DEFAULT_MESSAGES.get(failure.status, "error")
        return _errors(failure.status, message)


def _errors(status: int, message: str) -> FakeResponse:
    """SendGrid's error shape."""
    return FakeResponse.json(
        status, {"errors": [{"message": message, "field": None, "help": None}]}
    )
