"""HubSpot's CRM v3 API, the part Rebook's adapter calls, on the shared fake HTTP server.

Implemented: contact batch upsert (idProperty=email), create, update, search; note create
(with associations) and search; custom property creation. Requests authenticate with a
Bearer token; unknown properties, duplicate emails and associations to missing contacts are
refused as HubSpot refuses them, with HubSpot's error body. Every request is recorded
(`.requests`), and state can be read directly (`.contacts`, `.notes`, `.properties`).

Beyond the base's `fail_next()`: `lose_response(method, path)` applies the next such
request and then answers it with an error, as when a gateway times out after HubSpot did
the work.
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.support.fakes.http_server import (
    FakeHttpServer,
    FakeResponse,
    RecordedRequest,
    ScriptedFailure,
)

ACCESS_TOKEN = "pat-na1-test-token"

# Properties every portal has; custom ones must be created first.
_STANDARD_PROPERTIES = {
    "contacts": {"email", "firstname", "lastname", "phone", "hs_object_id"},
    "notes": {"hs_timestamp", "hs_note_body", "hubspot_owner_id", "hs_attachment_ids"},
}
_CATEGORIES = {
    400: "VALIDATION_ERROR",
    401: "INVALID_AUTHENTICATION",
    403: "MISSING_SCOPES",
    404: "OBJECT_NOT_FOUND",
    409: "CONFLICT",
    429: "RATE_LIMITS",
}
_DEFAULT_MESSAGES = {
    400: "Invalid input JSON",
    401: "Authentication credentials not found.",
    403: "This app hasn't been granted all required scopes to make this call.",
    429: "You have reached your secondly limit.",
    500: "internal error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
_NOTE_TO_CONTACT = 202

_CONTACT = re.compile(r"^/crm/v3/objects/contacts/(?P<id>\d+)$")
_PROPERTIES = re.compile(r"^/crm/v3/properties/(?P<object_type>\w+)$")


@dataclass
class FakeObject:
    id: str
    properties: dict[str, str]
    created_at: str
    updated_at: str
    associations: list[dict[str, Any]] = field(default_factory=list)

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "properties": {**self.properties, "hs_object_id": self.id},
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "archived": False,
        }


class HubSpotError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FakeHubSpot(FakeHttpServer):
    def __init__(self, access_token: str = ACCESS_TOKEN) -> None:
        super().__init__()
        self.access_token = access_token
        self.retry_after = "10"  # sent with scripted 429s
        self.contacts: dict[str, FakeObject] = {}
        self.notes: dict[str, FakeObject] = {}
        self.properties: dict[str, dict[str, dict[str, Any]]] = {"contacts": {}, "notes": {}}
        self._ids = itertools.count(101)
        self._state = threading.Lock()
        self._lost: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ test API

    def lose_response(self, method: str, path: str, status: int = 504) -> None:
        """Apply the next `method` request to `path`, then answer it with this status."""
        with self._state:
            self._lost[(method, path)] = status

    def add_contact(self, **properties: str) -> str:
        """A contact the business created in HubSpot itself (not through Rebook)."""
        with self._state:
            return self._new(self.contacts, properties).id

    def notes_of(self, contact_id: str) -> list[FakeObject]:
        return [
            note
            for note in self.notes.values()
            if any(a["to"]["id"] == contact_id for a in note.associations)
        ]

    def calls(self) -> list[tuple[str, str]]:
        """(method, path) of every request, in order."""
        return [(r.method, r.path) for r in self.requests]

    # ------------------------------------------------------------------ server side

    def handle(self, request: RecordedRequest) -> FakeResponse:
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return _error(401, "Authentication credentials not found.")
        with self._state:
            lost = self._lost.pop((request.method, request.path.split("?", 1)[0]), None)
            try:
                response = self._route(request)
            except HubSpotError as err:
                return _error(err.status, err.message)
        if lost is not None:
            return _error(lost, "The upstream server timed out")
        return response

    def error_response(self, failure: ScriptedFailure) -> FakeResponse:
        headers = {"Retry-After": self.retry_after} if failure.status == 429 else {}
        message = failure.message or _DEFAULT_MESSAGES.get(failure.status, "error")
        return _error(failure.status, message, **headers)

    def _route(self, request: RecordedRequest) -> FakeResponse:
        path = request.path.split("?", 1)[0]
        method = request.method
        if (method, path) == ("POST", "/crm/v3/objects/contacts/batch/upsert"):
            return self._batch_upsert(request.json())
        if (method, path) == ("POST", "/crm/v3/objects/contacts"):
            return FakeResponse.json(201, self._create_contact(request.json()).resource())
        if (method, path) == ("POST", "/crm/v3/objects/contacts/search"):
            return self._search(self.contacts, request.json())
        if method == "PATCH" and (match := _CONTACT.match(path)):
            return self._update_contact(match["id"], request.json())
        if (method, path) == ("POST", "/crm/v3/objects/notes"):
            return FakeResponse.json(201, self._create_note(request.json()).resource())
        if (method, path) == ("POST", "/crm/v3/objects/notes/search"):
            return self._search(self.notes, request.json())
        if method == "POST" and (match := _PROPERTIES.match(path)):
            return self._create_property(match["object_type"], request.json())
        raise HubSpotError(404, f"No route for {method} {path}")

    def _batch_upsert(self, body: dict[str, Any]) -> FakeResponse:
        results = []
        for item in body["inputs"]:
            if item.get("idProperty") != "email":
                raise HubSpotError(400, "idProperty must be a unique property such as email")
            properties = {**item.get("properties", {}), "email": item["id"]}
            self._check_properties("contacts", properties)
            existing = self._contact_by("email", item["id"])
            if existing is None:
                contact, new = self._new(self.contacts, properties), True
            else:
                existing.properties.update(properties)
                existing.updated_at = _now()
                contact, new = existing, False
            results.append({**contact.resource(), "new": new})
        now = _now()
        return FakeResponse.json(
            200,
            {"status": "COMPLETE", "results": results, "startedAt": now, "completedAt": now},
        )

    def _create_contact(self, body: dict[str, Any]) -> FakeObject:
        properties = body.get("properties", {})
        self._check_properties("contacts", properties)
        email = properties.get("email")
        if email and (existing := self._contact_by("email", email)) is not None:
            raise HubSpotError(409, f"Contact already exists. Existing ID: {existing.id}")
        return self._new(self.contacts, properties)

    def _update_contact(self, contact_id: str, body: dict[str, Any]) -> FakeResponse:
        contact = self.contacts.get(contact_id)
        if contact is None:
            raise HubSpotError(404, f"resource not found: contact {contact_id}")
        properties = body.get("properties", {})
        self._check_properties("contacts", properties)
        contact.properties.update(properties)
        contact.updated_at = _now()
        return FakeResponse.json(200, contact.resource())

    def _create_note(self, body: dict[str, Any]) -> FakeObject:
        properties = body.get("properties", {})
        self._check_properties("notes", properties)
        if "hs_timestamp" not in properties:
            raise HubSpotError(400, "Property hs_timestamp is required")
        associations = body.get("associations", [])
        for association in associations:
            if association["to"]["id"] not in self.contacts:
                raise HubSpotError(400, f"Object {association['to']['id']} does not exist")
            if [t["associationTypeId"] for t in association["types"]] != [_NOTE_TO_CONTACT]:
                raise HubSpotError(400, "Invalid association type for note to contact")
        note = self._new(self.notes, properties)
        note.associations = associations
        return note

    def _search(self, objects: dict[str, FakeObject], body: dict[str, Any]) -> FakeResponse:
        groups = body.get("filterGroups", [])
        matches = [o for o in objects.values() if any(_matches(o, g) for g in groups)]
        limit = int(body.get("limit", 10))
        return FakeResponse.json(
            200, {"total": len(matches), "results": [o.resource() for o in matches[:limit]]}
        )

    def _create_property(self, object_type: str, body: dict[str, Any]) -> FakeResponse:
        known = self.properties.setdefault(object_type, {})
        name = body["name"]
        if name in known or name in _STANDARD_PROPERTIES.get(object_type, set()):
            raise HubSpotError(409, f"A property named '{name}' already exists.")
        known[name] = body
        return FakeResponse.json(201, {**body, "createdAt": _now(), "hidden": False})

    def _check_properties(self, object_type: str, properties: dict[str, Any]) -> None:
        allowed = _STANDARD_PROPERTIES[object_type] | set(self.properties[object_type])
        for name in properties:
            if name not in allowed:
                raise HubSpotError(400, f'Property "{name}" does not exist')

    def _contact_by(self, prop: str, value: str) -> FakeObject | None:
        return next((c for c in self.contacts.values() if c.properties.get(prop) == value), None)

    def _new(self, objects: dict[str, FakeObject], properties: dict[str, str]) -> FakeObject:
        now = _now()
        created = FakeObject(str(next(self._ids)), dict(properties), now, now)
        objects[created.id] = created
        return created


def _matches(obj: FakeObject, group: dict[str, Any]) -> bool:
    for f in group.get("filters", []):
        value = obj.properties.get(f["propertyName"])
        if f["operator"] == "EQ":
            if value != f["value"]:
                return False
        elif f["operator"] == "CONTAINS_TOKEN":
            tokens = re.findall(r"[a-z0-9]+", (value or "").lower())
            if f["value"].lower() not in tokens:
                return False
        else:
            raise HubSpotError(400, f"operator {f['operator']} is not supported by the fake")
    return True


def _error(status: int, message: str, **headers: str) -> FakeResponse:
    """HubSpot's error body."""
    return FakeResponse.json(
        status,
        {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": _CATEGORIES.get(status, "INTERNAL_ERROR"),
        },
        **headers,
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
