"""聊城市's sample cases: health-care cards, gold cards, subsidies paid by the human-resources bureau, spouse
placement and one-stop intakes, in the states a department's task list shows on an ordinary day."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ui.demo import CaseDriver, Document, Scenario, days_ago, id_number, month_start
from ui.demo_documents import demo_pdf, demo_photo

FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全，人才认定证明在有效期内"}
PASS = {"review_decision": "审核通过", "review_opinion": "符合医疗细则第二条适用对象，材料齐全"}


def materials(name: str, pinyin: str, area: str, birth: str, sequence: str, phone: str) -> dict[str, Any]:
    """The health-care card's materials as real documents (ui/demo_documents.py), so they open from the case."""
    def paper(title: str, filename: str) -> Document:
        return Document(filename, demo_pdf(title, [f"Applicant: {pinyin}", f"Mobile: {phone[:3]}****{phone[-4:]}"]))

    return {"id_number": id_number(area, birth, sequence),
            "certification_proof": paper("Talent certification", f"rencai-rending-{pinyin}.pdf"),
            "approval_form": paper("Health-care card approval form", f"baojianzheng-shenpibiao-{pinyin}.pdf"),
            "id_card_copy": paper("Copy of the resident identity card", f"shenfenzheng-{pinyin}.pdf"),
            "photo": Document(f"{name}.png", demo_photo()), "photo_confirmed": True, "contact_phone": phone}


# --- 高层次人才保健证 (health_card) ----------------------------------------------------------------------------


def health_card_at_county_window(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "刘明远", "talent_category": "急需紧缺人才", "county": "dongchangfu",
                               "employer": "聊城市人民医院"}, at=now - timedelta(hours=3))
    case.complete("applicant", "submit_materials",
                  materials("刘明远", "liumingyuan", "371502", "1986-04-12", "031", "13863501286"),
                  at=now - timedelta(hours=2, minutes=40))


def health_card_handed_over_at_city_window(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "周静怡", "talent_category": "高端人才", "county": "linqing",
                               "employer": "鲁西化工集团股份有限公司"}, at=now - timedelta(hours=6))
    case.complete("applicant", "submit_materials",
                  materials("周静怡", "zhoujingyi", "371581", "1983-11-02", "046", "13963522718"),
                  at=now - timedelta(hours=5, minutes=30))
    case.complete("county_window_linqing", "county_check", FORWARD, at=now - timedelta(hours=3))
    case.claim("city_window", "city_review", at=now - timedelta(hours=2))
    case.hand_over("city_window", "city_review", "city_window_2", "本人下午外出参加培训，请李强同志接办",
                   at=now - timedelta(hours=1))


def health_card_escalated(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "马骏", "talent_category": "顶尖人才", "county": "yanggu",
                               "employer": "阳谷祥光铜业有限公司"}, at=days_ago(now, 30, 9, 30))
    case.complete("applicant", "submit_materials",
                  materials("马骏", "majun", "371521", "1972-07-19", "015", "13706359921"),
                  at=days_ago(now, 30, 10, 15))
    case.complete("county_window_yanggu", "county_check", FORWARD, at=days_ago(now, 29, 15, 0))
    case.fire(at=now)  # the city platform's five working days have run out: the talent office supervises


def health_card_out_for_correction(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "孟庆华", "talent_category": "高技能人才", "county": "chiping",
                               "gold_card_number": "LCJK2026000007", "employer": "信发集团有限公司"},
               at=days_ago(now, 5, 9, 0))
    case.complete("applicant", "submit_materials",
                  materials("孟庆华", "mengqinghua", "371523", "1980-01-15", "019", "13563522190"),
                  at=days_ago(now, 5, 9, 30))
    case.complete("county_window_chiping", "county_check", FORWARD, at=days_ago(now, 4, 10, 0))
    case.complete("city_window", "city_review", {"review_decision": "退回补正", "missing_items": ["保健证审批表"],
                                                 "return_note": "审批表缺用人单位盖章"}, at=days_ago(now, 3, 11, 0))


