"""Lianyungang's problem handling (服务办法第七条、第五条、第八条): the window forwards within 1 working day to the unit
the routing table names, the unit contacts the talent within 1 and answers within 3 working days, an answer that
cannot be given in time is explained to the talent and filed with the window, the window follows up, and the
talent office supervises every missed limit. One 承办 lane: each step goes to the department chosen by case data."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import at
from lxml import etree

from engine.people.identity import Actor
from engine.services.supervision import dashboard, overdue_tasks

ACCEPT = {"problem_kind": "出入境", "problem_summary": "外籍配偶居留许可续签", "contact_phone": "13406351823"}
CONTACT = {"contact_method": "电话", "contacted_on": "2026-11-02", "contact_note": "已约定面谈"}
ANSWER = {"answer": "已办理续签，7日内取证", "answered_on": "2026-11-04", "answer_method": "书面"}
SATISFIED = {"visit_method": "电话", "satisfaction": "满意"}
SUPERVISE = {"supervised_stage": "联系人才", "supervise_measure": "电话督促", "supervise_note": "请今日联系"}
WINDOW, TALENT = "city_window", "talent_office"


@pytest.fixture
def problem(flow: Any) -> str:
    return str(flow.deploy_folder("problem_handling"))


def forwarded(flow: Any, clock: Any, **accept: Any) -> int:
    clock.set(at("2026-11-02 09:00"))
    case = int(flow.start("problem_handling", {"talent_name": "陈晓东", "problem_description": "居留许可续签"}))
    flow.complete(WINDOW, "accept", {**ACCEPT, **accept}, case)
    return case


@pytest.mark.policy("服务办法第七条", "服务办法第五条（居留落户、出入境）", "服务办法第八条")
def test_a_problem_goes_to_the_unit_of_its_kind_with_one_and_three_working_days(flow, problem, clock):
    case = forwarded(flow, clock)
    contact = flow.open_task(case, "contact")
    assert (contact["department"], contact["lane"]) == ("public_security", "相关责任单位")
    assert flow.due(case, "contact") == at("2026-11-03 18:00")
    assert [t["name"] for t in flow.tasks("public_security") if t["instance_id"] == case] == ["contact"]
    assert [t for t in flow.tasks("education") if t["instance_id"] == case] == []
    flow.complete("public_security", "contact", CONTACT, case)
    assert flow.open_task(case, "answer")["department"] == "public_security"
    assert flow.due(case, "answer") == at("2026-11-05 18:00")  # 3 working days from forwarding
    flow.complete("public_security", "answer", ANSWER, case)
    assert flow.open_task(case, "follow_up")["department"] == "city_window"
    flow.complete(WINDOW, "follow_up", SATISFIED, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["route_article"] == "服务办法第五条（居留落户、出入境）"


@pytest.mark.policy("服务办法第五条（景区游览）", "服务办法第五条（机场和铁路绿色通道）", "服务办法第五条（工商注册）",
                    "服务办法第五条（科研支持、知识产权）", "服务办法第五条（金融贷款）", "服务办法第五条（子女就学）",
                    "服务办法第五条（医疗保健）", "服务办法第五条（金卡办理）")
@pytest.mark.parametrize(("kind", "department"), [
    ("景区游览", "tourism"), ("机场绿色通道", "civil_aviation"), ("铁路绿色通道", "railway_office"),
    ("工商注册", "market_regulation"), ("知识产权", "science_tech"), ("金融贷款", "finance_office"),
    ("子女就学", "education"), ("医疗保健", "health"), ("金卡办理", "hrss")])
def test_each_kind_of_article_five_reaches_its_department(flow, problem, clock, kind, department):
    case = forwarded(flow, clock, problem_kind=kind)
    assert flow.open_task(case, "contact")["department"] == department


@pytest.mark.policy("服务办法第五条（安居保障）", "服务办法第五条（税务办理）", "服务办法第五条（配偶就业）")
@pytest.mark.parametrize(("kind", "lead", "co"), [("安居保障", "hrss", "housing"), ("税务办理", "tax", "local_tax"),
                                                  ("配偶就业", "talent_office", "hrss")])
def test_a_shared_service_gets_the_co_units_opinion_before_the_lead_answers(flow, problem, clock, kind, lead, co):
    case = forwarded(flow, clock, problem_kind=kind)
    flow.complete(lead, "contact", CONTACT, case)
    assert flow.open_task(case, "cohandle")["department"] == co
    flow.complete(co, "cohandle", {"co_opinion": "同意主办单位意见"}, case)
    assert flow.open_task(case, "answer")["department"] == lead


@pytest.mark.policy("服务办法第五条（其他事项）", "服务办法第四条（六）")
def test_other_matters_go_to_the_unit_the_window_names(flow, problem, clock):
    case = forwarded(flow, clock, problem_kind="职称评定", other_unit="hrss")
    assert flow.open_task(case, "contact")["department"] == "hrss"


@pytest.mark.policy("服务办法第七条", "服务办法第八条")
def test_an_answer_not_given_in_time_is_explained_to_the_talent_filed_and_supervised_while_work_goes_on(
        flow, problem, clock, platform):
    case = forwarded(flow, clock)
    flow.complete("public_security", "contact", CONTACT, case)
    clock.set(at("2026-11-05 18:30"))
    assert flow.fire(at("2026-11-05 18:30")) == [case]
    assert flow.open_task_names(case) == ["answer", "explain"]
    explain = flow.open_task(case, "explain")
    assert explain["department"] == "public_security"
    flow.complete("public_security", "explain", {"explanation": "须等待出入境管理局复核", "explained_by": "电话",
                                                 "explained_on": "2026-11-06", "expected_by": "2026-11-13",
                                                 "filed_with_window": True}, case)
    assert flow.open_task(case, "supervise")["department"] == "talent_office"
    [filing] = flow.data(case)["filings"]
    assert filing["explained_to_talent"] == "电话" and filing["unit"] == "public_security"
    # 做好解释: the explanation reaches the talent, in the account's messages and by SMS to the number left
    from notifykit import notices

    told = {(row.channel, row.recipient, row.address) for row in notices(platform, case, "explanation")}
    phone = flow.data(case)["contact_phone"]
    assert ("in_app", "applicant", None) in told and ("sms", "mobile", phone) in told
    assert "须等待出入境管理局复核" in notices(platform, case, "explanation")[0].params["message"]
    flow.complete(TALENT, "supervise", {**SUPERVISE, "supervised_stage": "办结答复"}, case)
    flow.complete("public_security", "answer", ANSWER, case)
    assert flow.open_task_names(case) == ["follow_up"]


@pytest.mark.policy("服务办法第七条", "服务办法第八条", "服务办法第二条")
def test_missed_forwarding_and_contact_limits_go_to_the_talent_office_figures_follow_the_chosen_unit(
        flow, problem, clock, platform):
    clock.set(at("2026-11-02 09:00"))
    late = int(flow.start("problem_handling", {"talent_name": "陈晓东", "problem_description": "居留许可"}))
    clock.set(at("2026-11-03 18:30"))
    assert flow.fire(at("2026-11-03 18:30")) == [late]
    assert flow.open_task_names(late) == ["accept", "supervise"]
    case = forwarded(flow, clock)
    clock.set(at("2026-11-03 18:30"))
    assert flow.fire(at("2026-11-03 18:30")) == [case]
    assert sorted(flow.open_task_names(case)) == ["contact", "supervise"]
    with platform.uow(write=False) as uow:
        figures = dashboard(actor=Actor("admin", "admin"), uow=uow, now=at("2026-11-04 09:00"),
                            start=at("2026-11-01 00:00"), end=at("2026-11-05 00:00"))
        overdue = overdue_tasks(actor=Actor("admin", "admin"), uow=uow, now=at("2026-11-04 09:00"))
    row = next(r for r in figures["departments"] if r["department"] == "public_security")
    assert row["overdue"] >= 1 and row["department_name"] == "市公安局"
    assert [(t["name"], t["department"]) for t in overdue["items"] if t["instance_id"] == case] == \
        [("contact", "public_security")]


@pytest.mark.policy("服务办法第八条")
def test_a_dissatisfied_talent_is_passed_to_the_talent_office(flow, problem, clock):
    case = forwarded(flow, clock)
    flow.complete("public_security", "contact", CONTACT, case)
    flow.complete("public_security", "answer", ANSWER, case)
    flow.complete(WINDOW, "follow_up", {"visit_method": "电话", "satisfaction": "不满意", "visit_note": "仍未取证"},
                  case)
    flow.complete(TALENT, "supervise", {**SUPERVISE, "supervised_stage": "回访不满意"}, case)
    assert flow.view(case)["status"] == "completed"


def test_the_diagram_has_one_handling_lane_and_at_most_eight_user_tasks(platform):
    root = etree.parse(str(platform.settings.processes_dir / "problem_handling" / "problem_handling.bpmn")).getroot()
    users = list(root.iter("{*}userTask"))
    assert len(users) <= 8
    lanes = [lane.get("name") for lane in root.iter("{*}lane")]
    assert lanes == ["市高层次人才一站式服务窗口", "相关责任单位", "市人才工作领导小组办公室"]
    routed = [u.get("id") for u in users if u.find(".//*[@name='departmentField']") is not None]
    assert routed == ["contact", "cohandle", "answer", "explain"]


@pytest.mark.policy("服务办法第七条")
def test_a_routing_result_that_names_no_department_puts_the_case_in_error_naming_it(flow, platform, clock):
    from engine.cases.deployment import deploy
    from engine.people.identity import Actor as Who

    folder = platform.settings.processes_dir / "problem_handling"
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")}
    files["problem_routing.dmn"] = files["problem_routing.dmn"].replace(b'"public_security"', b'"city_police"')
    with platform.uow() as uow:
        deploy(files, actor=Who("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    case = forwarded(flow, clock)
    view = flow.view(case)
    assert view["status"] == "error"
    assert "responsible_unit" in view["error"]["message"] and "city_police" in view["error"]["message"]
    assert view["error"]["task"].startswith("contact")
    assert [t["name"] for t in view["tasks"] if t["state"] in ("open", "claimed")] == ["accept"]
