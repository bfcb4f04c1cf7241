"""The step ids and template names of the default playbook (and of the runs from before
playbooks, which ran the same sequence). Playbooks name their own steps and templates as
plain strings; these are for code that refers to the default ones by name (the benchmark,
tests). The workflow never branches on them: it goes by each step's action.

Pure module: safe to import from workflows.
"""

from __future__ import annotations

from enum import StrEnum


class Step(StrEnum):
    CONFIRMATION = "confirmation"
    REMINDER_24H = "reminder_24h"
    REMINDER_1H = "reminder_1h"
    OUTCOME_DEADLINE = "outcome_deadline"  # no message: closes as expired
    NO_SHOW_FOLLOWUP = "no_show_followup"
    NO_SHOW_NUDGE = "no_show_nudge"
    VALUE_CONTENT = "value_content"
    ALTERNATIVE_OFFER = "alternative_offer"
    CLOSE_AS_LOST = "close_as_lost"  # no message: closes as lost
    CANCELLATION_NOTICE = "cancellation_notice"
    HOST_RESCHEDULE_ALERT = "host_reschedule_alert"


class Template(StrEnum):
    BOOKING_CONFIRMATION = "booking_confirmation"
    RESCHEDULE_CONFIRMATION = "reschedule_confirmation"
    REMINDER_24H = "reminder_24h"
    REMINDER_1H = "reminder_1h"
    NO_SHOW_FOLLOWUP = "no_show_followup"
    NO_SHOW_NUDGE = "no_show_nudge"
    VALUE_CONTENT = "value_content"
    ALTERNATIVE_OFFER = "alternative_offer"
    CANCELLATION_NOTICE = "cancellation_notice"
    HOST_RESCHEDULE_ALERT = "host_reschedule_alert"
