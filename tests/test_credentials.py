"""Provider credentials at rest (rebook.credentials): Fernet, rotation, and the settings
that configure it."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError

from rebook.core.workspaces import (
    EncryptedCredentials,
    SendGridCredentials,
    TwilioCredentials,
)
from rebook.credentials import (
    CredentialCipher,
    CredentialsKeyMissing,
    CredentialsUnreadable,
    decrypt_credentials,
)
from rebook.settings import Settings

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()
TWILIO = TwilioCredentials(account_sid="AC" + "1" * 32, auth_token="twilio-secret-token")


def cipher(keys: str) -> CredentialCipher:
    made = CredentialCipher.from_setting(keys)
    assert made is not None
    return made


def test_credentials_round_trip_and_the_token_hides_them() -> None:
    token = cipher(NEW).encrypt(TWILIO)

    assert "twilio-secret-token" not in token and TWILIO.account_sid not in token
    assert cipher(NEW).decrypt(token, TwilioCredentials) == TWILIO


def test_secrets_stay_out_of_repr() -> None:
    shown = repr(SendGridCredentials(api_key="SG.secret", webhook_public_key="pk")) + repr(TWILIO)

    assert "SG.secret" not in shown and "twilio-secret-token" not in shown


def test_rotation_new_key_first_reads_old_tokens_and_rotate_moves_them_to_the_new_key() -> None:
    old_token = cipher(OLD).encrypt(TWILIO)
    both = cipher(f"{NEW},{OLD}")

    assert both.decrypt(old_token, TwilioCredentials) == TWILIO
    rotated = both.rotate(old_token)
    assert cipher(NEW).decrypt(rotated, TwilioCredentials) == TWILIO
    with pytest.raises(CredentialsUnreadable):
        cipher(OLD).decrypt(rotated, TwilioCredentials)


def test_a_token_under_an_unknown_key_is_unreadable() -> None:
    with pytest.raises(CredentialsUnreadable):
        cipher(NEW).decrypt(cipher(OLD).encrypt(TWILIO), TwilioCredentials)


def test_stored_credentials_without_a_key_are_an_error_not_a_silent_fallback() -> None:
    stored = EncryptedCredentials(twilio=cipher(NEW).encrypt(TWILIO))

    with pytest.raises(CredentialsKeyMissing):
        decrypt_credentials(stored, None)
    assert decrypt_credentials(EncryptedCredentials(), None).twilio is None
    assert decrypt_credentials(stored, cipher(NEW)).twilio == TWILIO


def test_settings_refuse_a_malformed_key_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, credentials_key=SecretStr(f"{NEW},not-a-key"))  # type: ignore[call-arg]

    assert "key 2 is not a Fernet key" in str(refused.value)
    assert "not-a-key" not in str(refused.value)


def test_without_a_key_the_settings_have_no_cipher() -> None:
    assert Settings(_env_file=None).credential_cipher() is None  # type: ignore[call-arg]
    configured = Settings(_env_file=None, credentials_key=SecretStr(NEW))  # type: ignore[call-arg]
    assert configured.credential_cipher() is not None
    assert NEW not in repr(configured)
