"""Provider credentials encrypted at rest: Fernet tokens under the deployment's
CREDENTIALS_KEY (rebook.settings), never plaintext in the database.

CREDENTIALS_KEY lists one or more Fernet keys, newest first: the first encrypts, every one
decrypts (MultiFernet), so a key is rotated by putting the new one first, re-encrypting
(`rebook credentials rotate`) and then dropping the old one.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TypeVar

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from rebook.core.workspaces import (
    EncryptedCredentials,
    ProviderCredentials,
    SendGridCredentials,
    TwilioCredentials,
)

_Credentials = TypeVar("_Credentials", SendGridCredentials, TwilioCredentials)


class CredentialsKeyMissing(RuntimeError):
    """Credentials cannot be stored or read: CREDENTIALS_KEY is not set."""


class CredentialsUnreadable(RuntimeError):
    """A stored token does not decrypt under any configured key (a key was dropped too
    early, or the data was tampered with)."""


def parse_keys(value: str) -> list[Fernet]:
    """Fernet keys from a comma-separated setting; raises ValueError naming the bad one
    (by position: the key itself is a secret)."""
    keys: list[Fernet] = []
    for position, key in enumerate((k.strip() for k in value.split(",") if k.strip()), 1):
        try:
            keys.append(Fernet(key.encode("ascii")))
        except (ValueError, UnicodeEncodeError):
            raise ValueError(
                f"key {position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())')"
            ) from None
    return keys


class CredentialCipher:
    def __init__(self, keys: list[Fernet]) -> None:
        if not keys:
            raise CredentialsKeyMissing("CREDENTIALS_KEY lists no key")
        self._fernet = MultiFernet(keys)

    @classmethod
    def from_setting(cls, value: str | None) -> CredentialCipher | None:
        """None when the setting is empty: storing credentials is then refused."""
        keys = parse_keys(value or "")
        return cls(keys) if keys else None

    def encrypt(self, credentials: SendGridCredentials | TwilioCredentials) -> str:
        plaintext = json.dumps(asdict(credentials), sort_keys=True).encode("utf-8")
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: str, kind: type[_Credentials]) -> _Credentials:
        """Raises CredentialsUnreadable."""
        try:
            plaintext = self._fernet.decrypt(token.encode("ascii"))
            return kind(**json.loads(plaintext))
        except (InvalidToken, ValueError, TypeError) as exc:
            raise CredentialsUnreadable(f"stored {kind.__name__} do not decrypt") from exc

    def rotate(self, token: str) -> str:
        """The same plaintext under the first (current) key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise CredentialsUnreadable("a stored token does not decrypt") from exc


def decrypt_credentials(
    tokens: EncryptedCredentials, cipher: CredentialCipher | None
) -> ProviderCredentials:
    """A workspace's own provider accounts, decrypted. Raises CredentialsKeyMissing when
    some are stored but there is no key to read them with (sending from the deployment's
    accounts instead would send in the wrong business's name), CredentialsUnreadable when
    the key does not fit."""
    if tokens.sendgrid is None and tokens.twilio is None:
        return ProviderCredentials()
    if cipher is None:
        raise CredentialsKeyMissing("a workspace has credentials but CREDENTIALS_KEY is unset")
    return ProviderCredentials(
        sendgrid=cipher.decrypt(tokens.sendgrid, SendGridCredentials) if tokens.sendgrid else None,
        twilio=cipher.decrypt(tokens.twilio, TwilioCredentials) if tokens.twilio else None,
    )
