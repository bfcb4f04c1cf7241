"""Twilio's Messages resource: POST /2010-04-01/Accounts/{sid}/Messages.json -> 201, and
GET on the same path -> the Messages list (newest first, filtered by To and From), which
is what reconciliation asks (rebook.delivery.twilio_messaging.lookup)."""

from __future__ import annotations

import base64
import json
import re
import uuid
from email.utils import formatdate
from typing import Any

from tests.support.fakes.http_server import (
    FakeHttpServer,
    FakeResponse,
    RecordedRequest,
    ScriptedFailure,
)

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")

# Messages as Twilio words them, for the codes tests usually script.
_DEFAULT_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    21211: "Invalid 'To' Phone Number",
    21408: "Permission to send an SMS has not been enabled for the region indicated by the "
    "'To' number",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    63003: "Channel could not find To address",
    63016: "Failed to send freeform message because you are outside the allowed window.",
}


class FakeTwilio(FakeHttpServer):
    @property
    def created(self) -> list[RecordedRequest]:
        """Message creations the fake accepted (answered in time or not), in order."""
        return [r for r in self.accepted if r.method == "POST"]

    @property
    def messages(self) -> list[dict[str, str]]:
        """Form bodies (To, From, Body, MessagingServiceSid, ...) of accepted messages."""
        return [r.form() for r in self.created]

    @property
    def sids(self) -> list[str]:
        """Message SIDs the fake handed out, in order."""
        return [json.loads(r.response_body)["sid"] for r in self.created]

    @staticmethod
    def basic_auth(request: RecordedRequest) -> tuple[str, str] | None:
        """(account_sid, auth_token) the request authenticated with."""
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        return user, password

    def handle(self, request: RecordedRequest) -> FakeResponse:
        match = _MESSAGES_PATH.match(request.path)
        if request.method not in ("POST", "GET") or match is None:
            return _error(404, 20404, "The requested resource was not found")
        auth = self.basic_auth(request)
        if auth is None or auth[0] != match["sid"]:
            return _error(401, 20003, _DEFAULT_MESSAGES[20003])
        if request.method == "GET":
            return FakeResponse.json(200, self._message_list(request))
        return FakeResponse.json(201, self._message_resource(match["sid"], request.form()))

    def _message_list(self, request: RecordedRequest) -> dict[str, Any]:
        """The list page as Twilio shapes it; To and From filter, newest first."""
        wanted = {key: request.query[key] for key in ("To", "From") if key in request.query}
        resources = [json.loads(r.response_body) for r in reversed(self.created)]
        matching = [
            resource
            for resource in resources
            if all(resource[key.lower()] == value for key, value in wanted.items())
        ]
        page_size = int(request.query.get("PageSize", "50"))
        return {
            "messages": matching[:page_size],
            "end": min(len(matching), page_size) - 1,
            "first_page_uri": request.path,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": request.path,
        }

    def error_response(self, failure: ScriptedFailure) -> FakeResponse:
        code = failure.code if failure.code is not None else failure.status
        message = failure.message or _DEFAULT_MESSAGES.get(code, "Error")
        return _error(failure.status, code, message)

    def _message_resource(self, account_sid: str, form: dict[str, str]) -> dict[str, Any]:
        sid = f"SM{self.next_id():06d}{uuid.uuid4().hex[:26]}"
        now = formatdate(usegmt=True)
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json"
        return {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # With a messaging service Twilio first answers "accepted" and picks the sender.
            "status": "accepted" if form.get("MessagingServiceSid") else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": form.get("To"),
            "uri": uri,
        }


def _error(status: int, code: int, message: str) -> FakeResponse:
    """Twilio's (legacy, non RFC-9457) error shape, which the SDK turns into
    TwilioRestException(status, code, msg)."""
    return FakeResponse.json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
