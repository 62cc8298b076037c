"""Alembic migrations of the store; run through :mod:`signaling.store.migrate`."""
