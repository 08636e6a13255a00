"""Liaocheng's living and rent subsidies (补贴细则第二条、第三条; 平台办法第四条（二）、（四）、第五条): the amounts of
article 3, the apartment referral, the 3-year cap per person across applications, finance allocating the funds and
the human-resources bureau paying month by month and deciding to stop."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import at
from lxml import etree

DOCTOR = {"applicant_name": "高明", "id_number": "371502198902140355", "phone": "13806350418",
          "employer": "中通客车股份有限公司", "certificate_no": "LCRC-D-0233", "subsidy_category": "企业全职引进人才",
          "qualification": "博士研究生", "contract_years": 5, "local_social_insurance": True,
          "full_time_degree": True, "urgently_needed": True, "apartment_needed": False, "intake_decision": "受理"}
ELIGIBLE = {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0, "eligibility_comment": "经认定"}
APPROVE = {"approval_decision": "批准", "approved_months": 36, "first_month": "2026-12", "approval_comment": "同意"}
ALLOCATE = {"allocated_amount": 72000, "allocated_on": "2026-11-20", "voucher_no": "LCCZ-2026-1120"}
CITY, HRSS, FINANCE = "city_window", "hrss", "finance"


@pytest.fixture
def subsidy(flow: Any) -> str:
    return str(flow.deploy_folder("subsidy"))


def start(flow: Any, clock: Any, **intake: Any) -> int:
    clock.set(at("2026-11-02 10:00"))
    case = int(flow.start("subsidy", {"applicant_name": "高明", "county": "dongchangfu"}))
    flow.complete(CITY, "city_intake", {**DOCTOR, **intake}, case)
    return case


def approved(flow: Any, clock: Any, prior: int = 0, months: int = 36, **intake: Any) -> int:
    case = start(flow, clock, **intake)
    flow.complete(HRSS, "eligibility", {**ELIGIBLE, "prior_subsidy_months": prior}, case)
    flow.complete(HRSS, "approval", {**APPROVE, "approved_months": months}, case)
    flow.complete(FINANCE, "allocate", ALLOCATE, case)
    return case


def pay_month(flow: Any, clock: Any, case: int, due: str, paid_on: str) -> None:
    clock.set(at(due))
    assert flow.fire(at(due)) == [case]
    flow.complete(HRSS, "pay", {"disbursement": "已发放", "paid_on": paid_on}, case)
    [job] = flow.answer_jobs("finance.payment",
                             lambda job: {"accepted": True, "voucher": f"GKZF-{job.parameters['month']}"})
    assert job["instance_id"] == case


@pytest.mark.policy("补贴细则第二条", "补贴细则第三条（一）3", "补贴细则第三条（二）", "平台办法第四条（二）",
                    "平台办法第四条（四）", "平台办法第五条")
def test_finance_allocates_the_funds_and_hrss_pays_each_month_in_its_own_lane(flow, subsidy, clock, platform):
    case = approved(flow, clock)
    data = flow.data(case)
    assert (data["living_subsidy"], data["rent_subsidy"]) == (1000, 1000)  # doctorate 1000; urgently needed 1000
    assert data["subsidy_status"] == "发放中" and data["next_payment_at"] == "2026-12-01T09:00:00+08:00"
    pay_month(flow, clock, case, "2026-12-01 09:00", "2026-12-03")
    pay_month(flow, clock, case, "2027-01-01 09:00", "2027-01-05")
    clock.set(at("2027-02-01 09:00"))
    flow.fire(at("2027-02-01 09:00"))
    payment = flow.open_task(case, "pay")
    assert (payment["department"], payment["lane"]) == ("hrss", "市人力资源和社会保障局")  # 平台办法第四条（二）
    assert [t["department"] for t in flow.tasks("finance") if t["instance_id"] == case] == []
    assert [p[0] for p in flow.data(case)["payments"]] == [1, 2] and flow.data(case)["total_paid"] == 4000
    # each month HRSS decided to pay went to the finance system as a payment instruction, its voucher recorded
    assert flow.data(case)["payment_vouchers"] == [{"month": 1, "voucher": "GKZF-2026-12"},
                                                  {"month": 2, "voucher": "GKZF-2027-01"}]
    bpmn = (platform.settings.processes_dir / "subsidy" / "subsidy.bpmn").read_bytes()
    root = etree.fromstring(bpmn)
    lanes = {lane.get("name"): {r.text for r in lane} for lane in root.iter("{*}lane")}
    assert "pay" in lanes["市人力资源和社会保障局"] and "allocate" in lanes["市财政局"]


@pytest.mark.policy("平台办法第四条（二）")
def test_hrss_decides_to_stop_the_subsidy_when_the_talent_leaves(flow, subsidy, clock):
    case = approved(flow, clock)
    pay_month(flow, clock, case, "2026-12-01 09:00", "2026-12-03")
    clock.set(at("2027-01-01 09:00"))
    flow.fire(at("2027-01-01 09:00"))
    flow.complete(HRSS, "pay", {"disbursement": "停发", "stop_reason": "已离开聊城，停缴本地社保"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["subsidy_status"] == "已停发"
    assert [p[0] for p in view["data"]["payments"]] == [1]
    from notifykit import notices

    [stopped] = [row for row in notices(flow.platform, case, "subsidy_stopped") if row.channel == "in_app"]
    assert stopped.recipient == "applicant" and "已离开聊城，停缴本地社保" in stopped.params["message"]


@pytest.mark.policy("补贴细则第三条（三）")
def test_the_three_year_cap_counts_the_months_an_earlier_application_already_paid(flow, subsidy, clock):
    case = approved(flow, clock, prior=34, months=36)
    assert flow.data(case)["approved_months"] == 2  # 36 months at most per person
    pay_month(flow, clock, case, "2026-12-01 09:00", "2026-12-02")
    pay_month(flow, clock, case, "2027-01-01 09:00", "2027-01-04")
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["subsidy_status"] == "发放期满"
    assert view["data"]["total_paid"] == 4000


@pytest.mark.policy("补贴细则第三条（三）", "补贴细则第二条")
def test_a_person_who_has_had_thirty_six_months_gets_no_more(flow, subsidy, clock):
    case = start(flow, clock)
    flow.complete(HRSS, "eligibility", {**ELIGIBLE, "prior_subsidy_months": 36,
                                        "eligibility_comment": "此前已享受满36个月"}, case)
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["remaining_months"] == 0
    assert view["tasks"][-1]["name"] == "eligibility"


@pytest.mark.policy("补贴细则第三条（一）1", "补贴细则第三条（二）", "平台办法第四条（二）")
def test_a_talent_who_needs_a_rental_apartment_is_referred_and_gets_no_rent_subsidy(flow, subsidy, clock):
    case = start(flow, clock, subsidy_category="顶尖人才", apartment_needed=True)
    flow.complete(HRSS, "eligibility", ELIGIBLE, case)
    assert flow.open_task(case, "apartment")["department"] == "hrss"
    flow.complete(HRSS, "apartment", {"referral_number": "RCGY-2026-031", "referral_note": "配租东昌府区人才公寓"},
                  case)
    data = flow.data(case)
    assert (data["living_subsidy"], data["rent_subsidy"]) == (20000, 0)
    assert flow.open_task_names(case) == ["approval"]


@pytest.mark.policy("补贴细则第三条（二）", "补贴细则第三条（一）3")
def test_a_referral_without_any_money_ends_as_a_referral_not_as_not_qualified(flow, subsidy, clock):
    case = start(flow, clock, qualification="硕士研究生", contract_years=2, urgently_needed=False,
                 apartment_needed=True)
    flow.complete(HRSS, "eligibility", ELIGIBLE, case)
    flow.complete(HRSS, "apartment", {"referral_number": "RCGY-2026-032", "referral_note": "配租人才公寓"}, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    assert view["data"]["outcome"] == "已转人才公寓配租" and "RCGY-2026-032" in view["data"]["refusal_reason"]


@pytest.mark.policy("补贴细则第三条（一）3")
def test_a_contract_shorter_than_three_years_is_not_qualified_and_the_reason_says_so(flow, subsidy, clock):
    case = start(flow, clock, qualification="硕士研究生", contract_years=2, urgently_needed=False)
    flow.complete(HRSS, "eligibility", ELIGIBLE, case)
    data = flow.data(case)
    assert data["outcome"] == "不符合补贴标准" and "不符合第三条第（一）项" in data["refusal_reason"]


@pytest.mark.policy("补贴细则第三条（一）2")
def test_a_high_end_talents_amount_is_set_by_review_between_5000_and_10000(flow, subsidy, clock):
    case = start(flow, clock, subsidy_category="高端人才")
    flow.complete(HRSS, "eligibility", ELIGIBLE, case)
    flow.complete(HRSS, "high_end_review", {"high_end_amount": 8000, "review_comment": "评审确定"}, case)
    data = flow.data(case)
    assert (data["living_subsidy"], data["rent_subsidy"]) == (8000, 2000)


@pytest.mark.policy("补贴细则第三条（一）4", "补贴细则第三条（一）5")
@pytest.mark.parametrize(("category", "qualification", "living", "rent"), [
    ("高技能人才", "省级首席技师", 1000, 1000), ("高技能人才", "市级首席技师", 800, 0),
    ("自主创业人才", "博士研究生", 3000, 0), ("自主创业人才", "本科", 1000, 0)])
def test_chief_technicians_and_founders_get_the_amounts_of_article_three(flow, subsidy, clock, category,
                                                                         qualification, living, rent):
    case = start(flow, clock, subsidy_category=category, qualification=qualification, urgently_needed=False)
    flow.complete(HRSS, "eligibility", ELIGIBLE, case)
    data = flow.data(case)
    assert (data["living_subsidy"], data["rent_subsidy"]) == (living, rent)


@pytest.mark.policy("平台办法第五条")
def test_an_application_through_a_county_platform_is_forwarded_to_the_city(flow, subsidy, clock):
    clock.set(at("2026-11-02 10:00"))
    case = int(flow.start("subsidy", {"applicant_name": "高明", "county": "gaotang",
                                      "intake_at": "县级“一站式”综合服务平台"}))
    task = flow.open_task(case, "county_intake")
    assert (task["department"], task["county"]) == ("county_window", "gaotang")


@pytest.mark.policy("平台办法第四条（四）", "平台办法第四条（二）")
def test_a_month_hrss_pays_becomes_a_payment_instruction_to_the_finance_system_and_a_stop_does_not(
        flow, subsidy, clock):
    case = approved(flow, clock)
    clock.set(at("2026-12-01 09:00"))
    flow.fire(at("2026-12-01 09:00"))
    flow.complete(HRSS, "pay", {"disbursement": "已发放", "paid_on": "2026-12-02"}, case)
    assert flow.open_task_names(case) == []  # waiting for the finance system, not for a person
    [job] = flow.answer_jobs("finance.payment")  # the demo's simulated treasury system
    assert job["parameters"] == {"payee": "高明", "id_number": "371502198902140355", "amount": 2000,
                                 "month": "2026-12", "purpose": "引进人才生活和租房补贴"}
    voucher = flow.data(case)["payment_vouchers"][0]
    assert voucher["month"] == 1 and voucher["voucher"].startswith("SIM-CZ-")
    assert flow.data(case)["payment_instruction"]["simulated"] is True
    clock.set(at("2027-01-01 09:00"))
    flow.fire(at("2027-01-01 09:00"))
    flow.complete(HRSS, "pay", {"disbursement": "停发", "stop_reason": "已离开聊城"}, case)
    assert flow.answer_jobs("finance.payment") == [] and flow.view(case)["status"] == "completed"


def test_a_subsidy_paid_for_three_years_ends_and_its_stored_case_stays_under_100_kb(flow, subsidy, clock, platform):
    """Issue 7's size goal: a case that pays monthly keeps every month's tasks, so its stored state grows by the same
    amount a month (linear, not quadratic) and stays under 100 KB after the 36 payments of a three-year subsidy."""
    from engine.store.models import ProcessInstance

    def size() -> int:
        with platform.uow(write=False) as uow:
            return len(uow.session.get(ProcessInstance, case).state.encode())

    case = approved(flow, clock)
    sizes = {}
    for month in range(36):
        year, index = divmod(2026 * 12 + 11 + month, 12)
        pay_month(flow, clock, case, f"{year}-{index + 1:02d}-01 09:00", f"{year}-{index + 1:02d}-03")
        sizes[month + 1] = size()
    view = flow.view(case)
    assert view["status"] == "completed" and view["data"]["total_paid"] == 72000
    assert len(view["data"]["payments"]) == 36
    first, second = sizes[24] - sizes[12], sizes[36] - sizes[24]
    assert 0.8 <= second / first <= 1.25, sizes  # linear
    assert sizes[36] < 100_000, sizes
