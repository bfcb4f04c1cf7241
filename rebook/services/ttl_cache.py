"""A small in-process cache whose entries expire, for what is read on every request or
every send but changes rarely (API keys, workspace settings, per-workspace senders).

Each process keeps its own: a change made elsewhere (the CLI, another API process) is seen
within the time to live; a change made in this process invalidates its entry at once.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class TtlCache(Generic[_K, _V]):
    def __init__(
        self,
        ttl_s: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries  # bounds memory against floods of unknown keys
        self._clock = clock
        self._entries: OrderedDict[_K, tuple[float, _V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: _K) -> tuple[bool, _V | None]:
        """(True, value) for a live entry, else (False, None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] <= self._clock():
                return False, None
            return True, entry[1]

    def put(self, key: _K, value: _V) -> _V:
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def invalidate(self, key: _K) -> None:
        with self._lock:
            self._entries.pop(key, None)
