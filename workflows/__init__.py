"""Temporal workflow definitions. Deterministic code only; see workflows/appointment.py."""
