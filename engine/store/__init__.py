"""Persistence: schema, database engines, the unit of work and case history."""
