"""Property: whatever a client sends to the create and event routes, the answer is never a
5xx, and a refused request stores nothing (no appointment, contact or event half-written).
Bodies start valid and have fields replaced by hostile values: wrong types, text with NUL
or unpaired surrogates, times at the ends of the calendar, missing and unknown fields."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from rebook.db.models import Appointment, AppointmentEventRow, Contact
from tests.support.payloads import appointment_body, future_iso, starting_soon_iso

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Cs", "Cc", "Co", "Cn", "L"]), max_size=10),
    st.sampled_from(["", " ", "\x00", "\ud800", "a\udfffb", "\ufeff", "+0", "9" * 400]),
)
_times = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda moment: moment.replace(tzinfo=UTC).isoformat()
)
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _nasty_text,
    _times,
    st.lists(_nasty_text, max_size=3),
    st.dictionaries(_nasty_text, _nasty_text, max_size=2),
)

CREATE_FIELDS = [
    "external_id", "starts_at", "duration_minutes", "kind", "topic", "reschedule_url",
    "booked_via", "content_url", "alternative_url", "experiment", "contact", "host",
    "contact.id", "contact.name", "contact.email", "contact.phone", "contact.whatsapp",
    "contact.preferred_channel", "contact.timezone", "contact.locale", "host.id", "host.name",
    "host.email", "location", "join_url", "instructions", "interest", "playbook",
    "surprise_field",
]  # fmt: skip
EVENT_FIELDS = ["type", "event_id", "occurred_at", "new_starts_at", "reason", "surprise_field"]

_MISSING = object()


def _mutated(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        target = body
        for parent in parents:
            if not isinstance(target.get(parent), dict):
                break
            target = target[parent]
        else:
            if value is _MISSING:
                target.pop(leaf, None)
            else:
                target[leaf] = value
    return body


def _changes(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(
        st.sampled_from(fields), st.one_of(_values, st.just(_MISSING)), min_size=1, max_size=4
    )


def _count(sessions: sessionmaker[Session], model: Any) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _post(client: httpx.AsyncClient, path: str, body: Any) -> Any:
    # ensure_ascii: a lone surrogate goes out as a \ud800 escape (valid JSON, bad Unicode).
    return client.post(
        path,
        content=json.dumps(body, ensure_ascii=True),
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.timeout(600)
@EXAMPLES
@given(changes=_changes(CREATE_FIELDS))
async def test_any_create_body_is_answered_without_a_5xx_and_refusals_store_nothing(
    api_client: httpx.AsyncClient, sessions: sessionmaker[Session], changes: dict[str, Any]
) -> None:
    body = _mutated(appointment_body(), changes)
    before = (_count(sessions, Appointment), _count(sessions, Contact))

    response = await _post(api_client, "/v1/appointments", body)

    assert response.status_code < 500, response.text
    after = (_count(sessions, Appointment), _count(sessions, Contact))
    if response.status_code >= 400:
        assert after == before, response.text
    else:
        assert response.status_code == 201
        assert after[0] == before[0] + 1
        assert response.json()["external_id"] == body["external_id"]


@pytest.mark.timeout(600)
@EXAMPLES
@given(changes=_changes(EVENT_FIELDS), type_=st.sampled_from(["missed", "rescheduled", "replied"]))
async def test_any_event_body_is_answered_without_a_5xx_and_refusals_store_nothing(
    api_client: httpx.AsyncClient,
    sessions: sessionmaker[Session],
    changes: dict[str, Any],
    type_: str,
) -> None:
    created = await api_client.post(
        "/v1/appointments", json=appointment_body(starts_at=starting_soon_iso())
    )
    assert created.status_code == 201, created.text
    path = f"/v1/appointments/{created.json()['id']}/events"
    body = _mutated({"type": type_, "new_starts_at": future_iso(days=4)}, changes)
    before = _count(sessions, AppointmentEventRow)

    response = await _post(api_client, path, body)

    assert response.status_code < 500, response.text
    stored = _count(sessions, AppointmentEventRow) - before
    if response.status_code >= 400:
        assert stored == 0, response.text
    else:
        assert response.status_code == 202
        assert stored == (0 if response.json()["duplicate"] else 1)
