"""The task page: what it shows, claim / release / hand over with history, the schema form, validation and
conflicts, permissions, and escaping of everything a flow or an applicant can write."""

from __future__ import annotations

import re

from .conftest import FORWARD, MATERIALS, START, open_task
from .webkit import deploy_files, health_card_files, text


def test_the_task_page_shows_summary_instructions_earlier_steps_documents_and_the_form(client_for, flow,
                                                                                       county_case):
    task = open_task(flow, county_case, "county_check")
    client = client_for("win_dcf")
    page = text(client.get(f"/tasks/{task['id']}"))
    assert "县级平台核验转报" in page and "高层次人才保健证办理" in page
    assert "张三" in page and "东昌府区" in page and "2026年9月30日 10:00" in page  # applicant, county, started
    assert "请核验张三（顶尖人才）的四项申请材料是否齐全" in page  # instructions over the case data
    assert "提交申请材料" in page and "371502198805123015" in page  # the earlier step and what was sent
    assert "认领办理" in page and "<form method=\"post\" action=\"/tasks/" in page
    assert 'name="county_decision"' not in page  # the form appears once the task is claimed
    client.post(f"/tasks/{task['id']}/claim")
    page = text(client.get(f"/tasks/{task['id']}"))
    assert 'type="radio" name="county_decision" value="转报市平台"' in page
    assert 'type="checkbox" name="missing_items" value="证件照"' in page
    assert "<textarea" in page and 'name="return_note"' in page
    assert "“核验结论”选择“退回补正”时必填" in page  # the form's conditional rule, said in words


