"""SendGrid's v3 Mail Send endpoint: POST /v3/mail/send -> 202 with X-Message-Id; and the
Email Activity API's message filter, GET /v3/messages?query=unique_args['k']="v" (terms
joined by AND), which reconciliation asks (rebook.delivery.sendgrid_email.lookup)."""

from __future__ import annotations

import re
from typing import Any

from tests.support.fakes.http_server import (
    FakeHttpServer,
    FakeResponse,
    RecordedRequest,
    ScriptedFailure,
)

MAIL_SEND_PATH = "/v3/mail/send"
MESSAGES_PATH = "/v3/messages"
_UNIQUE_ARG_QUERY = re.compile(r"""^unique_args\['(?P<name>[^']+)'\]="(?P<value>[^"]*)"$""")

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
    def sends(self) -> list[RecordedRequest]:
        """Mail sends the fake accepted (answered in time or not), in order."""
        return [r for r in self.accepted if r.method == "POST"]

    @property
    def mails(self) -> list[Any]:
        """JSON bodies of accepted mail sends, in order."""
        return [r.json() for r in self.sends]

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if not request.headers.get("authorization", "").startswith("Bearer "):
            return _errors(401, _DEFAULT_MESSAGES[401])
        if request.method == "GET" and request.path == MESSAGES_PATH:
            return self._email_activity(request.query.get("query", ""))
        if request.method != "POST" or request.path != MAIL_SEND_PATH:
            return _errors(404, "not found")
        return FakeResponse(202, headers={"X-Message-Id": f"fake-sg-{self.next_id():06d}"})

    def _email_activity(self, query: str) -> FakeResponse:
        """Only the query shape Rebook sends: custom args' values, joined by AND."""
        terms = [_UNIQUE_ARG_QUERY.fullmatch(term) for term in query.split(" AND ")]
        wanted = {term["name"]: term["value"] for term in terms if term is not None}
        if None in terms:
            return _errors(400, f"unsupported query: {query}")
        found = [
            {
                # SendGrid's msg_id is X-Message-Id plus a ".filter..." routing suffix.
                "msg_id": f"{send.response_headers['X-Message-Id']}.filter0001p1mdw1-1-0",
                "from_email": mail["from"]["email"],
                "subject": mail.get("subject", ""),
                "to_email": mail["personalizations"][0]["to"][0]["email"],
                "status": "processing",
                "opens_count": 0,
                "clicks_count": 0,
                "last_event_time": "",
            }
            for send, mail in ((send, send.json()) for send in self.sends)
            if wanted.items() <= mail.get("custom_args", {}).items()
        ]
        return FakeResponse.json(200, {"messages": found})

    def error_response(self, failure: ScriptedFailure) -> FakeResponse:
        message = failure.message or _DEFAULT_MESSAGES.get(failure.status, "error")
        return _errors(failure.status, message)


def _errors(status: int, message: str) -> FakeResponse:
    """SendGrid's error shape."""
    return FakeResponse.json(
        status, {"errors": [{"message": message, "field": None, "help": None}]}
    )
