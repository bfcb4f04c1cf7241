"""Everything tests share that is not a fixture: real servers (postgres, temporal), provider
fakes (fakes/), builders (factories, messages, payloads), rows to arrange (rows), in-memory
ports (ledgers) and the workflow harness. The fixtures built on them are in tests/conftest.py.
"""
