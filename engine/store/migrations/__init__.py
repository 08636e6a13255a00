"""Alembic revisions of the schema, oldest first; `onestop db upgrade` runs them."""
