"""The bounds of one engine run, read from the environment (documented in docs/operations.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass

# A run (start a case, complete a task, fire its timers, retry, migrate, dry run) may use this many seconds of
# CPU time, or its child process is killed and the case goes to `error`. CPU time is what a diagram's code costs
# whatever else the machine is doing; wall-clock time is bounded too, for a machine so busy that a run waits.
RUN_SECONDS = 5.0
RUN_WALL_FACTOR = 3  # wall-clock limit: this many times the CPU limit
# Memory a run may add to its child process (address space above the child's size at start), in MiB.
RUN_MEMORY_MIB = 256
# Child processes per server process: one run each at a time. A run that finds them all busy waits for one.
PROCESSES = 4
# How long a run waits for a free child process before it is refused (503, try again).
ACQUIRE_SECONDS = 10.0
# A child process is replaced after this many runs, or when a run left it this many MiB larger than at start.
RUNS_PER_PROCESS = 2000
RETIRE_GROWTH_MIB = 128
# How long a thread waiting for its run's answer polls for it without sleeping, while the machine has a CPU to
# spare (a run usually answers within ~1 ms, and waking a sleeping thread costs ~0.1 ms on a virtual machine): past
# it, or with every CPU busy, it sleeps until the answer comes. 0: always sleep.
SPIN_SECONDS = 0.002


@dataclass(frozen=True)
class RunLimits:
    """What one run may use. ``mode`` "process" (the default) runs diagram code in a child process; "inline"
    runs it in the calling thread with the in-Python budgets only — for measuring the child's cost, never for a
    server that runs diagrams it does not trust."""

    seconds: float = RUN_SECONDS
    memory_mib: int = RUN_MEMORY_MIB
    processes: int = PROCESSES
    acquire_seconds: float = ACQUIRE_SECONDS
    runs_per_process: int = RUNS_PER_PROCESS
    retire_growth_mib: int = RETIRE_GROWTH_MIB
    mode: str = "process"
    spin_seconds: float = SPIN_SECONDS

    @property
    def wall_seconds(self) -> float:
        return self.seconds * RUN_WALL_FACTOR

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> RunLimits:
        env = os.environ if environ is None else environ
        mode = env.get("ONESTOP_SANDBOX", "process")
        if mode not in ("process", "inline"):
            raise ValueError(f"ONESTOP_SANDBOX must be 'process' or 'inline', not {mode!r}")
        limits = cls(seconds=float(env.get("ONESTOP_RUN_SECONDS", RUN_SECONDS)),
                     memory_mib=int(env.get("ONESTOP_RUN_MEMORY_MB", RUN_MEMORY_MIB)),
                     processes=int(env.get("ONESTOP_SANDBOX_PROCESSES", PROCESSES)), mode=mode,
                     spin_seconds=float(env.get("ONESTOP_SANDBOX_SPIN_SECONDS", SPIN_SECONDS)))
        if not (0.1 <= limits.seconds <= 600 and 32 <= limits.memory_mib <= 65536 and 1 <= limits.processes <= 64
                and 0 <= limits.spin_seconds <= 0.01):
            raise ValueError("ONESTOP_RUN_SECONDS must be 0.1–600, ONESTOP_RUN_MEMORY_MB 32–65536, "
                             "ONESTOP_SANDBOX_PROCESSES 1–64 and ONESTOP_SANDBOX_SPIN_SECONDS 0–0.01")
        return limits
