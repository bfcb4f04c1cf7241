"""How the load driver learns, without polling, that a message was handed to a provider.

The worker processes report every hand-off as one datagram on a Unix socket the driver
listens on: `<key>\\t<step>\\t<unix time of the hand-off>`. For Rebook the key is the
appointment id and the step the sequence step (`HandoffReportingSender` wraps the worker's
shipped senders, so "handed to the provider" is observed where the provider would see it);
the baselines' activities report their workflow id and "first"/"second" the same way.

A datagram costs the worker a few microseconds and the driver one callback; the 20 ms
database polling it replaces cost several percent of all CPU (issue 12).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from rebook.core.domain import Channel
from rebook.core.ports import (
    ChannelSender,
    DeliveryProfile,
    LookupResult,
    LookupWindow,
    ProviderReceipt,
    RenderedMessage,
)
from rebook.core.workspaces import WorkspaceId

# The listener's receive buffer: a 1,000-message burst must not block the senders.
RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Handoff:
    key: str
    step: str
    at: float  # unix time, this machine's clock (the driver's and the workers' alike)


def encode(key: str, step: str, at: float) -> bytes:
    return f"{key}\t{step}\t{at!r}".encode()


def decode(datagram: bytes) -> Handoff:
    key, step, at = datagram.decode().split("\t")
    return Handoff(key, step, float(at))


class HandoffReporter:
    """The worker side: one unbound datagram socket, shared by every activity thread
    (sendto on a datagram socket is atomic, so no lock is needed)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)

    def report(self, key: str, step: str, at: float) -> None:
        self._socket.sendto(encode(key, step, at), self._path)


class HandoffReportingSender:
    """A ChannelSender that hands the message to the shipped sender and then reports the
    moment of the hand-off. Rebook's idempotency keys start with the appointment id
    (`<appointment id>:<step key>:<channel>`, workflows/appointment.py)."""

    def __init__(self, inner: ChannelSender, reporter: HandoffReporter) -> None:
        self._inner = inner
        self._reporter = reporter
        self.provider = inner.provider

    def send(self, message: RenderedMessage) -> ProviderReceipt:
        at = time.time()
        receipt = self._inner.send(message)
        appointment_id = message.idempotency_key.split(":", 1)[0]
        self._reporter.report(appointment_id, message.step or "", at)
        return receipt

    def lookup(self, message: RenderedMessage, window: LookupWindow) -> LookupResult:
        return self._inner.lookup(message, window)


def reporting(
    senders: Mapping[Channel, ChannelSender], reporter: HandoffReporter
) -> dict[Channel, ChannelSender]:
    return {
        channel: HandoffReportingSender(sender, reporter) for channel, sender in senders.items()
    }


class ReportingProfiles:
    """Wraps the worker's per-workspace delivery (rebook.delivery.profiles.DeliveryProfiles)
    so every workspace's senders report their hand-offs. A profile is wrapped once and
    reused while the inner callable returns the same profile (it caches them)."""

    def __init__(
        self, inner: Callable[[WorkspaceId], DeliveryProfile], reporter: HandoffReporter
    ) -> None:
        self._inner = inner
        self._reporter = reporter
        self._wrapped: dict[str, tuple[DeliveryProfile, DeliveryProfile]] = {}

    def __call__(self, workspace_id: WorkspaceId) -> DeliveryProfile:
        profile = self._inner(workspace_id)
        cached = self._wrapped.get(workspace_id)
        if cached is not None and cached[0] is profile:
            return cached[1]
        wrapped = replace(profile, senders=reporting(profile.senders, self._reporter))
        self._wrapped[workspace_id] = (profile, wrapped)
        return wrapped


class HandoffBoard:
    """The driver side: futures to await per (key, step). A hand-off that arrives before
    anyone waits for it (a confirmation can beat the create request's response) is kept
    until it is asked for."""

    def __init__(self) -> None:
        self._waiting: dict[tuple[str, str], asyncio.Future[float]] = {}
        self._early: dict[tuple[str, str], float] = {}
        self.received = 0

    def arrived(self, handoff: Handoff) -> None:
        self.received += 1
        slot = (handoff.key, handoff.step)
        future = self._waiting.pop(slot, None)
        if future is None:
            # Keep the first: a retried activity may hand the same step over again.
            self._early.setdefault(slot, handoff.at)
        elif not future.done():
            future.set_result(handoff.at)

    async def wait(self, key: str, step: str, timeout_s: float) -> float:
        """The unix time `step` of `key` was handed over; TimeoutError after timeout_s."""
        slot = (key, step)
        if slot in self._early:
            return self._early.pop(slot)
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[slot] = future
        try:
            return await asyncio.wait_for(future, timeout_s)
        finally:
            self._waiting.pop(slot, None)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, board: HandoffBoard) -> None:
        self._board = board

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._board.arrived(decode(data))


@contextlib.asynccontextmanager
async def listening(path: Path) -> AsyncIterator[HandoffBoard]:
    board = HandoffBoard()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    sock.bind(str(path))
    transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: _Protocol(board), sock=sock
    )
    try:
        yield board
    finally:
        transport.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
