"""Everything tests share that is not a fixture: real servers (postgres, temporal), provider
fakes (fakes/), builders (factories, messages, payloads), rows to arrange (rows), in-memory
implementations of the ports (ports) and the workflow harness (harness). The fixtures built
on them are in tests/conftest.py.
"""
