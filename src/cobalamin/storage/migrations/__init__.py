"""Alembic migrations of the records database, run from code (``cobalamin db upgrade``)."""
