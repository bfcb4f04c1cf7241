"""Bad input is a 422 naming the field (FastAPI's loc), never a 500. No Temporal involved:
every request here is refused before the API would talk to it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.payloads import appointment_body, future_iso, with_contact


def _locs(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


BAD_APPOINTMENTS: list[tuple[str, dict[str, Any], list[Any]]] = [
    (
        "invalid email",
        with_contact(appointment_body(), email="not-an-email"),
        ["body", "contact", "email"],
    ),
    (
        "non-E.164 phone",
        with_contact(appointment_body(), phone="07700 900123"),
        ["body", "contact", "phone"],
    ),
    (
        "non-E.164 whatsapp",
        with_contact(appointment_body(), whatsapp="+0123"),
        ["body", "contact", "whatsapp"],
    ),
    (
        "unknown timezone",
        with_contact(appointment_body(), timezone="Mars/Olympus_Mons"),
        ["body", "contact", "timezone"],
    ),
    ("naive starts_at", appointment_body(starts_at="2030-01-01T10:00:00"), ["body", "starts_at"]),
    (
        "past starts_at",
        appointment_body(starts_at="2020-01-01T10:00:00+00:00"),
        ["body", "starts_at"],
    ),
    ("duration zero", appointment_body(duration_minutes=0), ["body", "duration_minutes"]),
    ("duration over a day", appointment_body(duration_minutes=1441), ["body", "duration_minutes"]),
    ("unknown kind", appointment_body(kind="party"), ["body", "kind"]),
    (
        "non-http reschedule_url",
        appointment_body(reschedule_url="ftp://x.example"),
        ["body", "reschedule_url"],
    ),
    ("unknown booked_via", appointment_body(booked_via="fax"), ["body", "booked_via"]),
    (
        "preferred email without email",
        with_contact(appointment_body(), email=None, preferred_channel="email"),
        ["body", "contact", "preferred_channel"],
    ),
    (
        "preferred sms without phone",
        with_contact(appointment_body(), phone=None, preferred_channel="sms"),
        ["body", "contact", "preferred_channel"],
    ),
    (
        "preferred whatsapp without whatsapp, not booked via whatsapp",
        with_contact(
            appointment_body(booked_via="web"), whatsapp=None, preferred_channel="whatsapp"
        ),
        ["body", "contact", "preferred_channel"],
    ),
    (
        "preferred in_app not booked via app",
        with_contact(appointment_body(booked_via="web"), preferred_channel="in_app"),
        ["body", "contact", "preferred_channel"],
    ),
    (
        "contact reachable on no channel",
        with_contact(
            appointment_body(booked_via="web"),
            email=None,
            phone=None,
            whatsapp=None,
            preferred_channel=None,
        ),
        ["body", "contact"],
    ),
    (
        "oversized external_id",
        appointment_body(external_id="x" * 201),
        ["body", "external_id"],
    ),
    (
        "experiment with duplicate variants",
        appointment_body(experiment={"name": "subject-line", "variants": ["a", "a"]}),
        ["body", "experiment", "variants"],
    ),
    (
        "experiment with a blank variant name",
        appointment_body(experiment={"name": "subject-line", "variants": ["a", " "]}),
        ["body", "experiment", "variants"],
    ),
    (
        "unknown locale",
        with_contact(appointment_body(), locale="xx-YY"),
        ["body", "contact", "locale"],
    ),
    (
        "locale that is not a tag",
        with_contact(appointment_body(), locale="Spanish!"),
        ["body", "contact", "locale"],
    ),
    ("non-http join_url", appointment_body(join_url="zoom:123"), ["body", "join_url"]),
    ("oversized location", appointment_body(location="x" * 501), ["body", "location"]),
    ("blank instructions", appointment_body(instructions=""), ["body", "instructions"]),
    ("oversized interest", appointment_body(interest="x" * 501), ["body", "interest"]),
    ("playbook name with spaces", appointment_body(playbook="My Playbook"), ["body", "playbook"]),
    ("unknown playbook", appointment_body(playbook="no_such_playbook"), ["body", "playbook"]),
]


def test_missing_contact_field_is_named(sync_api_client: TestClient) -> None:
    body = appointment_body()
    del body["contact"]["name"]
    response = sync_api_client.post("/v1/appointments", json=body)
    assert ["body", "contact", "name"] in _locs(response)


def test_malformed_json_is_422(sync_api_client: TestClient) -> None:
    response = sync_api_client.post(
        "/v1/appointments",
        content=b'{"external_id": "x",',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_phone_is_enough_for_whatsapp_when_booked_via_whatsapp() -> None:
    # Checked on the schema alone: the booking channel proves the number is on WhatsApp.
    from api.schemas import AppointmentCreate
    from rebook.core.channels import reachability_problem

    body = with_contact(
        appointment_body(booked_via="whatsapp"), whatsapp=None, preferred_channel="whatsapp"
    )
    appointment = AppointmentCreate.model_validate(body).to_appointment("UTC")
    assert reachability_problem(appointment.contact, appointment.booked_via) is None


BAD_EVENTS: list[tuple[str, dict[str, Any], list[Any]]] = [
    ("unknown event type", {"type": "exploded"}, ["body", "type"]),
    ("rescheduled without new_starts_at", {"type": "rescheduled"}, ["body", "new_starts_at"]),
    (
        "naive new_starts_at",
        {"type": "rescheduled", "new_starts_at": "2030-01-01T10:00:00"},
        ["body", "new_starts_at"],
    ),
    (
        "past new_starts_at",
        {"type": "rescheduled", "new_starts_at": "2020-01-01T10:00:00+00:00"},
        ["body", "new_starts_at"],
    ),
    (
        "naive occurred_at",
        {"type": "missed", "occurred_at": "2030-01-01T10:00:00"},
        ["body", "occurred_at"],
    ),
    (
        "occurred_at in the future",
        {"type": "missed", "occurred_at": future_iso(days=1)},
        ["body", "occurred_at"],
    ),
]


BAD_INPUT = [("/v1/appointments", *case) for case in BAD_APPOINTMENTS] + [
    ("/v1/appointments/apt_whatever/events", *case) for case in BAD_EVENTS
]


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [pytest.param(path, body, loc, id=name) for path, name, body, loc in BAD_INPUT],
)
def test_bad_input_is_422_naming_the_field(
    sync_api_client: TestClient, path: str, body: dict[str, Any], loc: list[Any]
) -> None:
    response = sync_api_client.post(path, json=body)
    assert loc in _locs(response)


def test_event_malformed_json_is_422(sync_api_client: TestClient) -> None:
    response = sync_api_client.post(
        "/v1/appointments/apt_whatever/events",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_valid_event_for_unknown_appointment_is_404(sync_api_client: TestClient) -> None:
    response = sync_api_client.post(
        "/v1/appointments/apt_unknown/events",
        json={"type": "rescheduled", "new_starts_at": future_iso()},
    )
    assert response.status_code == 404
    assert "apt_unknown" in response.json()["detail"]


def test_unknown_appointment_is_404(sync_api_client: TestClient) -> None:
    assert sync_api_client.get("/v1/appointments/apt_nope").status_code == 404
    assert sync_api_client.get("/v1/appointments/apt_nope/communications").status_code == 404


def test_unknown_contact_inbox_is_404(sync_api_client: TestClient) -> None:
    assert sync_api_client.get("/v1/contacts/nobody/inbox").status_code == 404
    response = sync_api_client.post("/v1/contacts/nobody/inbox/com_1/read")
    assert response.status_code == 404


def test_unexpected_error_is_json_500_without_internals(sync_api_client: TestClient) -> None:
    async def explode() -> None:
        raise RuntimeError("secret connection string postgres://user:pw@db")

    sync_api_client.app.add_api_route("/explode", explode)  # type: ignore[attr-defined]
    response = sync_api_client.get("/explode")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert "secret" not in response.text


def test_openapi_is_served(sync_api_client: TestClient) -> None:
    schema = sync_api_client.get("/openapi.json").json()
    assert "/v1/appointments" in schema["paths"]
    assert "/v1/appointments/{appointment_id}/events" in schema["paths"]


def test_unknown_playbook_says_which(sync_api_client: TestClient) -> None:
    response = sync_api_client.post("/v1/appointments", json=appointment_body(playbook="demos"))
    [error] = response.json()["detail"]
    assert (error["loc"], error["input"]) == (["body", "playbook"], "demos")
    assert error["msg"] == "unknown playbook 'demos'"
