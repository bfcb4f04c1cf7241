"""Use cases over the real stores (both databases) and a Temporal that cannot be reached:
these tests cover what a service decides before, or instead of, talking to Temporal (the
API tests cover the rest against a real dev server)."""

from __future__ import annotations

import socket

import pytest

from rebook.core.contracts import FollowUpPolicy
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID
from rebook.temporal.gateway import AppointmentWorkflows, TemporalConnection


@pytest.fixture
def temporal_down() -> TemporalConnection:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return TemporalConnection(f"127.0.0.1:{port}", "default")


@pytest.fixture
def workflows(temporal_down: TemporalConnection) -> AppointmentWorkflows:
    return AppointmentWorkflows(
        temporal_down, "services-test", FollowUpPolicy(), DEFAULT_WORKSPACE_ID
    )
