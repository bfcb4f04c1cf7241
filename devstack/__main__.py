"""python -m devstack: run the local dev stack (see devstack.stack)."""

from __future__ import annotations

import contextlib
import os
import sys

from devstack.stack import main

if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: the Temporal client's Rust threads (from the readiness
    # probe) can abort a finalizing interpreter with "PyGILState_Release" (SIGABRT), see
    # temporalio/sdk-python#300. All children are reaped by now; nothing else to clean up.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # the terminal may be gone (SIGHUP)
            stream.flush()
    os._exit(code)
