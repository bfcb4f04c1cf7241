"""Pure, deterministic, workflow-safe code: stdlib (and rebook's own pure modules) only."""
