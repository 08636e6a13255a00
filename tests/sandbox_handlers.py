"""Handlers the sandbox tests run in the engine's child processes (found there on the test run's sys.path)."""

from __future__ import annotations

import time
from typing import Any


def pause(seconds: float, _assets: dict[str, Any]) -> float:
    time.sleep(seconds)
    return seconds


def logger_levels(names: list[str], _assets: dict[str, Any]) -> dict[str, int]:
    """The child's own level for each named logger (0: not set, so SpiffWorkflow builds every record's details)."""
    import logging

    return {name: logging.getLogger(name).level for name in names}
