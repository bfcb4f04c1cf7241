"""What each `rebook` command does: one use case each, through the same services as the
API, its writes recorded in the workspace's audit log (actor "cli")."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from api.workspace_schemas import WorkspaceSettingsOut, settings_input
from rebook.core.api_keys import ApiKey, Scope
from rebook.core.audit import Actor, AuditEvent
from rebook.core.workspaces import Workspace, WorkspaceId
from rebook.db.engine import create_engine_for, session_factory
from rebook.db.stores import (
    ApiKeyStore,
    AuditStore,
    WorkspaceSettingsStore,
    WorkspaceStore,
)
from rebook.services.api_keys import ApiKeyService
from rebook.services.audit import AuditService
from rebook.services.blocking import in_thread
from rebook.services.errors import InvalidField, NotFound
from rebook.services.workspaces import (
    WorkspaceAdmin,
    WorkspaceSettingsService,
    rotate_credentials,
)
from rebook.settings import Settings

CREATED = 201
OK = 200


class Commands:
    def __init__(self, settings: Settings, out: TextIO, err: TextIO) -> None:
        self._settings = settings
        self._out = out
        self._err = err
        self._engine = create_engine_for(settings.database_url)
        self._sessions = session_factory(self._engine)
        self._workspaces = WorkspaceStore(self._sessions)
        self._admin = WorkspaceAdmin(self._workspaces)

    def close(self) -> None:
        self._engine.dispose()

    # ------------------------------------------------------------------ workspaces

    async def create_workspace(self, args: argparse.Namespace) -> None:
        workspace = await self._admin.create(args.slug, args.name, args.timezone)
        await self._audit(workspace.id, "workspace create", workspace.id, CREATED)
        print(f"created workspace {workspace.slug} ({workspace.id})", file=self._out)

    async def list_workspaces(self, _args: argparse.Namespace) -> None:
        rows = [
            (w.slug, w.id, w.timezone, w.created_at.isoformat(timespec="seconds"), w.name)
            for w in await self._admin.all()
        ]
        self._table(("SLUG", "ID", "TIMEZONE", "CREATED", "NAME"), rows)

    async def workspace_settings(self, args: argparse.Namespace) -> None:
        workspace = await self._admin.by_slug(args.slug)
        service = WorkspaceSettingsService(
            WorkspaceSettingsStore(self._sessions, workspace.id),
            self._settings.credential_cipher(),
        )
        changes = settings_changes(args.assignments, args.unset, args.json)
        if changes:
            body = settings_input(changes)
            view = await service.update(body.values(), body.credential_changes())
            await self._audit(workspace.id, "workspace settings", workspace.id, OK)
        else:
            view = await service.view()
        shown = WorkspaceSettingsOut.of(view).model_dump(mode="json")
        print(json.dumps(shown, indent=2), file=self._out)

    # ------------------------------------------------------------------ keys

    async def create_key(self, args: argparse.Namespace) -> None:
        workspace = await self._admin.by_slug(args.workspace)
        keys = self._keys(workspace.id)
        key, text = await keys.create(args.name, [Scope(scope) for scope in args.scopes])
        await self._audit(workspace.id, "key create", key.id, CREATED, key_id=key.id)
        print(
            f"created key {key.id} for workspace {workspace.slug} "
            f"({', '.join(sorted(key.scopes))}). It is shown only now; store it safely:",
            file=self._err,
        )
        print(text, file=self._out)

    async def list_keys(self, args: argparse.Namespace) -> None:
        workspaces = {w.id: w for w in await self._admin.all()}
        if args.workspace:
            workspace = await self._admin.by_slug(args.workspace)
            keys = await self._keys(workspace.id).all()
        else:
            keys = await in_thread(self._workspaces.all_keys)
        self._table(
            ("KEY ID", "WORKSPACE", "SCOPES", "CREATED", "LAST USED", "REVOKED", "NAME"),
            [_key_row(key, workspaces) for key in keys],
        )

    async def revoke_key(self, args: argparse.Namespace) -> None:
        stored = await in_thread(self._workspaces.key, args.key_id)
        if stored is None:
            raise NotFound(f"key {args.key_id} not found")
        workspace_id = stored.key.workspace_id
        await self._keys(workspace_id).revoke(args.key_id)
        await self._audit(workspace_id, "key revoke", args.key_id, OK, key_id=args.key_id)
        print(f"revoked key {args.key_id}", file=self._out)

    # ------------------------------------------------------------------ credentials

    async def rotate_credentials(self, _args: argparse.Namespace) -> None:
        cipher = self._settings.credential_cipher()
        if cipher is None:
            raise InvalidField(("CREDENTIALS_KEY",), "is not set", None)
        count = await rotate_credentials(
            self._workspaces,
            lambda workspace_id: WorkspaceSettingsStore(self._sessions, workspace_id),
            cipher,
        )
        print(f"re-encrypted {count} stored credentials under the first key", file=self._out)

    # ------------------------------------------------------------------ helpers

    def _keys(self, workspace_id: WorkspaceId) -> ApiKeyService:
        return ApiKeyService(ApiKeyStore(self._sessions, workspace_id), workspace_id)

    async def _audit(
        self,
        workspace_id: WorkspaceId,
        action: str,
        target_id: str,
        status_code: int,
        *,
        key_id: str | None = None,
    ) -> None:
        event = AuditEvent(Actor.CLI, action, status_code, key_id=key_id, target_id=target_id)
        await AuditService(AuditStore(self._sessions, workspace_id)).record(event)

    def _table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        columns = zip(header, *rows, strict=True)
        widths = [max(len(cell) for cell in column) for column in columns]
        for row in (header, *rows):
            cells = zip(row, widths, strict=True)
            print("  ".join(cell.ljust(width) for cell, width in cells).rstrip(), file=self._out)


def _key_row(key: ApiKey, workspaces: Mapping[WorkspaceId, Workspace]) -> tuple[str, ...]:
    workspace = workspaces.get(key.workspace_id)
    return (
        key.id,
        workspace.slug if workspace else key.workspace_id,
        ",".join(sorted(key.scopes)),
        _when(key.created_at),
        _when(key.last_used_at),
        _when(key.revoked_at),
        key.name,
    )


def _when(moment: Any) -> str:
    return moment.isoformat(timespec="minutes") if moment is not None else "-"


def settings_changes(
    assignments: Sequence[str], unset: Sequence[str], json_file: Path | None
) -> dict[str, Any]:
    """The changes as the API's WorkspaceSettingsIn takes them: a JSON file's object, then
    --set NAME=VALUE pairs (dotted names nest: credentials.sendgrid.api_key), then --unset
    NAME (null). Raises InvalidField for a malformed pair or file."""
    changes: dict[str, Any] = {}
    if json_file is not None:
        try:
            loaded = json.loads(json_file.read_text())
        except (OSError, ValueError) as exc:
            raise InvalidField(("--json",), f"cannot read {json_file}: {exc}", None) from None
        if not isinstance(loaded, dict):
            raise InvalidField(("--json",), "must hold a JSON object", None)
        changes.update(loaded)
    for assignment in assignments:
        name, separator, value = assignment.partition("=")
        if not separator or not name:
            raise InvalidField(("--set",), f"expected NAME=VALUE, got {name!r}", None)
        _nest(changes, name, value)
    for name in unset:
        _nest(changes, name, None)
    return changes


def _nest(changes: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = changes
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[leaf] = value
