"""Child processes that run diagram code, one run each at a time, killed and replaced when a run overruns.

A run is a :class:`Job`: the dotted name of a handler function, its arguments, and the *assets* it needs (parsed
diagrams, the calendar) by key. A child keeps the assets it has built, so a diagram is parsed once per child,
not once per run: the parent sends an asset's payload only to a child that has not had it (and again if the
child has evicted it and asks). The parent waits for the answer with a deadline; a child that does not answer
in time is killed with SIGKILL — nothing inside it, not even one long C-level operation, can outlast that. Its
address space is capped with RLIMIT_AS and its CPU time with RLIMIT_CPU, so memory bombs end in the child.
Children are forked from multiprocessing's fork server, which has the engine imported already: no thread or
lock of the server process is ever copied into a child."""

from __future__ import annotations

import importlib
import io
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing import forkserver, popen_forkserver, reduction, spawn, util  # type: ignore[attr-defined]
from multiprocessing.context import ForkServerProcess, set_spawning_popen  # type: ignore[attr-defined]
from typing import Any

from engine.errors import Busy, RunStopped
from engine.sandbox.child import CRASH, DONE, MEMORY, NEED, PROGRESS_BYTES, READY, log_levels, serve
from engine.sandbox.limits import RunLimits

log = logging.getLogger(__name__)

# How many asset keys the parent remembers per child (the child's own cache holds as many).
KNOWN_ASSETS = 64
# How long a new child may take to start (its imports are done once, in the fork server, before it).
READY_SECONDS = 60.0
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Asset:
    """Something a handler needs that is worth building once per child: ``build`` (a dotted function name)
    turns ``payload`` into it. ``key`` identifies the payload's content."""

    key: str
    build: str
    payload: Any = field(repr=False, compare=False)


@dataclass(frozen=True)
class Job:
    handler: str  # "package.module:function", called as function(args, assets) in the child
    args: Any
    assets: tuple[Asset, ...] = ()


def resolve(dotted: str) -> Callable[..., Any]:
    module, _, name = dotted.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_inline(job: Job) -> Any:
    """The job in this thread (``ONESTOP_SANDBOX=inline``): the same code, without the child's hard limits."""
    built = {asset.key: _inline_asset(asset) for asset in job.assets}
    return resolve(job.handler)(job.args, built)


_INLINE_CACHE: OrderedDict[str, Any] = OrderedDict()
_INLINE_LOCK = threading.Lock()


def _inline_asset(asset: Asset) -> Any:
    with _INLINE_LOCK:
        if asset.key in _INLINE_CACHE:
            _INLINE_CACHE.move_to_end(asset.key)
            return _INLINE_CACHE[asset.key]
    value = resolve(asset.build)(asset.payload)
    with _INLINE_LOCK:
        _INLINE_CACHE[asset.key] = value
        while len(_INLINE_CACHE) > KNOWN_ASSETS:
            _INLINE_CACHE.popitem(last=False)
    return value


class _LeanPopen(popen_forkserver.Popen):
    """multiprocessing's fork-server launch, except that the child does not run the parent's ``__main__`` again:
    a server's main module is its command-line script and a test run's is pytest — seconds of imports in every
    child, for nothing, since a child only ever calls engine code by module name."""

    def _launch(self, process_obj: Any) -> None:
        data = {key: value for key, value in spawn.get_preparation_data(process_obj._name).items()
                if key not in ("init_main_from_path", "init_main_from_name")}
        payload = io.BytesIO()
        set_spawning_popen(self)
        try:
            reduction.dump(data, payload)
            reduction.dump(process_obj, payload)
        finally:
            set_spawning_popen(None)
        self.sentinel, write_end = forkserver.connect_to_new_process(self._fds)  # type: ignore[attr-defined]
        kept = os.dup(write_end)  # the parent's sentinel for the child, closed with this object
        self.finalizer = util.Finalize(self, util.close_fds, (kept, self.sentinel))  # type: ignore[attr-defined]
        with open(write_end, "wb", closefd=True) as stream:
            stream.write(payload.getbuffer())
        self.pid = forkserver.read_signed(self.sentinel)