def test_claim_release_and_hand_over_are_recorded_in_the_history(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    client = client_for("win_dcf")
    assert "已认领" in text(client.post(f"/tasks/{task_id}/claim", follow_redirects=True))
    assert "已退回部门待认领" in text(client.post(f"/tasks/{task_id}/release", follow_redirects=True))
    client.post(f"/tasks/{task_id}/claim")
    page = text(client.get(f"/tasks/{task_id}"))
    assert '<option value="win_dcf2">' in page and "win_lq" not in page  # same department and county only
    done = client.post(f"/tasks/{task_id}/handover", data={"to": "win_dcf2", "note": "请代为核验"},
                       follow_redirects=True)
    assert "已转交" in text(done)
    assert open_task(flow, county_case, "county_check")["assignee"] == "win_dcf2"
    history = [(h["action"], h["actor"], h["details"]) for h in flow.view(county_case)["history"]
               if h["action"] in ("claim", "release", "handover")]
    assert history == [("claim", "win_dcf", {}), ("release", "win_dcf", {}), ("claim", "win_dcf", {}),
                       ("handover", "win_dcf", {"from": "win_dcf", "to": "win_dcf2", "note": "请代为核验"})]
    assert "请代为核验" in text(client_for("win_dcf2").get(f"/tasks/{task_id}"))


def test_hand_over_refuses_someone_of_another_county_or_department(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    client = client_for("win_dcf")
    client.post(f"/tasks/{task_id}/claim")
    for stranger in ("win_lq", "city1", "nobody"):
        page = text(client.post(f"/tasks/{task_id}/handover", data={"to": stranger}, follow_redirects=True))
        assert "请选择本部门的同事" in page
    assert open_task(flow, county_case, "county_check")["assignee"] == "win_dcf"


def test_claiming_a_task_a_colleague_claimed_first_is_explained_not_a_crash(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    first, second = client_for("win_dcf"), client_for("win_dcf2")
    assert "认领办理" in text(second.get(f"/tasks/{task_id}"))  # both see it open
    first.post(f"/tasks/{task_id}/claim")
    response = second.post(f"/tasks/{task_id}/claim", follow_redirects=True)
    assert response.status_code == 200
    assert "操作未完成：此任务已由 win_dcf 认领，正在办理。" in text(response)
    release = second.post(f"/tasks/{task_id}/release", follow_redirects=True)
    assert "操作未完成：此任务已由 win_dcf 认领" in text(release)


def test_submitting_a_form_that_someone_else_completed_first_is_explained(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    first, second = client_for("win_dcf"), client_for("win_dcf2")
    first.post(f"/tasks/{task_id}/claim")
    first.post(f"/tasks/{task_id}/release")
    second.post(f"/tasks/{task_id}/claim")
    assert second.post(f"/tasks/{task_id}", data=FORWARD).status_code == 302
    stale = first.post(f"/tasks/{task_id}", data=FORWARD)  # a form first had open before it released
    assert stale.status_code == 409
    assert "操作未完成：此任务已由 win_dcf2 于 2026年9月30日 10:00 办结。" in text(stale)
    assert open_task(flow, county_case, "city_review")["state"] == "open"


def test_a_bad_form_is_shown_again_with_chinese_field_messages_and_the_values_kept(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    client = client_for("win_dcf")
    client.post(f"/tasks/{task_id}/claim")
    response = client.post(f"/tasks/{task_id}", data={"county_decision": "退回补正", "county_opinion": "缺照片"})
    assert response.status_code == 422
    page = text(response)
    assert "提交未成功，请按提示修改标红的内容" in page
    assert re.search(r'id="field-missing_items".*?必填', page, re.S)
    assert re.search(r'id="field-return_note".*?必填', page, re.S)
    assert 'value="退回补正" checked' in page and ">缺照片</textarea>" in page
    assert open_task(flow, county_case, "county_check")["state"] == "claimed"
    done = client.post(f"/tasks/{task_id}", data={"county_decision": "退回补正", "missing_items": ["证件照"],
                                                   "return_note": "照片须为白底"})
    assert done.headers["Location"] == "/tasks"
    assert flow.open_task_names(county_case) == ["correct_materials"]


def test_every_kind_of_field_is_rendered_and_read_back(client_for, flow, platform):
    import json

    schema = {"type": "object", "title": "各类字段", "required": ["count"], "properties": {
        "count": {"type": "integer", "title": "数量", "minimum": 1},
        "amount": {"type": "number", "title": "金额"},
        "when": {"type": "string", "format": "date", "title": "日期"},
        "level": {"type": "string", "enum": ["一", "二", "三", "四", "五"], "title": "等级"},
        "ok": {"type": "boolean", "title": "确认"},
        "note": {"type": "string", "title": "说明", "maxLength": 20},
        "county_decision": {"type": "string", "enum": ["转报市平台", "退回补正"], "title": "核验结论"}},
        "additionalProperties": False}
    files = health_card_files(uploads=False)
    files["county_check.json"] = json.dumps(schema, ensure_ascii=False).encode()
    key = deploy_files(platform, files)
    case = flow.start(key, START)
    flow.complete("applicant", "submit_materials", MATERIALS, case)
    task_id = open_task(flow, case, "county_check")["id"]
    client = client_for("win_dcf")
    client.post(f"/tasks/{task_id}/claim")
    page = text(client.get(f"/tasks/{task_id}"))
    assert 'type="number" name="count"' in page and 'step="1"' in page and 'min="1"' in page
    assert 'type="date" name="when"' in page and '<select id="f-level" name="level"' in page
    assert 'type="checkbox" name="ok"' in page and 'maxlength="20"' in page
    bad = client.post(f"/tasks/{task_id}", data={"count": "两个", "amount": "1.5"})
    assert bad.status_code == 422 and "请输入整数" in text(bad) and 'value="1.5"' in text(bad)
    client.post(f"/tasks/{task_id}", data={"count": "3", "amount": "2.5", "when": "2026-10-09", "level": "五",
                                           "note": "好", "county_decision": "转报市平台"})
    [done] = [h for h in flow.view(case)["history"] if h["action"] == "complete" and h["task_name"] == "county_check"]
    assert done["details"]["data"] == {"count": 3, "amount": 2.5, "when": "2026-10-09", "level": "五",
                                       "ok": False, "note": "好", "county_decision": "转报市平台"}


def test_staff_of_another_county_or_department_cannot_see_or_act_on_the_task(client_for, flow, county_case):
    task_id = open_task(flow, county_case, "county_check")["id"]
    for outsider in ("win_lq", "city1", "hrss1"):
        client = client_for(outsider)
        assert client.get(f"/tasks/{task_id}").status_code == 404
        assert client.get(f"/cases/{county_case}").status_code == 404
        assert client.post(f"/tasks/{task_id}/claim", follow_redirects=True).status_code in (403, 404)
        assert client.post(f"/tasks/{task_id}", data=FORWARD).status_code in (403, 404)
    assert open_task(flow, county_case, "county_check")["state"] == "open"


def test_the_city_window_sees_a_case_once_it_reaches_it_but_cannot_act_on_the_county_step(client_for, flow,
                                                                                           county_case):
    county_task = open_task(flow, county_case, "county_check")["id"]
    flow.complete("county_window_dongchangfu", "county_check", FORWARD, county_case)
    city = client_for("city1")
    page = text(city.get(f"/tasks/{county_task}"))
    assert "此任务已由" in page and "办结" in page and 'name="county_decision"' not in page
    assert city.post(f"/tasks/{county_task}/claim", follow_redirects=True).status_code == 403


def test_html_in_titles_instructions_form_titles_and_data_is_shown_as_text(client_for, flow, platform):
    import json

    attack = '<script>alert("x")</script>'
    files = health_card_files(uploads=False, **{
        'name="县级平台核验转报"': 'name="&lt;script&gt;alert(1)&lt;/script&gt;核验"',
        "请核验{{ applicant_name }}": "&lt;img src=x onerror=alert(2)&gt;{{ applicant_name }}{{ employer|safe }}"
                                       "{% autoescape false %}{{ employer }}{% endautoescape %}请核验"})
    form = json.loads(files["county_check.json"])
    form["title"] = "<b onmouseover=alert(3)>核验</b>"
    form["properties"]["county_decision"]["title"] = "<i>结论</i>"
    form["properties"]["county_decision"]["enum"] = ["转报市平台", "<u>退回补正</u>"]
    files["county_check.json"] = json.dumps(form, ensure_ascii=False).encode()
    key = deploy_files(platform, files)
    case = flow.start(key, {**START, "applicant_name": attack, "employer": "<iframe src=//evil>"})
    flow.complete("applicant", "submit_materials", {**MATERIALS, "remark": "<svg onload=alert(4)>"}, case)
    task_id = open_task(flow, case, "county_check")["id"]
    client = client_for("win_dcf")
    client.post(f"/tasks/{task_id}/claim")
    page = text(client.get(f"/tasks/{task_id}"))
    for raw in (attack, "<script>alert(1)", "<img src=x", "<iframe", "<b onmouseover", "<i>结论", "<u>退回",
                "<svg onload"):
        assert raw not in page, raw
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page or "&lt;script&gt;alert(&#x27;x" in page \
        or "&lt;script&gt;alert(" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "&lt;iframe src=//evil&gt;" in page
    listing = text(client.get("/tasks?view=department"))
    assert "<script>alert(1)" not in listing and attack not in listing
    applicant = text(client_for("applicant").get(f"/cases/{case}"))
    assert attack not in applicant and "<svg onload" not in applicant
