"""Persistence, and the only place with SQL: SQLAlchemy 2 models (ORM rows never leave this
package), the engine factory, Alembic migrations and the stores (rebook.db.stores), one per
aggregate. Never import from workflows."""
