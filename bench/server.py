"""The one Temporal dev server of a bench run: `temporal server start-dev` as `make run`
starts it (same binary, our search attributes registered), headless, in memory (its
state is thrown away with the run), on free loopback ports."""

from __future__ import annotations

import asyncio
import os
import time

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from bench.processes import Child, free_loopback_port
from devstack.stack import temporal_binary
from rebook.core.search_attributes import cli_flags

CONNECT_TIMEOUT_S = 60.0


async def start_server() -> tuple[Child, Client]:
    port = free_loopback_port()
    argv = [
        temporal_binary(),
        "server",
        "start-dev",
        "--headless",
        "--ip", "127.0.0.1",
        "--port", str(port),
        "--log-level", "error",
        *cli_flags(),
    ]  # fmt: skip
    server = Child("server", argv, dict(os.environ))
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + CONNECT_TIMEOUT_S
    while True:
        try:
            client = await Client.connect(address)
            # Connecting succeeds before the namespace is served; a read proves it is.
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=client.namespace)
            )
            return server, client
        except Exception:
            if not server.alive() or time.monotonic() > deadline:
                server.stop()
                raise
            await asyncio.sleep(0.3)
