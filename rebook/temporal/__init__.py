"""Temporal client adapter: how the API side starts, signals and queries appointment
workflows (rebook.temporal.gateway). Talks to workflows by name only; never imports them."""
