"""Scenarios for processes/schooling (子女就学, Lianyungang art. 4(2)): one-window intake, the schooling_policy
decision table, school assignment by the education bureau, and feedback with archiving at the city window."""

from __future__ import annotations

import copy
from collections import Counter
from itertools import product
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import at
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.bpmn.scripting import RestrictedScriptEngine
from engine.bpmn.validation import load_bundle
from engine.errors import InvalidInput

APPLICATION = {
    "talent_name": "王立新",
    "talent_class": "B",
    "doctorate": False,
    "employer_name": "连云港石化产业研究院",
    "contact_phone": "13912345678",
    "child_name": "王小雨",
    "child_id_number": "32070520180315002X",
    "child_birth_date": "2018-03-15",
    "school_stage": "义务教育",
    "intended_grade": "三年级",
    "residence_address": "海州区朝阳东路88号",
    "household_moved_in": False,
}
TRANSFER = {"school_stage": "高中转学", "intended_grade": "高二", "current_school": "徐州市第一中学",
            "current_school_city": "徐州市", "child_id_number": "320705200903150021",
            "child_birth_date": "2009-03-15"}
ACCEPT = {"intake_decision": "受理"}
ASSIGNMENT = {"assigned_school": "连云港市新海实验中学", "assigned_grade": "三年级", "enrolment_date": "2026-10-12",
              "meets_policy": True}
FEEDBACK = {"notice_method": "电话", "notice_date": "2026-10-13", "archive_number": "ZX-2026-0001"}

PRIORITY = "免试就近入学，优先安排优质学校"
RESIDENT = "免试就近入学，享受当地常住居民子女入学政策"
HIGH_SCHOOL = "安排到三星及以上高中就读"


def start(flow: Any) -> int:
    key = flow.deploy_folder("schooling")
    assert key == "schooling"
    return int(flow.start(key, {}, who="applicant"))


def submit(flow: Any, case: int, **changes: Any) -> dict[str, Any]:
    data = {**APPLICATION, **changes}
    flow.complete("applicant", "apply", data, instance_id=case)
    return data


def actions(flow: Any, case: int) -> list[tuple[str, str | None]]:
    return [(h["action"], h["task_name"]) for h in flow.view(case)["history"]]


def submitted(flow: Any, case: int, task_name: str) -> list[dict[str, Any]]:
    return [h["details"]["data"] for h in flow.view(case)["history"]
            if h["action"] == "complete" and h["task_name"] == task_name]


# --- each row of schooling_policy.dmn ------------------------------------------------------------------

@pytest.mark.parametrize(("talent_class", "doctorate", "changes", "policy", "school_level"), [
    ("A", False, {"school_stage": "学前", "intended_grade": "小班", "child_id_number": "320705202203150028",
                  "child_birth_date": "2022-03-15"}, PRIORITY, "优质幼儿园"),
    ("C", False, {}, PRIORITY, "优质中小学"),
    ("D", True, {"school_stage": "学前", "intended_grade": "中班", "child_id_number": "320705202103150027",
                 "child_birth_date": "2021-03-15"}, PRIORITY, "优质幼儿园"),
    ("D", True, {}, PRIORITY, "优质中小学"),
    ("D", False, {"school_stage": "学前", "intended_grade": "大班", "child_id_number": "320705202003150026",
                  "child_birth_date": "2020-03-15"}, RESIDENT, "就近幼儿园"),
    ("D", False, {}, RESIDENT, "就近中小学"),
    ("D", False, TRANSFER, HIGH_SCHOOL, "三星及以上高中"),
], ids=["abc_preschool", "abc_compulsory", "d_doctor_preschool", "d_doctor_compulsory", "d_preschool",
        "d_compulsory", "high_school_transfer"])
def test_decision_table_sets_the_policy_then_education_assigns_a_school_and_the_window_archives(
        flow, talent_class, doctorate, changes, policy, school_level):
    case = start(flow)
    data = submit(flow, case, talent_class=talent_class, doctorate=doctorate, **changes)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)

    view = flow.view(case)
    assert (view["data"]["policy"], view["data"]["school_level"]) == (policy, school_level)
    assert flow.open_task_names(case) == ["assign_school"]
    [task] = flow.tasks("education")
    assert (task["instance_id"], task["title"], task["department"]) == (case, "安排就读学校", "education")
    assert flow.tasks("city_window") == []

    flow.complete("education", "assign_school", ASSIGNMENT, instance_id=case)
    assert flow.open_task_names(case) == ["feedback"]
    flow.complete("city_window", "feedback", FEEDBACK, instance_id=case)

    view = flow.view(case)
    assert view["status"] == "completed" and view["ended_at"] is not None
    assert view["data"]["assigned_school"] == "连云港市新海实验中学"
    assert view["data"]["archive_number"] == "ZX-2026-0001"
    assert view["data"]["child_id_number"] == data["child_id_number"]
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("complete", "assign_school"), ("complete", "feedback"), ("completed", None)]
    assert submitted(flow, case, "apply") == [data]
    assert submitted(flow, case, "assign_school") == [ASSIGNMENT]
    completers = {t["name"]: t["completed_by"] for t in view["tasks"]}
    assert completers == {"apply": "applicant", "intake": "city_window", "assign_school": "education",
                          "feedback": "city_window"}


