"""Many workers at once: fetch-and-lock never hands one job to two workers (FOR UPDATE SKIP LOCKED on PostgreSQL,
the write lock on SQLite), every job is answered exactly once, a lock taken over after it expired lets only its
new holder answer, and fetching is fair across topics."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from integration_kit import PAYMENT, TOPIC
from sqlalchemy import select

from engine.cases.deployment import deploy
from engine.cases.instances import start_instance
from engine.errors import Conflict
from engine.integration import external_tasks as jobs
from engine.people.identity import Actor
from engine.store.integration_tables import ExternalTask
from engine.store.models import ProcessInstance

WORKERS = 6


def worker(name: str, topics: tuple[str, ...] = (TOPIC,)) -> Actor:
    return Actor(username=name, role="worker", topics=topics)


@pytest.fixture
def payments(platform: Any) -> Callable[[int], list[int]]:
    with platform.uow() as uow:
        deploy({"payment.bpmn": PAYMENT.read_bytes()}, actor=Actor("designer", "designer"), uow=uow,
               now=platform.now())
        uow.commit()

    def start(count: int) -> list[int]:
        ids = []
        for index in range(count):
            with platform.uow(optimistic=True) as uow:
                ids.append(start_instance("payment", {"amount": index, "applicant_name": f"人才{index}"},
                                          actor=Actor("admin", "admin"), uow=uow, now=platform.now())["id"])
                uow.commit()
        return ids

    return start


def race(jobs_: list[Callable[[], Any]]) -> list[Any]:
    barrier = threading.Barrier(len(jobs_))
    results: list[Any] = [None] * len(jobs_)

    def run(index: int) -> None:
        barrier.wait(10)
        try:
            results[index] = jobs_[index]()
        except Exception as error:  # noqa: BLE001 — shown by the assertions
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs_))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return results


def fetch(platform: Any, actor: Actor, worker_id: str, max_tasks: int, topics: list[str] | None = None,
          lock_seconds: int = 60) -> list[dict[str, Any]]:
    with platform.uow() as uow:
        locked = jobs.fetch_and_lock(worker_id, topics or [TOPIC], max_tasks=max_tasks, lock_seconds=lock_seconds,
                                     actor=actor, uow=uow, now=platform.now())
        uow.commit()
    return locked


def complete(platform: Any, actor: Actor, job: int, worker_id: str, result: Any) -> str:
    try:
        with platform.uow(optimistic=True) as uow:
            jobs.complete(job, worker_id, result, actor=actor, uow=uow, now=platform.now())
            uow.commit()
    except Conflict:
        return "conflict"
    return "done"


def test_workers_fetching_at_the_same_moment_never_share_a_job(platform, payments):
    payments(20)
    for expected in (18, 2, 0):  # six workers taking three each, of twenty
        results = race([lambda i=i: fetch(platform, worker(f"w{i}"), f"w{i}", 3) for i in range(WORKERS)])
        assert not [r for r in results if isinstance(r, Exception)], results
        fetched = [job["id"] for locked in results for job in locked]
        assert len(fetched) == len(set(fetched)), "a job was handed to two workers"
        assert len(fetched) == expected
        for index, locked in enumerate(results):  # every worker answers its own jobs
            for job in locked:
                assert complete(platform, worker(f"w{index}"), job["id"], f"w{index}", {"by": index}) == "done"


def test_many_workers_drain_the_queue_and_each_case_gets_exactly_one_answer(platform, payments):
    cases = payments(30)
    answers: Counter[int] = Counter()
    lock = threading.Lock()

    def drain(index: int) -> int:
        actor, done = worker(f"w{index}"), 0
        while True:
            locked = fetch(platform, actor, f"w{index}", 2)
            if not locked:
                return done
            for job in locked:
                if complete(platform, actor, job["id"], f"w{index}", {"by": index}) == "done":
                    with lock:
                        answers[job["instance_id"]] += 1
                    done += 1

    results = race([lambda i=i: drain(i) for i in range(WORKERS)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(results) == 30 and answers == Counter({case: 1 for case in cases})
    with platform.uow(write=False) as uow:
        states = Counter(uow.session.scalars(select(ExternalTask.state)))
        waiting = uow.session.scalars(select(ProcessInstance.data).where(ProcessInstance.id.in_(cases))).all()
    assert states == Counter({"completed": 30})
    assert all("payment" in data for data in waiting)


def test_two_workers_answering_a_job_whose_lock_was_taken_over_one_wins(platform, payments, clock):
    payments(1)
    [job] = fetch(platform, worker("a"), "a", 1, lock_seconds=10)
    clock.advance(timedelta(seconds=11))
    [taken] = fetch(platform, worker("b"), "b", 1)
    assert taken["id"] == job["id"]
    outcomes = race([lambda: complete(platform, worker("a"), job["id"], "a", {"by": "a"}),
                     lambda: complete(platform, worker("b"), job["id"], "b", {"by": "b"})])
    assert sorted(outcomes) == ["conflict", "done"] and outcomes[1] == "done"


def test_fetching_is_fair_across_topics(platform, payments, clock):
    payments(6)  # finance.payment jobs first
    with platform.uow() as uow:
        for job in uow.session.scalars(select(ExternalTask).order_by(ExternalTask.id).limit(2)):
            job.topic = "elicence.issue"  # two younger jobs of another topic
            job.available_at = job.available_at + timedelta(minutes=5)
        uow.commit()
    clock.advance(timedelta(minutes=10))
    both = worker("both", (TOPIC, "elicence.issue"))
    locked = fetch(platform, both, "both", 4, topics=[TOPIC, "elicence.issue"])
    assert [job["topic"] for job in locked] == [TOPIC, "elicence.issue", TOPIC, "elicence.issue"]


@pytest.mark.postgres_only
def test_on_postgresql_a_fetch_skips_rows_another_fetch_is_locking(platform, payments):
    """Row locks, not the table: a transaction holding a job does not make another fetch wait for it."""
    payments(4)
    with platform.uow() as holder:
        held = jobs.fetch_and_lock("holder", [TOPIC], max_tasks=2, lock_seconds=60, actor=worker("holder"),
                                   uow=holder, now=platform.now())
        holder.flush()  # rows locked by this open transaction, not yet committed
        other = fetch(platform, worker("other"), "other", 4)
        assert {job["id"] for job in other}.isdisjoint({job["id"] for job in held}) and len(other) == 2
        holder.commit()
