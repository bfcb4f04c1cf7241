"""Temporal activities. Workflow modules import these classes (for typed
execute_activity_method calls) through imports_passed_through, so every module here keeps
its module-level imports pure: no provider SDKs, SQLAlchemy, rebook.db or rebook.settings.
"""
