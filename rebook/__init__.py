"""Rebook: durable follow-ups for missed and rescheduled appointments."""