class _EngineProcess(ForkServerProcess):  # type: ignore[misc]
    @staticmethod
    def _Popen(process_obj: Any) -> _LeanPopen:
        return _LeanPopen(process_obj)


class _Child:
    """One child process and the parent's end of its pipe."""

    def __init__(self, context: Any, limits: RunLimits) -> None:
        self.conn, child_end = context.Pipe(duplex=True)
        self.progress = context.Array("c", PROGRESS_BYTES, lock=False)
        self.process = _EngineProcess(target=serve, args=(child_end, self.progress, limits.memory_mib,
                                                          limits.seconds, limits.retire_growth_mib, log_levels()),
                                      name="onestop-sandbox", daemon=True)
        self.process.start()
        child_end.close()
        # The child says when it is ready: its start-up (and a busy machine) is not charged to its first run.
        ready = self.conn.recv() if self.conn.poll(READY_SECONDS) else None
        if not (isinstance(ready, tuple) and ready[0] == READY):
            self.kill()
            raise RuntimeError(f"an engine child process did not start within {READY_SECONDS:g} s")
        self.cpu_mark: float = ready[1]  # the child's CPU time as of its last answer (it uses none while idle)
        self.known: OrderedDict[str, None] = OrderedDict()
        self.runs = 0
        self.retiring = False

    def running(self) -> str:
        return bytes(self.progress.raw).split(b"\0", 1)[0].decode("utf-8", "replace")

    def cpu_seconds(self) -> float:
        """CPU time the child has used so far (user + system), from /proc; 0 when it cannot be read."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()
        self.process.close()


class SandboxPool:
    """The child processes of one server process. Thread-safe: each thread's run takes a child of its own."""

    def __init__(self, limits: RunLimits, *, preload: Sequence[str] = ()) -> None:
        self.limits = limits
        self.preload = list(preload)
        self._idle: list[_Child] = []
        self._count = 0
        self._cond = threading.Condition()
        self._context: Any = None
        self.started = 0  # children started so far (for /metrics and tests)
        self.killed = 0  # children killed for overrunning a limit

    def _ctx(self) -> Any:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["engine.sandbox.child", *self.preload])
            self._context = context
        return self._context

    def run(self, job: Job) -> Any:
        """The handler's return value; RunStopped when the run overran a limit or its child died; Busy when no
        child came free in time."""
        if self.limits.mode == "inline":
            return run_inline(job)
        child = self._acquire()
        try:
            result = self._exchange(child, job)
        except BaseException:
            self._discard(child)
            raise
        self._release(child)
        return result

    def _exchange(self, child: _Child, job: Job) -> Any:
        child.runs += 1
        child.progress[0] = b"\0"
        assets = tuple(asset if asset.key not in child.known else Asset(asset.key, asset.build, None)
                       for asset in job.assets)
        child.conn.send((job.handler, job.args, assets))
        self._await_answer(child)
        while True:
            try:
                kind, value = child.conn.recv()
            except (EOFError, OSError):
                self.killed += 1
                element = child.running()
                child.process.join(timeout=5)
                raise RunStopped(_died(child.process.exitcode, self.limits)
                                 + (f", while running {element}" if element else ""), element=element or None) \
                    from None
            if kind == NEED:  # the child evicted an asset the parent thought it had
                child.conn.send(next(a for a in job.assets if a.key == value))
                self._await_answer(child)
                continue
            break
        for asset in job.assets:
            child.known[asset.key] = None
            child.known.move_to_end(asset.key)
        while len(child.known) > KNOWN_ASSETS:
            child.known.popitem(last=False)
        if kind == DONE:
            result, child.retiring, child.cpu_mark = value
            return result
        child.retiring = True
        if kind == MEMORY:
            element = child.running()
            raise RunStopped(f"stopped: the run needed more than {self.limits.memory_mib} MiB of memory, its limit"
                             + (f", while running {element}" if element else ""), element=element or None)
        raise RuntimeError(f"the engine's child process failed: {value}") if kind == CRASH else \
            RuntimeError(f"unexpected answer {kind!r} from the engine's child process")

    def _await_answer(self, child: _Child) -> None:
        """Wait until the child answers. A run may use ``seconds`` of CPU time — what a diagram's code costs,
        however busy the machine is — and at most ``wall_seconds`` of wall-clock time; past either the child is
        killed (SIGKILL: nothing inside it can delay that) and RunStopped raised."""
        limits = self.limits
        if limits.spin_seconds and cpu_to_spare():
            until = time.perf_counter() + limits.spin_seconds
            while time.perf_counter() < until:
                if child.conn.poll(0):
                    return
        # CPU time from the child's last answer (an idle child uses none): /proc is read only if the run is long.
        started_cpu, started = child.cpu_mark, time.monotonic()
        wait = limits.seconds
        while not child.conn.poll(wait):
            used = child.cpu_seconds() - started_cpu
            elapsed = time.monotonic() - started
            if used >= limits.seconds or elapsed >= limits.wall_seconds:
                self.killed += 1
                element = child.running()
                what = f"{limits.seconds:g} s of CPU time" if used >= limits.seconds else \
                    f"{limits.wall_seconds:g} s"
                raise RunStopped(f"stopped after {what}, the time limit of one run"
                                 + (f", while running {element}" if element else ""), element=element or None)
            wait = max(min(limits.seconds - used, limits.wall_seconds - elapsed), 0.05)

    def _acquire(self) -> _Child:
        deadline = time.monotonic() + self.limits.acquire_seconds
        with self._cond:
            while True:
                while self._idle:
                    child = self._idle.pop()
                    if child.process.is_alive():
                        return child
                    self._count -= 1
                    child.kill()
                if self._count < self.limits.processes:
                    self._count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Busy(f"all {self.limits.processes} engine processes are busy; try again in a moment")
                self._cond.wait(remaining)
        try:
            child = _Child(self._ctx(), self.limits)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        self.started += 1
        return child

    def _release(self, child: _Child) -> None:
        if child.retiring or child.runs >= self.limits.runs_per_process:
            self._discard(child)
            return
        with self._cond:
            self._idle.append(child)
            self._cond.notify()

    def _discard(self, child: _Child) -> None:
        try:
            child.kill()
        finally:
            with self._cond:
                self._count -= 1
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            idle, self._idle = self._idle, []
            self._count -= len(idle)
        for child in idle:
            child.kill()


