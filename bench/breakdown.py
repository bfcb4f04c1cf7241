"""Where the follow-up latency goes, from the rows each stage writes (one clock: all
timestamps are this machine's, written by the API, the activities and the bench).

    202 at the client ..................... accepted_at (bench)
    event accepted by the API ............. appointment_events.received_at
    no-show recorded (1st activity) ....... no_shows.created_at
    follow-up claimed (deliver starts) .... communications.created_at
    follow-up recorded by the outbox ...... communications.sent_at
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import InstrumentedAttribute

from bench.load import AppointmentSample
from bench.stats import summary_ms
from rebook.core.steps import Step
from rebook.db.models import AppointmentEventRow, Communication, NoShow

CHUNK = 500  # SQLite caps bound parameters per statement


def _by_appointment(
    reader: Engine,
    moment: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    appointment_id: InstrumentedAttribute[str],
    ids: Sequence[str],
    *where: ColumnElement[bool],
) -> dict[str, datetime]:
    """The earliest `moment` per appointment among ids."""
    out: dict[str, datetime] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = select(appointment_id, moment).where(
            appointment_id.in_(ids[start : start + CHUNK]), *where
        )
        with reader.connect() as conn:
            for key, value in conn.execute(stmt).all():
                if value is not None and (key not in out or value < out[key]):
                    out[key] = value
    return out


def stage_breakdown(
    reader: Engine, samples: Sequence[AppointmentSample]
) -> dict[str, dict[str, float]]:
    ids = [s.appointment_id for s in samples]
    received = _by_appointment(
        reader, AppointmentEventRow.received_at, AppointmentEventRow.appointment_id, ids
    )
    no_show = _by_appointment(reader, NoShow.created_at, NoShow.appointment_id, ids)
    claimed = _by_appointment(
        reader,
        Communication.created_at,
        Communication.appointment_id,
        ids,
        Communication.step == Step.NO_SHOW_FOLLOWUP.value,
    )
    stages: dict[str, list[float]] = {
        "http_create_roundtrip": [s.create_s for s in samples],
        "http_missed_roundtrip": [s.missed_s for s in samples],
        "api_received_to_no_show_recorded": [],
        "no_show_recorded_to_followup_claimed": [],
        "followup_claimed_to_sent": [],
    }
    for s in samples:
        key = s.appointment_id
        if key in received and key in no_show:
            stages["api_received_to_no_show_recorded"].append(
                (no_show[key] - received[key]).total_seconds()
            )
        if key in no_show and key in claimed:
            stages["no_show_recorded_to_followup_claimed"].append(
                (claimed[key] - no_show[key]).total_seconds()
            )
        if key in claimed:
            stages["followup_claimed_to_sent"].append(
                (s.followup_at - claimed[key]).total_seconds()
            )
    return {name: summary_ms(values) for name, values in stages.items() if values}
