"""Alembic migration environment and revisions (shipped inside the package)."""
