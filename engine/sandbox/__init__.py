"""Runs diagram code in pre-forked child processes with hard wall-clock, CPU and memory limits."""
