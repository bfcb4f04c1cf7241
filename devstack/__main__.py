"""python -m devstack: run the local dev stack (see devstack.stack)."""

from __future__ import annotations

import os
import sys

from devstack.stack import main

if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: the Temporal client's Rust threads (from the readiness
    # probe) can abort a finalizing interpreter with "PyGILState_Release" (SIGABRT), see
    # temporalio/sdk-python#300. All children are reaped by now; nothing else to clean up.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
