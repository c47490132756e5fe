"""Persistence: SQLAlchemy 2.0 tables, engine and session scope, repositories, migrations."""
