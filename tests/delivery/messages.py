"""RenderedMessage builder for sender tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rebook.core.domain import Channel
from rebook.core.ports import RenderedMessage


def rendered(channel: Channel = Channel.EMAIL, **changes: Any) -> RenderedMessage:
    base = RenderedMessage(
        idempotency_key=f"apt_1:reminder_24h@2026-12-03T09:00:00+00:00:{channel.value}",
        channel=channel,
        to_address="ada@example.com" if channel is Channel.EMAIL else "+447700900123",
        subject="Your demo is tomorrow",
        body="Hi Ada, see you tomorrow at 09:00.",
        html_body="<p>Hi Ada, see you tomorrow at 09:00.</p>" if channel is Channel.EMAIL else None,
        to_name="Ada Lovelace",
        contact_id="con_1",
    )
    return replace(base, **changes)
