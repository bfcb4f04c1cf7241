"""Sees first no-show follow-ups land in the communications table.

One poller for all in-flight appointments (one IN query per tick) instead of one per
appointment: 50 concurrent pollers would themselves become SQLite load.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import Engine, select

from rebook.core.domain import CommunicationStatus
from rebook.core.steps import Step
from rebook.db.models import Communication

log = logging.getLogger("bench.watcher")

SUCCESS = [status.value for status in CommunicationStatus if status.is_success]


class FollowUpWatcher:
    def __init__(self, reader: Engine, poll_interval_s: float) -> None:
        self._reader = reader
        self._interval = poll_interval_s
        self._waiting: dict[str, asyncio.Future[datetime]] = {}

    def expect(self, appointment_id: str) -> asyncio.Future[datetime]:
        """A future resolved with the follow-up row's sent_at (created_at if unset).
        Register before sending the missed event so no row can slip past unseen."""
        future: asyncio.Future[datetime] = asyncio.get_running_loop().create_future()
        self._waiting[appointment_id] = future
        return future

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            # Drop waiters whose appointment was abandoned (timeout, error).
            for key in [k for k, f in self._waiting.items() if f.done()]:
                del self._waiting[key]
            if not self._waiting:
                continue
            # The query blocks, and the worker shares this event loop: keep it off the loop.
            try:
                found = await asyncio.to_thread(self._query, list(self._waiting))
            except Exception:  # a failed tick must not strand every waiter; try again
                log.warning("follow-up poll failed", exc_info=True)
                continue
            for appointment_id, moment in found.items():
                future = self._waiting.pop(appointment_id, None)
                if future is not None and not future.done():
                    future.set_result(moment)

    def _query(self, appointment_ids: list[str]) -> dict[str, datetime]:
        stmt = select(
            Communication.appointment_id, Communication.sent_at, Communication.created_at
        ).where(
            Communication.step == Step.NO_SHOW_FOLLOWUP.value,
            Communication.status.in_(SUCCESS),
            Communication.appointment_id.in_(appointment_ids),
        )
        with self._reader.connect() as conn:
            rows = conn.execute(stmt).all()
        found: dict[str, datetime] = {}
        for appointment_id, sent_at, created_at in rows:
            moment = sent_at or created_at
            # Several channels could succeed in theory; the first one is the follow-up.
            if appointment_id not in found or moment < found[appointment_id]:
                found[appointment_id] = moment
        return found


@contextlib.asynccontextmanager
async def watching(reader: Engine, poll_interval_s: float) -> AsyncIterator[FollowUpWatcher]:
    watcher = FollowUpWatcher(reader, poll_interval_s)
    task = asyncio.create_task(watcher._run())
    try:
        yield watcher
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
