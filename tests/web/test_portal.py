"""The applicant portal: services, starting a case, my tasks, following a case step by step — never another
person's case."""

from __future__ import annotations

import io
import re

from .conftest import FORWARD, MATERIALS, open_task
from .webkit import PDF, PNG, text

CARD = {"card_number": "LCBJ-2026-0001", "issued_on": "2026-10-09"}


def test_the_portal_lists_the_services_my_tasks_and_my_cases(client_for, flow, start_case):
    mine = start_case()
    start_case(who="other_applicant", applicant_name="李四")
    page = text(client_for("applicant").get("/portal"))
    assert "高层次人才保健证办理" in page and "在线申请" in page and "由所在县市区窗口受理" in page
    assert "待我办理" in page and "提交申请材料" in page
    assert f"/cases/{mine}" in page and "李四" not in page
    assert page.count('class="card case-item"') == 1


def test_an_applicant_starts_a_service_with_the_default_start_form_and_a_county(client_for, flow, health_card):
    client = client_for("applicant")
    page = text(client.get("/portal/services/health_card"))
    assert "在线申请：高层次人才保健证办理" in page
    assert 'name="applicant_name" value="applicant"' in page  # prefilled with the signed-in person
    assert '<select id="f-talent_category"' in page and '<select id="f-county"' in page
    refused = client.post("/portal/services/health_card", data={"applicant_name": "", "talent_category": "顶尖人才"})
    assert refused.status_code == 422
    body = text(refused)
    assert re.search(r'id="field-applicant_name".*?必填', body, re.S)
    assert re.search(r'id="field-county".*?请选择县市区', body, re.S)
    assert '<option value="顶尖人才" selected>' in body
    assert "不是本市的县市区" in text(client.post("/portal/services/health_card", data={
        "applicant_name": "张三", "talent_category": "顶尖人才", "county": "beijing"}))
    started = client.post("/portal/services/health_card", data={
        "applicant_name": "张三", "talent_category": "顶尖人才", "employer": "聊城大学", "county": "linqing"})
    case = int(started.headers["Location"].rsplit("/", 1)[1])
    view = flow.view(case)
    assert view["started_by"] == "applicant" and view["county"] == "linqing"
    assert view["data"]["applicant_name"] == "张三" and flow.open_task_names(case) == ["submit_materials"]
    assert "申请已提交，办件编号" in text(client.get(f"/cases/{case}"))
    assert client.get("/portal/services/no_such_flow").status_code == 404


def test_an_ineligible_applicant_sees_the_refusal_and_its_reason_at_once(client_for, start_case):
    case = start_case(talent_category="其他引进人才")
    page = text(client_for("applicant").get(f"/cases/{case}"))
    assert "办理结果：不予受理" in page
    assert "不予受理：人才类别“其他引进人才”不属于保健证适用对象" in page


def test_an_applicant_never_sees_another_persons_case_task_or_documents(client_for, flow, start_case):
    theirs = start_case(who="other_applicant")
    task_id = open_task(flow, theirs, "submit_materials")["id"]
    client = client_for("applicant")
    assert client.get(f"/cases/{theirs}").status_code == 404
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert client.post(f"/tasks/{task_id}", data=MATERIALS).status_code == 404
    assert flow.open_task_names(theirs) == ["submit_materials"]


