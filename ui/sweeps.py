"""What the timer worker (`onestop worker`, and the scheduler in each `onestop serve` process) does after each
round of due timers: deliver the outbox of messages and signals cases threw, and answer the demo topics' jobs
with the simulated outside systems while the demo is loaded (ui/demo_systems.py)."""

from __future__ import annotations

from engine.cases.scheduler import Sweep
from engine.integration.delivery import sweep_outbox

from .demo_systems import run_simulated_systems

SWEEPS: tuple[Sweep, ...] = (sweep_outbox, run_simulated_systems)
