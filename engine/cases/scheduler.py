"""Timers: fire what is due, one instance per unit of work, safe when several workers race."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select, text

from engine.cases.jobs import TimersRun
from engine.cases.runner import Case, load_case, run_args, run_case, save, save_failure
from engine.errors import Conflict, OneStopError
from engine.store.models import ProcessInstance
from engine.store.uow import UnitOfWork

if TYPE_CHECKING:
    from engine.platform import Platform

log = logging.getLogger(__name__)

TIMER_LEASE_SPACE = 7_001  # the advisory-lock key space of timer leases (pg_try_advisory_xact_lock(space, id))


@dataclass
class SweepReport:
    due: int = 0
    fired: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)


def due_instance_ids(*, uow: UnitOfWork, now: datetime, limit: int) -> list[int]:
    """Only due instances are read: the indexed ``next_due_at`` column answers, never a scan of all cases."""
    query = select(ProcessInstance.id).where(ProcessInstance.status == "active",
                                             ProcessInstance.next_due_at <= now) \
        .order_by(ProcessInstance.next_due_at).limit(limit)
    return list(uow.session.scalars(query).all())


def fire_instance_timers(instance_id: int, *, uow: UnitOfWork, now: datetime) -> str:
    """Fire the due timers of one instance; returns 'fired', 'skipped' (not due any more, or another worker
    has it) or 'error'. The timers run in the engine's child process while nothing is locked: the case row is
    written guarded by its version, so a worker that lost a race changes nothing."""
    if uow.session.get_bind().dialect.name == "postgresql":
        # The lease: another worker sweeping at the same moment skips this case instead of firing it twice. It is
        # an advisory lock, not a row lock, so people working on the case are never held up while the timers
        # run; and a worker that freezes with it (a paused VM, a network partition) loses it, with its
        # transaction, after 10 s idle — its late save then fails instead of firing a second time.
        uow.session.execute(text("SET LOCAL idle_in_transaction_session_timeout = '10s'"))
        if not uow.session.scalar(text("SELECT pg_try_advisory_xact_lock(:space, :id)"),
                                  {"space": TIMER_LEASE_SPACE, "id": instance_id}):
            return "skipped"
    row = load_case(instance_id, uow=uow)
    if row.status != "active" or row.next_due_at is None or row.next_due_at > now:
        return "skipped"
    case = Case(row=row, bundle=uow.platform.specs.get(row.model_id, uow=uow))
    fields, assets = run_args(uow, case.bundle, now)
    result = run_case(uow, "fire_timers", TimersRun(**fields, state=row.state), assets)
    if result.failure is not None:
        save_failure(case, result.failure, uow=uow, now=now, actor="system", pending={"action": "timers"})
        return "error"
    save(case, result, uow=uow, now=now, actor="system")
    return "fired"


def fire_due_timers(platform: Platform, *, now: datetime | None = None, limit: int = 200) -> SweepReport:
    """One sweep: every instance due at ``now`` is fired in its own transaction; a lost race is skipped."""
    moment = now or platform.now()
    report = SweepReport()
    with platform.uow(write=False) as uow:
        ids = due_instance_ids(uow=uow, now=moment, limit=limit)
    report.due = len(ids)
    for instance_id in ids:
        try:
            with platform.uow(optimistic=True) as uow:
                outcome = fire_instance_timers(instance_id, uow=uow, now=moment)
                uow.commit()
        except Conflict:
            outcome = "skipped"
        except OneStopError as error:
            log.warning("instance %s: timers not fired: %s", instance_id, error.message)
            outcome = "error"
        {"fired": report.fired, "skipped": report.skipped, "error": report.errors}[outcome].append(instance_id)
    return report


Sweep = Callable[["Platform"], object]


class Scheduler:
    """A background thread that sweeps due timers every ``interval`` seconds until stopped, and runs the other
    ``sweeps`` the composition gives it after each (the outbox of messages between cases, the demo's simulated
    outside systems)."""

    def __init__(self, platform: Platform, interval: float = 5.0, sweeps: tuple[Sweep, ...] = ()) -> None:
        self.platform = platform
        self.interval = interval
        self.sweeps = sweeps
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="onestop-timers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = fire_due_timers(self.platform)
                if report.due:
                    log.info("timers: %d due, %d fired, %d skipped, %d errors", report.due, len(report.fired),
                             len(report.skipped), len(report.errors))
            except Exception:  # noqa: BLE001 — the database may be away for a while; keep sweeping
                log.exception("timer sweep failed; retrying in %.0f s", self.interval)
            for sweep in self.sweeps:
                try:
                    sweep(self.platform)
                except Exception:  # noqa: BLE001 — as above: the next round tries again
                    log.exception("sweep %s failed; retrying in %.0f s", getattr(sweep, "__name__", sweep),
                                  self.interval)
            self._stop.wait(self.interval)


def run_worker(platform: Platform, *, once: bool, interval: float = 5.0, stop: threading.Event | None = None,
               sweeps: tuple[Sweep, ...] = ()) -> SweepReport | None:
    """``onestop worker``: one sweep with ``once``, else sweep every ``interval`` seconds until ``stop`` is set."""
    if once:
        report = fire_due_timers(platform)
        for sweep in sweeps:
            sweep(platform)
        return report
    scheduler = Scheduler(platform, interval, sweeps)
    if stop is not None:
        scheduler._stop = stop
    scheduler._run()
    return None
