"""The child side: set the limits, then answer jobs from the parent until its pipe closes."""

from __future__ import annotations

import importlib
import logging
import os
import resource
import traceback
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DONE, NEED, MEMORY, CRASH, READY = "done", "need", "memory", "crash", "ready"
PROGRESS_BYTES = 240
CACHED_ASSETS = 64
#: SpiffWorkflow's loggers. Each builds its records' details (every task of the workflow, at each state change) even
#: when nothing is logged, unless the logger itself has a level of INFO or above: a child process (started afresh,
#: by the fork server) takes the parent's effective level for each (``log_levels``).
SPIFF_LOGGERS = ("spiff", "spiff.task", "spiff.workflow", "spiff.data", "spiff.dmn", "spiff.metrics")

_progress: Any = None  # the shared buffer the parent reads when it has to kill us
_after_answer: list[Callable[[], None]] = []


def after_answer(work: Callable[[], None]) -> None:
    """Have ``work`` done once this run's answer has been sent, while the child would otherwise wait for the next
    job (e.g. getting ready for the case's next run). Nothing outside a child process: inline runs skip it."""
    if _progress is not None:
        _after_answer.append(work)


def report_progress(label: str) -> None:
    """Say what the run is doing now (an element of the diagram): named in the error if the run is killed. Called
    at every engine step: it writes the label and its end mark, not the whole buffer."""
    if _progress is not None:
        data = label.encode("utf-8", "replace")[:PROGRESS_BYTES - 1] + b"\0"
        _progress[:len(data)] = data


def _resolve(dotted: str) -> Callable[..., Any]:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _cap_memory(memory_mib: int) -> None:
    """Address space: what the child has now plus the run's allowance. A run that asks for more gets a
    MemoryError (or dies) inside the child; the server process is untouched."""
    size = _status_kib("VmSize") * 1024 + memory_mib * 2**20
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_AS, (size, hard))


def _cap_cpu(seconds: float) -> None:
    """A backstop to the parent's deadline: this run may use its wall-clock limit in CPU time, plus a little."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 2
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def log_levels() -> dict[str, int]:
    """This process's effective level for each of SpiffWorkflow's loggers (what a child is told to use)."""
    return {name: logging.getLogger(name).getEffectiveLevel() for name in SPIFF_LOGGERS}


def _usage() -> tuple[float, int]:
    """CPU seconds used so far and the peak resident size in KiB: one system call, no /proc file to read."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def serve(conn: Any, progress: Any, memory_mib: int, seconds: float, retire_growth_mib: int,
          levels: dict[str, int] | None = None) -> None:
    global _progress
    _progress = progress
    for name, level in (levels or {}).items():
        logging.getLogger(name).setLevel(level)
    os.nice(1)  # a runaway run yields the CPU to the server's own threads
    cache: OrderedDict[str, Any] = OrderedDict()
    cpu, resident_start = _usage()
    _cap_memory(memory_mib)
    # Each answer says how much CPU time the child has used so far, so the parent times the next run from it
    # without reading /proc (the child uses none between runs).
    conn.send((READY, cpu))
    while True:
        try:
            handler, args, assets = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        _cap_cpu(seconds)
        try:
            built = {}
            for asset in assets:
                if asset.key not in cache:
                    payload = asset.payload
                    if payload is None:
                        conn.send((NEED, asset.key))
                        payload = conn.recv().payload
                    cache[asset.key] = _resolve(asset.build)(payload)
                cache.move_to_end(asset.key)
                built[asset.key] = cache[asset.key]
            while len(cache) > CACHED_ASSETS:
                cache.popitem(last=False)
            result = _resolve(handler)(args, built)
            built.clear()
            cpu, resident_peak = _usage()
            conn.send((DONE, (result, resident_peak - resident_start > retire_growth_mib * 1024, cpu)))
            result = None
            # Always done, even if a job came in meanwhile (it can only be the same thread's next run, sent before
            # the parent let go of this child: most likely the same case's, which the work prepares for).
            while _after_answer:  # idle-time work: never part of a run's answer, never a run's failure
                work = _after_answer.pop()
                try:
                    work()
                except MemoryError:
                    return  # the parent replaces a child that is gone at its next run
                except Exception:  # noqa: BLE001, S110 — only a head start: the next run does the work itself
                    pass
        except MemoryError:
            result = built = None  # type: ignore[assignment]
            conn.send((MEMORY, None))
            return
        except Exception:  # noqa: BLE001 — reported to the parent, which raises it there
            conn.send((CRASH, traceback.format_exc(limit=8)))
            return
