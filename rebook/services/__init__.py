"""Use cases: what the API's routes (and tooling) ask Rebook to do, each a method on a small
service built from the stores (rebook.db.stores) and the Temporal gateway
(rebook.temporal.gateway) it needs.

Services speak core dataclasses in and out, never HTTP or ORM types, and raise the errors in
rebook.services.errors, which the API maps to statuses in one place (api/errors.py). Store
calls are synchronous and run on a worker thread (rebook.services.blocking).
"""
