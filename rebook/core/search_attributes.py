"""Custom search attributes that make appointments findable in the Temporal UI.

Registered by the dev stack (temporal server start-dev --search-attribute) and by tests
(operator service). Pure module: safe to import from workflows.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

APPOINTMENT_ID = SearchAttributeKey.for_keyword("AppointmentId")
CONTACT_ID = SearchAttributeKey.for_keyword("ContactId")
APPOINTMENT_KIND = SearchAttributeKey.for_keyword("AppointmentKind")
APPOINTMENT_STATUS = SearchAttributeKey.for_keyword("AppointmentStatus")
NO_SHOW_COUNT = SearchAttributeKey.for_int("NoShowCount")
RESCHEDULE_COUNT = SearchAttributeKey.for_int("RescheduleCount")

ALL_KEYS: tuple[SearchAttributeKey[str] | SearchAttributeKey[int], ...] = (
    APPOINTMENT_ID,
    CONTACT_ID,
    APPOINTMENT_KIND,
    APPOINTMENT_STATUS,
    NO_SHOW_COUNT,
    RESCHEDULE_COUNT,
)


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int"}
    return [
        f"--search-attribute={key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}"
        for key in ALL_KEYS
    ]
