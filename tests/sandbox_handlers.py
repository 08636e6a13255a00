"""Handlers the sandbox tests run in the engine's child processes (found there on the test run's sys.path)."""

from __future__ import annotations

import time
from typing import Any


def pause(seconds: float, _assets: dict[str, Any]) -> float:
    time.sleep(seconds)
    return seconds
