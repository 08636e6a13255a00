"""Starting a case and completing a task read and run the engine before they take SQLite's write lock
(engine/store/uow.py): what they read is confirmed when the writing begins, so a colleague's claim or completion in
between is never overwritten, and the other writers are not held up while the engine runs. The same races on
PostgreSQL end the same way (the check there locks the task row)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, insert, select

import engine.cases.runner
from engine.errors import Conflict
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance
from tasks.service import claim_task, complete_task

FORM = {"approved": True, "months": 3}


def _start_and_find_task(client: Any, people: Any, key: str) -> tuple[int, int]:
    started = client.post("/api/v1/process-instances", json={"model_key": key, "data": {"county": "dongchangfu"}},
                          headers=people.headers("win_dcf"))
    assert started.status_code == 201, started.get_json()
    listed = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf")).get_json()
    task = next(t for t in listed if t["instance_id"] == started.get_json()["id"])
    return started.get_json()["id"], task["id"]


def _between_read_and_write(monkeypatch: pytest.MonkeyPatch, action: Any) -> list[str]:
    """Run ``action`` once, in its own unit of work, after complete_task has read the task, loaded the case
    and run the engine, and before it writes the case."""
    ran: list[str] = []
    original = engine.cases.runner._write_row

    def write_row_after(loaded: Any, uow: Any, values: Any) -> None:
        if not ran:
            ran.append("done")
            action()
        original(loaded, uow, values)

    monkeypatch.setattr(engine.cases.runner, "_write_row", write_row_after)
    return ran


def _history(platform: Any, instance_id: int) -> list[str]:
    with platform.uow(write=False) as uow:
        return list(uow.session.scalars(select(HistoryEntry.action).where(HistoryEntry.instance_id == instance_id)
                                        .order_by(HistoryEntry.id)))


def test_a_claim_between_reading_and_writing_wins_and_the_completion_gets_409(
        client: Any, people: Any, platform: Any, deployed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    instance_id, task_id = _start_and_find_task(client, people, deployed)

    def colleague_claims() -> None:
        with platform.uow() as uow:
            claim_task(task_id, actor=people.actor("win_dcf2", platform), uow=uow, now=platform.now())
            uow.commit()

    ran = _between_read_and_write(monkeypatch, colleague_claims)
    answer = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": FORM}, headers=people.headers("win_dcf"))
    assert ran and answer.status_code == 409, answer.get_json()
    assert "win_dcf2" in answer.get_json()["message"]
    with platform.uow(write=False) as uow:
        row = uow.session.get(HumanTask, task_id)
        case = uow.session.get(ProcessInstance, instance_id)
        assert row is not None and case is not None
        assert (row.state, row.assignee) == ("claimed", "win_dcf2")
        assert case.lock_version == 1  # the case was not advanced
    assert _history(platform, instance_id) == ["start", "claim"]


def test_of_two_completions_of_one_task_the_second_to_write_gets_409_and_the_case_moves_once(
        client: Any, people: Any, platform: Any, deployed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    instance_id, task_id = _start_and_find_task(client, people, deployed)
    first: list[Any] = []

    def colleague_completes() -> None:
        with platform.uow(optimistic=True) as uow:
            first.append(complete_task(task_id, FORM, actor=people.actor("win_dcf2", platform), uow=uow,
                                       now=platform.now()))
            uow.commit()

    _between_read_and_write(monkeypatch, colleague_completes)
    answer = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": FORM}, headers=people.headers("win_dcf"))
    assert first and first[0]["state"] == "completed"
    # The case row moved on under it: its version no longer matches, so nothing of this completion is written.
    assert answer.status_code == 409 and "changed this case" in answer.get_json()["message"], answer.get_json()
    with platform.uow(write=False) as uow:
        row = uow.session.get(HumanTask, task_id)
        assert row is not None and (row.state, row.completed_by) == ("completed", "win_dcf2")
        assert uow.session.scalar(select(func.count()).select_from(HumanTask)
                                  .where(HumanTask.instance_id == instance_id, HumanTask.state == "open")) == 1
    assert _history(platform, instance_id).count("complete") == 1


@pytest.mark.sqlite_only
def test_an_optimistic_unit_leaves_the_write_lock_to_others_until_it_writes(platform: Any, deployed: str,
                                                                            client: Any, people: Any) -> None:
    instance_id, _task_id = _start_and_find_task(client, people, deployed)
    with platform.uow(optimistic=True) as reading:
        case = reading.session.get(ProcessInstance, instance_id)
        assert case is not None
        other_done = threading.Event()

        def other_writer() -> None:  # would wait for ever if the reading unit held the lock
            with platform.uow() as uow:
                other = uow.session.get(ProcessInstance, instance_id)
                assert other is not None
                other.business_key = "LC-2026-9"
                uow.commit()
            other_done.set()

        thread = threading.Thread(target=other_writer)
        thread.start()
        thread.join(10)
        assert other_done.is_set()
        case.business_key = "LC-2026-1"  # written from the version read before the other writer's
        with pytest.raises(Conflict):
            reading.commit()
    with platform.uow(write=False) as uow:
        assert uow.session.get(ProcessInstance, instance_id).business_key == "LC-2026-9"  # type: ignore[union-attr]


@pytest.mark.sqlite_only
def test_an_optimistic_unit_cannot_write_without_taking_the_lock(platform: Any) -> None:
    # Outside a transaction SQLite would commit the statement on its own, half of a unit of work.
    with platform.uow(optimistic=True) as uow, pytest.raises(RuntimeError, match="begin_write"):
        uow.session.execute(insert(HistoryEntry).values(instance_id=None, model_key="x", action="start",
                                                        actor="system", at=platform.now(), details={}))
    with platform.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(HistoryEntry)) == 0
