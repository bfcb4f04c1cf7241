"""The stores of workspaces themselves: the registry and key lookup (WorkspaceStore), a
workspace's keys, settings and audit log, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rebook.core.api_keys import Scope
from rebook.core.audit import Actor, AuditEvent, AuditFilter
from rebook.core.workspaces import DEFAULT_WORKSPACE_ID, WorkspaceSettings
from rebook.db.models import ApiKeyRow
from rebook.db.stores import (
    ApiKeyStore,
    AuditStore,
    WorkspaceExists,
    WorkspaceNotFound,
    WorkspaceSettingsStore,
    WorkspaceStore,
)
from tests.support.factories import workspace
from tests.support.workspaces import add_workspace, issue_key, key_id_of


def test_the_migration_made_the_default_workspace(sessions: sessionmaker[Session]) -> None:
    default = WorkspaceStore(sessions).by_slug("default")

    assert default is not None and default.id == DEFAULT_WORKSPACE_ID
    assert default.timezone == "UTC"


def test_slugs_are_unique(sessions: sessionmaker[Session]) -> None:
    store = WorkspaceStore(sessions)
    store.create(workspace("acme"))

    with pytest.raises(WorkspaceExists):
        store.create(workspace("acme", id="ws_other"))
    assert sorted(w.slug for w in store.all()) == ["acme", "default"]


def test_keys_are_stored_as_hashes_and_found_by_id(sessions: sessionmaker[Session]) -> None:
    acme = add_workspace(sessions)
    store = WorkspaceStore(sessions)
    assert not store.any_keys()

    text = issue_key(sessions, acme.id, Scope.REPORTS_READ)
    found = store.key(key_id_of(text))

    assert store.any_keys()
    assert found is not None
    assert found.key.workspace_id == acme.id and found.key.scopes == {Scope.REPORTS_READ}
    secret = text.split("_", 2)[2]
    with sessions() as session:
        stored = session.scalars(select(ApiKeyRow)).one()
    assert secret not in (stored.secret_sha256, stored.name, stored.scopes, stored.id)


def test_last_use_is_written_at_most_once_per_resolution(sessions: sessionmaker[Session]) -> None:
    acme = add_workspace(sessions)
    key_id = key_id_of(issue_key(sessions, acme.id))
    store, minute = WorkspaceStore(sessions), timedelta(minutes=1)
    first = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    store.touch_key(key_id, first, minute)
    store.touch_key(key_id, first + timedelta(seconds=30), minute)
    assert _last_used(store, key_id) == first
    store.touch_key(key_id, first + timedelta(seconds=61), minute)
    assert _last_used(store, key_id) == first + timedelta(seconds=61)


def _last_used(store: WorkspaceStore, key_id: str) -> datetime | None:
    found = store.key(key_id)
    assert found is not None
    return found.key.last_used_at


def test_a_workspace_revokes_and_lists_its_own_keys_only(sessions: sessionmaker[Session]) -> None:
    acme, bravo = add_workspace(sessions, "acme"), add_workspace(sessions, "bravo")
    mine = key_id_of(issue_key(sessions, acme.id))
    theirs = key_id_of(issue_key(sessions, bravo.id))
    keys = ApiKeyStore(sessions, acme.id)
    at = datetime(2026, 12, 1, tzinfo=UTC)

    assert keys.revoke(theirs, at) is None
    revoked = keys.revoke(mine, at)
    again = keys.revoke(mine, at + timedelta(hours=1))

    assert revoked is not None and again is not None and again.revoked_at == at
    assert [k.id for k in keys.all()] == [mine]
    found = WorkspaceStore(sessions).key(theirs)
    assert found is not None and not found.key.revoked


def test_settings_change_field_by_field_and_keep_only_tokens(
    sessions: sessionmaker[Session],
) -> None:
    acme = add_workspace(sessions)
    store = WorkspaceSettingsStore(sessions, acme.id)
    assert store.settings() == WorkspaceSettings()

    store.update({"brand_name": "Acme", "quiet_hours_start_h": 20, "name": "Acme Clinic"})
    changed = store.update({"brand_name": None}, {"twilio": "gAAAA-token"})

    assert changed.brand_name is None and changed.quiet_hours_start_h == 20
    assert changed.twilio_configured and not changed.sendgrid_configured
    assert store.workspace().name == "Acme Clinic"
    assert store.credentials().twilio == "gAAAA-token"
    assert store.reencrypt_credentials(lambda token: token + "-rotated") == 1
    assert store.credentials().twilio == "gAAAA-token-rotated"
    with pytest.raises(ValueError, match="unknown settings"):
        store.update({"api_key": "x"})


def test_settings_of_a_missing_workspace(sessions: sessionmaker[Session]) -> None:
    store = WorkspaceSettingsStore(sessions, workspace("ghost").id)

    with pytest.raises(WorkspaceNotFound):
        store.update({"brand_name": "x"})
    with pytest.raises(WorkspaceNotFound):
        store.workspace()


def test_audit_pages_newest_first_within_the_workspace(sessions: sessionmaker[Session]) -> None:
    acme, bravo = add_workspace(sessions, "acme"), add_workspace(sessions, "bravo")
    audit = AuditStore(sessions, acme.id)
    for number in range(5):
        audit.record(AuditEvent(Actor.API, "POST /v1/appointments", 201, "k1", f"apt_{number}"))
    audit.record(AuditEvent(Actor.CLI, "key revoke", 200, "k1", "k1"))
    AuditStore(sessions, bravo.id).record(AuditEvent(Actor.API, "POST /v1/keys", 201))

    first = audit.page(AuditFilter(), None, 4)
    second = audit.page(AuditFilter(), first[-1].id, 4)
    created = audit.page(AuditFilter(action="POST /v1/appointments", status_code=201), None, 50)

    assert [e.target_id for e in first] == ["k1", "apt_4", "apt_3", "apt_2"]
    assert [e.target_id for e in second] == ["apt_1", "apt_0"]
    assert len(created) == 5 and {e.workspace_id for e in created} == {acme.id}
    assert audit.page(AuditFilter(target_id="apt_3"), None, 50)[0].actor is Actor.API
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert audit.page(AuditFilter(since=later), None, 50) == []
