"""Text that cannot be stored or echoed (NUL, unpaired surrogates) and times outside a sane
window are a 422 naming the field, in bodies, paths and queries alike; never a 500."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.support.payloads import appointment_body, future_iso

LONE_SURROGATE = "\ud800"
NUL = "\x00"

# Every string a booking carries, by its path in the body.
BODY_TEXT_FIELDS: list[tuple[str, ...]] = [
    ("external_id",),
    ("topic",),
    ("kind",),
    ("booked_via",),
    ("reschedule_url",),
    ("content_url",),
    ("alternative_url",),
    ("contact", "id"),
    ("contact", "name"),
    ("contact", "email"),
    ("contact", "phone"),
    ("contact", "whatsapp"),
    ("contact", "preferred_channel"),
    ("contact", "timezone"),
    ("host", "id"),
    ("host", "name"),
    ("host", "email"),
    ("experiment", "name"),
    ("contact", "locale"),
    ("location",),
    ("join_url",),
    ("instructions",),
    ("interest",),
    ("playbook",),
]
# Every string of a workspace's settings (PUT /v1/workspace/settings), by its path.
SETTINGS_TEXT_FIELDS: list[tuple[str, ...]] = [
    ("name",),
    ("timezone",),
    ("brand_name",),
    ("brand_primary_color",),
    ("brand_accent_color",),
    ("brand_logo_url",),
    ("brand_footer",),
    ("sender_name",),
    ("email_from_address",),
    ("twilio_sms_from",),
    ("twilio_messaging_service_sid",),
    ("twilio_whatsapp_from",),
    ("credentials", "sendgrid", "api_key"),
    ("credentials", "sendgrid", "webhook_public_key"),
    ("credentials", "twilio", "account_sid"),
    ("credentials", "twilio", "auth_token"),
]


def _with(body: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target = changed
    for key in path[:-1]:
        target = target.setdefault(key, {"name": "test", "variants": ["a", "b"]})
    target[path[-1]] = value
    return changed


def _post_raw(client: TestClient, path: str, body: Any) -> Any:
    # ensure_ascii writes a lone surrogate as a \ud800 escape: valid JSON, invalid Unicode.
    return client.post(
        path,
        content=json.dumps(body, ensure_ascii=True).encode("ascii"),
        headers={"Content-Type": "application/json"},
    )


def _locs(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


@pytest.mark.parametrize("bad", [LONE_SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize("path", BODY_TEXT_FIELDS, ids=".".join)
def test_invalid_text_in_any_booking_field_is_422_naming_it(
    sync_api_client: TestClient, path: tuple[str, ...], bad: str
) -> None:
    body = _with(appointment_body(), path, f"x{bad}y")

    response = _post_raw(sync_api_client, "/v1/appointments", body)

    assert ["body", *path] in _locs(response)
    # The echoed input survives JSON: the bad character comes back escaped.
    echoed = [e["input"] for e in response.json()["detail"] if e["loc"] == ["body", *path]]
    assert echoed and all(isinstance(value, str) for value in echoed)


def _nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    body: dict[str, Any] = {path[-1]: value}
    for key in reversed(path[:-1]):
        body = {key: body}
    return body


@pytest.mark.parametrize("bad", [LONE_SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize("path", SETTINGS_TEXT_FIELDS, ids=".".join)
def test_invalid_text_in_any_workspace_setting_is_422_naming_it(
    sync_api_client: TestClient, path: tuple[str, ...], bad: str
) -> None:
    response = sync_api_client.put(
        "/v1/workspace/settings",
        content=json.dumps(_nested(path, f"x{bad}y"), ensure_ascii=True).encode("ascii"),
        headers={"Content-Type": "application/json"},
    )

    assert ["body", *path] in _locs(response)


@pytest.mark.parametrize("bad", [LONE_SURROGATE, NUL], ids=["surrogate", "nul"])
def test_invalid_text_in_a_new_key_is_422_naming_it(sync_api_client: TestClient, bad: str) -> None:
    name = _post_raw(sync_api_client, "/v1/keys", {"name": f"x{bad}", "scopes": ["admin"]})
    scopes = _post_raw(sync_api_client, "/v1/keys", {"name": "x", "scopes": [f"admin{bad}"]})

    assert ["body", "name"] in _locs(name)
    assert any(loc[:2] == ["body", "scopes"] for loc in _locs(scopes))
    # Nothing was created: the API is still open.
    assert sync_api_client.get("/v1/keys").json() == []


@pytest.mark.parametrize("bad", [LONE_SURROGATE, NUL], ids=["surrogate", "nul"])
def test_invalid_text_in_a_list_or_a_key_is_422(sync_api_client: TestClient, bad: str) -> None:
    variants = _with(appointment_body(), ("experiment", "variants"), ["a", f"b{bad}"])
    unknown_key = {**appointment_body(), f"note{bad}": "x"}

    assert ["body", "experiment", "variants"] in _locs(
        _post_raw(sync_api_client, "/v1/appointments", variants)
    )
    assert _post_raw(sync_api_client, "/v1/appointments", unknown_key).status_code == 422


@pytest.mark.parametrize("bad", [LONE_SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize("field", ["event_id", "reason", "type"])
def test_invalid_text_in_an_event_is_422_naming_it(
    sync_api_client: TestClient, field: str, bad: str
) -> None:
    event = {"type": "cancelled", field: f"x{bad}"}

    response = _post_raw(sync_api_client, "/v1/appointments/apt_x/events", event)

    assert ["body", field] in _locs(response)


@pytest.mark.parametrize(
    ("url", "loc"),
    [
        ("/v1/appointments/a%00b", ["path", "appointment_id"]),
        ("/v1/appointments/a%ED%A0%80b", ["path", "appointment_id"]),
        ("/v1/appointments/a%FFb/communications", ["path", "appointment_id"]),
        ("/v1/contacts/c%00/inbox", ["path", "contact_id"]),
        ("/v1/reports/follow-ups?experiment=x%00", ["query", "experiment"]),
        ("/v1/reports/follow-ups?experiment=x%ED%A0%80", ["query", "experiment"]),
        ("/v1/reports/follow-ups?until=0.5", ["query", "until"]),
        ("/v1/reports/follow-ups?since=1700000000", ["query", "since"]),
        ("/v1/reports/follow-ups?since=2026-01-01T00:00:00", ["query", "since"]),
        ("/v1/reports/follow-ups?since=yesterday", ["query", "since"]),
        ("/v1/communications?status=unconfirmed%00", ["query", "status"]),
        ("/v1/communications?limit=-1", ["query", "limit"]),
        ("/v1/communications?cursor=%ED%A0%80", ["query", "cursor"]),
        ("/v1/communications?since=0.5", ["query", "since"]),
        ("/v1/audit?action=x%00", ["query", "action"]),
        ("/v1/audit?key_id=%ED%A0%80", ["query", "key_id"]),
        ("/v1/audit?target_id=a%FFb", ["query", "target_id"]),
        ("/v1/audit?cursor=x%00", ["query", "cursor"]),
        ("/v1/audit?since=1700000000", ["query", "since"]),
        ("/v1/audit?until=0.5", ["query", "until"]),
    ],
)
def test_invalid_path_and_query_values_are_422_naming_them(
    sync_api_client: TestClient, url: str, loc: list[str]
) -> None:
    assert _locs(sync_api_client.get(url)) == [loc]


def test_invalid_path_value_on_a_post_is_422(sync_api_client: TestClient) -> None:
    response = sync_api_client.post("/v1/contacts/c%00/inbox/m1/read")

    assert _locs(response) == [["path", "contact_id"]]


def test_invalid_key_id_on_a_revocation_is_422(sync_api_client: TestClient) -> None:
    assert _locs(sync_api_client.delete("/v1/keys/k%00")) == [["path", "key_id"]]


@pytest.mark.parametrize("provider", ["sendgrid", "twilio"])
def test_invalid_workspace_in_a_webhook_url_is_422(
    sync_api_client: TestClient, provider: str
) -> None:
    response = sync_api_client.post(f"/v1/webhooks/{provider}?workspace=ws%00")

    assert _locs(response) == [["query", "workspace"]]


@pytest.mark.parametrize(
    ("starts_at", "why"),
    [
        ("9999-12-30T10:00:00+00:00", "at most 730 days ahead"),
        ((datetime.now(UTC) + timedelta(days=731)).isoformat(), "at most 730 days ahead"),
        ((datetime.now(UTC) - timedelta(minutes=1)).isoformat(), "must be in the future"),
        (1893456000, "ISO 8601"),
        ("1893456000", "ISO 8601"),
        (True, "ISO 8601"),
    ],
)
def test_starts_at_outside_the_booking_window_is_422(
    sync_api_client: TestClient, starts_at: Any, why: str
) -> None:
    response = sync_api_client.post("/v1/appointments", json=appointment_body(starts_at=starts_at))

    assert _locs(response) == [["body", "starts_at"]]
    assert why in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("event", "loc"),
    [
        (
            {
                "type": "missed",
                "occurred_at": (datetime.now(UTC) - timedelta(days=400)).isoformat(),
            },
            ["body", "occurred_at"],
        ),
        ({"type": "missed", "occurred_at": 1700000000}, ["body", "occurred_at"]),
        (
            {"type": "rescheduled", "new_starts_at": "9999-12-30T10:00:00Z"},
            ["body", "new_starts_at"],
        ),
    ],
)
def test_event_times_outside_their_window_are_422(
    sync_api_client: TestClient, event: dict[str, Any], loc: list[str]
) -> None:
    response = sync_api_client.post("/v1/appointments/apt_x/events", json=event)

    assert _locs(response) == [loc]


def test_the_schema_states_the_time_constraints(sync_api_client: TestClient) -> None:
    schemas = sync_api_client.get("/openapi.json").json()["components"]["schemas"]

    starts_at = schemas["AppointmentCreate"]["properties"]["starts_at"]["description"]
    occurred_at = json.dumps(schemas["EventIn"]["properties"]["occurred_at"])
    assert "must be in the future" in starts_at and "730 days ahead" in starts_at
    assert "must not be in the future" in occurred_at


async def test_the_same_start_in_another_utc_offset_is_a_replay_not_a_conflict(
    api_client: httpx.AsyncClient,
) -> None:
    body = appointment_body(starts_at=future_iso(days=3, offset=timezone(timedelta(hours=2))))
    same_instant = datetime.fromisoformat(body["starts_at"]).astimezone(
        timezone(timedelta(hours=-5))
    )

    first = await api_client.post("/v1/appointments", json=body)
    replay = await api_client.post(
        "/v1/appointments", json={**body, "starts_at": same_instant.isoformat()}
    )
    other_instant = await api_client.post(
        "/v1/appointments",
        json={**body, "starts_at": (same_instant + timedelta(minutes=1)).isoformat()},
    )

    assert (first.status_code, replay.status_code) == (201, 200), replay.text
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["starts_at"] == first.json()["starts_at"]  # as first booked
    assert other_instant.status_code == 409
