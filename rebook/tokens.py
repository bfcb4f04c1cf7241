"""Signed, URL-safe tokens for every link Rebook puts in a message: click redirects
(`/t/{token}`), open pixels (`/o/{token}`), the self-service page (`/a/{token}`) and
one-click unsubscribe.

A token is `itsdangerous`-signed: a salt per purpose (so a CLICK token is refused where a
PAGE token is expected), HMAC-SHA256 truncated to 128 bits, a list of secrets for rotation
(the first signs, every one verifies) and, for purposes that expire, a signed timestamp
checked against the purpose's max age. The payload is a compact binary packing of the
claims rather than JSON, because these URLs go into SMS: a click token for a `com_<hex>`
message id is 58 characters instead of the 84 that JSON + SHA-1 would take.

Tokens carry identifiers, never secrets or personal data: anyone holding one can read its
claims (they are signed, not encrypted), only nobody can make or alter one.

Pure module (stdlib + itsdangerous): no settings, no I/O. Build one `TokenSigner` in the
entrypoint from the configured secrets and pass it down.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets as secrets_module
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner
from itsdangerous.signer import HMACAlgorithm

from rebook.core.domain import Channel

# 32 random bytes, URL-safe base64: what generate_secret() makes. Shorter secrets are
# refused so that a typo'd or placeholder setting cannot sign anything.
MIN_SECRET_LENGTH = 32

# The self-service page link sits in reminders sent days before the slot and in follow-ups
# sent weeks after a miss; past that it has no business being valid.
DEFAULT_PAGE_MAX_AGE = timedelta(days=60)

# Clocks of the API processes that sign and verify may disagree by a little; a timestamp
# this far in the future is still accepted (itsdangerous alone would call it expired).
CLOCK_SKEW = timedelta(minutes=5)

# Longer input is refused before any HMAC is computed (a URL carried in a CLICK token is
# the only long field, and links longer than this are not worth tracking).
MAX_TOKEN_LENGTH = 4096

_MAC_BYTES = 16  # 128-bit tag: forging one takes ~2^128 guesses
_FORMAT_VERSION = 1


class TokenPurpose(StrEnum):
    CLICK = "click"  # link redirect: message id + link index (target resolved server-side)
    OPEN = "open"  # email open pixel: message id
    PAGE = "page"  # hosted self-service page: workspace + appointment; expires
    UNSUBSCRIBE = "unsubscribe"  # one-click opt-out: workspace + contact + channel


class TokenError(Exception):
    """Base of every refusal; the API maps the subclasses to 404 or 410."""


class BadToken(TokenError):
    """Malformed, forged, altered, or signed with a retired secret (-> 404)."""


class WrongPurpose(TokenError):
    """Genuine, but minted for another purpose, e.g. a CLICK token on the PAGE route
    (-> 404: the route does not know this token)."""

    def __init__(self, expected: TokenPurpose, actual: TokenPurpose) -> None:
        super().__init__(f"a {actual.value} token used as a {expected.value} token")
        self.expected = expected
        self.actual = actual


class ExpiredToken(TokenError):
    """Genuine and for this purpose, but older than the purpose's max age (-> 410 Gone)."""

    def __init__(self, purpose: TokenPurpose, signed_at: datetime) -> None:
        super().__init__(f"{purpose.value} token signed at {signed_at.isoformat()} has expired")
        self.purpose = purpose
        self.signed_at = signed_at


@dataclass(frozen=True)
class ClickClaims:
    """A tracked link: which message, which of its links (index in the message's link
    table). `url` is carried only when the caller wants redirects to work without the link
    table (it makes the token as long as the URL)."""

    purpose: ClassVar[TokenPurpose] = TokenPurpose.CLICK
    message_id: str
    link_index: int
    url: str | None = None


@dataclass(frozen=True)
class OpenClaims:
    purpose: ClassVar[TokenPurpose] = TokenPurpose.OPEN
    message_id: str


@dataclass(frozen=True)
class PageClaims:
    purpose: ClassVar[TokenPurpose] = TokenPurpose.PAGE
    workspace_id: str
    appointment_id: str


@dataclass(frozen=True)
class UnsubscribeClaims:
    purpose: ClassVar[TokenPurpose] = TokenPurpose.UNSUBSCRIBE
    workspace_id: str
    contact_id: str
    channel: Channel


Claims = ClickClaims | OpenClaims | PageClaims | UnsubscribeClaims
C = TypeVar("C", ClickClaims, OpenClaims, PageClaims, UnsubscribeClaims)

_CLAIMS_BY_PURPOSE: dict[TokenPurpose, type[Claims]] = {
    TokenPurpose.CLICK: ClickClaims,
    TokenPurpose.OPEN: OpenClaims,
    TokenPurpose.PAGE: PageClaims,
    TokenPurpose.UNSUBSCRIBE: UnsubscribeClaims,
}


