"""Scenarios of the problem-handling mechanism (Lianyungang art. 5, 7, 8) through the service layer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import at

from engine.errors import InvalidInput

WINDOW, TALENT_OFFICE = "city_window", "talent_office"
ROUTED = [  # problem kind (accept form) → responsible unit (problem_routing.dmn, art. 5)
    ("居留落户、出入境", "public_security"),
    ("子女就学", "education"),
    ("医疗保健", "health"),
    ("金卡办理", "hrss"),
    ("工商注册", "market_regulation"),
    ("税务办理", "tax"),
    ("科研支持、知识产权", "science_tech"),
    ("金融贷款", "finance_office"),
    ("景区游览", "tourism"),
    ("配偶就业", "talent_office"),
]
UNITS = ["public_security", "education", "health", "hrss", "housing", "market_regulation", "tax", "science_tech",
         "finance_office", "tourism", "org_dept", "staffing_office", "finance", "economy_it", "ndrc",
         "health_care_office", "talent_office"]
CONTACTED = {"step": "已联系人才", "contact_method": "电话", "contact_note": "已电话联系，约定次日面谈"}
ANSWERED = {"step": "已办结答复", "answer": "已协调办理并书面答复"}
SATISFIED = {"visit_method": "电话", "satisfaction": "满意"}
SUPERVISION = {"supervise_measure": "书面督办", "supervise_note": "请于1个工作日内办结"}


@pytest.fixture
def problems(flow: Any) -> str:
    return flow.deploy_folder("problem_handling")


def start(flow: Any, key: str) -> int:
    return flow.start(key, {"talent_name": "李博士", "problem_description": "孩子转学手续办不下来"}, who="applicant")


def accept(flow: Any, case: int, kind: str, **extra: Any) -> None:
    flow.complete(WINDOW, "accept_problem", {"problem_kind": kind, "problem_summary": "人才反映的问题",
                                             "contact_phone": "13905181234", **extra}, case)


def task(flow: Any, case: int, name: str) -> dict[str, Any]:
    [found] = [t for t in flow.view(case)["tasks"] if t["name"] == name and t["state"] in ("open", "claimed")]
    return found


def due(flow: Any, case: int, name: str) -> datetime:
    return datetime.fromisoformat(task(flow, case, name)["due_at"])


def fire_at(flow: Any, clock: Any, moment: str) -> list[int]:
    clock.set(at(moment))
    return flow.fire(at(moment))


def actions(flow: Any, case: int) -> list[tuple[str, str | None]]:
    return [(h["action"], h["task_name"]) for h in flow.view(case)["history"]]


@pytest.mark.parametrize(("kind", "unit"), ROUTED)
def test_the_routing_table_sends_each_kind_of_problem_to_its_responsible_unit_of_article_five(
        flow, problems, kind, unit):
    case = start(flow, problems)
    accept(flow, case, kind)
    assert flow.open_task_names(case) == [f"handle_{unit}"]
    handle = task(flow, case, f"handle_{unit}")
    assert (handle["department"], handle["title"]) == (unit, "承办答复")
    assert [t["name"] for t in flow.tasks(unit) if t["instance_id"] == case] == [f"handle_{unit}"]
    data = flow.view(case)["data"]
    assert (data["responsible_unit"], data["co_unit"], data["handler"]) == (unit, "", unit)
    flow.complete(unit, f"handle_{unit}", ANSWERED, case)
    assert flow.open_task_names(case) == ["follow_up"]
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["satisfaction"] == "满意"
    assert view["data"]["unit_log"][0]["unit"] == unit


@pytest.mark.parametrize("unit", UNITS)
def test_an_other_problem_goes_to_the_department_the_window_picks(flow, problems, unit):
    case = start(flow, problems)
    accept(flow, case, "其他", other_unit=unit)
    assert flow.open_task_names(case) == [f"handle_{unit}"]
    assert task(flow, case, f"handle_{unit}")["department"] == unit
    assert flow.view(case)["data"]["responsible_unit"] == unit
    flow.complete(unit, f"handle_{unit}", ANSWERED, case)
    flow.complete(WINDOW, "follow_up", {"visit_method": "当面", "satisfaction": "基本满意"}, case)
    assert flow.view(case)["status"] == "completed"


def test_an_other_problem_needs_the_window_to_pick_a_department(flow, problems):
    case = start(flow, problems)
    with pytest.raises(InvalidInput) as error:
        accept(flow, case, "其他")
    assert [d["field"] for d in error.value.details] == ["other_unit"]
    with pytest.raises(InvalidInput) as error:
        accept(flow, case, "其他", other_unit="city_window")
    assert [d["field"] for d in error.value.details] == ["other_unit"]
    with pytest.raises(InvalidInput) as error:
        accept(flow, case, "子女就学", contact_phone="0518-1234567")
    assert [d["field"] for d in error.value.details] == ["contact_phone"]
    assert flow.open_task_names(case) == ["accept_problem"]


def test_unit_contacts_within_one_and_answers_within_three_working_days_across_national_day(
        flow, problems, clock):
    clock.set(at("2026-09-30 10:00"))
    case = start(flow, problems)
    assert due(flow, case, "accept_problem") == at("2026-10-08 18:00")  # next working day after the holiday
    clock.set(at("2026-09-30 15:00"))
    accept(flow, case, "子女就学")
    assert due(flow, case, "handle_education") == at("2026-10-08 18:00")  # contact: 1 working day
    clock.set(at("2026-10-08 09:30"))
    flow.complete("education", "handle_education", CONTACTED, case)
    # answer: 3 working days from the forwarding on 09-30 — 10-08, 10-09 and Saturday 10-10 (worked)
    assert due(flow, case, "handle_education") == at("2026-10-10 18:00")
    assert flow.view(case)["data"]["stage"] == "办结答复"
    clock.set(at("2026-10-10 16:00"))
    flow.complete("education", "handle_education", ANSWERED, case)
    assert task(flow, case, "follow_up")["due_at"] is None  # the seeds give the follow-up no deadline
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [s["step"] for s in view["data"]["unit_log"]] == ["已联系人才", "已办结答复"]
    assert view["data"]["answer"] == "已协调办理并书面答复"
    assert actions(flow, case) == [
        ("start", None), ("complete", "accept_problem"), ("complete", "handle_education"),
        ("complete", "handle_education"), ("complete", "follow_up"), ("completed", None)]
    completes = [h for h in view["history"] if h["action"] == "complete"]
    assert completes[1]["actor"] == "education" and completes[1]["details"]["data"] == CONTACTED
    assert completes[3]["details"]["data"] == SATISFIED


def test_problem_escalates_to_talent_office_when_the_window_does_not_forward_within_one_working_day(
        flow, problems, clock):
    clock.set(at("2026-09-30 10:00"))
    case = start(flow, problems)
    assert fire_at(flow, clock, "2026-10-08 17:59:59") == []
    assert fire_at(flow, clock, "2026-10-08 18:00:01") == [case]
    assert flow.open_task_names(case) == ["accept_problem", "supervise_forward"]
    [fired] = [h for h in flow.view(case)["history"] if h["action"] == "timer_fired"]
    assert fired["task_name"] == "accept_deadline"
    assert datetime.fromisoformat(fired["details"]["due_at"]) == at("2026-10-08 18:00")
    flow.complete(TALENT_OFFICE, "supervise_forward", SUPERVISION, case)
    accept(flow, case, "医疗保健")
    assert flow.open_task_names(case) == ["handle_health"]
    assert due(flow, case, "handle_health") == at("2026-10-09 18:00")


@pytest.mark.parametrize("unit", UNITS)
def test_problem_escalates_to_talent_office_when_a_unit_does_not_contact_the_talent_within_one_working_day(
        flow, problems, clock, unit):
    clock.set(at("2026-02-13 11:00"))
    case = start(flow, problems)
    accept(flow, case, "其他", other_unit=unit)
    assert due(flow, case, f"handle_{unit}") == at("2026-02-14 18:00")  # Saturday 02-14 is a working day
    assert fire_at(flow, clock, "2026-02-14 18:00:01") == [case]
    assert flow.open_task_names(case) == sorted([f"handle_{unit}", "supervise_unit"])
    assert [h["task_name"] for h in flow.view(case)["history"] if h["action"] == "timer_fired"] == \
        [f"handle_{unit}_deadline"]
    supervise = task(flow, case, "supervise_unit")
    assert supervise["department"] == "talent_office"
    flow.complete(TALENT_OFFICE, "supervise_unit", SUPERVISION, case)
    flow.complete(unit, f"handle_{unit}", CONTACTED, case)
    # answer: 3 working days from 02-13 — Saturday 02-14, then the Spring Festival (02-15..23), 02-24, 02-25
    assert due(flow, case, f"handle_{unit}") == at("2026-02-25 18:00")


def test_problem_escalates_to_talent_office_when_the_answer_takes_more_than_three_working_days(
        flow, problems, clock):
    clock.set(at("2026-09-24 10:00"))
    case = start(flow, problems)
    accept(flow, case, "税务办理")
    assert due(flow, case, "handle_tax") == at("2026-09-28 18:00")  # Mid-Autumn 09-25..27 off
    clock.set(at("2026-09-24 16:00"))
    flow.complete("tax", "handle_tax", CONTACTED, case)
    assert due(flow, case, "handle_tax") == at("2026-09-30 18:00")  # 09-28, 09-29, 09-30
    assert fire_at(flow, clock, "2026-09-30 17:00") == []
    assert fire_at(flow, clock, "2026-10-08 09:00") == [case]
    assert flow.open_task_names(case) == ["handle_tax", "supervise_unit"]
    assert flow.view(case)["data"]["stage"] == "办结答复"
    flow.complete(TALENT_OFFICE, "supervise_unit", SUPERVISION, case)
    flow.complete("tax", "handle_tax", ANSWERED, case)
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [a for a in actions(flow, case) if a[0] == "timer_fired"] == [("timer_fired", "handle_tax_deadline")]


def test_a_unit_that_cannot_settle_in_time_explains_files_with_the_window_and_keeps_going(
        flow, problems, clock):
    clock.set(at("2026-09-28 09:00"))
    case = start(flow, problems)
    accept(flow, case, "金融贷款")
    flow.complete("finance_office", "handle_finance_office", CONTACTED, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete("finance_office", "handle_finance_office", {"step": "无法按时办结"}, case)
    assert {d["field"] for d in error.value.details} == {"explanation", "extra_working_days"}
    clock.set(at("2026-09-30 11:00"))
    late = {"step": "无法按时办结", "explanation": "贷款需银行审批，预计再需2个工作日", "extra_working_days": 2}
    flow.complete("finance_office", "handle_finance_office", late, case)
    assert flow.open_task_names(case) == ["file_explanation"]
    assert task(flow, case, "file_explanation")["department"] == "city_window"
    flow.complete(WINDOW, "file_explanation", {"filing_note": "已登记备案，继续跟踪"}, case)
    assert flow.open_task_names(case) == ["handle_finance_office"]
    assert due(flow, case, "handle_finance_office") == at("2026-10-09 18:00")  # 2 working days after 09-30
    data = flow.view(case)["data"]
    assert data["stage"] == "延期办理"
    assert [(f["unit"], f["extra_working_days"]) for f in data["filings"]] == [("finance_office", 2)]
    flow.complete("finance_office", "handle_finance_office", ANSWERED, case)
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    assert flow.view(case)["status"] == "completed"


def test_problem_escalates_to_talent_office_when_the_filed_extension_runs_out(flow, problems, clock):
    clock.set(at("2026-02-12 10:00"))
    case = start(flow, problems)
    accept(flow, case, "科研支持、知识产权")
    flow.complete("science_tech", "handle_science_tech",
                  {"step": "无法按时办结", "explanation": "需专利局复核", "extra_working_days": 3}, case)
    flow.complete(WINDOW, "file_explanation", {"filing_note": "已备案"}, case)
    assert due(flow, case, "handle_science_tech") == at("2026-02-24 18:00")  # 02-13, Saturday 02-14, 02-24
    assert fire_at(flow, clock, "2026-02-24 18:00:01") == [case]
    assert flow.open_task_names(case) == ["handle_science_tech", "supervise_unit"]
    assert flow.view(case)["data"]["stage"] == "延期办理"
    flow.complete(TALENT_OFFICE, "supervise_unit", SUPERVISION, case)
    flow.complete("science_tech", "handle_science_tech", ANSWERED, case)
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [a for a in actions(flow, case) if a[0] in ("timer_fired", "completed")] == [
        ("timer_fired", "handle_science_tech_deadline"), ("completed", None)]


def test_housing_problems_are_led_by_hrss_with_housing_giving_its_opinion_before_the_answer(
        flow, problems, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, problems)
    accept(flow, case, "安居保障")
    data = flow.view(case)["data"]
    assert (data["responsible_unit"], data["co_unit"]) == ("hrss", "housing")
    assert flow.open_task_names(case) == ["handle_hrss"]
    assert due(flow, case, "handle_hrss") == at("2026-09-30 18:00")
    flow.complete("hrss", "handle_hrss", CONTACTED, case)
    assert flow.open_task_names(case) == ["cohandle_housing"]
    cohandle = task(flow, case, "cohandle_housing")
    assert cohandle["department"] == "housing"
    assert datetime.fromisoformat(cohandle["due_at"]) == at("2026-10-09 18:00")  # 09-30, 10-08, 10-09
    flow.complete("housing", "cohandle_housing", {"co_opinion": "可安排人才公寓一套"}, case)
    assert flow.open_task_names(case) == ["handle_hrss"]
    flow.complete("hrss", "handle_hrss", ANSWERED, case)
    assert flow.open_task_names(case) == ["follow_up"]
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [(s["unit"], s["step"]) for s in view["data"]["unit_log"]] == [
        ("hrss", "已联系人才"), ("housing", "已提出协办意见"), ("hrss", "已办结答复")]
    assert view["data"]["co_opinion"] == "可安排人才公寓一套"


def test_housing_answered_at_once_still_gets_the_housing_opinion_before_the_follow_up(flow, problems):
    case = start(flow, problems)
    accept(flow, case, "安居保障")
    flow.complete("hrss", "handle_hrss", ANSWERED, case)
    assert flow.open_task_names(case) == ["cohandle_housing"]
    flow.complete("housing", "cohandle_housing", {"co_opinion": "购房券已核发"}, case)
    assert flow.open_task_names(case) == ["follow_up"]
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert [s["unit"] for s in view["data"]["unit_log"]] == ["hrss", "housing"]


def test_housing_opinion_comes_before_the_filing_when_hrss_cannot_settle_in_time(flow, problems, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, problems)
    accept(flow, case, "安居保障")
    clock.set(at("2026-09-29 16:00"))
    flow.complete("hrss", "handle_hrss", {"step": "无法按时办结", "explanation": "人才公寓正在装修",
                                          "extra_working_days": 5}, case)
    assert flow.open_task_names(case) == ["cohandle_housing"]
    flow.complete("housing", "cohandle_housing", {"co_opinion": "装修10月中旬完工"}, case)
    assert flow.open_task_names(case) == ["file_explanation"]
    flow.complete(WINDOW, "file_explanation", {"filing_note": "已备案"}, case)
    # 5 working days from the filing explanation on 09-29: 09-30, 10-08, 10-09, Saturday 10-10, 10-12
    assert due(flow, case, "handle_hrss") == at("2026-10-12 18:00")
    flow.complete("hrss", "handle_hrss", ANSWERED, case)
    assert flow.open_task_names(case) == ["follow_up"]  # housing gave its opinion once; not asked again


def test_problem_escalates_to_talent_office_when_the_housing_opinion_is_late(flow, problems, clock):
    clock.set(at("2026-09-29 10:00"))
    case = start(flow, problems)
    accept(flow, case, "安居保障")
    flow.complete("hrss", "handle_hrss", CONTACTED, case)
    assert fire_at(flow, clock, "2026-10-09 17:59:59") == []
    assert fire_at(flow, clock, "2026-10-09 18:00:01") == [case]
    assert flow.open_task_names(case) == ["cohandle_housing", "supervise_unit"]
    [fired] = [h for h in flow.view(case)["history"] if h["action"] == "timer_fired"]
    assert fired["task_name"] == "cohandle_housing_deadline"
    assert datetime.fromisoformat(fired["details"]["due_at"]) == at("2026-10-09 18:00")
    assert task(flow, case, "supervise_unit")["department"] == "talent_office"
    assert flow.view(case)["data"]["stage"] == "协办意见"
    flow.complete(TALENT_OFFICE, "supervise_unit", SUPERVISION, case)
    flow.complete("housing", "cohandle_housing", {"co_opinion": "同意"}, case)
    # Back with hrss, whose answer deadline (3 working days from forwarding) has passed too: the talent office
    # is alerted again at once, now about the answer itself.
    assert flow.open_task_names(case) == ["handle_hrss", "supervise_unit"]
    assert due(flow, case, "handle_hrss") == at("2026-10-09 18:00")
    assert flow.view(case)["data"]["stage"] == "办结答复"
    flow.complete(TALENT_OFFICE, "supervise_unit", SUPERVISION, case)
    flow.complete("hrss", "handle_hrss", ANSWERED, case)
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    assert flow.view(case)["status"] == "completed"


def test_a_dissatisfied_talent_is_supervised_by_the_talent_office(flow, problems):
    case = start(flow, problems)
    accept(flow, case, "配偶就业")
    flow.complete(TALENT_OFFICE, "handle_talent_office", ANSWERED, case)
    with pytest.raises(InvalidInput) as error:
        flow.complete(WINDOW, "follow_up", {"visit_method": "电话", "satisfaction": "不满意"}, case)
    assert [d["field"] for d in error.value.details] == ["visit_note"]
    with pytest.raises(InvalidInput) as error:
        flow.complete(WINDOW, "follow_up", {"visit_method": "电话", "satisfaction": "一般"}, case)
    assert [d["field"] for d in error.value.details] == ["satisfaction"]
    flow.complete(WINDOW, "follow_up", {"visit_method": "电话", "satisfaction": "不满意",
                                        "visit_note": "配偶岗位与专业不对口"}, case)
    assert flow.open_task_names(case) == ["supervise_dissatisfied"]
    assert flow.view(case)["status"] == "active"
    flow.complete(TALENT_OFFICE, "supervise_dissatisfied", SUPERVISION, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["satisfaction"] == "不满意"
    assert actions(flow, case)[-3:] == [("complete", "follow_up"), ("complete", "supervise_dissatisfied"),
                                        ("completed", None)]


def test_an_answer_without_text_is_refused(flow, problems):
    case = start(flow, problems)
    accept(flow, case, "工商注册")
    with pytest.raises(InvalidInput) as error:
        flow.complete("market_regulation", "handle_market_regulation", {"step": "已办结答复"}, case)
    assert [d["field"] for d in error.value.details] == ["answer"]
    with pytest.raises(InvalidInput) as error:
        flow.complete("market_regulation", "handle_market_regulation", {"step": "已联系人才"}, case)
    assert [d["field"] for d in error.value.details] == ["contact_method"]
    assert flow.open_task_names(case) == ["handle_market_regulation"]
