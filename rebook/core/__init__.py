"""The pure core: vocabulary, the dataclasses that cross Temporal, and the rules.

Everything under rebook.core may import only the standard library, temporalio's common
types (temporalio.common, for search attribute keys) and other rebook.core modules; a test
(tests/core/test_purity.py) enforces it. That is what makes it safe to import from workflow
code: no clocks, no I/O, no randomness, no settings, no database engines, no provider SDKs,
so a replay of a workflow's history makes exactly the same decisions as the first run.

Adapters (rebook.db, rebook.delivery, rebook.temporal), use cases (rebook.services) and
entrypoints (api, worker.py) build on it; nothing here knows they exist.
"""
