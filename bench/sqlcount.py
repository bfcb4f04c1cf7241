"""Counts the SQL a process sends, by statement and table, through SQLAlchemy's engine
events. Installed only in the census pass's worker and API (bench.census), never while
throughput is measured.

Keys: "<VERB> <table>" for each statement SQLAlchemy executes (BEGIN IMMEDIATE is one on
SQLite), plus "transactions" (begin events: PostgreSQL's implicit BEGIN too), "COMMIT" and
"ROLLBACK" (which the DB-API sends without a cursor).
"""

from __future__ import annotations

import json
import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

_TABLE_AFTER = {
    "SELECT": re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE),
    "INSERT": re.compile(r"\bINTO\s+\"?(\w+)", re.IGNORECASE),
    "UPDATE": re.compile(r"^\s*UPDATE\s+\"?(\w+)", re.IGNORECASE),
    "DELETE": re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE),
}


def classify(statement: str) -> str:
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    pattern = _TABLE_AFTER.get(verb)
    found = pattern.search(statement) if pattern else None
    return f"{verb} {found.group(1)}" if found else verb


class StatementCounter:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def install(self) -> None:
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "begin", self._event("transactions"))
        event.listen(Engine, "commit", self._event("COMMIT"))
        event.listen(Engine, "rollback", self._event("ROLLBACK"))

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        self.counts[classify(statement)] += 1

    def _event(self, name: str) -> Any:
        def count(_conn: Any) -> None:
            self.counts[name] += 1

        return count

    def write(self, path: Path) -> None:
        # Replace atomically: the reader may look while a snapshot is being written.
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(dict(self.counts), sort_keys=True))
        partial.replace(path)


def counting_into(path: str | None) -> StatementCounter | None:
    """A counter that is installed, when a path to write it to is given. SIGUSR1 writes
    the counts so far (the census reads them after its warm-up); the process writes the
    final counts when it stops."""
    if path is None:
        return None
    counter = StatementCounter()
    counter.install()
    signal.signal(signal.SIGUSR1, lambda _signum, _frame: counter.write(Path(path)))
    return counter


def read_counts(path: Path) -> dict[str, int]:
    counts: dict[str, int] = json.loads(path.read_text())
    return counts
