"""Payload fixtures and signing helpers shared by the platform adapter tests."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"

CALCOM_SECRET = "calcom-webhook-secret"
CALENDLY_KEY = "calendly-signing-key"


def body(platform: str, name: str) -> bytes:
    """A fixture's bytes exactly as stored: signatures are over the raw body."""
    return (PAYLOADS / platform / f"{name}.json").read_bytes()


def document(platform: str, name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(body(platform, name))
    return loaded


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode("utf-8")


def calcom_headers(raw: bytes, secret: str = CALCOM_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Cal-Signature-256": digest}


def calendly_headers(raw: bytes, t: int, key: str = CALENDLY_KEY) -> dict[str, str]:
    digest = hmac.new(key.encode(), f"{t}.".encode() + raw, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "Calendly-Webhook-Signature": f"t={t},v1={digest}"}