def health_card_issued(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "王海峰", "talent_category": "高端人才", "county": "dongchangfu",
                               "employer": "聊城大学"}, at=days_ago(now, 20, 9, 0))
    case.complete("applicant", "submit_materials",
                  materials("王海峰", "wanghaifeng", "371502", "1979-03-08", "057", "13606358830"),
                  at=days_ago(now, 20, 9, 40))
    case.complete("county_window_dongchangfu", "county_check", FORWARD, at=days_ago(now, 19, 10, 0))
    case.complete("city_window", "city_review", PASS, at=days_ago(now, 17, 14, 30))
    issued = days_ago(now, 10, 16, 0)
    case.complete("health_care_office", "make_card", {"card_number": f"LCBJ-{issued.year}-0107",
                                                      "issued_on": issued.date().isoformat()}, at=issued)
    handed = days_ago(now, 9, 10, 0)
    case.complete("city_window", "hand_over", {"received_by": "用人单位", "receiver_name": "聊城大学人事处 李娜",
                                               "received_on": handed.date().isoformat(), "services_explained": True},
                  at=handed)
    case.complete("health", "arrange_checkup", {"checkup_hospital": "聊城市人民医院",
                                                "checkup_date": days_ago(now, 2, 8, 0).date().isoformat(),
                                                "funding_confirmed": True}, at=days_ago(now, 8, 9, 0))


def health_card_refused(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "赵文博", "talent_category": "急需紧缺人才", "county": "guanxian",
                               "employer": "冠县新瑞实业有限公司"}, at=days_ago(now, 8, 10, 0))
    case.complete("applicant", "submit_materials",
                  materials("赵文博", "zhaowenbo", "371525", "1990-09-21", "073", "15806351147"),
                  at=days_ago(now, 8, 11, 0))
    case.complete("county_window_guanxian", "county_check", FORWARD, at=days_ago(now, 7, 9, 30))
    case.complete("city_window", "city_review", {"review_decision": "不予通过",
                                                 "review_opinion": "人才认定证明与市人才认定名单不符"},
                  at=days_ago(now, 6, 15, 0))


def health_card_suspended(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "高婧", "talent_category": "高端人才", "county": "linqing",
                               "employer": "临清市人民医院"}, at=days_ago(now, 6, 9, 0))
    case.complete("applicant", "submit_materials",
                  materials("高婧", "gaojing", "371581", "1983-02-17", "046", "13906351172"),
                  at=days_ago(now, 6, 9, 30))
    case.complete("county_window_linqing", "county_check", FORWARD, at=days_ago(now, 6, 11, 0))
    case.suspend("用人单位来函：申请人赴外地进修三个月，申请暂缓办理（暂停期间不计入审核时限）",
                 at=days_ago(now, 5, 15, 0))


# --- 人才服务金卡 (gold_card) ----------------------------------------------------------------------------------

GOLD_APPLICATION = {"applicant_name": "许志强", "id_number": id_number("371502", "1975-12-03", "017"),
                    "phone": "13906357741", "employer": "聊城大学", "talent_level": "顶尖人才",
                    "certificate_no": "LCRC-A-0012", "residence": "在聊城工作", "intake_decision": "受理"}


def gold_card_issued(case: CaseDriver, now: datetime) -> None:
    case.start("gold_card", {"applicant_name": "许志强", "county": "dongchangfu",
                             "intake_at": "县级“一站式”综合服务平台"}, at=days_ago(now, 40, 9, 0))
    case.complete("county_window_dongchangfu", "county_intake", {"county_opinion": "材料齐全，转报市平台",
                                                                 "forwarded_on": days_ago(now, 40, 9, 0).date()
                                                                 .isoformat()}, at=days_ago(now, 40, 11, 0))
    case.complete("city_window", "city_intake", GOLD_APPLICATION, at=days_ago(now, 39, 10, 0))
    issued = days_ago(now, 38, 15, 0)
    case.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": f"LCJK{issued.year}000015",
                                     "card_level": "顶尖人才"}, at=issued)
    case.complete("city_window", "hand_card", {"handed_on": days_ago(now, 37, 9, 0).date().isoformat(),
                                               "services_explained": True, "archive_number": "JK-0015"},
                  at=days_ago(now, 37, 9, 30))


def gold_card_returned(case: CaseDriver, now: datetime) -> None:
    case.start("gold_card", {"applicant_name": "田雨桐", "county": "chiping"}, at=now - timedelta(hours=26))
    case.complete("city_window", "city_intake", {"intake_decision": "退回补正",
                                                 "missing_materials": "人才认定证明原件、在聊工作证明"},
                  at=now - timedelta(hours=20))


# --- 生活和租房补贴 (subsidy) ----------------------------------------------------------------------------------

DOCTOR = {"applicant_name": "高明", "id_number": id_number("371502", "1989-02-14", "035"), "phone": "13806350418",
          "employer": "中通客车股份有限公司", "certificate_no": "LCRC-D-0233", "subsidy_category": "企业全职引进人才",
          "qualification": "博士研究生", "contract_years": 5, "local_social_insurance": True,
          "full_time_degree": True, "urgently_needed": True, "apartment_needed": False, "intake_decision": "受理"}


