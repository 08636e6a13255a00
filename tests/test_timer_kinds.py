"""An administrator's timer moves and retries work for every kind of timer: date, duration and cycle (and a
timer after an event-based gateway), and a case that an older move left broken recovers on retry."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from conftest import at

from engine.cases.deadlines import move_timer, waiting_timers
from engine.cases.deployment import deploy
from engine.cases.instances import retry_instance
from engine.cases.runner import load_case, restore, save_workflow
from engine.people.identity import Actor

THREE_TIMERS = Path(__file__).parent / "data" / "thirdparty" / "bpmnio_three_timers.bpmn"
ADMIN = Actor("admin", "admin")
COUNTERS = {"notices": 0, "level": 0, "reminders": 0}


def deploy_three_timers(platform) -> str:
    with platform.uow() as uow:
        key = deploy({"three.bpmn": THREE_TIMERS.read_bytes()}, actor=Actor("designer", "designer"), uow=uow,
                     now=platform.now()).key
        uow.commit()
    return key


def move(platform, case: int, timer: str, due_at: str) -> dict:
    with platform.uow() as uow:
        result = move_timer(case, timer, due_at, reason="窗口调整", actor=ADMIN, uow=uow, now=platform.now())
        uow.commit()
    return result


def retry(platform, case: int, data: dict, now: datetime) -> dict:
    with platform.uow(optimistic=True) as uow:
        result = retry_instance(case, data=data, reason="补录数据", actor=ADMIN, uow=uow, now=now)
        uow.commit()
    return result


def timers_of(result: dict) -> dict[str, tuple[str, str]]:
    return {t["timer"]: (t["kind"], t["due_at"]) for t in result["timers"]}


def test_each_kind_of_timer_is_listed_with_its_kind_and_due_moment(flow, platform):
    case = flow.start(deploy_three_timers(platform), dict(COUNTERS))
    listed = timers_of(move(platform, case, "Timer_date", "2026-10-09T09:00:00+08:00"))
    assert listed == {"Timer_date": ("date", "2026-10-09T09:00:00+08:00"),
                      "Timer_duration": ("duration", "2026-10-02T10:00:00+08:00"),
                      "Timer_cycle": ("cycle", "2026-10-01T10:00:00+08:00")}


def fired(view: dict) -> list[str]:
    return [h["task_name"] for h in view["history"] if h["action"] == "timer_fired"]


def test_moving_a_date_a_duration_and_a_cycle_timer_each_fires_at_the_new_moment_and_the_case_stays_active(
        flow, platform):
    case = flow.start(deploy_three_timers(platform), dict(COUNTERS))
    after_cycle = timers_of(move(platform, case, "Timer_cycle", "2026-10-01T08:00:00+08:00"))
    assert after_cycle["Timer_cycle"] == ("cycle", "2026-10-01T08:00:00+08:00")
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-01 08:00")
    assert flow.fire(at("2026-10-01 07:59")) == []
    assert flow.fire(at("2026-10-01 08:00:01")) == [case]
    view = flow.view(case)
    assert (view["status"], view["data"]["reminders"], fired(view)) == ("active", 1, ["Timer_cycle"])

    move(platform, case, "Timer_duration", "2026-10-01T12:00:00+08:00")
    assert flow.fire(at("2026-10-01 12:00:01")) == [case]
    assert flow.view(case)["data"]["level"] == 1
    move(platform, case, "Timer_date", "2026-10-01T13:00:00+08:00")
    assert flow.fire(at("2026-10-01 13:00:01")) == [case]
    view = flow.view(case)
    assert view["status"] == "active" and view["data"]["notices"] == 1
    assert fired(view) == ["Timer_cycle", "Timer_duration", "Timer_date"]
    with platform.uow() as uow:
        left = timers_of({"timers": waiting_timers(restore(load_case(case, uow=uow), uow=uow, now=platform.now()))})
    assert left == {"Timer_cycle": ("cycle", "2026-10-02T08:00:00+08:00")}, "the next round follows the moved one"
    moved = [(h["task_name"], h["details"]["kind"]) for h in view["history"] if h["action"] == "timer_moved"]
    assert moved == [("Timer_cycle", "cycle"), ("Timer_duration", "duration"), ("Timer_date", "date")]
    flow.complete("city1", "Activity_review", {})
    assert flow.view(case)["status"] == "completed"


MISSING = re.compile(r"name '(\w+)' is not defined")


def test_a_case_in_error_after_a_timer_fired_is_retried_for_every_kind(flow, platform):
    case = flow.start(deploy_three_timers(platform), {})  # no counters: each timer's step fails until retried
    retried: list[str] = []
    for moment in ("2026-10-01 10:00:01", "2026-10-02 10:00:01", "2026-10-03 10:00:01", "2026-10-09 09:00:01"):
        flow.fire(at(moment))
        fixes: dict[str, int] = {}  # a failed retry is not kept: each one carries every correction so far
        for _attempt in range(3):
            view = flow.view(case)
            if view["status"] != "error":
                break
            assert view["error"]["pending"] == "timers", view["error"]
            missing = MISSING.search(view["error"]["message"])
            assert missing is not None, view["error"]
            retried.append(missing.group(1))
            fixes[missing.group(1)] = 0
            assert retry(platform, case, fixes, at(moment))["status"] in ("active", "error")
        assert flow.view(case)["status"] == "active", flow.view(case)["error"]
    assert {"reminders", "level", "notices"} <= set(retried), retried
    view = flow.view(case)
    assert sorted(fired(view)) == ["Timer_cycle", "Timer_cycle", "Timer_cycle", "Timer_date", "Timer_duration"]
    assert view["next_due_at"] is None, "every timer is done; the review is still open"
    flow.complete("city1", "Activity_review", {})
    assert flow.view(case)["status"] == "completed"


def test_a_cycle_timer_left_as_a_bare_moment_by_an_older_move_fires_again(flow, platform):
    case = flow.start(deploy_three_timers(platform), dict(COUNTERS))
    with platform.uow() as uow:  # what move_timer wrote before it knew cycles: a moment where a cycle keeps a dict
        loaded = restore(load_case(case, uow=uow), uow=uow, now=platform.now())
        [cycle] = [t for t in loaded.workflow.get_tasks() if t.task_spec.name == "Timer_cycle"]
        cycle._set_internal_data(event_value="2026-10-01T08:00:00+08:00")
        save_workflow(loaded, uow=uow, now=platform.now(), actor="admin")
        uow.commit()
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2026-10-01 08:00")
    assert flow.fire(at("2026-10-01 08:00:01")) == [case]
    assert flow.view(case)["status"] == "active"
    assert flow.fire(at("2026-10-02 08:00:01")) == [case], "the next round is one period after the moved one"
    assert flow.fire(at("2026-10-03 08:00:01")) == [case]
    assert flow.fire(at("2026-10-04 08:00:01")) == [], "three rounds, as R3 says"
    assert fired(flow.view(case)).count("Timer_cycle") == 3


def test_a_case_that_an_older_cycle_move_put_in_error_is_retried(flow, platform):
    case = flow.start(deploy_three_timers(platform), dict(COUNTERS))
    with platform.uow() as uow:  # the state such a case was left in: in error, waiting to replay its timers
        loaded = restore(load_case(case, uow=uow), uow=uow, now=platform.now())
        [cycle] = [t for t in loaded.workflow.get_tasks() if t.task_spec.name == "Timer_cycle"]
        cycle._set_internal_data(event_value="2026-10-01T08:00:00+08:00")
        save_workflow(loaded, uow=uow, now=platform.now(), actor="admin")
        uow.commit()
    with platform.uow() as uow:
        from engine.store.models import ProcessInstance

        row = uow.session.get(ProcessInstance, case)
        row.status, row.pending, row.error_message = "error", {"action": "timers"}, "TypeError: string indices"
        uow.commit()
    assert retry(platform, case, {}, at("2026-10-01 09:00"))["status"] == "active"
    view = flow.view(case)
    assert (view["status"], fired(view)) == ("active", ["Timer_cycle"])
    assert datetime.fromisoformat(view["next_due_at"]) == at("2026-10-02 08:00")
