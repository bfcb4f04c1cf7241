"""The workspace's API keys (admin scope): create (the key is shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from api.dependencies import ApiKeysDep
from api.schemas import ErrorOut, PathId
from api.workspace_schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut

router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_key(body: ApiKeyIn, response: Response, keys: ApiKeysDep) -> ApiKeyCreatedOut:
    """A new key of this workspace. The `key` field is its only appearance: only its hash
    is stored."""
    key, text = await keys.create(body.name, body.scopes)
    response.headers["Location"] = f"/v1/keys/{key.id}"
    shown = ApiKeyOut.model_validate(key, from_attributes=True)
    return ApiKeyCreatedOut(**shown.model_dump(), key=text)


@router.get("")
async def list_keys(keys: ApiKeysDep) -> list[ApiKeyOut]:
    """Every key of this workspace, revoked ones too, oldest first."""
    return [ApiKeyOut.model_validate(key, from_attributes=True) for key in await keys.all()]


@router.delete("/{key_id}", responses={404: {"model": ErrorOut, "description": "No such key"}})
async def revoke_key(key_id: PathId, keys: ApiKeysDep) -> ApiKeyOut:
    """Revoke the key: refused (401) from now on. Idempotent."""
    return ApiKeyOut.model_validate(await keys.revoke(key_id), from_attributes=True)