def subsidy_being_paid(case: CaseDriver, now: datetime) -> None:
    first = month_start(now.date(), 3, now)  # three months paid, the fourth (this month) due
    approved = first - timedelta(days=12)
    case.start("subsidy", {"applicant_name": "高明", "county": "dongchangfu"}, at=approved - timedelta(days=5))
    case.complete("city_window", "city_intake", DOCTOR, at=approved - timedelta(days=5))
    case.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0,
                                          "eligibility_comment": "经认定为企业全职引进博士，此前未享受"},
                  at=approved - timedelta(days=2))
    case.complete("hrss", "approval", {"approval_decision": "批准", "first_month": f"{first:%Y-%m}",
                                       "approved_months": 36, "approval_comment": "同意，按月发放"}, at=approved)
    case.complete("finance", "allocate", {"allocated_amount": 72000, "allocated_on": approved.date().isoformat(),
                                          "voucher_no": "LCCZ-BT-0233"}, at=approved + timedelta(days=2))
    for months_back in (3, 2, 1):
        due = month_start(now.date(), months_back, now)
        case.fire(at=due)
        paid = due + timedelta(days=2, hours=1)
        case.complete("hrss", "pay", {"disbursement": "已发放", "paid_on": paid.date().isoformat()}, at=paid)
    if month_start(now.date(), 0, now) <= now:
        case.fire(at=now)  # this month's payment waits at the human-resources bureau


def subsidy_refused(case: CaseDriver, now: datetime) -> None:
    case.start("subsidy", {"applicant_name": "何佳琪", "county": "gaotang"}, at=days_ago(now, 12, 9, 0))
    case.complete("city_window", "city_intake", {
        **DOCTOR, "applicant_name": "何佳琪", "id_number": id_number("371526", "1995-10-09", "048"),
        "phone": "18865203946", "employer": "高唐县蓝山集团", "qualification": "硕士研究生", "contract_years": 3,
        "urgently_needed": False}, at=days_ago(now, 12, 10, 0))
    case.complete("hrss", "eligibility", {"eligibility_decision": "不属于补贴对象", "prior_subsidy_months": 0,
                                          "eligibility_comment": "未经《聊城市引进人才认定工作实施细则》认定"},
                  at=days_ago(now, 10, 16, 0))


def subsidy_apartment(case: CaseDriver, now: datetime) -> None:
    case.start("subsidy", {"applicant_name": "韩雪", "county": "dongchangfu"}, at=days_ago(now, 3, 9, 0))
    case.complete("city_window", "city_intake", {
        **DOCTOR, "applicant_name": "韩雪", "id_number": id_number("371502", "1987-06-30", "028"),
        "subsidy_category": "顶尖人才", "apartment_needed": True}, at=days_ago(now, 3, 10, 0))
    case.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0,
                                          "eligibility_comment": "顶尖人才，需要租赁型人才公寓"},
                  at=days_ago(now, 2, 9, 0))


# --- 配偶安置 (spouse_placement) -------------------------------------------------------------------------------

SPOUSE = {"talent_name": "黄振宇", "talent_category": "高端人才", "certificate_no": "LCRC-B-0031",
          "employer_name": "聊城市中心医院", "contact_phone": "13853021764", "spouse_name": "吴倩",
          "spouse_id_number": id_number("370102", "1988-05-12", "024"), "spouse_employment": "在职",
          "original_employer_name": "济南市第四人民医院", "original_employer_nature": "事业单位",
          "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理", "placement_wish": "使用专项编制安置"}


def spouse_at_staffing_office(case: CaseDriver, now: datetime) -> None:
    case.start("spouse_placement", {}, at=days_ago(now, 4, 9, 0))
    case.complete("applicant", "apply", SPOUSE, at=days_ago(now, 4, 9, 30))
    case.complete("city_window", "intake", {"intake_decision": "受理"}, at=days_ago(now, 3, 10, 0))
    case.complete("org_dept", "org_review", {"placement_route": "专项编制安置", "proposed_unit": "聊城市人民医院",
                                             "org_opinion": "拟使用引进人才专项编制安置"}, at=days_ago(now, 2, 15, 0))