@pytest.mark.parametrize("changes", [
    {"school_stage": "学前", "child_id_number": "320705202203150028", "child_birth_date": "2022-03-15"},
    {"doctorate": True},
    {**TRANSFER, "doctorate": True},
], ids=["preschool", "compulsory_with_doctorate", "high_school_transfer_with_doctorate"])
def test_class_e_talent_is_not_a_high_level_talent_so_the_window_feeds_back_without_a_school(flow, changes):
    case = start(flow)
    submit(flow, case, talent_class="E", **changes)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)

    view = flow.view(case)
    assert (view["data"]["policy"], view["data"]["school_level"]) == ("不适用", "不适用")
    assert flow.open_task_names(case) == ["feedback"]
    assert flow.tasks("education") == []
    flow.complete("city_window", "feedback", {**FEEDBACK, "feedback_note": "E类人才不属于D类以上高层次人才"},
                  instance_id=case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert "assigned_school" not in view["data"]
    assert [a for a, _ in actions(flow, case)] == ["start", "complete", "complete", "complete", "completed"]


# --- the window ---------------------------------------------------------------------------------------

def test_window_returns_an_incomplete_application_and_the_resubmission_goes_on_to_the_decision(flow):
    case = start(flow)
    first = submit(flow, case, talent_class="C")
    flow.complete("city_window", "intake", {"intake_decision": "退回补正", "intake_reason": "请补充人才类别认定证书"},
                  instance_id=case)
    assert flow.open_task_names(case) == ["apply"]
    [again] = flow.tasks("applicant", scope="mine")
    assert (again["name"], again["assignee"], again["state"]) == ("apply", "applicant", "claimed")
    assert flow.view(case)["data"]["intake_reason"] == "请补充人才类别认定证书"

    second = submit(flow, case, talent_class="C", doctorate=True)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)
    view = flow.view(case)
    assert (view["data"]["policy"], view["data"]["school_level"]) == (PRIORITY, "优质中小学")
    assert flow.open_task_names(case) == ["assign_school"]
    assert submitted(flow, case, "apply") == [first, second]
    assert submitted(flow, case, "intake") == [
        {"intake_decision": "退回补正", "intake_reason": "请补充人才类别认定证书"}, ACCEPT]


def test_window_refusal_ends_the_case_with_its_reason_and_nothing_reaches_education(flow):
    case = start(flow)
    submit(flow, case)
    refusal = {"intake_decision": "不予受理", "intake_reason": "人才类别认定已失效"}
    flow.complete("city_window", "intake", refusal, instance_id=case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["intake_reason"] == "人才类别认定已失效"
    assert "policy" not in view["data"]
    assert flow.tasks("education") == []
    assert actions(flow, case) == [("start", None), ("complete", "apply"), ("complete", "intake"),
                                   ("completed", None)]


def test_window_must_give_a_reason_when_it_refuses(flow):
    case = start(flow)
    submit(flow, case)
    with pytest.raises(InvalidInput) as refused:
        flow.complete("city_window", "intake", {"intake_decision": "不予受理"}, instance_id=case)
    assert [d["field"] for d in refused.value.details] == ["intake_reason"]
    assert flow.open_task_names(case) == ["intake"]


# --- form validation of the child's data --------------------------------------------------------------

def test_bad_child_id_number_is_refused_by_the_form_and_the_case_does_not_move(flow):
    case = start(flow)
    with pytest.raises(InvalidInput) as refused:
        submit(flow, case, child_id_number="32070520181315002X")  # month 13
    details = refused.value.details
    assert [d["field"] for d in details] == ["child_id_number"]
    assert details[0]["message_zh"] == "格式不正确"
    assert flow.open_task_names(case) == ["apply"]
    assert actions(flow, case) == [("start", None)]


@pytest.mark.parametrize(("changes", "fields"), [
    ({"child_id_number": "3207052018031500"}, ["child_id_number"]),
    ({"child_birth_date": "2018-02-30"}, ["child_birth_date"]),
    ({"child_birth_date": "15/03/2018"}, ["child_birth_date"]),
    ({"child_name": ""}, ["child_name"]),
    ({"child_name": "Robert'); DROP TABLE"}, ["child_name"]),
    ({"school_stage": "大学"}, ["school_stage"]),
    ({"school_stage": "高中转学"}, ["current_school", "current_school_city"]),
    ({"school_stage": "学前", "residence_address": None}, ["residence_address"]),
    ({"contact_phone": "1234"}, ["contact_phone"]),
    ({"talent_class": "F"}, ["talent_class"]),
], ids=["short_id", "impossible_date", "not_iso_date", "empty_name", "name_with_symbols", "unknown_stage",
        "transfer_without_current_school", "preschool_without_address", "bad_phone", "unknown_class"])
def test_the_application_form_names_each_bad_field(flow, changes, fields):
    case = start(flow)
    data = {**APPLICATION, **changes}
    data = {k: v for k, v in data.items() if v is not None}
    with pytest.raises(InvalidInput) as refused:
        flow.complete("applicant", "apply", data, instance_id=case)
    assert sorted({d["field"] for d in refused.value.details}) == fields
    assert flow.open_task_names(case) == ["apply"]


def test_education_must_confirm_the_school_meets_the_policy(flow):
    case = start(flow)
    submit(flow, case)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)
    with pytest.raises(InvalidInput) as refused:
        flow.complete("education", "assign_school", {**ASSIGNMENT, "meets_policy": False}, instance_id=case)
    assert [d["field"] for d in refused.value.details] == ["meets_policy"]
    assert flow.open_task_names(case) == ["assign_school"]


