"""Administrators move a waiting deadline, or recompute a year's deadlines after its holidays were entered."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import at

from engine.calendar.store import replace_year
from engine.cases.deadlines import move_timer, recompute_year
from engine.errors import Conflict, InvalidInput, PermissionDenied
from engine.people.identity import Actor

ADMIN = Actor("admin", "admin")


def test_moving_a_timer_changes_the_task_deadline_the_timer_index_and_the_history(flow, platform, deployed):
    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    with platform.uow() as uow:
        result = move_timer(case, "accept_deadline", "2026-10-15T18:00:00+08:00", reason="系统故障顺延",
                            actor=ADMIN, uow=uow, now=platform.now())
        uow.commit()
    assert result["timers"][0]["due_at"] == "2026-10-15T18:00:00+08:00"
    [task] = flow.tasks("county_window_dongchangfu")
    assert datetime.fromisoformat(task["due_at"]) == at("2026-10-15 18:00")
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-15 18:00")
    assert flow.fire(at("2026-10-12 09:00")) == [], "the old deadline no longer fires"
    assert flow.fire(at("2026-10-15 18:00:01")) == [case]
    moved = [h for h in flow.view(case)["history"] if h["action"] == "timer_moved"]
    assert moved[0]["details"]["due_before"] == "2026-10-10T18:00:00+08:00"
    assert moved[0]["details"]["reason"] == "系统故障顺延" and moved[0]["actor"] == "admin"


def test_moving_a_timer_needs_an_admin_a_reason_a_date_and_a_waiting_timer(flow, platform, deployed):
    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    attempts = [
        (dict(actor=Actor("win", "staff", "county_window", "dongchangfu"), reason="x", due_at="2026-10-15"),
         PermissionDenied),
        (dict(actor=ADMIN, reason=" ", due_at="2026-10-15T18:00:00+08:00"), InvalidInput),
        (dict(actor=ADMIN, reason="x", due_at="next week"), InvalidInput),
    ]
    for kwargs, error in attempts:
        with platform.uow() as uow, pytest.raises(error):
            move_timer(case, "accept_deadline", kwargs["due_at"], reason=kwargs["reason"], actor=kwargs["actor"],
                       uow=uow, now=platform.now())
    with platform.uow() as uow, pytest.raises(Conflict):
        move_timer(case, "no_such_timer", "2026-10-15T18:00:00+08:00", reason="x", actor=ADMIN, uow=uow,
                   now=platform.now())


def test_recomputing_2027_after_its_holidays_are_entered_moves_deadlines_counted_with_weekends_only(
        flow, platform, deployed, clock):
    clock.set(at("2026-12-30 10:00"))
    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    untouched = flow.start("escalation_demo", {"county": "linqing"})
    [task] = flow.tasks("county_window_dongchangfu")
    assert datetime.fromisoformat(task["due_at"]) == at("2027-01-04 18:00"), "weekend-only fallback"
    clock.set(at("2026-12-31 09:00"))
    with platform.uow() as uow:
        replace_year(2027, {"holidays": [{"date": "2027-01-01", "name": "元旦"}], "working_days": []},
                     actor="admin", uow=uow, now=clock.now())
        uow.commit()
    platform.calendar.invalidate()
    with platform.uow(optimistic=True) as uow:
        result = recompute_year(2027, reason="国务院公布2027年节假日", actor=ADMIN, uow=uow, now=clock.now())
        uow.commit()
    assert [c["id"] for c in result["cases"]] == [case, untouched]
    assert result["cases"][0]["timers"] == [{"timer": "accept_deadline", "before": "2027-01-04T18:00:00+08:00",
                                             "after": "2027-01-05T18:00:00+08:00"}]
    [task] = flow.tasks("county_window_dongchangfu")
    assert datetime.fromisoformat(task["due_at"]) == at("2027-01-05 18:00"), "counted from 2026-12-30, not today"
    with platform.uow(optimistic=True) as uow:
        again = recompute_year(2027, reason="再算一次", actor=ADMIN, uow=uow, now=clock.now())
    assert again["cases"] == [], "nothing left to move"
