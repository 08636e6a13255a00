"""连云港市's sample cases: problems routed to the responsible unit, spouse employment with two-way choice,
schooling, gold cards, housing, medical care and the one-stop window, in the states a task list shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ui.demo import CaseDriver, Scenario, days_ago, id_number

WINDOW = "city_window"
TALENT = {"talent_name": "孙立华", "talent_class": "B", "employer_name": "江苏恒瑞医药股份有限公司",
          "contact_phone": "13406351823"}
ACCEPT = {"intake_decision": "受理"}


def start_accepted(case: CaseDriver, key: str, application: dict[str, Any], at: datetime) -> None:
    case.start(key, {}, at=at)
    case.complete("applicant", "apply", application, at=at + timedelta(minutes=20))
    case.complete(WINDOW, "intake", ACCEPT, at=at + timedelta(hours=1))


# --- 问题处理 (problem_handling) -----------------------------------------------------------------------------


def problem_with_education(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "孙立华", "problem_description": "女儿从南京转学到连云港，学籍"
                                    "转接手续一直办不下来"}, at=now - timedelta(hours=6))
    case.complete(WINDOW, "accept", {"problem_kind": "子女就学", "contact_phone": "13406351823",
                                     "problem_summary": "子女由南京转入连云港，学籍转接受阻"},
                  at=now - timedelta(hours=5))
    case.complete("education", "contact", {"contact_method": "电话", "contacted_on": now.date().isoformat(),
                                           "contact_note": "已电话联系，约定明日到市教育局面谈"},
                  at=now - timedelta(hours=2))
    case.claim("education_2", "answer", at=now - timedelta(hours=1))


def problem_answered_and_satisfied(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "李思远", "problem_description": "外籍配偶居留许可续签"},
               at=days_ago(now, 10, 9, 0))
    case.complete(WINDOW, "accept", {"problem_kind": "出入境", "problem_summary": "外籍配偶居留许可续签",
                                     "contact_phone": "13562071934"}, at=days_ago(now, 10, 10, 0))
    case.complete("public_security", "contact", {"contact_method": "电话", "contacted_on": days_ago(now, 10, 14, 0)
                                                 .date().isoformat(), "contact_note": "已联系"},
                  at=days_ago(now, 10, 14, 0))
    case.complete("public_security", "answer", {"answer": "已开通绿色通道办理续签，7日内取证",
                                                "answered_on": days_ago(now, 9, 16, 0).date().isoformat(),
                                                "answer_method": "书面"}, at=days_ago(now, 9, 16, 0))
    case.complete(WINDOW, "follow_up", {"visit_method": "电话", "satisfaction": "满意",
                                        "visit_note": "人才对办理速度表示满意"}, at=days_ago(now, 8, 10, 30))


def problem_escalated(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "陈晓东", "problem_description": "创办企业的工商注册材料不清楚"},
               at=days_ago(now, 30, 16, 20))
    case.fire(at=now)  # the window did not forward it within one working day: the talent office supervises


def problem_housing_with_co_unit(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "周一鸣", "problem_description": "人才公寓配租进度"},
               at=days_ago(now, 1, 9, 0))
    case.complete(WINDOW, "accept", {"problem_kind": "安居保障", "problem_summary": "人才公寓配租进度查询",
                                     "contact_phone": "13951231234"}, at=days_ago(now, 1, 10, 0))
    case.complete("hrss", "contact", {"contact_method": "电话", "contacted_on": days_ago(now, 1, 15, 0).date()
                                      .isoformat(), "contact_note": "已联系，待住房局提供房源"},
                  at=days_ago(now, 1, 15, 0))


# --- 配偶就业 (spouse_placement) -------------------------------------------------------------------------------

SPOUSE: dict[str, Any] = {**TALENT, "talent_name": "黄振宇", "spouse_name": "吴倩",
          "spouse_id_number": id_number("320705", "1988-05-12", "024"), "spouse_employment": "在职",
          "original_employer_name": "南京市鼓楼医院", "original_employer_nature": "事业单位",
          "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理", "employer_arrangement": "确有困难",
          "difficulty_reason": "本单位护理岗位已满编"}


def spouse_at_two_way_choice(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "spouse_placement", SPOUSE, days_ago(now, 4, 9, 0))
    case.complete("talent_office", "recommend", {
        "recommendation": "推荐至对口单位", "match_basis": "原单位为事业单位，临床护理专业",
        "recommended_unit": "连云港市第二人民医院", "recommended_post": "护理岗", "recommended_unit_nature": "事业单位",
        "quota_full": True}, at=days_ago(now, 2, 15, 0))


def spouse_in_public_employment(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "spouse_placement", {**SPOUSE, "talent_name": "郑凯", "spouse_name": "林晓燕",
                                              "spouse_id_number": id_number("320703", "1991-08-23", "042"),
                                              "spouse_employment": "待业", "spouse_major": "市场营销"},
                   days_ago(now, 25, 9, 0))
    registered = days_ago(now, 20, 9, 0).date().isoformat()
    case.complete("hrss", "public_employment", {"employment_registered_on": registered,
                                                "recommended_vacancies": ["苏宁广场市场专员", "电商产业园运营专员"],
                                                "free_services": ["职业指导", "职业介绍", "就业登记"],
                                                "placement_status": "已推荐上岗", "employed_unit": "苏宁广场"},
                  at=days_ago(now, 20, 11, 0))
    notice = days_ago(now, 18, 9, 30)
    case.complete(WINDOW, "feedback", {"notice_method": "电话", "notice_date": notice.date().isoformat(),
                                       "archive_number": f"PO-{notice.year}-0031"}, at=notice)


# --- 子女就学 (schooling) ---------------------------------------------------------------------------------------


def child(name: str, birth: str, sequence: str, **changes: object) -> dict[str, object]:
    return {**TALENT, "talent_class": "C", "doctorate": True, "child_name": name,
            "child_id_number": id_number("320705", birth, sequence), "child_birth_date": birth,
            "school_stage": "义务教育", "intended_grade": "三年级", "residence_address": "海州区通灌南路1号", **changes}


def schooling_at_window(case: CaseDriver, now: datetime) -> None:
    case.start("schooling", {}, at=now - timedelta(hours=2))
    case.complete("applicant", "apply", child("杨子涵", "2019-05-20", "062", intended_grade="一年级"),
                  at=now - timedelta(hours=1, minutes=30))


def schooling_assigned(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "schooling", child("罗雨萱", "2017-09-01", "084", intended_grade="四年级"),
                   days_ago(now, 15, 9, 0))
    assigned = days_ago(now, 11, 15, 0)
    case.complete("education", "assign_school", {"assigned_school": "连云港市新海实验小学", "assigned_grade": "四年级",
                                                 "enrolment_date": (assigned + timedelta(days=3)).date().isoformat(),
                                                 "meets_policy": True}, at=assigned)
    notice = days_ago(now, 10, 9, 0)
    case.complete(WINDOW, "feedback", {"notice_method": "电话", "notice_date": notice.date().isoformat(),
                                       "archive_number": f"ZX-{notice.year}-0042"}, at=notice)


def schooling_withdrawn(case: CaseDriver, now: datetime) -> None:
    case.start("schooling", {}, at=days_ago(now, 9, 10, 0))
    case.cancel("申请人来电撤回申请：子女随祖父母在原籍就读", at=days_ago(now, 7, 16, 20))


def schooling_suspended(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "schooling", child("韩子墨", "2018-04-12", "031"), days_ago(now, 6, 9, 0))
    case.suspend("申请人户籍材料待公安机关核实，暂缓办理", at=days_ago(now, 5, 15, 0))


# --- 金卡、安居、医疗 -------------------------------------------------------------------------------------------


def gold_card_benefits_opening(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "gold_card", {**TALENT, "id_number": id_number("320705", "1980-07-02", "015"),
                                       "certificate_no": "LYGRC-B-0007"}, days_ago(now, 3, 9, 0))
    case.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": f"LYGJK{now.year}000007",
                                     "review_comment": "B类人才，符合申领条件"}, at=days_ago(now, 2, 10, 0))
    case.complete("tourism", "scenic", {"registered_on": days_ago(now, 1, 9, 0).date().isoformat(),
                                        "all_scenic_areas": True}, at=days_ago(now, 1, 9, 30))


def housing_at_housing_bureau(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "housing", {**TALENT, "talent_name": "钱正", "family_size": 3, "housing_status": "租住",
                                     "preferred_measure": "人才公寓"}, days_ago(now, 5, 9, 0))
    case.complete("hrss", "review", {"housing_measure": "人才公寓", "review_comment": "符合人才安居办法，配租人才公寓"},
                  at=days_ago(now, 3, 10, 0))


def medical_care_registered(case: CaseDriver, now: datetime) -> None:
    start_accepted(case, "medical_care", {**TALENT, "talent_name": "吴敏", "id_number": id_number(
        "320705", "1976-11-20", "026"), "supplementary_insurance": False}, days_ago(now, 6, 9, 0))
    case.complete("health", "register", {"designated_hospital": "连云港市第一人民医院", "liaison_name": "王医生",
                                         "liaison_phone": "0518-85605000", "health_record_no": "JK-0026"},
                  at=days_ago(now, 4, 10, 0))


def one_stop_at_window(case: CaseDriver, now: datetime) -> None:
    case.start("one_stop_intake", {"applicant_name": "宋雅琴", "contact_phone": "13793055820"},
               at=now - timedelta(minutes=50))


SCENARIOS: list[Scenario] = [
    Scenario("problem_handling", "PH-01", "市教育局已联系人才，李强办结答复中", problem_with_education),
    Scenario("problem_handling", "PH-02", "已办结答复，回访满意", problem_answered_and_satisfied),
    Scenario("problem_handling", "PH-03", "窗口转办超期，已转市人才办督办", problem_escalated),
    Scenario("problem_handling", "PH-04", "安居保障：市人社局主办，待市住房局协办", problem_housing_with_co_unit),
    Scenario("spouse_placement", "SP-01", "已推荐对口单位，待双向选择", spouse_at_two_way_choice),
    Scenario("spouse_placement", "SP-02", "已办结：纳入公共就业服务并推荐上岗", spouse_in_public_employment),
    Scenario("schooling", "SC-01", "申请已提交，一站式窗口待受理", schooling_at_window),
    Scenario("schooling", "SC-02", "已办结：已安排学校并反馈归档", schooling_assigned),
    Scenario("schooling", "SC-03", "申请人撤回，管理员已撤销案件", schooling_withdrawn),
    Scenario("schooling", "SC-04", "户籍材料待核实，管理员已暂停（暂停计时）", schooling_suspended),
    Scenario("gold_card", "GC-01", "金卡已制卡，市民航站、市铁路办待开通绿色通道", gold_card_benefits_opening),
    Scenario("housing", "HO-01", "确定配租人才公寓，市住房局待落实", housing_at_housing_bureau),
    Scenario("medical_care", "MC-01", "已落实定点医院和联络员，待鼓励用人单位购买补充医疗保险",
             medical_care_registered),
    Scenario("one_stop_intake", "OS-01", "一站式申请待窗口受理", one_stop_at_window),
]
