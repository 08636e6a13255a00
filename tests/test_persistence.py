"""What is stored: compact instance state without the spec, all-or-nothing saves, and races between writers."""

from __future__ import annotations

import json
import threading
from typing import Any

from conftest import ESCALATION, at, edit, read_flow
from sqlalchemy import func, select

from engine.cases.deployment import deploy
from engine.cases.scheduler import fire_due_timers, fire_instance_timers
from engine.errors import Conflict
from engine.people.identity import Actor
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance
from tasks.service import complete_task


def _start(flow: Any, county: str = "dongchangfu") -> int:
    return int(flow.start("escalation_demo", {"county": county}))


def test_instance_state_holds_no_spec_and_restores_from_the_version_cache(flow, platform, deployed):
    case = _start(flow)
    with platform.uow(write=False) as uow:
        row = uow.session.get(ProcessInstance, case)
        state, size = json.loads(row.state), len(row.state)
    assert "spec" not in state and "subprocess_specs" not in state
    assert size < 20_000
    platform.specs._bundles.clear()  # a fresh process: the spec is parsed again from the stored version
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 2})
    assert flow.open_task_names(case) == ["review"]


def test_tasks_that_hold_nothing_are_stored_without_their_empty_fields_and_full_states_still_load(
        flow, platform, deployed):
    """A task's empty fields are left out of the stored state (a case that runs for years keeps every task it went
    through); a state stored with every field (as before) restores to the same case."""
    case = _start(flow)
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 2})
    with platform.uow(write=False) as uow:
        row = uow.session.get(ProcessInstance, case)
        bundle = platform.specs.get(row.model_id, uow=uow)
        compact = row.state
    tasks = json.loads(compact)["tasks"].values()
    assert any("delta" not in task and "data" not in task for task in tasks)  # a task that changed nothing
    assert not any(task.get("triggered") is False or task.get("internal_data") == {} for task in tasks)
    full = json.loads(compact)
    for task in full["tasks"].values():  # what the state was before fields were left out
        task.setdefault("triggered", False)
        task.setdefault("internal_data", {})
        task.setdefault("data", {})
        task.setdefault("delta", {"updates": {}, "deletions": []} if task["parent"] is not None else {})
    serializer = platform.serializer
    from_compact = serializer.loads(compact, bundle.spec, bundle.subprocess_specs)
    from_full = serializer.loads(json.dumps(full), bundle.spec, bundle.subprocess_specs)
    assert [(t.id, t.state, t.data, t.internal_data, t.triggered) for t in from_full.get_tasks()] == \
        [(t.id, t.state, t.data, t.internal_data, t.triggered) for t in from_compact.get_tasks()]
    assert serializer.dumps(from_full) == serializer.dumps(from_compact) == compact
    assert len(compact) < len(json.dumps(full)) * 0.85
    flow.complete("city_window", "review", {"decision": "通过"})  # the compact state runs on
    assert flow.open_task_names(case) == []


