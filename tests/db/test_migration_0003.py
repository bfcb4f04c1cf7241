"""0003 (workspaces) upgrades a database written by the code before it without losing a
row: everything lands in the default workspace and reads back through today's stores (at
head, so through 0004 and 0005 too), with the ids, keys and workflow ids it had. Both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.contracts import AppointmentEvent
from rebook.core.domain import AppointmentStatus, Channel, CommunicationStatus, EventType
from rebook.core.ports import ClaimAction
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.migrate import alembic_config, upgrade_to_head
from rebook.db.stores import AppointmentStore, CommunicationStore, ReportStore
from tests.support.factories import appointment, contact
from tests.support.rows import LEASE, draft, save_appointment
from tests.support.workspaces import add_workspace

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BOOKED = timezone(timedelta(hours=2))
STARTS = datetime(2026, 11, 28, 15, 0, tzinfo=BOOKED)
TABLES = (
    "contacts",
    "contact_opt_outs",
    "appointments",
    "appointment_events",
    "no_shows",
    "communications",
)


@pytest.fixture
def engine_at_0002(empty_database_url: str) -> Iterator[Engine]:
    command.upgrade(alembic_config(empty_database_url), "0002")
    engine = create_engine_for(empty_database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _contact(contact_id: str, **values: Any) -> dict[str, Any]:
    return {
        "id": contact_id,
        "name": "Ada Lovelace",
        "email": None,
        "phone": None,
        "whatsapp": None,
        "preferred_channel": None,
        "timezone": "Europe/London",
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


def _appointment(appointment_id: str, contact_id: str, **values: Any) -> dict[str, Any]:
    return {
        "id": appointment_id,
        "external_id": f"ext-{appointment_id}",
        "request_fingerprint": "f" * 64,
        "workflow_id": f"appointment-{appointment_id}",
        "contact_id": contact_id,
        "host_id": "host_1",
        "host_name": "Grace Hopper",
        "host_email": "grace@example.com",
        "kind": "demo",
        "topic": "Cutting no-shows",
        "starts_at": STARTS.astimezone(UTC),
        "starts_at_utc_offset_minutes": 120,
        "duration_minutes": 30,
        "reschedule_url": "https://book.example.com/r/1",
        "booked_via": "web",
        "content_url": None,
        "alternative_url": None,
        "experiment_name": None,
        "experiment_variant": None,
        "status": "scheduled",
        "no_show_count": 0,
        "reschedule_count": 0,
        "flagged": False,
        "next_step": None,
        "next_step_at": None,
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


def _message(
    message_id: str, appointment_id: str, contact_id: str, **values: Any
) -> dict[str, Any]:
    return {
        "id": message_id,
        "idempotency_key": f"{appointment_id}:{message_id}",
        "appointment_id": appointment_id,
        "contact_id": contact_id,
        "recipient": "contact",
        "step": "confirmation",
        "template": "booking_confirmation",
        "channel": "email",
        "variant": "a",
        "to_address": "ada@example.com",
        "subject": "Booked",
        "body": "See you",
        "status": "sent",
        "provider": "sendgrid",
        "provider_message_id": f"sg-{message_id}",
        "error": None,
        "attempts": 1,
        "scheduled_for": NOW,
        "sent_at": NOW,
        "read_at": None,
        "provider_status": None,
        "delivered_at": None,
        "opened_at": None,
        "clicked_at": None,
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }


ROWS: dict[str, list[dict[str, Any]]] = {
    "contacts": [
        _contact("c1", email="ada@example.com", preferred_channel="email"),
        _contact("c2", phone="+447700900123", whatsapp="+447700900124"),
    ],
    "appointments": [
        _appointment("apt_1", "c1", experiment_name="tone", experiment_variant="b"),
        _appointment(
            "apt_2",
            "c2",
            status="missed",
            no_show_count=1,
            next_step="nudge",
            next_step_at=NOW + timedelta(hours=4),
        ),
        _appointment("apt_3", "c1", status="lost"),
    ],
    "appointment_events": [
        {
            "id": "evt_1",
            "appointment_id": "apt_2",
            "event_id": "m-1",
            "type": "missed",
            "occurred_at": NOW,
            "received_at": NOW,
            "new_starts_at": None,
            "reason": None,
        },
        {
            "id": "evt_2",
            "appointment_id": "apt_2",
            "event_id": "r-1",
            "type": "rescheduled",
            "occurred_at": None,
            "received_at": NOW + timedelta(hours=1),
            "new_starts_at": NOW + timedelta(days=3),
            "reason": "sick",
        },
    ],
    "no_shows": [
        {
            "occurrence_key": "apt_2@slot",
            "appointment_id": "apt_2",
            "contact_id": "c2",
            "missed_at": NOW,
            "created_at": NOW,
        },
    ],
    "contact_opt_outs": [
        {
            "contact_id": "c2",
            "channel": "sms",
            "reason": "twilio reported 21610",
            "created_at": NOW,
        },
    ],
    "communications": [
        _message("com_1", "apt_1", "c1", provider_status="delivered", delivered_at=NOW),
        _message(
            "com_2",
            "apt_2",
            "c2",
            channel="in_app",
            status="delivered",
            provider="in_app",
            to_address="c2",
        ),
        _message(
            "com_3",
            "apt_2",
            "c2",
            channel="sms",
            status="failed",
            provider="twilio",
            error="Twilio 400 (21211)",
        ),
    ],
}


def _write_the_way_0002_code_did(engine: Engine) -> None:
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as connection:
        for name in TABLES:
            connection.execute(tables.tables[name].insert(), ROWS.get(name, []))


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            name: connection.scalar(select(func.count()).select_from(text(name))) or 0
            for name in TABLES
        }


def test_upgrade_keeps_every_row_in_the_default_workspace(
    engine_at_0002: Engine, empty_database_url: str
) -> None:
    _write_the_way_0002_code_did(engine_at_0002)
    before = _counts(engine_at_0002)

    upgrade_to_head(empty_database_url)

    assert _counts(engine_at_0002) == before
    with engine_at_0002.connect() as connection:
        for name in TABLES:
            scopes = connection.execute(text(f"SELECT DISTINCT workspace_id FROM {name}"))
            assert [row[0] for row in scopes] == [DEFAULT_WORKSPACE_ID], name


def test_old_rows_read_back_through_todays_stores(
    engine_at_0002: Engine, empty_database_url: str
) -> None:
    _write_the_way_0002_code_did(engine_at_0002)
    upgrade_to_head(empty_database_url)
    sessions = session_factory(engine_at_0002)
    appointments = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID)
    messages = CommunicationStore(sessions, DEFAULT_WORKSPACE_ID)

    first = appointments.find_by_external_id("ext-apt_1")
    missed = appointments.get("apt_2")
    assert first is not None and missed is not None
    # Running workflows keep their ids: the stored one is what the API addresses.
    assert first.workflow_id == "appointment-apt_1"
    assert first.details.starts_at == STARTS and first.details.starts_at.utcoffset() == (
        timedelta(hours=2)
    )
    assert first.details.contact.email == "ada@example.com"
    assert first.details.experiment is not None and first.details.experiment.variant == "b"
    assert missed.progress.status is AppointmentStatus.MISSED
    assert (missed.progress.no_show_count, missed.progress.contact_no_show_total) == (1, 1)
    assert missed.details.contact.whatsapp == "+447700900124"

    stored = appointments.record_event(
        "apt_2", AppointmentEvent(EventType.MISSED, "m-1", datetime.now(UTC))
    )
    assert not stored.created and stored.event.received_at == NOW
    # 0005 backfills delivered_at: an event stored before it was delivered, so a repeat is
    # acknowledged without asking Temporal.
    assert stored.delivered

    assert [m.id for m in messages.for_appointment("apt_2")] == ["com_2", "com_3"]
    assert messages.for_appointment("apt_1")[0].provider_status == "delivered"
    assert [m.id for m in messages.inbox("c2")] == ["com_2"]
    assert messages.opted_out_channels("c2") == {Channel.SMS}
    # The old idempotency keys still guard their messages.
    again = messages.claim(draft("apt_1:com_1", appointment_id="apt_1", contact_id="c1"), LEASE)
    assert again.action is ClaimAction.DONE and again.record.status is CommunicationStatus.SENT

    report = ReportStore(sessions, DEFAULT_WORKSPACE_ID).follow_up_report(
        NOW - timedelta(days=1), NOW + timedelta(days=1), None
    )
    assert (report.totals.appointments, report.totals.missed) == (3, 1)
    assert (report.totals.rebooked_after_miss, report.totals.lost) == (1, 1)


def test_after_the_upgrade_another_workspace_books_the_same_platform_ids(
    engine_at_0002: Engine, empty_database_url: str
) -> None:
    _write_the_way_0002_code_did(engine_at_0002)
    upgrade_to_head(empty_database_url)
    sessions: sessionmaker[Session] = session_factory(engine_at_0002)
    acme = add_workspace(sessions)

    record = save_appointment(
        sessions,
        appointment(appointment_id="apt_new", external_id="ext-apt_1", contact=contact(id="c1")),
        acme.id,
    )

    assert record.workflow_id == f"{acme.id}/apt_new"
    old = AppointmentStore(sessions, DEFAULT_WORKSPACE_ID).find_by_external_id("ext-apt_1")
    assert old is not None and old.details.appointment_id == "apt_1"


def test_downgrade_restores_0002_unless_other_workspaces_exist(
    engine_at_0002: Engine, empty_database_url: str
) -> None:
    _write_the_way_0002_code_did(engine_at_0002)
    before = _counts(engine_at_0002)
    upgrade_to_head(empty_database_url)
    sessions = session_factory(engine_at_0002)
    acme = add_workspace(sessions)

    with pytest.raises(RuntimeError, match="workspaces besides 'default'"):
        command.downgrade(alembic_config(empty_database_url), "0002")

    with sessions.begin() as session:
        session.execute(text("DELETE FROM workspaces WHERE id = :id"), {"id": acme.id})
    command.downgrade(alembic_config(empty_database_url), "0002")
    assert _counts(engine_at_0002) == before
