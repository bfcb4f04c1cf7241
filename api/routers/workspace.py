"""The caller's workspace: who am I (GET /v1/workspace) and its settings (admin scope)."""

from __future__ import annotations

from fastapi import APIRouter

from api.dependencies import DirectoryDep, PrincipalDep, WorkspaceSettingsDep
from api.schemas import ErrorOut
from api.workspace_schemas import (
    PrincipalOut,
    WorkspaceOut,
    WorkspaceSettingsIn,
    WorkspaceSettingsOut,
)

router = APIRouter(prefix="/v1/workspace", tags=["workspace"])


@router.get("")
async def who_am_i(principal: PrincipalDep, directory: DirectoryDep) -> PrincipalOut:
    """The workspace this key acts on, and what the key may do (any valid key)."""
    context = await directory.context(principal.workspace_id)
    return PrincipalOut(
        workspace=WorkspaceOut.model_validate(context.workspace, from_attributes=True),
        key_id=principal.key_id,
        scopes=sorted(principal.scopes),
    )


@router.get("/settings")
async def get_settings(settings: WorkspaceSettingsDep) -> WorkspaceSettingsOut:
    """The workspace's own settings (null: the deployment's value applies). Credentials
    are never returned, only whether they are configured."""
    return WorkspaceSettingsOut.of(await settings.view())


@router.put("/settings", responses={422: {"model": ErrorOut}})
async def put_settings(
    body: WorkspaceSettingsIn, settings: WorkspaceSettingsDep
) -> WorkspaceSettingsOut:
    """Change the settings sent and keep the others; null resets one to the deployment's
    value. Credentials are encrypted at rest (CREDENTIALS_KEY must be set)."""
    view = await settings.update(body.values(), body.credential_changes())
    return WorkspaceSettingsOut.of(view)