def test_two_users_completing_the_same_task_at_once_one_wins_the_other_gets_409(flow, platform, deployed):
    case = _start(flow)
    task = flow.task("county_window_dongchangfu", "accept")
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def work(username: str) -> None:
        actor = flow.actor(username)
        barrier.wait()
        try:
            with platform.uow(optimistic=True) as uow:
                complete_task(task["id"], {"approved": True, "months": 1}, actor=actor, uow=uow,
                              now=platform.now())
                uow.commit()
            results.append("ok")
        except Conflict:
            results.append("409")

    threads = [threading.Thread(target=work, args=(u,)) for u in ("win_dcf", "win_dcf2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["409", "ok"]
    with platform.uow(write=False) as uow:
        completes = uow.session.scalar(select(func.count(HistoryEntry.id)).where(
            HistoryEntry.instance_id == case, HistoryEntry.action == "complete"))
        reviews = uow.session.scalar(select(func.count(HumanTask.id)).where(
            HumanTask.instance_id == case, HumanTask.name == "review"))
    assert (completes, reviews) == (1, 1)


def test_a_stale_writer_gets_a_conflict_instead_of_a_lost_update(flow, platform, deployed):
    case = _start(flow)
    with platform.uow() as first:
        stale = first.session.get(ProcessInstance, case)
        first.session.expunge(stale)
    flow.complete("county_window_dongchangfu", "accept", {"approved": True, "months": 1})
    with platform.uow() as second:
        merged = second.session.merge(stale, load=False)
        merged.status = "suspended"
        try:
            second.commit()
        except Conflict:
            pass
        else:
            raise AssertionError("a write based on an old version was accepted")
    assert flow.view(case)["status"] == "active"


def test_racing_timer_workers_fire_each_timer_once(flow, platform, deployed):
    cases = [_start(flow) for _ in range(6)]
    moment = at("2026-10-12 09:00")
    reports: list[Any] = []
    barrier = threading.Barrier(3)

    def sweep() -> None:
        barrier.wait()
        reports.append(fire_due_timers(platform, now=moment))

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    fired = sorted(i for r in reports for i in r.fired)
    assert fired == sorted(cases)
    with platform.uow(write=False) as uow:
        count = uow.session.scalar(select(func.count(HistoryEntry.id)).where(HistoryEntry.action == "timer_fired"))
        supervise = uow.session.scalar(select(func.count(HumanTask.id)).where(HumanTask.name == "supervise"))
    assert (count, supervise) == (6, 6)


def test_a_worker_that_finds_the_timer_already_fired_does_nothing(flow, platform, deployed):
    case = _start(flow)
    moment = at("2026-10-12 09:00")
    with platform.uow(optimistic=True) as uow:
        assert fire_instance_timers(case, uow=uow, now=moment) == "fired"
        uow.commit()
    with platform.uow(optimistic=True) as uow:
        assert fire_instance_timers(case, uow=uow, now=moment) == "skipped"


def test_the_timer_sweep_reads_only_due_instances(flow, platform, deployed):
    for _ in range(5):
        _start(flow)
    statements: list[str] = []
    from sqlalchemy import event

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(platform.engine, "before_cursor_execute", count)
    try:
        report = fire_due_timers(platform, now=at("2026-10-01 09:00"))
    finally:
        event.remove(platform.engine, "before_cursor_execute", count)
    assert report.due == 0
    selects = [s for s in statements if "process_instances" in s]
    assert len(selects) == 1 and "next_due_at <=" in selects[0]


def test_a_failing_start_is_stored_in_error_without_tasks_and_retry_runs_it(flow, platform, client, people):
    files = edit(read_flow(ESCALATION), "escalation.bpmn", "working_days(3)", "working_days(days_allowed)")
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    case = _start(flow)
    view = flow.view(case)
    assert view["status"] == "error" and "days_allowed" in view["error"]["message"]
    assert view["tasks"] == [] and view["error"]["pending"] == "steps"
    retried = client.post(f"/api/v1/process-instances/{case}/retry", json={"data": {"days_allowed": 1}},
                          headers=people.headers("admin"))
    assert retried.status_code == 200 and retried.get_json()["status"] == "active"
    [task] = flow.tasks("county_window_dongchangfu")
    assert task["name"] == "accept" and task["due_at"] is not None
    assert [h["action"] for h in flow.view(case)["history"]] == ["start", "error", "retry"]


def test_case_data_shows_the_process_data_objects_beside_the_latest_task_data():
    from types import SimpleNamespace

    from engine.cases.summary import current_data

    task = SimpleNamespace(data={"approved": True})
    running = SimpleNamespace(completed=False, last_task=task,
                              data={"data_objects": {"payments": [[1, 1500, 0]], "unused": None}})
    assert current_data(running) == {"approved": True, "payments": [[1, 1500, 0]]}
    done = SimpleNamespace(completed=True, last_task=task,
                           data={"outcome": "办结", "data_objects": {"payments": [[1, 1500, 0]]}})
    assert current_data(done) == {"outcome": "办结", "payments": [[1, 1500, 0]]}


def test_the_in_process_scheduler_fires_due_timers_on_its_own(flow, platform, deployed, clock):
    import time

    from engine.cases.scheduler import Scheduler

    case = _start(flow)
    clock.set(at("2026-10-12 09:00"))
    scheduler = Scheduler(platform, interval=0.05)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "supervise" not in flow.open_task_names(case):
            time.sleep(0.05)  # waiting for the scheduler thread, not for a timer: the clock was moved
    finally:
        scheduler.stop()
    assert flow.open_task_names(case) == ["accept", "supervise"]
