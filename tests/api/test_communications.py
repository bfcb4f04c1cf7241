"""Listings backed by rows inserted directly (as the delivery activity would write them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.models import Communication
from tests.support.payloads import appointment_body

T0 = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def _communication(
    appointment: dict[str, Any], number: int, *, channel: str = "email", **changes: Any
) -> Communication:
    values: dict[str, Any] = {
        "id": f"com_{appointment['id']}_{number}",
        "workspace_id": DEFAULT_WORKSPACE_ID,
        "idempotency_key": f"{appointment['id']}:{number}:{channel}",
        "appointment_id": appointment["id"],
        "contact_id": appointment["contact"]["id"],
        "recipient": "contact",
        "step": f"step_{number}",
        "template": f"template_{number}",
        "channel": channel,
        "variant": "a",
        "to_address": "ada@example.com" if channel == "email" else appointment["contact"]["id"],
        "subject": f"Subject {number}",
        "body": f"Body {number}",
        "status": "recorded" if channel != "in_app" else "delivered",
        "provider": "outbox" if channel != "in_app" else "in_app",
        "provider_message_id": f"msg-{number}",
        "error": None,
        "attempts": 1,
        "scheduled_for": T0 + timedelta(hours=number),
        "sent_at": T0 + timedelta(hours=number, seconds=5),
        "created_at": T0 + timedelta(hours=number),
    }
    values.update(changes)
    return Communication(**values)


async def _create(api_client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    response = await api_client.post("/v1/appointments", json=appointment_body(**changes))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _insert(sessions: sessionmaker[Session], *rows: Communication) -> None:
    with sessions() as session:
        session.add_all(rows)
        session.commit()


async def _booked_in_app_with(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], *channels: str
) -> tuple[dict[str, Any], str]:
    """An appointment booked through the app, with messages 1..n on these channels; and
    its contact's id."""
    appointment = await _create(api_client, booked_via="app")
    _insert(
        sessions,
        *(_communication(appointment, n, channel=c) for n, c in enumerate(channels, start=1)),
    )
    return appointment, appointment["contact"]["id"]


