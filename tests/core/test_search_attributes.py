"""The search attributes are listed once (rebook.core.search_attributes); every place that
registers them must agree with that list."""

from __future__ import annotations

from pathlib import Path

import yaml

from rebook.core import search_attributes as sa
from rebook.core.contracts import SequenceState
from rebook.core.domain import AppointmentStatus
from tests.support.factories import T0, appointment

ROOT = Path(__file__).resolve().parents[2]


def test_docker_compose_registers_exactly_the_search_attributes_of_the_code() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command: list[str] = compose["services"]["temporal"]["command"]
    registered = [part for part in command if part.startswith("--search-attribute")]

    assert registered == sa.cli_flags()


def test_every_key_has_a_value_for_an_appointment() -> None:
    details = appointment()
    state = SequenceState(
        status=AppointmentStatus.MISSED,
        starts_at=details.starts_at,
        armed_at=T0,
        no_show_count=2,
        reschedule_count=1,
    )

    fresh = {pair.key.name: pair.value for pair in sa.pairs(details, workspace_id="ws_1")}
    later = {pair.key.name: pair.value for pair in sa.pairs(details, state, workspace_id="ws_1")}

    assert list(fresh) == [key.name for key in sa.ALL_KEYS]
    assert fresh["AppointmentStatus"] == "scheduled"
    assert (fresh["NoShowCount"], fresh["RescheduleCount"]) == (0, 0)
    assert later["AppointmentStatus"] == "missed"
    assert (later["NoShowCount"], later["RescheduleCount"]) == (2, 1)
    assert later["AppointmentId"] == details.appointment_id
    assert later["ContactId"] == details.contact.id
