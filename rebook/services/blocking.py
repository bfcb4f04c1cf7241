"""Runs the stores' synchronous calls off the event loop."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio.to_thread

_P = ParamSpec("_P")
_T = TypeVar("_T")


async def in_thread(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Await function(*args, **kwargs) on anyio's worker threads: the same bounded pool
    Starlette runs sync endpoints on, so a slow database never blocks the event loop."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
