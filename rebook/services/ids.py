"""Identifiers Rebook hands out. Random, so never call these from workflow code."""

from __future__ import annotations

import secrets


def new_appointment_id() -> str:
    return "apt_" + secrets.token_hex(10)


def new_event_id() -> str:
    """For an event the platform sent without an event_id."""
    return "evt_" + secrets.token_hex(10)
