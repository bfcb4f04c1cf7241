"""Named fail points for fault-injection tests. TEST-ONLY: a no-op unless REBOOK_FAILPOINTS
is set in the environment of the process.

    REBOOK_FAILPOINTS="after_claim=kill"                the process SIGKILLs itself there
    REBOOK_FAILPOINTS="before_claim=kill,after_send=kill"

tests/faults/ start a worker with one point armed, let it die there, restart it without,
and check that the message was delivered exactly once. Never set it in production: a
killed worker is what it is for.

The points in deliver_message (activities/messaging.py), in order: before_claim,
after_claim, before_send, after_send (the provider answered), before_complete (the ledger
update). Unknown names in the variable are ignored, so a typo arms nothing (and the test
that relied on it fails).
"""

from __future__ import annotations

import functools
import os
import signal

ENV = "REBOOK_FAILPOINTS"
KILL = "kill"


@functools.cache
def _armed() -> dict[str, str]:
    spec = os.environ.get(ENV, "")
    armed: dict[str, str] = {}
    for item in spec.split(","):
        name, _, action = item.strip().partition("=")
        if name and action:
            armed[name] = action
    return armed


def fail_point(name: str) -> None:
    """Act on this point if the environment armed it; otherwise return at once."""
    if not os.environ.get(ENV):
        return
    if _armed().get(name) == KILL:
        # SIGKILL, like the OOM killer or a pulled plug: no cleanup, no finally blocks.
        os.kill(os.getpid(), signal.SIGKILL)