def generate_secret() -> str:
    """A new signing secret (43 URL-safe characters, 256 bits of entropy)."""
    return secrets_module.token_urlsafe(32)


class TokenSigner:
    """Signs and verifies tokens. Thread-safe and cheap to share.

    Args:
        secrets: signing secrets, newest first. The first signs; every one verifies, so a
            rotation is: prepend the new secret, wait until tokens signed with the old one
            no longer matter (PAGE max age; CLICK/OPEN/UNSUBSCRIBE never expire, so retiring
            a secret kills the links in every message it signed), then drop it.
        page_max_age: how long a PAGE token stays valid.
        clock: seconds since the epoch; tests pass a fake one.

    Raises:
        ValueError: no secret, or one shorter than MIN_SECRET_LENGTH.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        page_max_age: timedelta = DEFAULT_PAGE_MAX_AGE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(secrets, str):
            raise ValueError("secrets must be a list of secrets, not one string")
        if not secrets:
            raise ValueError("at least one token secret is required")
        for position, secret in enumerate(secrets):
            if len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    f"token secret #{position + 1} is {len(secret)} characters long; "
                    f"at least {MIN_SECRET_LENGTH} are required"
                )
        if page_max_age <= timedelta(0):
            raise ValueError("page_max_age must be positive")
        self._clock = clock
        self.max_age: dict[TokenPurpose, timedelta | None] = {
            TokenPurpose.CLICK: None,  # links in old messages keep working
            TokenPurpose.OPEN: None,
            TokenPurpose.PAGE: page_max_age,
            # An unsubscribe link must work for as long as the message can be read.
            TokenPurpose.UNSUBSCRIBE: None,
        }
        # itsdangerous signs with the LAST key and verifies with all of them.
        keys = [s.encode("utf-8") for s in reversed(secrets)]
        self._signers = {purpose: self._signer(purpose, keys) for purpose in TokenPurpose}

    def sign(self, claims: Claims) -> str:
        """The URL-safe token for these claims (characters: A-Z a-z 0-9 - _ .)."""
        payload = base64.urlsafe_b64encode(_pack(_claim_values(claims))).rstrip(b"=")
        return self._signers[claims.purpose].sign(payload).decode("ascii")

    def verify(self, token: str, expected: type[C]) -> C:
        """The claims of a token minted for `expected`'s purpose.

        Raises:
            ExpiredToken: genuine but older than the purpose's max age.
            WrongPurpose: genuine but minted for another purpose.
            BadToken: anything else (malformed, forged, altered, unknown secret).
        """
        purpose = expected.purpose
        if len(token) > MAX_TOKEN_LENGTH:
            raise BadToken("token too long")
        try:
            payload = self._unsign(purpose, token)
        except BadSignature as err:
            actual = self._genuine_purpose(token, exclude=purpose)
            if actual is not None:
                raise WrongPurpose(purpose, actual) from None
            raise BadToken("invalid token") from err
        try:
            values = _unpack(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
            return _claims_from(expected, values)
        except (ValueError, TypeError, binascii.Error) as err:
            # Only reachable with a valid signature, i.e. a format this code never wrote.
            raise BadToken("unreadable token payload") from err

    # ------------------------------------------------------------------ internals

    def _signer(self, purpose: TokenPurpose, keys: list[bytes]) -> Signer:
        options: dict[str, Any] = {
            "salt": f"rebook.tokens.{purpose.value}",
            "key_derivation": "hmac",
            "digest_method": hashlib.sha256,
            "algorithm": _TruncatedHmacSha256(),
        }
        if self.max_age[purpose] is None:
            return Signer(keys, **options)
        return _ClockedTimestampSigner(keys, clock=self._clock, **options)

    def _unsign(self, purpose: TokenPurpose, token: str) -> bytes:
        signer = self._signers[purpose]
        raw = token.encode("ascii", errors="replace")
        max_age = self.max_age[purpose]
        if max_age is None:
            return signer.unsign(raw)
        assert isinstance(signer, TimestampSigner)
        try:
            return signer.unsign(raw, max_age=int(max_age.total_seconds()))
        except SignatureExpired as err:
            # Raised only after the signature checked out, so the payload is genuine.
            signed_at = err.date_signed or datetime.fromtimestamp(0, UTC)
            now = datetime.fromtimestamp(self._clock(), UTC)
            if err.payload is not None and now < signed_at <= now + CLOCK_SKEW:
                return bytes(err.payload)
            raise ExpiredToken(purpose, signed_at) from None

    def _genuine_purpose(self, token: str, *, exclude: TokenPurpose) -> TokenPurpose | None:
        """Which other purpose's key signed this token, if any (expiry not considered)."""
        raw = token.encode("ascii", errors="replace")
        for purpose, signer in self._signers.items():
            if purpose is not exclude and signer.validate(raw):
                return purpose
        return None