# --- deadlines: the seeds give none -------------------------------------------------------------------

def test_no_task_has_a_deadline_because_article_4_gives_none_so_no_timer_fires_over_national_day(
        flow, clock):
    clock.set(at("2026-09-30 10:00"))
    case = start(flow)
    submit(flow, case)
    flow.complete("city_window", "intake", ACCEPT, instance_id=case)
    assert flow.fire(at("2026-10-20 18:00:01")) == []
    view = flow.view(case)
    assert view["next_due_at"] is None
    assert [(t["name"], t["due_at"]) for t in view["tasks"]] == [
        ("apply", None), ("intake", None), ("assign_school", None)]
    assert "timer_fired" not in [h["action"] for h in view["history"]]
    clock.set(at("2026-10-20 18:00:01"))
    flow.complete("education", "assign_school", ASSIGNMENT, instance_id=case)
    assert flow.open_task_names(case) == ["feedback"]


# --- the decision table on its own --------------------------------------------------------------------

def expected_policy(talent_class: str, doctorate: bool, stage: str) -> tuple[str, str]:
    """Article 3 and article 4(2) of the Lianyungang measures, read directly."""
    if talent_class not in ("A", "B", "C", "D"):
        return "不适用", "不适用"
    if stage == "高中转学":
        return HIGH_SCHOOL, "三星及以上高中"
    kind = "幼儿园" if stage == "学前" else "中小学"
    if talent_class in ("A", "B", "C") or doctorate:
        return PRIORITY, "优质" + kind
    return RESIDENT, "就近" + kind


def test_schooling_policy_table_has_exactly_one_rule_for_every_class_degree_and_stage(platform):
    folder = Path(__file__).resolve().parents[2] / "processes" / "schooling"
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")}
    unique = load_bundle(files, platform.organisation).spec.task_specs["decide_policy"].dmnEngine
    assert unique.decision_table.hit_policy == "UNIQUE"
    collect_table = copy.copy(unique.decision_table)
    collect_table.hit_policy = "COLLECT"
    every = DMNEngine(collect_table)
    hits: Counter[str] = Counter()
    for talent_class, doctorate, stage in product("ABCDE", (True, False), ("学前", "义务教育", "高中转学")):
        data = {"talent_class": talent_class, "doctorate": doctorate, "school_stage": stage}
        task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=RestrictedScriptEngine()))
        matched = every.decide(task)
        assert len(matched) == 1, (data, [rule.id for rule in matched])
        hits[matched[0].id] += 1
        result = unique.result(task)
        assert (result["policy"], result["school_level"]) == expected_policy(talent_class, doctorate, stage)
    assert hits == {"Rule_abc_preschool": 6, "Rule_abc_compulsory": 6, "Rule_d_doctor_preschool": 1,
                    "Rule_d_doctor_compulsory": 1, "Rule_d_preschool": 1, "Rule_d_compulsory": 1,
                    "Rule_high_school_transfer": 8, "Rule_not_high_level": 6}