def test_the_case_page_follows_every_step_and_shows_the_result_but_not_staff_internals(client_for, flow,
                                                                                       county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    staff = client_for("win_dcf")
    staff.post(f"/tasks/{task_id}/claim")
    staff.post(f"/tasks/{task_id}", data=FORWARD)
    applicant = client_for("applicant")
    page = text(applicant.get(f"/cases/{county_case}"))
    assert "县级平台核验转报" in page and "核验结论" in page and "转报市平台" in page
    assert "市平台受理审核" in page and "剩余 5 个工作日" in page  # the current step and its deadline
    assert "认领" not in page and "四项材料齐全" not in page  # staff moves and internal opinions stay inside
    staff_view = text(client_for("city1").get(f"/cases/{county_case}"))
    assert "认领" in staff_view and "四项材料齐全" in staff_view
    flow.complete("city_window", "city_review", {"review_decision": "审核通过"}, county_case)
    flow.complete("health_care_office", "make_card", CARD, county_case)
    flow.answer_jobs("elicence.issue")  # the e-licence system records the card
    flow.complete("city_window", "hand_over", {"received_by": "用人单位", "receiver_name": "李娜",
                                               "received_on": "2026-10-12", "services_explained": True}, county_case)
    flow.complete("health", "arrange_checkup", {"checkup_hospital": "聊城市人民医院", "checkup_date": "2026-10-20",
                                                "funding_confirmed": True}, county_case)
    page = text(applicant.get(f"/cases/{county_case}"))
    assert "办理结果：已发证" in page and "《聊城市高层次人才保健证》LCBJ-2026-0001 已发放（用人单位领取）" in page
    assert "聊城市人民医院、聊城市第二人民医院" in page
    assert "已办结" in text(applicant.get("/portal"))


def test_an_applicant_answers_their_own_task_to_resubmit_materials(client_for, flow, county_case):
    flow.complete("county_window_dongchangfu", "county_check", {
        "county_decision": "退回补正", "missing_items": ["身份证号码"], "return_note": "身份证号码有误"}, county_case)
    client = client_for("applicant")
    home = text(client.get("/portal"))
    assert "补正申请材料" in home
    task_id = open_task(flow, county_case, "correct_materials")["id"]
    page = text(client.get(f"/tasks/{task_id}"))
    assert "身份证号码有误" in page and 'value="371502198805123015"' in page  # what was sent before
    assert "认领办理" not in page and "转交" not in page  # an applicant's own task: nothing to claim
    assert "原填写内容：张三.jpg" in page  # sent as a name before uploads: to be uploaded now
    uploads = {field: (io.BytesIO(PDF), f"{field}.pdf") for field in ("certification_proof", "approval_form",
                                                                       "id_card_copy")}
    response = client.post(f"/tasks/{task_id}", data={
        **uploads, "photo": (io.BytesIO(PNG), "张三.png"), "photo_confirmed": "true",
        "id_number": "371502198805123023", "contact_phone": "13806351234"}, content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{county_case}"
    assert flow.open_task_names(county_case) == ["county_check"]


def test_staff_can_open_a_case_of_their_department_from_a_task(client_for, county_case):
    page = text(client_for("win_dcf").get(f"/cases/{county_case}"))
    assert "办理记录" in page and "提交申请材料" in page


def test_a_start_form_that_asks_for_the_county_itself_offers_the_counties(client_for, flow):
    for folder in ("health_card", "spouse_placement", "one_stop_intake"):
        flow.deploy_folder(folder)
    client = client_for("applicant")
    page = text(client.get("/portal/services/one_stop_intake"))
    assert "提出一站式服务申请" in page or "一站式" in page
    assert '<select id="f-county" name="county"' in page and '<option value="linqing" >临清市</option>' in page
    assert page.count('name="county"') == 1  # no second county field beside the form's own
    response = client.post("/portal/services/one_stop_intake", data={"applicant_name": "王教授", "county": "linqing",
                                                                     "contact_phone": "12345"})
    assert response.status_code == 422 and re.search(r'id="field-contact_phone".*?格式不正确', text(response), re.S)
    started = client.post("/portal/services/one_stop_intake", data={"applicant_name": "王教授", "county": "linqing"})
    case = int(started.headers["Location"].rsplit("/", 1)[1])
    assert flow.view(case)["county"] == "linqing" and flow.view(case)["started_by"] == "applicant"


def test_an_applicant_opening_a_staff_step_is_shown_the_case_instead(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    response = client_for("applicant").get(f"/tasks/{task_id}")
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{county_case}"


def test_administrators_see_every_departments_tasks(client_for, county_case):
    page = text(client_for("admin").get("/tasks"))
    assert "全部待办" in page and "县级平台核验转报" in page
