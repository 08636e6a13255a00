"""A platform with something on every screen, for the walks through every role: test_supervision's escalation
cases (done on time, late, overdue and escalated, waiting on a timer) and F in error; the health-card flow in two
versions with a case at the county window, one claimed at the city window, one suspended, and one waiting for
the applicant's materials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from test_console_queries import with_a_case_in_error
from web.conftest import FORWARD, MATERIALS, START
from web.webkit import deploy_files, health_card_files

from engine.cases.instances import suspend_instance
from tasks.service import claim_task


@dataclass
class World:
    escalation: dict[str, int]  # A–F of test_supervision and test_console_queries
    county: int  # health card: its county check open at the Dongchangfu window
    claimed: int  # health card: the city review claimed by city1
    suspended: int  # health card: suspended at its county check
    materials: int  # health card: waiting for the applicant's materials
    tasks: dict[str, int]  # task ids by what they are

    def task(self, name: str) -> int:
        return self.tasks[name]


def open_task_id(flow: Any, case: int, name: str) -> int:
    [task] = [t for t in flow.view(case)["tasks"] if t["name"] == name and t["state"] in ("open", "claimed")]
    return int(task["id"])


def claim(flow: Any, who: str, task_id: int) -> None:
    with flow.platform.uow() as uow:
        claim_task(task_id, actor=flow.actor(who), uow=uow, now=flow.platform.now())
        uow.commit()


def build_world(scenario: Any, flow: Any, platform: Any) -> World:
    escalation = with_a_case_in_error(scenario.cases, flow, platform)
    files = health_card_files(uploads=True)
    key = deploy_files(platform, files)
    deploy_files(platform, {**files, "health_card.bpmn": files["health_card.bpmn"].replace(
        "市平台受理审核".encode(), "市平台受理复核".encode())})  # version 2, for the diff and the migration

    def at_county_check() -> int:
        case = flow.start(key, START)
        flow.complete("applicant", "submit_materials", MATERIALS, case)
        return case

    county = at_county_check()
    claimed = at_county_check()
    claim(flow, "win_dcf", open_task_id(flow, claimed, "county_check"))
    flow.complete("win_dcf", "county_check", FORWARD, claimed)
    claim(flow, "city1", open_task_id(flow, claimed, "city_review"))
    suspended = at_county_check()
    with platform.uow() as uow:
        suspend_instance(suspended, reason="用人单位来函申请暂缓办理", actor=flow.actor("admin"), uow=uow,
                         now=platform.now())
        uow.commit()
    materials = flow.start(key, {**START, "applicant_name": "李四"})
    tasks = {"county_check": open_task_id(flow, county, "county_check"),
             "city_review": open_task_id(flow, claimed, "city_review"),
             "suspended_check": open_task_id(flow, suspended, "county_check"),
             "materials": open_task_id(flow, materials, "submit_materials"),
             "supervise": open_task_id(flow, escalation["D"], "supervise")}
    return World(escalation, county, claimed, suspended, materials, tasks)
