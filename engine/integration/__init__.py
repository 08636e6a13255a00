"""Talking to other systems: jobs of service tasks for external workers, messages and signals between cases and
from outside systems, and their delivery."""
