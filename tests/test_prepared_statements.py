"""The hot path's statements run on the unit's own connection (engine/store/prepared.py): what they write and read
is exactly what the ORM writes and reads, on SQLite and on PostgreSQL, errors are SQLAlchemy's, and the engine's
cursor listeners (the optimistic-write guard, statement deadlines, statement counts) still see every statement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, insert, select
from sqlalchemy.exc import IntegrityError

from engine.cases.projection import _upsert
from engine.store import prepared
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance, ProcessModel, User, table_of

_HISTORY = table_of(HistoryEntry)
_TASKS = table_of(HumanTask)
_USERS = table_of(User)
_INSERT_HISTORY = insert(_HISTORY)
_HISTORY_OF = select(_HISTORY).where(_HISTORY.c.instance_id == bindparam("case_id")).order_by(_HISTORY.c.id)
_USERS_NAMED = select(_USERS.c.username).where(_USERS.c.username.in_(bindparam("names", expanding=True)))


def _case(platform: Any, now: datetime) -> int:
    with platform.uow() as uow:
        model_id = uow.session.scalars(select(ProcessModel.id)).first()
        assert model_id is not None, "the test needs a deployed flow (the deployed fixture)"
        case = ProcessInstance(model_id=model_id, model_key="k", version=1, status="active", state="{}", data={},
                               created_at=now, updated_at=now, started_by="someone", lock_version=1)
        uow.session.add(case)
        uow.commit()
        return int(case.id)


def _counted(platform: Any) -> tuple[list[str], Any]:
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        if not text.lstrip().upper().startswith("BEGIN"):
            seen.append(text)

    event.listen(platform.engine, "before_cursor_execute", statement)
    return seen, lambda: event.remove(platform.engine, "before_cursor_execute", statement)


def test_rows_written_here_read_back_through_the_orm_exactly_and_the_other_way_round(platform, clock, deployed):
    now = clock.now()
    case_id = _case(platform, now)
    beijing = datetime(2026, 12, 4, 17, 30, 5, 123456, tzinfo=timezone(timedelta(hours=8)))
    entries = [{"instance_id": case_id, "model_key": "k", "action": "start", "actor": "张三", "at": beijing,
                "task_id": None, "task_name": None, "details": {"金额": 3000, "ok": True, "list": [1, None]}},
               {"instance_id": case_id, "model_key": "k", "action": "complete", "actor": "李四", "at": now,
                "task_id": 7, "task_name": "审核", "details": {}}]
    with platform.uow() as uow:
        uow.begin_write()
        prepared.execute_many(uow, _INSERT_HISTORY, entries)
        uow.commit()
    with platform.uow(write=False) as uow:
        orm = list(uow.session.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == case_id)
                                       .order_by(HistoryEntry.id)))
        fast = prepared.rows(uow, _HISTORY_OF, {"case_id": case_id})
    assert [(e.action, e.actor, e.at, e.task_id, e.task_name, e.details) for e in orm] == \
        [(e["action"], e["actor"], e["at"].astimezone(UTC), e["task_id"], e["task_name"], e["details"])
         for e in entries]
    assert orm[0].at.tzinfo is not None and orm[0].at == beijing
    # Read here: the same values, by attribute and by name, as the ORM read them.
    assert [(r.id, r.action, r.at, r.details) for r in fast] == [(e.id, e.action, e.at, e.details) for e in orm]
    assert fast[0]._mapping["task_name"] is None and fast[1]._mapping["task_name"] == "审核"
    with platform.uow(write=False) as uow:
        row = prepared.first(uow, select(table_of(ProcessInstance)).where(
            table_of(ProcessInstance).c.id == bindparam("case_id")), {"case_id": case_id})
        assert prepared.first(uow, _HISTORY_OF, {"case_id": case_id + 1000}) is None
    assert ProcessInstance(**row._mapping).created_at == now and row.data == {} and row.started_by == "someone"


def test_several_task_rows_are_written_and_answered_in_one_statement(platform, clock, deployed):
    now = clock.now()
    case_id = _case(platform, now)
    rows = [{"instance_id": case_id, "spiff_task_id": f"t{i}", "name": f"task{i}", "title": f"任务{i}",
             "model_key": "k", "lane": "HRSS", "department": "hrss", "county": None, "assignee": None,
             "state": "open", "process_id": "p", "form_file": None, "ui_form_file": None, "instructions": None,
             "due_at": now + timedelta(days=i), "created_at": now, "claimed_at": None, "ended_at": None,
             "completed_by": None, "clock_stopped_at": None, "priority": 0} for i in range(3)]
    seen, stop = _counted(platform)
    try:
        with platform.uow() as uow:
            uow.begin_write()
            written = prepared.returning_many(uow, _upsert(platform.engine.dialect.name, False), rows)
            uow.commit()
    finally:
        stop()
    assert len([s for s in seen if "human_tasks" in s]) == 1, seen
    assert sorted((r.spiff_task_id, r.title, r.due_at) for r in written) == \
        [(r["spiff_task_id"], r["title"], r["due_at"]) for r in rows]
    # The upsert's guard still holds: a completed row is not opened again by a later write of the same task.
    closing = [rows[0] | {"state": "completed", "ended_at": now, "completed_by": "hrss1"}]
    again = [rows[0] | {"title": "changed"}]
    with platform.uow() as uow:
        uow.begin_write()
        [closed] = prepared.returning_many(uow, _upsert(platform.engine.dialect.name, False), closing)
        assert prepared.returning_many(uow, _upsert(platform.engine.dialect.name, False), again) == []
        uow.commit()
    assert closed.state == "completed" and closed.completed_by == "hrss1"


def test_more_task_rows_than_one_statement_holds_are_all_written(platform, clock, deployed):
    now = clock.now()
    case_id = _case(platform, now)
    row = {"instance_id": case_id, "name": "n", "title": "t", "model_key": "k", "lane": "HRSS", "department": "hrss",
           "county": None, "assignee": None, "state": "open", "process_id": "p", "form_file": None,
           "ui_form_file": None, "instructions": None, "due_at": None, "created_at": now, "claimed_at": None,
           "ended_at": None, "completed_by": None, "clock_stopped_at": None, "priority": 0}
    # More parameters than a default SQLite build takes in one statement (32,766; Debian's takes more).
    many = [row | {"spiff_task_id": f"m{i}"} for i in range(32_766 // len(row) + 10)]
    with platform.uow() as uow:
        uow.begin_write()
        written = prepared.returning_many(uow, _upsert(platform.engine.dialect.name, False), many)
        uow.commit()
    assert sorted(r.spiff_task_id for r in written) == sorted(r["spiff_task_id"] for r in many)
    with platform.uow(write=False) as uow:
        stored = uow.session.scalar(select(func.count()).select_from(_TASKS).where(_TASKS.c.instance_id == case_id))
    assert stored == len(many)


def test_a_statement_with_a_list_that_expands_runs_through_sqlalchemy(platform, people):
    with platform.uow(write=False) as uow:
        found = prepared.rows(uow, _USERS_NAMED, {"names": ["win_dcf", "city1", "nobody"]})
    assert sorted(r.username for r in found) == ["city1", "win_dcf"]


def test_a_database_error_is_sqlalchemys_and_nothing_of_the_unit_is_kept(platform, clock, deployed):
    now = clock.now()
    case_id = _case(platform, now)
    entry = {"instance_id": case_id, "model_key": "k", "action": "start", "actor": "a", "at": now, "task_id": None,
             "task_name": None, "details": {}}
    with pytest.raises(IntegrityError), platform.uow() as uow:
        uow.begin_write()
        prepared.execute_many(uow, _INSERT_HISTORY, [entry])
        prepared.execute_many(uow, _INSERT_HISTORY, [entry | {"instance_id": case_id + 1000}])  # no such case
        uow.commit()
    with platform.uow(write=False) as uow:
        assert prepared.rows(uow, _HISTORY_OF, {"case_id": case_id}) == []


@pytest.mark.sqlite_only
def test_an_optimistic_unit_still_cannot_write_before_it_takes_the_lock(platform, clock, deployed):
    case_id = _case(platform, clock.now())
    with platform.uow(optimistic=True) as uow, pytest.raises(RuntimeError, match="begin_write"):
        prepared.execute_many(uow, _INSERT_HISTORY, [
            {"instance_id": case_id, "model_key": "k", "action": "start", "actor": "a", "at": clock.now(),
             "task_id": None, "task_name": None, "details": {}}])


def test_the_compiled_statements_kept_are_bounded(platform, people, monkeypatch):
    monkeypatch.setattr(prepared, "MAX_COMPILED", 3)
    monkeypatch.setattr(prepared, "_CACHE", {})
    monkeypatch.setattr(prepared, "_KEEP", {})
    names = ("win_dcf", "city1")
    with platform.uow(write=False) as uow:
        for i in range(7):  # statements built anew each time (as no hot path does): each compiled on its own
            statement = select(_USERS.c.username).where(_USERS.c.username == bindparam("name"),
                                                        _USERS.c.id > i - 100)
            assert [r.username for r in prepared.rows(uow, statement, {"name": names[i % 2]})] == [names[i % 2]]
            assert len(prepared._CACHE) <= 3 and len(prepared._KEEP) <= 3