def spouse_placed(case: CaseDriver, now: datetime) -> None:
    case.start("spouse_placement", {}, at=days_ago(now, 25, 9, 0))
    case.complete("applicant", "apply", {**SPOUSE, "talent_name": "郑凯", "spouse_name": "林晓燕",
                                         "spouse_id_number": id_number("371502", "1991-08-23", "042"),
                                         "spouse_employment": "待业", "spouse_major": "市场营销",
                                         "placement_wish": "推荐就业"}, at=days_ago(now, 25, 9, 40))
    case.complete("city_window", "intake", {"intake_decision": "受理"}, at=days_ago(now, 24, 10, 0))
    case.complete("org_dept", "org_review", {"placement_route": "推荐就业安置", "org_opinion": "推荐就业"},
                  at=days_ago(now, 22, 10, 0))
    case.complete("hrss", "hrss_place", {"placement_status": "已安置", "placed_unit": "聊城振华购物中心",
                                         "placed_post": "市场专员", "hrss_note": "已上岗"}, at=days_ago(now, 20, 11, 0))
    notice = days_ago(now, 18, 9, 30)
    case.complete("city_window", "feedback", {"notice_method": "电话", "notice_date": notice.date().isoformat(),
                                              "archive_number": f"PO-{notice.year}-0031"}, at=notice)


# --- 一窗受理 (one_stop_intake) ---------------------------------------------------------------------------------


def intake_at_city_window(case: CaseDriver, now: datetime) -> None:
    case.start("one_stop_intake", {"applicant_name": "宋雅琴", "county": "chiping", "contact_phone": "13793055820"},
               at=now - timedelta(minutes=50))


def intake_with_a_duty_at_science_tech(case: CaseDriver, now: datetime) -> None:
    case.start("one_stop_intake", {"applicant_name": "陆文涛", "county": "dongchangfu"}, at=days_ago(now, 2, 9, 0))
    case.complete("city_window", "accept", {
        "applicant_name": "陆文涛", "id_number": id_number("371502", "1984-03-02", "051"),
        "contact_phone": "13563512345", "employer": "聊城高新区时代新材料有限公司",
        "requested_services": ["其他服务事项"], "service_item": "科技项目扶持、科技奖项资助",
        "service_request": "申请市级科技计划项目扶持"}, at=days_ago(now, 2, 9, 30))
    case.complete("city_window", "assign_officer", {"officer_name": "王芳", "officer_phone": "0635-8451234"},
                  at=days_ago(now, 2, 10, 0))


def intake_withdrawn(case: CaseDriver, now: datetime) -> None:
    case.start("one_stop_intake", {"applicant_name": "韩立新", "county": "donge"}, at=days_ago(now, 9, 10, 0))
    case.cancel("申请人来电撤回申请：已由用人单位另行办理", at=days_ago(now, 7, 16, 20))


SCENARIOS: list[Scenario] = [
    Scenario("health_card", "HC-01", "材料已提交，东昌府区县级平台待核验", health_card_at_county_window),
    Scenario("health_card", "HC-02", "市一站式平台审核中，已由王芳转交李强办理",
             health_card_handed_over_at_city_window),
    Scenario("health_card", "HC-03", "市平台审核超过5个工作日，已转市人才办督办", health_card_escalated),
    Scenario("health_card", "HC-04", "退回补正中，市平台审核时限暂停计时", health_card_out_for_correction),
    Scenario("health_card", "HC-05", "已办结：保健证已发放，免费体检已安排", health_card_issued),
    Scenario("health_card", "HC-06", "用人单位申请暂缓，管理员已暂停（暂停计时）", health_card_suspended),
    Scenario("health_card", "HC-07", "已办结：市平台审核不予通过", health_card_refused),
    Scenario("gold_card", "GC-01", "金卡已发放，市卫生计生委待安排年度免费体检", gold_card_issued),
    Scenario("gold_card", "GC-02", "市平台退回补正，待申请人补交材料", gold_card_returned),
    Scenario("subsidy", "SU-01", "补贴发放中：市人社局已按月发放3个月", subsidy_being_paid),
    Scenario("subsidy", "SU-02", "已办结：不属于补贴对象", subsidy_refused),
    Scenario("subsidy", "SU-03", "需要租赁型人才公寓，市人社局待配租转办", subsidy_apartment),
    Scenario("spouse_placement", "SP-01", "市委组织部拟专项编制安置，市编办待核定", spouse_at_staffing_office),
    Scenario("spouse_placement", "SP-02", "已办结：推荐就业安置已上岗", spouse_placed),
    Scenario("one_stop_intake", "OS-01", "一站式申请待市平台接件", intake_at_city_window),
    Scenario("one_stop_intake", "OS-02", "科技项目扶持已转市科技局办理", intake_with_a_duty_at_science_tech),
    Scenario("one_stop_intake", "OS-03", "申请人撤回，管理员已撤销案件", intake_withdrawn),
]