try:
    _CPUS = max(len(os.sched_getaffinity(0)), 1)
except (AttributeError, OSError):  # not Linux
    _CPUS = max(os.cpu_count() or 1, 1)


def _open_loadavg() -> int | None:
    try:
        return os.open("/proc/loadavg", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # not Linux: never poll
        return None


# Kept open: each run reads it afresh (a read from its start), one system call instead of three.
_LOADAVG = _open_loadavg()


def cpu_to_spare(loadavg: str | None = None) -> bool:
    """Whether the machine runs no more threads right now than this process has CPUs (the kernel's count of
    runnable threads, this one and the child's included): a wait that polls then takes no CPU another needs.
    ``loadavg``: another file of /proc/loadavg's form to read instead."""
    try:
        if loadavg is None:
            if _LOADAVG is None:
                return False
            text = os.pread(_LOADAVG, 128, 0)
        else:
            with open(loadavg, "rb") as load:
                text = load.read()
        running = int(text.split()[3].split(b"/")[0])
    except (OSError, ValueError, IndexError):
        return False
    return running <= _CPUS


def _died(exitcode: int | None, limits: RunLimits) -> str:
    if exitcode is not None and exitcode < 0:
        import signal

        name = signal.Signals(-exitcode).name
        if name == "SIGXCPU":
            return f"stopped after {limits.seconds:g} s of CPU time, the limit of one run"
        return f"stopped: the run's process was ended by {name}"
    return f"stopped: the run's process ended unexpectedly (exit code {exitcode})"


_SHARED: dict[tuple[RunLimits, tuple[str, ...]], SandboxPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(limits: RunLimits, preload: Sequence[str] = ()) -> SandboxPool:
    """One pool per process and set of limits: every platform of a process (tests make many) shares it."""
    key = (limits, tuple(preload))
    with _SHARED_LOCK:
        pool = _SHARED.get(key)
        if pool is None:
            pool = _SHARED[key] = SandboxPool(limits, preload=preload)
        return pool
