"""Persistence: SQLAlchemy 2 models, engine factory and stores. Never import from workflows."""
