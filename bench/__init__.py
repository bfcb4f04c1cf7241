"""`make bench`: throughput and follow-up latency of Rebook against a no-op baseline.

One run starts its own Temporal dev server, an in-process worker, the real API on a
loopback port and a fresh SQLite database, then measures:

- the no-op baseline (bench.noop): completed trivial workflows per second;
- Rebook throughput (bench.load): appointments per second from POST /v1/appointments
  through the missed event to the first recorded no-show follow-up;
- follow-up latency: the missed event's 202 to the follow-up row's sent_at.

See bench.__main__ for the command line and bench.report for the output format.
"""
