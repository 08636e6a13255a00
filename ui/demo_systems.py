"""The demo's simulated outside systems: while the demo account ``demo_systems`` (role worker) exists, the jobs of
the demo topics — finance.payment (财政), elicence.issue (电子证照), identity.check (公安身份核验) — are answered by
onestop_worker.simulated, in this process, as a worker of those systems would answer them over the API.

Why in-process and not a separate `onestop external-worker`: `make run` then needs no second process, no token
and no network to move the demo's cases past their service tasks, and it works in every web process at once
(fetch-and-lock hands each job to one of them). Every answer says ``"simulated": true`` and names the simulated
system; the case history records it under the demo account, shown as 模拟外部系统（演示）. A real deployment has
no such account (`onestop demo` alone creates it) and runs `onestop external-worker` with real connectors."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.errors import OneStopError
from engine.integration.external_tasks import complete, fetch_and_lock
from engine.people.identity import Actor
from engine.platform import Platform
from engine.store.integration_tables import ExternalTask
from engine.store.models import User
from onestop_worker.client import Job
from onestop_worker.simulated import SIMULATED

log = logging.getLogger(__name__)

DEMO_WORKER = "demo_systems"
DEMO_WORKER_NAME = "模拟外部系统（演示）"
DEMO_TOPICS = tuple(SIMULATED)
MAX_JOBS_PER_SWEEP = 100


def demo_worker(platform: Platform) -> Actor | None:
    """The demo's worker account, if the demo is loaded (and the account not disabled)."""
    with platform.uow(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == DEMO_WORKER, User.active.is_(True)))
        return Actor.of(user) if user is not None else None


def run_simulated_systems(platform: Platform, *, now: datetime | None = None) -> int:
    """Answer the due jobs of the demo topics with the simulated systems; how many were answered."""
    moment = now or platform.now()
    with platform.uow(write=False) as uow:  # most sweeps find nothing: no write lock for them
        pending = uow.session.scalar(select(ExternalTask.id).where(
            ExternalTask.topic.in_(DEMO_TOPICS), ExternalTask.state.in_(("waiting", "locked"))).limit(1))
    if pending is None:
        return 0
    actor = demo_worker(platform)
    if actor is None:
        return 0
    with platform.uow() as uow:
        jobs = fetch_and_lock(DEMO_WORKER, list(DEMO_TOPICS), max_tasks=MAX_JOBS_PER_SWEEP, lock_seconds=300,
                              actor=actor, uow=uow, now=moment)
        uow.commit()
    answered = 0
    for job in jobs:
        result: Any = SIMULATED[job["topic"]](Job.of(job))
        try:
            with platform.uow(optimistic=True) as uow:
                complete(job["id"], DEMO_WORKER, result, actor=actor, uow=uow, now=moment)
                uow.commit()
            answered += 1
        except OneStopError as error:  # the case moved on meanwhile: the lock expires and nothing is lost
            log.warning("simulated system: job %s not answered: %s", job["id"], error.message)
    return answered
