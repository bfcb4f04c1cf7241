"""The API for the bench, as shipped: `uvicorn api.main:app_factory --factory` (the image's
command), Settings from the environment, in its own process.

    python -m bench.api_process [<path to write SQL statement counts to>]

Access logging is off (uvicorn's default is on): one log line per request would be
measured as API work. The optional path installs bench.sqlcount for the census pass.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import uvicorn

from bench.sqlcount import counting_into
from rebook.settings import Settings


def main(argv: list[str]) -> int:
    counts_path = argv[1] if len(argv) > 1 else None
    counter = counting_into(counts_path)
    settings = Settings()
    # uvicorn shuts down gracefully on SIGINT, then re-raises it: the expected way out.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(
            "api.main:app_factory",
            factory=True,
            host=settings.api_host,
            port=settings.api_port,
            log_level="warning",
            access_log=False,
        )
    if counter is not None and counts_path is not None:
        counter.write(Path(counts_path))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
