"""Engagement tracking: links rewritten through Rebook's click redirect, the open pixel,
and the rules that tell a person's open or click from a scanner's. Pure code: the routes
that serve `/t/{token}` and `/o/{token}` and the stores that record events live elsewhere.
"""

from rebook.tracking.bots import (
    BotPolicy,
    BotReason,
    BotVerdict,
    EngagementEvent,
    EngagementKind,
    burst_companions,
    classify,
)
from rebook.tracking.links import CLICK_PATH, OPEN_PATH, TrackedLink, TrackedMessage, track_message

__all__ = [
    "CLICK_PATH",
    "OPEN_PATH",
    "BotPolicy",
    "BotReason",
    "BotVerdict",
    "EngagementEvent",
    "EngagementKind",
    "TrackedLink",
    "TrackedMessage",
    "burst_companions",
    "classify",
    "track_message",
]
