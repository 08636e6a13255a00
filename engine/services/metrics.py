"""Prometheus text exposition (format 0.0.4), written by hand: case, task, timer and error figures from SQL
aggregates, and a request-latency histogram the web layer feeds."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from engine.cases.instances import STATUSES
from engine.integration.external_tasks import jobs_by_topic
from engine.store.integration_tables import OutboxEvent
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _escape(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: dict[str, Any]) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items()) + "}"


def _number(value: float) -> str:
    if value == float("inf"):
        return "+Inf"
    return repr(float(value)) if isinstance(value, float) and not value.is_integer() else str(int(value))


def family(name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, Any], float]],
           suffix: str = "") -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{suffix}{_labels(labels)} {_number(value)}" for labels, value in samples]
    return lines


class LatencyHistogram:
    """Request durations per (method, endpoint, status class); cumulative buckets as Prometheus wants them.

    Kept per process: with several gunicorn workers each answers for its own requests."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self._lock = threading.Lock()
        self._series: dict[tuple[str, str, str], list[float]] = {}  # bucket counts..., +Inf count, sum

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        key = (method, endpoint, f"{status // 100}xx")
        with self._lock:
            series = self._series.setdefault(key, [0.0] * (len(self.buckets) + 2))
            for index, bound in enumerate(self.buckets):
                if seconds <= bound:
                    series[index] += 1
            series[-2] += 1
            series[-1] += seconds

    def lines(self, name: str = "onestop_http_request_duration_seconds") -> list[str]:
        lines = [f"# HELP {name} Time to answer an HTTP request, by endpoint and status class.",
                 f"# TYPE {name} histogram"]
        with self._lock:
            snapshot = {key: list(values) for key, values in sorted(self._series.items())}
        for (method, endpoint, status), series in snapshot.items():
            labels = {"method": method, "endpoint": endpoint, "status": status}
            for bound, count in zip((*self.buckets, float("inf")), series[:-1], strict=True):
                le = "+Inf" if bound == float("inf") else repr(bound)
                lines.append(f"{name}_bucket{_labels({**labels, 'le': le})} {_number(count)}")
            lines.append(f"{name}_sum{_labels(labels)} {_number(series[-1])}")
            lines.append(f"{name}_count{_labels(labels)} {_number(series[-2])}")
        return lines


def platform_metrics(*, uow: UnitOfWork, now: datetime) -> list[str]:
    """Cases by status, open and overdue tasks by department, timers fired and engine errors so far."""
    by_status = {status: int(count) for status, count in uow.session.execute(
        select(ProcessInstance.status, func.count()).group_by(ProcessInstance.status)).all()}
    tasks = uow.session.execute(select(HumanTask.department, func.count(),
                                       func.sum(case((HumanTask.due_at < now, 1), else_=0)))
                                .where(HumanTask.state.in_(("open", "claimed"))).group_by(HumanTask.department)).all()
    history = {action: int(count) for action, count in uow.session.execute(
        select(HistoryEntry.action, func.count()).where(HistoryEntry.action.in_(("timer_fired", "error")))
        .group_by(HistoryEntry.action)).all()}
    departments = sorted(((d or "applicant", int(n), int(late or 0)) for d, n, late in tasks))
    return [
        *family("onestop_instances", "gauge", "Process instances by status.",
                [({"status": s}, int(by_status.get(s, 0))) for s in STATUSES]),
        *family("onestop_tasks_open", "gauge", "Open or claimed tasks by department.",
                [({"department": d}, n) for d, n, _late in departments]),
        *family("onestop_tasks_overdue", "gauge", "Open or claimed tasks past their deadline, by department.",
                [({"department": d}, late) for d, _n, late in departments]),
        *family("onestop_timers_fired_total", "counter", "Timers fired since the database was created.",
                [({}, int(history.get("timer_fired", 0)))]),
        *family("onestop_engine_errors_total", "counter", "Cases that went to error since the database was created.",
                [({}, int(history.get("error", 0)))]),
        *integration_metrics(uow=uow, now=now),
        *sandbox_metrics(uow.platform.sandbox),
    ]


def integration_metrics(*, uow: UnitOfWork, now: datetime) -> list[str]:
    """Jobs of external workers by topic and state, lock expiries and failures so far, events not yet delivered."""
    topics = jobs_by_topic(uow=uow, now=now)
    undelivered = uow.session.scalar(select(func.count()).select_from(OutboxEvent)
                                     .where(OutboxEvent.delivered_at.is_(None)))
    return [
        *family("onestop_external_tasks", "gauge", "Jobs of external workers by topic and state (a lock that expired "
                                                   "counts as waiting).",
                [({"topic": t["topic"], "state": state}, t[state]) for t in topics
                 for state in ("waiting", "locked", "failed", "completed")]),
        *family("onestop_external_task_lock_expiries_total", "counter",
                "Locks of external tasks that expired and were taken by another fetch, by topic.",
                [({"topic": t["topic"]}, t["lock_expiries"]) for t in topics]),
        *family("onestop_external_task_failures_total", "counter", "Failures external workers reported, by topic.",
                [({"topic": t["topic"]}, t["failures"]) for t in topics]),
        *family("onestop_events_undelivered", "gauge", "Messages and signals cases threw that are not delivered yet.",
                [({}, int(undelivered or 0))]),
    ]


def sandbox_metrics(pool: Any) -> list[str]:
    """This process's engine child processes: started, and killed at a run's limit (per server process)."""
    return [
        *family("onestop_engine_processes_started_total", "counter",
                "Engine child processes this server process has started.", [({}, pool.started)]),
        *family("onestop_engine_runs_stopped_total", "counter",
                "Runs this server process stopped at their time or memory limit (their process killed).",
                [({}, pool.killed)]),
    ]


def exposition(*, uow: UnitOfWork, now: datetime, latency: LatencyHistogram) -> str:
    return "\n".join([*platform_metrics(uow=uow, now=now), *latency.lines()]) + "\n"
