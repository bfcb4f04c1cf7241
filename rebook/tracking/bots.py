"""Is an open or a click machine-made rather than a person engaging?

Mail security gateways fetch every link of a message to scan it, privacy proxies download
every image (so every email "opens" on delivery), and chat apps fetch links to draw a
preview. Counting those as engagement would make every contact look hot; dropping them
would hide the signal that the message was delivered. So every event is recorded and the
machine-made ones are flagged, with the rule that flagged them.

The rules, first match wins:
1. HEAD request: browsers GET; scanners often only check that the link resolves.
2. No user agent: every browser and mail client sends one.
3. A user agent of a known scanner, proxy, previewer or HTTP library.
4. Sooner after the send than a person can read: within `min_delay` (default 5 s).
5. A burst: this click and clicks on other links of the same message within
   `burst_window` (2 s) make `burst_links` (2) distinct links: a scanner following every
   link. The first click of a burst looks human when it arrives; `burst_companions()`
   names the earlier events so the caller can flag them too.

Pure module: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple


class EngagementKind(StrEnum):
    OPEN = "open"
    CLICK = "click"


class BotReason(StrEnum):
    HEAD_REQUEST = "head_request"
    NO_USER_AGENT = "no_user_agent"
    KNOWN_AGENT = "known_agent"
    TOO_SOON_AFTER_SEND = "too_soon_after_send"
    CLICK_BURST = "click_burst"


@dataclass(frozen=True)
class EngagementEvent:
    """One request to the open pixel or a click redirect of one message."""

    kind: EngagementKind
    at: datetime  # timezone-aware
    user_agent: str | None
    method: str = "GET"
    link_index: int | None = None  # CLICK only: which link of the message


@dataclass(frozen=True)
class BotPolicy:
    min_delay: timedelta = timedelta(seconds=5)
    burst_window: timedelta = timedelta(seconds=2)
    burst_links: int = 2  # distinct links clicked within the window, this one included

    def __post_init__(self) -> None:
        if self.min_delay < timedelta(0) or self.burst_window < timedelta(0):
            raise ValueError("min_delay and burst_window must not be negative")
        if self.burst_links < 2:
            raise ValueError("burst_links must be at least 2")


class BotVerdict(NamedTuple):
    is_bot: bool
    reason: BotReason | None  # None when the event counts as engagement


HUMAN = BotVerdict(False, None)

# Substrings (case-insensitive) of user agents that are not a person reading.
KNOWN_AGENTS: tuple[str, ...] = (
    # Image proxies that fetch every image, the open pixel included, on delivery.
    "GoogleImageProxy",
    "ggpht.com",
    "YahooMailProxy",
    # Link scanners of mail security gateways.
    "Mimecast",
    "Proofpoint",
    "Barracuda",
    "SafeLinks",
    "Microsoft Office Existence Discovery",
    "Microsoft Office Protocol Discovery",
    "BingPreview",
    "Trend Micro",
    "Forcepoint",
    # Link previews of chat apps (iMessage announces itself as facebookexternalhit).
    "facebookexternalhit",
    "Facebot",
    "Twitterbot",
    "Slackbot",
    "Discordbot",
    "TelegramBot",
    "LinkedInBot",
    "WhatsApp/",
    "SkypeUriPreview",
    "Googlebot",
    # HTTP libraries and headless browsers: scripts, not people.
    "curl/",
    "Wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "Go-http-client",
    "okhttp",
    "Java/",
    "Apache-HttpClient",
    "libwww-perl",
    "node-fetch",
    "axios/",
    "HeadlessChrome",
    "PhantomJS",
)
_KNOWN_AGENT = re.compile("|".join(re.escape(agent) for agent in KNOWN_AGENTS), re.IGNORECASE)
# Apple Mail Privacy Protection fetches images through Apple's proxies with exactly this
# user agent and nothing after it; real browsers always add platform and engine.
_APPLE_MAIL_PRIVACY_PROXY = "Mozilla/5.0"


def classify(
    event: EngagementEvent,
    *,
    sent_at: datetime,
    earlier: Sequence[EngagementEvent] = (),
    policy: BotPolicy = BotPolicy(),
) -> BotVerdict:
    """Whether `event` is machine-made, and by which rule.

    Args:
        event: the open or click to judge.
        sent_at: when the provider accepted the message.
        earlier: the message's events before this one (any order, flagged or not).
        policy: the thresholds.
    """
    if event.method.upper() == "HEAD":
        return BotVerdict(True, BotReason.HEAD_REQUEST)
    agent = (event.user_agent or "").strip()
    if not agent:
        return BotVerdict(True, BotReason.NO_USER_AGENT)
    if agent == _APPLE_MAIL_PRIVACY_PROXY or _KNOWN_AGENT.search(agent):
        return BotVerdict(True, BotReason.KNOWN_AGENT)
    if event.at - sent_at < policy.min_delay:
        return BotVerdict(True, BotReason.TOO_SOON_AFTER_SEND)
    if event.kind is EngagementKind.CLICK:
        burst = burst_companions(event, earlier, policy=policy)
        links = {e.link_index for e in burst} | {event.link_index}
        if len(links) >= policy.burst_links:
            return BotVerdict(True, BotReason.CLICK_BURST)
    return HUMAN


def burst_companions(
    event: EngagementEvent,
    earlier: Sequence[EngagementEvent],
    *,
    policy: BotPolicy = BotPolicy(),
) -> list[EngagementEvent]:
    """The earlier clicks on OTHER links of the message within `burst_window` of `event`.
    When `classify` flags `event` as a CLICK_BURST, these are the rest of the burst."""
    if event.kind is not EngagementKind.CLICK:
        return []
    return [
        e
        for e in earlier
        if e.kind is EngagementKind.CLICK
        and e.link_index != event.link_index
        and abs(event.at - e.at) <= policy.burst_window
    ]
