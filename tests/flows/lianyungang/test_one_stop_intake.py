"""Lianyungang's one-stop window (服务办法第六条: 业务一窗受理、后台分头办理、过程全程跟踪、结果集中反馈): one case for
several services, the called flows skip their own feedback, other services of 第四条（六） routed by article 5,
one combined answer and one archive."""

from __future__ import annotations

from typing import Any

import pytest

APPLICATION = {"applicant_name": "孙立华", "id_number": "320705198805123015", "contact_phone": "13406351823",
               "employer": "江苏恒瑞医药股份有限公司"}
OFFICER = {"officer_name": "李敏", "officer_phone": "0518-85801234"}
CHILD = {"talent_name": "孙立华", "talent_class": "B", "employer_name": "江苏恒瑞医药股份有限公司",
         "contact_phone": "13406351823", "doctorate": True, "child_name": "孙小雨",
         "child_id_number": "320705201803150022", "child_birth_date": "2018-03-15", "school_stage": "义务教育",
         "residence_address": "海州区苍梧路8号"}
WINDOW = "city_window"
FLOWS = ("problem_handling", "spouse_placement", "schooling", "housing", "gold_card", "medical_care")


@pytest.fixture
def one_stop(flow: Any) -> str:
    for name in FLOWS:
        flow.deploy_folder(name)
    return str(flow.deploy_folder("one_stop_intake"))


@pytest.mark.policy("服务办法第六条", "服务办法第四条（二）", "服务办法第四条（六）", "服务办法第五条（工商注册）",
                    "服务办法第七条")
def test_several_services_one_answer_one_archive_and_no_feedback_of_their_own(flow, one_stop):
    case = int(flow.start("one_stop_intake", {"applicant_name": "孙立华"}))
    flow.complete(WINDOW, "accept", {**APPLICATION, "requested_services": ["子女就学", "其他服务", "反映问题"],
                                     "service_item": "工商注册", "service_request": "新设企业名称核准",
                                     "problem_description": "人才公寓物业维修不及时"}, case)
    flow.complete(WINDOW, "assign_officer", OFFICER, case)
    assert sorted(flow.open_task_names(case)) == ["accept", "apply", "handle_service"]
    routed = flow.open_task(case, "handle_service")
    assert (routed["department"], routed["lane"]) == ("market_regulation", "相关责任单位")
    flow.complete("market_regulation", "handle_service", {"service_result": "已办理", "service_answer": "已核准"},
                  case)
    flow.complete_in("applicant", case, "schooling", "apply", CHILD)
    flow.complete_in(WINDOW, case, "schooling", "intake", {"intake_decision": "受理"})
    flow.complete_in("education", case, "schooling", "assign_school",
                     {"assigned_school": "连云港市新海实验中学", "enrolment_date": "2026-11-16", "meets_policy": True})
    assert "feedback" not in flow.open_task_names(case)  # schooling does not answer on its own
    flow.complete_in(WINDOW, case, "problem_handling", "accept",
                     {"problem_kind": "安居保障", "problem_summary": "物业维修", "contact_phone": "13406351823"})
    flow.complete_in("hrss", case, "problem_handling", "contact",
                     {"contact_method": "电话", "contacted_on": "2026-10-01", "contact_note": "已联系"})
    flow.complete_in("housing", case, "problem_handling", "cohandle", {"co_opinion": "已督促物业"})
    flow.complete_in("hrss", case, "problem_handling", "answer",
                     {"answer": "物业已维修", "answered_on": "2026-10-02", "answer_method": "电话"})
    flow.complete_in(WINDOW, case, "problem_handling", "follow_up", {"visit_method": "电话", "satisfaction": "满意"})
    assert flow.open_task_names(case) == ["combined_feedback"]
    flow.complete(WINDOW, "combined_feedback", {"reply_method": "窗口现场", "reply_date": "2026-11-20",
                                                "reply_confirmed": True}, case)
    flow.complete(WINDOW, "archive", {"case_archive_number": "YCSL-2026-0007", "case_archived_on": "2026-11-20",
                                      "archive_complete": True}, case)
    view = flow.view(case)
    assert view["status"] == "completed"
    results = view["data"]["service_results"]
    assert {code: r["outcome"] for code, r in results.items()} == {
        "schooling": "已安排就读学校", "other_service": "已办理", "problem_handling": "已办结答复"}
    assert view["data"]["combined_answer"][0].startswith("子女就学：已安排就读学校")
    completed = [h["task_name"] for h in view["history"] if h["action"] == "complete"]
    assert "feedback" not in completed and completed.count("archive") == 1


@pytest.mark.policy("服务办法第六条")
def test_the_window_offers_lianyungangs_services_and_classes_not_liaochengs(flow, one_stop, platform):
    import json

    form = json.loads((platform.settings.processes_dir / "one_stop_intake" / "intake.json").read_text())
    assert form["properties"]["requested_services"]["items"]["enum"] == [
        "反映问题", "配偶就业", "子女就学", "安居保障", "金卡服务", "医疗保健", "其他服务"]
    text = json.dumps(form, ensure_ascii=False)
    assert "顶尖人才" not in text and "保健证" not in text


@pytest.mark.policy("服务办法第六条", "服务办法第四条（四）", "服务办法第五条（医疗保健）")
def test_medical_care_reports_its_decision_to_the_window_and_goes_on_year_after_year(flow, one_stop, platform):
    from sqlalchemy import select

    from engine.store.models import ProcessInstance

    case = int(flow.start("one_stop_intake", {"applicant_name": "孙立华"}))
    flow.complete(WINDOW, "accept", {**APPLICATION, "requested_services": ["医疗保健"]}, case)
    flow.complete(WINDOW, "assign_officer", OFFICER, case)
    with platform.uow(write=False) as uow:
        [care] = uow.session.scalars(select(ProcessInstance.id).where(ProcessInstance.model_key == "medical_care"))
    assert flow.open_task_names(case) == []  # waiting for the medical care case's decision
    assert flow.data(care)["talent_name"] == "孙立华" and flow.data(care)["one_stop"] is True
    flow.complete("applicant", "apply", {"talent_name": "孙立华", "talent_class": "B",
                                         "employer_name": "江苏恒瑞医药股份有限公司", "contact_phone": "13406351823",
                                         "id_number": APPLICATION["id_number"], "supplementary_insurance": True}, care)
    flow.complete(WINDOW, "intake", {"intake_decision": "受理"}, care)
    flow.complete("health", "register", {"designated_hospital": "连云港市第一人民医院", "liaison_name": "王医生",
                                         "liaison_phone": "0518-85605000", "health_record_no": "JK-2026-007"}, care)
    flow.complete(WINDOW, "notify", {"notice_method": "窗口现场", "notice_date": "2026-11-04"}, care)
    assert flow.open_task_names(case) == ["combined_feedback"]  # the decision is in: one answer
    result = flow.data(case)["service_results"]["medical_care"]
    assert result["outcome"] == "已落实医疗保健服务" and "连云港市第一人民医院" in result["detail"]
    assert flow.open_task_names(care) == ["checkup"]  # the care goes on, year after year, as its own case
    assert flow.view(care)["status"] == "active"
