"""Deploying flows and running cases: start, advance, task projection, timers, deadlines, migration."""
