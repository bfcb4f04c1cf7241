"""Developer tooling, not part of the service: the local stack behind `make run`
(devstack.stack). Nothing in rebook/, api/, workflows/ or activities/ imports it."""
