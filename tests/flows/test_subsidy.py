"""Living and rent subsidies (生活和租房补贴): intake, eligibility, DMN amounts, approval, 36 monthly payments."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import at
from flowkit import PROCESSES

from engine.bpmn.parsing import parse_xml
from engine.bpmn.scripting import execute_script
from engine.errors import InvalidInput
from engine.store.models import ProcessInstance

FOLDER = PROCESSES / "subsidy"
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"
APPLICANT = {"applicant_name": "李博士", "id_number": "37150219900101123X", "phone": "13806350002",
             "employer": "聊城鲁西化工集团", "certificate_no": "LCRC2026-0101"}
NO_EXTRAS = {"urgently_needed": False, "apartment_provided": False}


def rules(name: str) -> dict[str, tuple[int, str]]:
    """Rule id → (amount, basis) as the decision table states them."""
    root = parse_xml((FOLDER / name).read_bytes())
    found = {}
    for rule in root.iter(f"{DMN}rule"):
        amount, basis = [e.findtext(f"{DMN}text") for e in rule.iter(f"{DMN}outputEntry")]
        found[rule.get("id").removeprefix("Rule_")] = (amount, basis.strip('"'))
    return found


LIVING, RENT = rules("living_subsidy.dmn"), rules("rent_subsidy.dmn")

# (living rule, rent rule, intake facts, high-end amount set by review, living, rent) — every row of both tables.
CASES = [
    ("top", "top", {"subsidy_category": "顶尖人才", **NO_EXTRAS}, None, 20000, 3000),
    ("top", "apartment", {"subsidy_category": "顶尖人才", "urgently_needed": True, "apartment_provided": True},
     None, 20000, 0),
    ("high_end", "high_end", {"subsidy_category": "高端人才", **NO_EXTRAS}, 8000, 8000, 2000),
    ("high_end", "high_end", {"subsidy_category": "高端人才", **NO_EXTRAS}, 5000, 5000, 2000),
    ("high_end", "high_end", {"subsidy_category": "高端人才", **NO_EXTRAS}, 10000, 10000, 2000),
    ("enterprise_senior", "none", {"subsidy_category": "企业全职引进人才", "qualification": "正高级专业技术职称",
                                   "contract_years": 3, "local_social_insurance": True, **NO_EXTRAS}, None, 1500, 0),
    ("enterprise_doctor", "urgent", {"subsidy_category": "企业全职引进人才", "qualification": "博士研究生",
                                     "contract_years": 5, "local_social_insurance": True, "urgently_needed": True,
                                     "apartment_provided": False}, None, 1000, 1000),
    ("enterprise_master", "none", {"subsidy_category": "企业全职引进人才", "qualification": "硕士研究生",
                                   "contract_years": 3, "local_social_insurance": True, **NO_EXTRAS}, None, 800, 0),
    ("none", "urgent", {"subsidy_category": "企业全职引进人才", "qualification": "博士研究生", "contract_years": 2,
                        "local_social_insurance": True, "urgently_needed": True, "apartment_provided": False},
     None, 0, 1000),
    ("chief_city", "none", {"subsidy_category": "高技能人才", "qualification": "市级首席技师", **NO_EXTRAS},
     None, 800, 0),
    ("chief_province", "skilled", {"subsidy_category": "高技能人才", "qualification": "省级首席技师",
                                   **NO_EXTRAS}, None, 1000, 1000),
    ("chief_nation", "skilled", {"subsidy_category": "高技能人才", "qualification": "国家级首席技师",
                                 **NO_EXTRAS}, None, 1200, 1000),
    ("world_skills", "skilled", {"subsidy_category": "高技能人才", "qualification": "世界技能大赛奖牌获得者",
                                 **NO_EXTRAS}, None, 1500, 1000),
    ("world_skills", "apartment", {"subsidy_category": "高技能人才", "qualification": "世界技能大赛奖牌获得者",
                                   "urgently_needed": False, "apartment_provided": True}, None, 1500, 0),
    ("founder_doctor", "none", {"subsidy_category": "自主创业人才", "qualification": "博士研究生",
                                "local_social_insurance": True, "full_time_degree": True, **NO_EXTRAS},
     None, 3000, 0),
    ("founder_master", "none", {"subsidy_category": "自主创业人才", "qualification": "硕士研究生",
                                "local_social_insurance": True, "full_time_degree": True, **NO_EXTRAS},
     None, 1500, 0),
    ("founder_bachelor", "none", {"subsidy_category": "自主创业人才", "qualification": "本科",
                                  "local_social_insurance": True, "full_time_degree": True, **NO_EXTRAS},
     None, 1000, 0),
    ("none", "urgent", {"subsidy_category": "自主创业人才", "qualification": "博士研究生",
                        "local_social_insurance": True, "full_time_degree": False, "urgently_needed": True,
                        "apartment_provided": False}, None, 0, 1000),
]


@pytest.fixture
def key(flow: Any) -> str:
    return flow.deploy_folder("subsidy")


def history(view: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [h for h in view["history"] if h["action"] == action]


def reach_approval(flow: Any, facts: dict[str, Any], high_end_amount: int | None = None) -> int:
    """Start, accept at the window, pass the eligibility check (and the high-end review) up to the approval."""
    case = flow.start("subsidy", {"applicant_name": APPLICANT["applicant_name"]})
    flow.complete("city_window", "intake", {**APPLICANT, **facts, "intake_decision": "受理"})
    flow.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象"})
    if high_end_amount is not None:
        flow.complete("hrss", "high_end_review", {"high_end_amount": high_end_amount, "review_comment": "评审通过"})
    return case


DOCTOR = {"subsidy_category": "企业全职引进人才", "qualification": "博士研究生", "contract_years": 5,
          "local_social_insurance": True, "urgently_needed": True, "apartment_provided": False}


def approved(flow: Any, months: int = 36, first_month: str = "2026-11") -> int:
    """A doctor in an enterprise, urgently needed, no apartment: 1000 living + 1000 rent a month."""
    case = reach_approval(flow, DOCTOR)
    flow.complete("hrss", "approval", {"approval_decision": "批准", "first_month": first_month,
                                       "approved_months": months, "approval_comment": "同意"})
    return case


def month_start(first_month: str, index: int) -> str:
    """'YYYY-MM-01 09:00' of the index-th (1-based) payment month."""
    year, month = divmod(int(first_month[:4]) * 12 + int(first_month[5:7]) - 1 + index - 1, 12)
    return f"{year}-{month + 1:02d}-01 09:00"


def pay_month(flow: Any, clock: Any, index: int, first_month: str = "2026-11") -> None:
    due = at(month_start(first_month, index))
    clock.set(due)
    flow.fire(due)
    flow.complete("finance", "pay", {"disbursement": "已拨付", "paid_on": due.date().isoformat()})


def test_every_rule_of_both_decision_tables_is_exercised_below():
    assert {case[0] for case in CASES} == set(LIVING)
    assert {case[1] for case in CASES} == set(RENT)
    assert [amount for amount, _ in LIVING.values()] == [
        "20000", "min(max(high_end_amount, 5000), 10000)", "1500", "1000", "800", "800", "1000", "1200", "1500",
        "3000", "1500", "1000", "0"]
    assert [amount for amount, _ in RENT.values()] == ["0", "3000", "2000", "1000", "1000", "0"]


@pytest.mark.parametrize("living_rule, rent_rule, facts, high_end_amount, living, rent", CASES,
                         ids=[f"{c[0]}-{c[1]}-{c[4]}-{c[5]}" for c in CASES])
def test_decision_tables_set_the_article_three_amounts(flow, key, living_rule, rent_rule, facts, high_end_amount,
                                                       living, rent):
    case = reach_approval(flow, facts, high_end_amount)
    data = flow.view(case)["data"]
    assert (data["living_subsidy"], data["rent_subsidy"]) == (living, rent)
    assert data["living_basis"] == LIVING[living_rule][1]
    assert data["rent_basis"] == RENT[rent_rule][1]
    assert flow.open_task_names(case) == ["approval"]


def test_no_subsidy_when_neither_table_grants_an_amount(flow, key):
    facts = {**DOCTOR, "local_social_insurance": False, "urgently_needed": False}
    case = reach_approval(flow, facts)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert (view["data"]["living_subsidy"], view["data"]["rent_subsidy"]) == (0, 0)
    assert view["data"]["living_basis"] == "不符合第三条第（一）项生活补贴条件"
    assert [t["name"] for t in view["tasks"]] == ["intake", "eligibility"]


def test_high_end_review_must_set_an_amount_between_5000_and_10000(flow, key):
    case = flow.start(key, {"applicant_name": "张研究员"})
    flow.complete("city_window", "intake", {**APPLICANT, "subsidy_category": "高端人才", **NO_EXTRAS,
                                            "intake_decision": "受理"})
    flow.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象"})
    assert flow.open_task_names(case) == ["high_end_review"]
    for amount, rule in ((4999, "minimum"), (10001, "maximum"), (7500.5, "type")):
        with pytest.raises(InvalidInput) as error:
            flow.complete("hrss", "high_end_review", {"high_end_amount": amount})
        [detail] = error.value.details
        assert detail["field"] == "high_end_amount", amount
        assert detail["message_zh"] == {"minimum": "小于允许的最小值", "maximum": "大于允许的最大值",
                                        "type": "类型不正确"}[rule]
    with pytest.raises(InvalidInput):
        flow.complete("hrss", "high_end_review", {"review_comment": "漏填金额"})
    assert flow.open_task_names(case) == ["high_end_review"], "a refused amount changes nothing"
    flow.complete("hrss", "high_end_review", {"high_end_amount": 10000})
    assert flow.view(case)["data"]["living_subsidy"] == 10000


def test_intake_form_refuses_a_bad_id_number_and_a_qualification_of_another_category(flow, key):
    case = flow.start(key, {"applicant_name": "李博士"})
    with pytest.raises(InvalidInput) as bad_id:
        flow.complete("city_window", "intake", {**APPLICANT, **DOCTOR, "id_number": "071502199001011234",
                                                "intake_decision": "受理"})
    assert [(d["field"], d["message_zh"]) for d in bad_id.value.details] == [("id_number", "格式不正确")]
    with pytest.raises(InvalidInput) as mismatch:
        flow.complete("city_window", "intake", {**APPLICANT, **DOCTOR, "qualification": "省级首席技师",
                                                "intake_decision": "受理"})
    assert [d["field"] for d in mismatch.value.details] == ["qualification"]
    with pytest.raises(InvalidInput) as missing:
        flow.complete("city_window", "intake", {**APPLICANT, "subsidy_category": "企业全职引进人才", **NO_EXTRAS,
                                                "intake_decision": "受理"})
    assert {d["field"] for d in missing.value.details} == {"qualification", "contract_years",
                                                           "local_social_insurance"}
    assert flow.open_task_names(case) == ["intake"]


def test_window_returns_incomplete_materials_to_the_applicant_who_resubmits(flow, key):
    case = flow.start(key, {"applicant_name": "李博士"})
    flow.complete("city_window", "intake", {**APPLICANT, **DOCTOR, "intake_decision": "退回补正",
                                            "missing_materials": "劳动合同复印件、社保缴费证明"})
    [task] = flow.tasks("applicant", scope="mine")
    assert (task["name"], task["title"], task["assignee"]) == ("supplement", "补正申请材料", "applicant")
    flow.complete("applicant", "supplement", {"supplement_note": "已补交劳动合同和社保缴费证明"})
    flow.complete("city_window", "intake", {**APPLICANT, **DOCTOR, "intake_decision": "受理"})
    assert flow.open_task_names(case) == ["eligibility"]
    assert [h["task_name"] for h in history(flow.view(case), "complete")] == ["intake", "supplement", "intake"]


def test_hrss_refuses_an_applicant_who_is_not_certified_talent(flow, key):
    case = flow.start(key, {"applicant_name": "李博士"})
    flow.complete("city_window", "intake", {**APPLICANT, **DOCTOR, "intake_decision": "受理"})
    with pytest.raises(InvalidInput) as error:
        flow.complete("hrss", "eligibility", {"eligibility_decision": "不属于补贴对象"})
    assert [d["field"] for d in error.value.details] == ["eligibility_comment"]
    flow.complete("hrss", "eligibility", {"eligibility_decision": "不属于补贴对象",
                                          "eligibility_comment": "未经《聊城市引进人才认定工作实施细则》认定"})
    view = flow.view(case)
    assert view["status"] == "completed" and "living_subsidy" not in view["data"]
    assert view["history"][-1]["action"] == "completed"


def test_approval_can_be_refused_and_the_case_ends_without_payments(flow, key):
    case = reach_approval(flow, DOCTOR)
    with pytest.raises(InvalidInput) as error:
        flow.complete("hrss", "approval", {"approval_decision": "批准", "first_month": "2026-13",
                                           "approved_months": 37})
    assert {d["field"] for d in error.value.details} == {"first_month", "approved_months"}
    flow.complete("hrss", "approval", {"approval_decision": "不予批准", "approval_comment": "重复享受同类补贴"})
    view = flow.view(case)
    assert view["status"] == "completed" and view["next_due_at"] is None
    assert "payments" not in view["data"]


def test_approval_schedules_the_first_payment_on_the_first_day_of_the_first_month(flow, key):
    case = approved(flow)
    view = flow.view(case)
    data = view["data"]
    assert datetime.fromisoformat(view["next_due_at"]) == at("2026-11-01 09:00")
    assert (data["monthly_total"], data["month_due"], data["payments"], data["total_paid"]) == (2000, 1, [], 0)
    assert data["payment_columns"] == ["month", "living", "rent", "paid_on"]
    assert data["subsidy_status"] == "发放中"
    assert [(h["action"], h["task_name"]) for h in view["history"]] == [
        ("start", None), ("complete", "intake"), ("complete", "eligibility"), ("complete", "approval")]
    assert view["history"][0]["details"]["data"] == {"applicant_name": "李博士"}
    assert view["history"][-1]["details"]["data"] == {"approval_decision": "批准", "first_month": "2026-11",
                                                      "approved_months": 36, "approval_comment": "同意"}
    assert flow.fire(at("2026-11-01 08:59")) == [], "no payment before its month"
    assert flow.tasks("finance") == []


def test_thirty_six_monthly_payments_then_the_subsidy_ends_and_the_case_stays_small(flow, key, clock):
    case = approved(flow)
    started = time.perf_counter()
    for index in range(1, 37):
        due = at(month_start("2026-11", index))
        clock.set(due)
        assert flow.fire(due) == [case], index
        [task] = flow.tasks("finance")
        assert (task["name"], task["title"], task["due_at"]) == ("pay", "拨付本月补贴", None)
        flow.complete("finance", "pay", {"disbursement": "已拨付", "paid_on": f"{due.date().isoformat()}"})
    assert time.perf_counter() - started < 5
    view = flow.view(case)
    data = view["data"]
    assert view["status"] == "completed" and view["next_due_at"] is None
    assert data["subsidy_status"] == "发放期满"
    assert len(data["payments"]) == 36
    assert data["payments"][0] == [1, 1000, 1000, "2026-11-01"]
    assert data["payments"][13] == [14, 1000, 1000, "2027-12-01"]
    assert data["payments"][-1] == [36, 1000, 1000, "2029-10-01"]
    assert [p[0] for p in data["payments"]] == list(range(1, 37))
    assert data["total_paid"] == 72000
    fired = history(view, "timer_fired")
    assert len(fired) == 36
    assert (fired[0]["details"]["due_at"], fired[-1]["details"]["due_at"]) == (
        "2026-11-01T09:00:00+08:00", "2029-10-01T09:00:00+08:00")
    payments = [h for h in history(view, "complete") if h["task_name"] == "pay"]
    assert len(payments) == 36 and {h["actor"] for h in payments} == {"finance"}
    assert payments[-1]["details"]["data"] == {"disbursement": "已拨付", "paid_on": "2029-10-01"}
    assert view["history"][-1]["action"] == "completed"
    with flow.platform.uow(write=False) as uow:
        row = uow.session.get(ProcessInstance, case)
        size = len(row.state)
    print(f"serialized subsidy case after 36 payments: {size} bytes")
    assert size < 100_000, f"serialized case is {size} bytes after 36 payments"


def test_payments_stop_after_the_approved_number_of_months(flow, key, clock):
    case = approved(flow, months=2, first_month="2027-01")
    pay_month(flow, clock, 1, "2027-01")
    assert datetime.fromisoformat(flow.view(case)["next_due_at"]) == at("2027-02-01 09:00")
    pay_month(flow, clock, 2, "2027-01")
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["subsidy_status"] == "发放期满"
    assert view["data"]["payments"] == [[1, 1000, 1000, "2027-01-01"], [2, 1000, 1000, "2027-02-01"]]


def test_finance_stops_payment_early_when_the_talent_leaves(flow, key, clock):
    case = approved(flow)
    pay_month(flow, clock, 1)
    pay_month(flow, clock, 2)
    clock.set(at("2027-01-01 09:00"))
    flow.fire(at("2027-01-01 09:00"))
    with pytest.raises(InvalidInput) as error:
        flow.complete("finance", "pay", {"disbursement": "停发"})
    assert [d["field"] for d in error.value.details] == ["stop_reason"]
    flow.complete("finance", "pay", {"disbursement": "停发", "stop_reason": "人才已离开聊城",
                                     "stop_note": "2026年12月起社保转出"})
    view = flow.view(case)
    data = view["data"]
    assert view["status"] == "completed" and view["next_due_at"] is None
    assert data["subsidy_status"] == "已停发" and data["stop_reason"] == "人才已离开聊城"
    assert [p[0] for p in data["payments"]] == [1, 2] and data["total_paid"] == 4000
    assert flow.tasks("finance") == []
    assert len(history(view, "timer_fired")) == 3


def test_firing_the_same_moment_twice_pays_the_month_once(flow, key, clock):
    case = approved(flow)
    due = at("2026-11-01 09:00")
    clock.set(due)
    assert flow.fire(due) == [case]
    assert flow.fire(due) == [], "the month's timer has already fired"
    assert [t["name"] for t in flow.tasks("finance")] == ["pay"]
    flow.complete("finance", "pay", {"disbursement": "已拨付", "paid_on": "2026-11-03"})
    assert flow.fire(due) == []
    view = flow.view(case)
    assert view["data"]["payments"] == [[1, 1000, 1000, "2026-11-03"]]
    assert len(history(view, "timer_fired")) == 1
    assert datetime.fromisoformat(view["next_due_at"]) == at("2026-12-01 09:00")


def test_payment_script_never_records_a_month_twice_when_it_runs_again():
    root = parse_xml((FOLDER / "subsidy.bpmn").read_bytes())
    [script] = root.iter("{http://spiffworkflow.org/bpmn/schema/1.0/core}postScript")
    data: dict[str, Any] = {"payments": [[1, 1000, 1000, "2026-11-03"]], "month_due": 2, "start_index": 2026 * 12 + 10,
                            "approved_months": 36, "living_subsidy": 1000, "rent_subsidy": 1000,
                            "disbursement": "已拨付", "paid_on": "2026-12-02", "subsidy_status": "发放中"}
    execute_script(script.text, data)
    once = {k: (list(v) if isinstance(v, list) else v) for k, v in data.items()}
    data["month_due"] = 2  # the same month handed to the script a second time
    execute_script(script.text, data)
    assert data["payments"] == [[1, 1000, 1000, "2026-11-03"], [2, 1000, 1000, "2026-12-02"]]
    assert data == once
    assert (data["month_due"], data["total_paid"]) == (3, 4000)
    assert data["next_payment_at"] == "2027-01-01T09:00:00+08:00"
    assert "paid_months" not in data and "due_index" not in data


def test_payment_form_requires_a_valid_paid_date(flow, key, clock):
    case = approved(flow)
    clock.set(at("2026-11-01 09:00"))
    flow.fire(at("2026-11-01 09:00"))
    with pytest.raises(InvalidInput) as missing:
        flow.complete("finance", "pay", {"disbursement": "已拨付"})
    assert [d["field"] for d in missing.value.details] == ["paid_on"]
    with pytest.raises(InvalidInput) as bad:
        flow.complete("finance", "pay", {"disbursement": "已拨付", "paid_on": "2026-11-31"})
    assert [(d["field"], d["message_zh"]) for d in bad.value.details] == [("paid_on", "应为日期，如 2026-10-01")]
    assert flow.view(case)["data"]["payments"] == []


def test_the_flow_folder_holds_the_diagram_forms_and_both_tables():
    assert sorted(p.name for p in Path(FOLDER).iterdir()) == [
        "approval.json", "eligibility.json", "high_end_review.json", "intake.json", "living_subsidy.dmn",
        "payment.json", "rent_subsidy.dmn", "subsidy.bpmn", "supplement.json"]


def test_the_stored_case_grows_linearly_with_the_payments_made(flow, key, clock):
    case = approved(flow)
    sizes = {}
    for index in range(1, 37):
        pay_month(flow, clock, index)
        if index in (12, 24, 36):
            with flow.platform.uow(write=False) as uow:
                sizes[index] = len(uow.session.get(ProcessInstance, case).state)
    first, second = sizes[24] - sizes[12], sizes[36] - sizes[24]
    assert abs(second - first) <= 0.05 * first, sizes  # a list stored again whole each month would grow
    assert len(flow.view(case)["data"]["payments"]) == 36
