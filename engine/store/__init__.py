"""Persistence: schema, engines, the unit of work, prepared statements, WAL checkpoints and case history."""
