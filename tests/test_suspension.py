"""Suspended cases (the contract's "Suspended cases"): while a case is suspended its tasks refuse claim, release,
hand-over and completion with 409, task lists say so, and its timers do not fire; after resume all works again."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import People, at
from test_cases import department_tasks, start

from engine.cases.scheduler import fire_due_timers
from engine.errors import CaseSuspended
from tasks.handover import hand_over_task

GOOD = {"data": {"approved": True, "months": 3}}


def post(client: Any, people: People, path: str, who: str, **body: Any) -> Any:
    return client.post(path, json=body or None, headers=people.headers(who))


def suspend(client: Any, people: People, case: int) -> None:
    answer = post(client, people, f"/api/v1/process-instances/{case}/suspend", "admin", reason="申请人赴外地进修")
    assert answer.status_code == 200 and answer.get_json()["status"] == "suspended"


def resume(client: Any, people: People, case: int) -> None:
    answer = post(client, people, f"/api/v1/process-instances/{case}/resume", "admin", reason="申请人返回")
    assert answer.status_code == 200 and answer.get_json()["status"] == "active"


def test_a_suspended_cases_task_refuses_claim_with_409_and_is_claimable_after_resume(client, people, deployed):
    case = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    suspend(client, people, case)
    refused = post(client, people, f"/api/v1/tasks/{task['id']}/claim", "win_dcf")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "case_suspended" and "suspended" in refused.get_json()["message"]
    [listed] = department_tasks(client, people, "win_dcf")
    assert (listed["state"], listed["case_status"], listed["assignee"]) == ("open", "suspended", None)
    shown = client.get(f"/api/v1/tasks/{task['id']}", headers=people.headers("win_dcf")).get_json()
    assert shown["case_status"] == "suspended" and shown["instance"]["status"] == "suspended"

    resume(client, people, case)
    claimed = post(client, people, f"/api/v1/tasks/{task['id']}/claim", "win_dcf")
    assert claimed.status_code == 200, claimed.get_json()
    assert (claimed.get_json()["state"], claimed.get_json()["case_status"]) == ("claimed", "active")
    done = post(client, people, f"/api/v1/tasks/{task['id']}/complete", "win_dcf", **GOOD)
    assert done.status_code == 200, done.get_json()


def test_a_claimed_task_of_a_suspended_case_can_be_neither_released_nor_completed(client, people, deployed,
                                                                                   platform, flow):
    case = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    assert post(client, people, f"/api/v1/tasks/{task['id']}/claim", "win_dcf").status_code == 200
    suspend(client, people, case)
    for action, body in (("release", {}), ("complete", GOOD)):
        answer = post(client, people, f"/api/v1/tasks/{task['id']}/{action}", "win_dcf", **body)
        assert answer.status_code == 409 and answer.get_json()["error"] == "case_suspended", action
    with platform.uow() as uow, pytest.raises(CaseSuspended):
        hand_over_task(task["id"], "win_dcf2", actor=flow.actor("win_dcf"), uow=uow, now=platform.now())
    view = flow.view(case)
    [still] = [t for t in view["tasks"] if t["id"] == task["id"]]
    assert (still["state"], still["assignee"]) == ("claimed", "win_dcf"), "nothing moved"
    assert [h["action"] for h in view["history"]].count("complete") == 0

    resume(client, people, case)
    assert post(client, people, f"/api/v1/tasks/{task['id']}/release", "win_dcf").status_code == 200


def test_the_timers_of_a_suspended_case_do_not_fire_and_fire_after_resume(client, people, deployed, platform,
                                                                          clock):
    case = start(client, people)  # the county window's deadline falls on 10 October, 18:00
    suspend(client, people, case)
    clock.set(at("2026-10-12 09:00"))
    report = fire_due_timers(platform)
    assert case not in report.fired and report.due == 0
    assert department_tasks(client, people, "talent1") == [], "no supervision task while suspended"

    resume(client, people, case)
    clock.set(at("2026-11-30 09:00"))  # past the deadline, however far resuming moved it on
    assert case in fire_due_timers(platform).fired
    [supervise] = department_tasks(client, people, "talent1")
    assert supervise["name"] == "supervise" and supervise["case_status"] == "active"
