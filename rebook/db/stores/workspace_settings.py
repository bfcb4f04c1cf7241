"""WorkspaceSettingsStore: one workspace's own settings (rebook.core.workspaces), its name
and default timezone, and its provider credentials as the Fernet tokens it was handed
(encryption is rebook.credentials'; no plaintext secret reaches this module). Scoped to one
workspace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session, sessionmaker

from rebook.core.shapes import same_fields
from rebook.core.workspaces import (
    SETTING_NAMES,
    EncryptedCredentials,
    Workspace,
    WorkspaceId,
    WorkspaceSettings,
)
from rebook.db.models import Workspace as WorkspaceRow
from rebook.db.models import WorkspaceSettingsRow
from rebook.db.stores.workspaces import workspace_record

# What the workspace row itself holds, changeable next to the settings.
WORKSPACE_FIELDS = ("name", "timezone")


class WorkspaceNotFound(LookupError):
    pass


class WorkspaceSettingsStore:
    def __init__(self, sessions: sessionmaker[Session], workspace_id: WorkspaceId) -> None:
        self._sessions = sessions
        self._workspace_id = workspace_id

    def workspace(self) -> Workspace:
        """Raises WorkspaceNotFound when the workspace does not exist (any more)."""
        with self._sessions() as session:
            row = session.get(WorkspaceRow, self._workspace_id)
            if row is None:
                raise WorkspaceNotFound(self._workspace_id)
            return workspace_record(row)

    def settings(self) -> WorkspaceSettings:
        with self._sessions() as session:
            return _settings(session.get(WorkspaceSettingsRow, self._workspace_id))

    def credentials(self) -> EncryptedCredentials:
        with self._sessions() as session:
            row = session.get(WorkspaceSettingsRow, self._workspace_id)
            if row is None:
                return EncryptedCredentials()
            return EncryptedCredentials(row.sendgrid_credentials, row.twilio_credentials)

    def update(
        self,
        values: Mapping[str, object],
        credentials: Mapping[str, str | None] | None = None,
    ) -> WorkspaceSettings:
        """Set the given fields in one transaction and leave the rest: settings by their
        WorkspaceSettings names (None: inherit again), "name" and "timezone" of the
        workspace, and credentials by provider ("sendgrid", "twilio": a Fernet token, or
        None to forget the account). Raises ValueError for an unknown name, and
        WorkspaceNotFound."""
        unknown = set(values) - set(SETTING_NAMES) - set(WORKSPACE_FIELDS)
        unknown |= set(credentials or {}) - {"sendgrid", "twilio"}
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        with self._sessions.begin() as session:
            workspace = session.get(WorkspaceRow, self._workspace_id, with_for_update=True)
            if workspace is None:
                raise WorkspaceNotFound(self._workspace_id)
            row = session.get(WorkspaceSettingsRow, self._workspace_id, with_for_update=True)
            if row is None:
                row = WorkspaceSettingsRow(workspace_id=self._workspace_id)
                session.add(row)
            for name, value in values.items():
                setattr(workspace if name in WORKSPACE_FIELDS else row, name, value)
            for provider, token in (credentials or {}).items():
                setattr(row, f"{provider}_credentials", token)
            session.flush()
            return _settings(row)

    def reencrypt_credentials(self, rotate: Callable[[str], str]) -> int:
        """Replace each stored token by rotate(token), in one transaction (a key
        rotation); returns how many were replaced."""
        with self._sessions.begin() as session:
            row = session.get(WorkspaceSettingsRow, self._workspace_id, with_for_update=True)
            if row is None:
                return 0
            changed = 0
            for column in ("sendgrid_credentials", "twilio_credentials"):
                token = getattr(row, column)
                if token is not None:
                    setattr(row, column, rotate(token))
                    changed += 1
            return changed


def _settings(row: WorkspaceSettingsRow | None) -> WorkspaceSettings:
    if row is None:
        return WorkspaceSettings()
    return same_fields(
        WorkspaceSettings,
        row,
        sendgrid_configured=row.sendgrid_credentials is not None,
        twilio_configured=row.twilio_credentials is not None,
    )