async def test_communications_are_listed_oldest_first_with_every_field(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    appointment = await _create(api_client)
    _insert(
        sessions,
        _communication(appointment, 3),
        _communication(appointment, 1, channel="sms", to_address="+447700900123"),
        _communication(
            appointment, 2, status="failed", error="invalid address", sent_at=None, provider=None
        ),
    )

    response = await api_client.get(f"/v1/appointments/{appointment['id']}/communications")

    assert response.status_code == 200
    listed = response.json()
    assert [c["step"] for c in listed] == ["step_1", "step_2", "step_3"]
    assert set(listed[0]) == {
        "id", "appointment_id", "idempotency_key", "channel", "recipient", "step",
        "template", "variant", "status", "subject", "body", "to_address", "provider",
        "provider_message_id", "error", "attempts", "scheduled_for", "sent_at", "created_at",
        "provider_status", "delivered_at", "opened_at", "clicked_at", "in_doubt_since",
    }  # fmt: skip
    assert listed[0]["channel"] == "sms"
    assert listed[0]["to_address"] == "+447700900123"
    assert listed[1]["status"] == "failed"
    assert listed[1]["error"] == "invalid address"
    assert listed[1]["sent_at"] is None
    assert datetime.fromisoformat(listed[2]["scheduled_for"]) == T0 + timedelta(hours=3)


async def test_appointment_detail_includes_communications_and_falls_back_to_the_db(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    appointment = await _create(api_client)
    _insert(sessions, _communication(appointment, 1))

    response = await api_client.get(f"/v1/appointments/{appointment['id']}")

    assert response.status_code == 200
    detail = response.json()
    # No worker polls this test's task queue, so the query goes unanswered.
    assert detail["progress_source"] == "database"
    assert detail["status"] == "scheduled"
    assert (detail["no_show_count"], detail["reschedule_count"], detail["flagged"]) == (0, 0, False)
    assert detail["starts_at"] == appointment["starts_at"]
    assert [c["id"] for c in detail["communications"]] == [f"com_{appointment['id']}_1"]


async def test_inbox_lists_in_app_messages_newest_first_and_marks_read(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    _, contact_id = await _booked_in_app_with(api_client, sessions, "in_app", "email", "in_app")

    inbox = await api_client.get(f"/v1/contacts/{contact_id}/inbox")

    assert inbox.status_code == 200
    assert [m["step"] for m in inbox.json()] == ["step_3", "step_1"]
    assert all(m["read_at"] is None for m in inbox.json())

    newest = inbox.json()[0]["id"]
    read = await api_client.post(f"/v1/contacts/{contact_id}/inbox/{newest}/read")
    assert read.status_code == 200
    first_read_at = read.json()["read_at"]
    assert first_read_at is not None
    again = await api_client.post(f"/v1/contacts/{contact_id}/inbox/{newest}/read")
    assert again.json()["read_at"] == first_read_at

    after = {m["id"]: m["read_at"] for m in (await api_client.get(
        f"/v1/contacts/{contact_id}/inbox"
    )).json()}  # fmt: skip
    assert after[newest] == first_read_at
    assert [read_at for mid, read_at in after.items() if mid != newest] == [None]


async def test_marking_read_is_404_for_another_contact_or_a_non_inbox_message(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    appointment, contact_id = await _booked_in_app_with(api_client, sessions, "in_app", "email")
    in_app, email = f"com_{appointment['id']}_1", f"com_{appointment['id']}_2"
    other = await _create(api_client)

    wrong_contact = await api_client.post(
        f"/v1/contacts/{other['contact']['id']}/inbox/{in_app}/read"
    )
    not_inbox = await api_client.post(f"/v1/contacts/{contact_id}/inbox/{email}/read")

    assert (wrong_contact.status_code, not_inbox.status_code) == (404, 404)


async def test_unconfirmed_messages_are_listed_across_appointments_newest_first_in_pages(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session]
) -> None:
    first, second = await _create(api_client), await _create(api_client)
    in_doubt: dict[str, Any] = {"status": "unconfirmed", "in_doubt_since": T0, "sent_at": None}
    _insert(
        sessions,
        _communication(first, 1, **in_doubt),
        _communication(first, 2),
        _communication(second, 3, channel="sms", **in_doubt),
        _communication(second, 4, **in_doubt),
    )

    page_one = await api_client.get(
        "/v1/communications", params={"status": "unconfirmed", "limit": 2}
    )
    cursor = page_one.json()["next_cursor"]
    page_two = await api_client.get(
        "/v1/communications", params={"status": "unconfirmed", "limit": 2, "cursor": cursor}
    )
    sms_only = await api_client.get(
        "/v1/communications", params={"status": "unconfirmed", "channel": "sms"}
    )
    recent = await api_client.get(
        "/v1/communications",
        params={"status": "unconfirmed", "since": (T0 + timedelta(hours=2)).isoformat()},
    )

    assert page_one.status_code == 200, page_one.text
    assert [c["step"] for c in page_one.json()["items"]] == ["step_4", "step_3"]
    assert cursor is not None
    assert [c["step"] for c in page_two.json()["items"]] == ["step_1"]
    assert page_two.json()["next_cursor"] is None
    assert page_two.json()["items"][0]["appointment_id"] == first["id"]
    assert page_two.json()["items"][0]["in_doubt_since"] is not None
    assert [c["step"] for c in sms_only.json()["items"]] == ["step_3"]
    assert [c["step"] for c in recent.json()["items"]] == ["step_4", "step_3"]
    report = await api_client.get("/v1/reports/follow-ups")
    assert report.json()["unconfirmed_messages"] == 3  # counted where outcomes are read


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"status": "lost-in-space"}, ["query", "status"]),
        ({"limit": "0"}, ["query", "limit"]),
        ({"limit": "1000"}, ["query", "limit"]),
        ({"since": "0.5"}, ["query", "since"]),
        ({"since": "2026-01-01T00:00:00"}, ["query", "since"]),
        ({"cursor": "not-a-cursor"}, ["query", "cursor"]),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(
    api_client: httpx.AsyncClient, params: dict[str, str], loc: list[str]
) -> None:
    response = await api_client.get("/v1/communications", params=params)

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["detail"]] == [loc]