class _TruncatedHmacSha256(HMACAlgorithm):
    """HMAC-SHA256 cut to 128 bits (NIST SP 800-107 allows truncation to half the digest)
    to keep SMS links short. Verification stays constant-time (hmac.compare_digest)."""

    def __init__(self) -> None:
        super().__init__(hashlib.sha256)

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.new(key, value, self.digest_method).digest()[:_MAC_BYTES]


class _ClockedTimestampSigner(TimestampSigner):
    def __init__(self, *args: Any, clock: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock

    def get_timestamp(self) -> int:
        return int(self._clock())


# ---------------------------------------------------------------------- payload packing
#
# version byte, then one field after another, each a tag byte and its data:
#   0x01 unsigned int          varint
#   0x02 text                  varint byte length + UTF-8
#   0x03 "<prefix>_<32 hex>"   1-byte prefix length + prefix + 16 bytes (Rebook's ids)
#   0x04 canonical UUID text   16 bytes
#   0x05 absent (None)
# Ids like com_<hex> shrink from 36 characters to 21 bytes; that is most of the saving.

_TAG_INT, _TAG_TEXT, _TAG_HEX_ID, _TAG_UUID, _TAG_NONE = 1, 2, 3, 4, 5
_HEX_ID = re.compile(r"(?P<prefix>[A-Za-z][A-Za-z0-9]{0,15}_)?(?P<hex>[0-9a-f]{32})")
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

Value = str | int | None


def _claim_values(claims: Claims) -> tuple[Value, ...]:
    values: list[Value] = []
    for f in fields(claims):
        value = getattr(claims, f.name)
        values.append(value.value if isinstance(value, StrEnum) else value)
    return tuple(values)


def _claims_from(expected: type[C], values: tuple[Value, ...]) -> C:
    names = [f.name for f in fields(expected)]
    if len(values) != len(names):
        raise ValueError(f"{len(values)} fields for {expected.__name__}")
    kwargs: dict[str, Any] = {}
    for f, value in zip(fields(expected), values, strict=True):
        if not isinstance(value, _FIELD_TYPES[str(f.type)]):
            raise ValueError(f"{expected.__name__}.{f.name} has the wrong type")
        kwargs[f.name] = Channel(str(value)) if f.type == "Channel" else value
    return expected(**kwargs)


# Field annotations (strings, under `from __future__ import annotations`) -> packed types.
_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "str | None": (str, type(None)),
    "Channel": str,
}


def _pack(values: tuple[Value, ...]) -> bytes:
    out = bytearray([_FORMAT_VERSION])
    for value in values:
        if value is None:
            out.append(_TAG_NONE)
        elif isinstance(value, bool):
            raise TypeError("booleans are not token fields")
        elif isinstance(value, int):
            if value < 0:
                raise ValueError("token integers must not be negative")
            out.append(_TAG_INT)
            out += _varint(value)
        elif (match := _HEX_ID.fullmatch(value)) is not None:
            prefix = (match["prefix"] or "").encode("ascii")
            out.append(_TAG_HEX_ID)
            out.append(len(prefix))
            out += prefix + bytes.fromhex(match["hex"])
        elif _UUID_TEXT.fullmatch(value):
            out.append(_TAG_UUID)
            out += uuid.UUID(value).bytes
        else:
            encoded = value.encode("utf-8")
            out.append(_TAG_TEXT)
            out += _varint(len(encoded)) + encoded
    return bytes(out)


def _unpack(data: bytes) -> tuple[Value, ...]:
    if not data or data[0] != _FORMAT_VERSION:
        raise ValueError("unknown token format")
    values: list[Value] = []
    pos = 1
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag == _TAG_NONE:
            values.append(None)
        elif tag == _TAG_INT:
            number, pos = _read_varint(data, pos)
            values.append(number)
        elif tag == _TAG_TEXT:
            length, pos = _read_varint(data, pos)
            values.append(_take(data, pos, length).decode("utf-8"))
            pos += length
        elif tag == _TAG_HEX_ID:
            prefix_length = _take(data, pos, 1)[0]
            prefix = _take(data, pos + 1, prefix_length).decode("ascii")
            pos += 1 + prefix_length
            values.append(prefix + _take(data, pos, 16).hex())
            pos += 16
        elif tag == _TAG_UUID:
            values.append(str(uuid.UUID(bytes=_take(data, pos, 16))))
            pos += 16
        else:
            raise ValueError(f"unknown field tag {tag}")
    return tuple(values)


def _take(data: bytes, pos: int, length: int) -> bytes:
    if pos + length > len(data):
        raise ValueError("truncated token payload")
    return data[pos : pos + length]


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    number = shift = 0
    while True:
        byte = _take(data, pos, 1)[0]
        pos += 1
        number |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return number, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")
