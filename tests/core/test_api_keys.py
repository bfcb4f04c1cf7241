"""The API key format and its hash (rebook.core.api_keys)."""

from __future__ import annotations

import pytest

from rebook.core.api_keys import (
    ALL_SCOPES,
    Scope,
    format_key,
    grants,
    hash_secret,
    parse_key,
    secret_matches,
)
from rebook.services.api_keys import new_key_id, new_secret


def test_a_key_reads_back_into_its_id_and_secret_even_with_underscores_in_the_secret() -> None:
    key_id, secret = new_key_id(), "ab_c-d_ef"

    text = format_key(key_id, secret)

    assert text == f"rbk_{key_id}_ab_c-d_ef"
    assert parse_key(text) == (key_id, secret)


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "rbk",
        "rbk_",
        "rbk_0123456789ab_",
        "xyz_0123456789ab_secret",
        "rbk_short_secret",
        "rbk_0123456789AB_secret",
        "Bearer rbk_0123456789ab_secret",
    ],
)
def test_malformed_keys_do_not_parse(presented: str) -> None:
    assert parse_key(presented) is None


def test_generated_secrets_are_long_and_distinct() -> None:
    secrets = {new_secret() for _ in range(50)}

    assert len(secrets) == 50
    assert min(len(s) for s in secrets) >= 43  # 32 bytes of url-safe base64


def test_only_the_right_secret_matches_its_hash() -> None:
    stored = hash_secret("the-secret")

    assert len(stored) == 64 and "the-secret" not in stored
    assert secret_matches("the-secret", stored)
    assert not secret_matches("the-secreT", stored)


def test_admin_grants_every_scope_and_other_scopes_only_themselves() -> None:
    assert all(grants(frozenset({Scope.ADMIN}), scope) for scope in Scope)
    assert grants(frozenset({Scope.REPORTS_READ}), Scope.REPORTS_READ)
    assert not grants(frozenset({Scope.APPOINTMENTS_READ}), Scope.APPOINTMENTS_WRITE)
    assert frozenset(Scope) == ALL_SCOPES
