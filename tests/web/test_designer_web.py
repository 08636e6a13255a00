"""The designers' workspace through the web: who may use it, checks with element ids, deploys, versions, diffs,
forms, dry runs, export and upload, and moving running cases to a new version."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from datetime import datetime

import pytest
from sqlalchemy import func, select

from engine.store.models import ProcessModel

from .conftest import FORWARD, open_task
from .webkit import health_card_files, text

HC = "health_card"


def as_text(files: dict[str, bytes]) -> dict[str, str]:
    return {name: content.decode("utf-8") for name, content in files.items()}


def renamed_county_check(files: dict[str, bytes]) -> dict[str, bytes]:
    """A version in which the county window's check got a new id (county_check → county_verify)."""
    bpmn = files["health_card.bpmn"].decode()
    bpmn = bpmn.replace('"county_check"', '"county_verify"').replace(">county_check<", ">county_verify<")
    return {**files, "health_card.bpmn": bpmn.encode()}


def model_count(platform) -> int:
    with platform.uow(write=False) as uow:
        return int(uow.session.scalar(select(func.count(ProcessModel.id))) or 0)


def post_json(client, url: str, body: dict) -> tuple[int, dict]:
    response = client.post(url, json=body)
    return response.status_code, response.get_json()


# --- who may use it -------------------------------------------------------------------------------

PAGES = ["/designer/", f"/designer/flows/{HC}", f"/designer/flows/{HC}/versions/1/edit",
         f"/designer/flows/{HC}/versions/1/diagram.bpmn", f"/designer/flows/{HC}/versions/1/export",
         f"/designer/flows/{HC}/diff?from=1&to=1", f"/designer/flows/{HC}/migrate"]
ACTIONS = ["/designer/check", "/designer/deploy", "/designer/dry-run", "/designer/form-preview", "/designer/new",
           "/designer/upload", f"/designer/flows/{HC}/migrate"]


@pytest.mark.parametrize("username", ["designer", "admin"])
def test_designers_and_admins_open_every_page_of_the_workspace(client_for, health_card, username):
    client = client_for(username)
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    assert "流程设计" in text(client.get("/tasks"))  # the navigation link


@pytest.mark.parametrize("username", ["win_dcf", "city1", "applicant"])
def test_staff_and_applicants_are_refused_everywhere(client_for, health_card, platform, username):
    client = client_for(username)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in ACTIONS:
        assert client.post(url, json={"files": as_text(health_card_files())}).status_code == 403, url
    assert model_count(platform) == 1
    assert "/designer/" not in text(client.get("/tasks" if username != "applicant" else "/portal/"))


def test_anonymous_visitors_are_sent_to_sign_in(web_app, health_card):
    client = web_app.test_client()
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], url
    assert client.post("/designer/deploy", json={"files": as_text(health_card_files())}).status_code == 302


def test_posts_without_the_csrf_token_are_refused(platform, people, health_card):
    from ui import create_app

    from .webkit import sign_in

    client = create_app({"TESTING": True}, platform=platform).test_client()
    sign_in(client, "designer")
    assert client.post("/designer/deploy", json={"files": as_text(health_card_files())}).status_code == 400
    page = text(client.get(f"/designer/flows/{HC}/versions/1/edit"))
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert token
    answer = client.post("/designer/check", json={"files": as_text(health_card_files())},
                         headers={"X-CSRFToken": token.group(1)})
    assert answer.status_code == 200 and answer.get_json()["ok"] is True


# --- the modeler page, checks and deploys ----------------------------------------------------------

def test_the_modeler_page_carries_the_version_files_departments_and_sample_data(client_for, health_card):
    page = text(client_for("designer").get(f"/designer/flows/{HC}/versions/1/edit"))
    files = json.loads(re.search(r"data-files='([^']*)'", page).group(1).replace("&#39;", "'"))
    assert set(files) == set(health_card_files()) and "working_days(5)" in files["health_card.bpmn"]
    assert 'data-main="health_card.bpmn"' in page and 'data-version="1"' in page
    departments = json.loads(re.search(r"data-departments='([^']*)'", page).group(1))
    assert {"code": "health_care_office", "name": "市保健办", "short": ""} in departments
    assert "bpmn-modeler.production.min.js" in page and "js/modeler.js" in page
    assert "<script>" not in page and " style=" not in page and " onclick=" not in page


def test_the_check_names_the_element_of_each_problem(client_for, health_card):
    files = health_card_files(**{
        "working_days(5)": "working_days(5",  # the city review deadline's timer
        'name="市保健办"': 'name="市宣传部"',  # a lane that is no department
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">review_decision == "审核通过"'
        '</bpmn:conditionExpression>': "",  # a flow out of a gateway without a condition
    })
    status, answer = post_json(client_for("designer"), "/designer/check", {"files": as_text(files)})
    assert status == 200 and answer["ok"] is False
    by_element = {p["element"]: p for p in answer["problems"] if "element" in p}
    # Said in Chinese on a Chinese page (ui/web/check_messages.py), the engine's English kept in message_en.
    assert "timeDate" in by_element["city_review_deadline"]["message_en"]
    assert by_element["city_review_deadline"]["message"] == \
        "边界事件“审核超过5个工作日”（city_review_deadline）的到期时间（timeDate）：语法错误：“(”没有闭合"
    assert "泳道“市宣传部”不是组织机构" in by_element["Lane_hco"]["message"]
    flow = [e for e, p in by_element.items() if "has no condition" in p["message_en"]]
    assert len(flow) == 1 and flow[0].startswith("f_")
    assert "既没有条件，也不是网关的默认路径" in by_element[flow[0]]["message"]
    for problem in answer["problems"]:  # the `onestop validate` text is still there
        assert problem["file"] == "health_card.bpmn" and problem["line"] > 0


def test_a_form_problem_is_named_on_the_task_that_uses_the_form(client_for, health_card):
    files = {**health_card_files(), "city_review.json": b'{"type": "array"}'}
    status, answer = post_json(client_for("designer"), "/designer/check", {"files": as_text(files)})
    [problem] = answer["problems"]
    assert (problem["file"], problem["element"]) == ("city_review.json", "city_review")


def test_an_invalid_draft_is_not_deployed_and_nothing_is_stored(client_for, platform, health_card):
    files = health_card_files(**{"working_days(5)": "__import__('os')"})
    status, answer = post_json(client_for("designer"), "/designer/deploy", {"files": as_text(files)})
    assert status == 422 and answer["ok"] is False
    assert [p["element"] for p in answer["problems"]] == ["city_review_deadline"]
    assert model_count(platform) == 1


def test_deploying_an_edited_draft_makes_a_new_version_and_an_identical_one_does_not(client_for, platform,
                                                                                    health_card):
    client = client_for("designer")
    status, same = post_json(client, "/designer/deploy", {"files": as_text(health_card_files())})
    assert status == 200 and (same["created"], same["version"]) == (False, 1)
    edited = health_card_files(**{"working_days(5)": "working_days(3)", "市平台受理审核": "市平台受理复核"})
    status, answer = post_json(client, "/designer/deploy", {"files": as_text(edited)})
    assert status == 200 and (answer["created"], answer["version"]) == (True, 2)
    assert answer["migrate_url"] == f"/designer/flows/{HC}/migrate?to=2"
    assert model_count(platform) == 2
    with platform.uow(write=False) as uow:
        from engine.services.designer import list_versions

        assert list_versions(HC, uow=uow)[0]["deployed_by"] == "designer"


def test_a_request_without_files_is_answered_as_a_problem(client_for, health_card):
    status, answer = post_json(client_for("designer"), "/designer/check", {"files": {}})
    assert status == 400 and answer["problems"][0]["message"]


# --- versions, diff, export and upload -------------------------------------------------------------

def test_the_versions_page_lists_who_deployed_each_and_how_many_cases_run_on_it(client_for, flow, start_case,
                                                                               platform):
    start_case()
    start_case()
    client = client_for("designer")
    v2 = health_card_files(**{"working_days(5)": "working_days(3)"})
    post_json(client, "/designer/deploy", {"files": as_text(v2)})
    start_case()
    page = text(client.get(f"/designer/flows/{HC}"))
    rows = re.findall(r'<tr data-version="(\d+)">.*?<td>(\w+)</td>.*?<td class="num cases-active">(\d+)</td>', page,
                      re.S)
    assert rows == [("2", "designer", "1"), ("1", "designer", "2")]
    assert "2026年9月30日 10:00" in page and "与上一版比较" in page
    assert f"/designer/flows/{HC}/diff?from=1&amp;to=2" in page


def test_the_diff_page_colours_added_removed_and_changed_elements(client_for, health_card):
    client = client_for("designer")
    v2 = renamed_county_check(health_card_files(**{"working_days(5)": "working_days(3)"}))
    post_json(client, "/designer/deploy", {"files": as_text(v2)})
    page = text(client.get(f"/designer/flows/{HC}/diff?from=1&to=2"))
    diff = json.loads(re.search(r"data-diff='([^']*)'", page).group(1))
    assert [e["id"] for e in diff["added"]] == ["county_verify"]
    assert [e["id"] for e in diff["removed"]] == ["county_check"]
    assert "city_review_deadline" in [e["id"] for e in diff["changed"]]
    assert '<tr class="row-added" data-element="county_verify">' in page
    assert '<tr class="row-removed" data-element="county_check">' in page
    assert "working_days(5)" in page and "working_days(3)" in page
    assert "bpmn-navigated-viewer.production.min.js" in page and "designer-diff.js" in page
    xml = client.get(f"/designer/flows/{HC}/versions/2/diagram.bpmn")
    assert xml.mimetype == "application/xml" and b'id="county_verify"' in xml.data


def test_exported_files_are_the_stored_ones_and_uploading_them_again_deploys_nothing(client_for, platform,
                                                                                     health_card):
    client = client_for("designer")
    response = client.get(f"/designer/flows/{HC}/versions/1/export")
    assert response.mimetype == "application/zip"
    assert "health_card-v1.zip" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        exported = {name: archive.read(name) for name in archive.namelist()}
    assert exported == health_card_files()
    uploads = [(io.BytesIO(content), name) for name, content in exported.items()]
    again = client.post("/designer/upload", data={"files": uploads}, content_type="multipart/form-data",
                        follow_redirects=True)
    assert "内容与最新版本相同，未生成新版本" in text(again) and model_count(platform) == 1
    changed = {**exported, "health_card.bpmn": exported["health_card.bpmn"].replace(b"working_days(5)",
                                                                                   b"working_days(4)")}
    uploads = [(io.BytesIO(content), name) for name, content in changed.items()]
    done = client.post("/designer/upload", data={"files": uploads}, content_type="multipart/form-data",
                       follow_redirects=True)
    assert "已部署为第 2 版" in text(done) and model_count(platform) == 2


def test_an_upload_with_problems_lists_them_and_deploys_nothing(client_for, platform, health_card):
    files = health_card_files(**{'name="市保健办"': 'name="市宣传部"'})
    uploads = [(io.BytesIO(content), name) for name, content in files.items()]
    response = client_for("designer").post("/designer/upload", data={"files": uploads},
                                           content_type="multipart/form-data")
    assert response.status_code == 422 and "市宣传部" in text(response)
    assert model_count(platform) == 1


# --- new flows, forms and dry runs ------------------------------------------------------------------

def test_a_new_flow_from_the_template_has_the_chosen_departments_as_lanes_and_deploys(client_for, platform, people):
    client = client_for("designer")
    page = text(client.post("/designer/new", data={"key": "housing_help", "name": "人才住房协助",
                                                   "departments": ["city_window", "housing"]}))
    files = json.loads(re.search(r"data-files='([^']*)'", page).group(1))
    bpmn = files["housing_help.bpmn"]
    for code in ("city_window", "housing"):
        name = html.escape(platform.organisation.departments[code].name, quote=True)
        assert f'<bpmn:lane id="Lane_{code}" name="{name}">' in bpmn
    assert bpmn.index("Lane_city_window") < bpmn.index("Lane_housing")
    status, answer = post_json(client, "/designer/deploy", {"files": files})
    assert status == 200 and (answer["key"], answer["version"], answer["created"]) == ("housing_help", 1, True)
    again = client.post("/designer/new", data={"key": "housing_help", "name": "x", "departments": ["housing"]},
                        follow_redirects=True)
    assert "已有同名流程" in text(again)
    bad = client.post("/designer/new", data={"key": "1bad", "name": "x"}, follow_redirects=True)
    assert "流程标识须以字母开头" in text(bad) and "请至少选择一个部门作为泳道" in text(bad)


def test_the_form_preview_is_rendered_like_the_task_page_and_reports_schema_problems(client_for, health_card):
    client = client_for("designer")
    schema = health_card_files()["city_review.json"].decode()
    status, answer = post_json(client, "/designer/form-preview", {"name": "city_review.json", "schema": schema})
    assert status == 200 and answer["ok"] is True
    assert 'type="radio" name="review_decision" value="审核通过"' in answer["html"]
    assert "“审核结论”选择“退回补正”时必填" in answer["html"]  # the conditional rule, as staff see it
    broken = schema.replace('"type": "string",\n      "title": "审核结论"',
                            '"type": "text",\n      "title": "审核结论"')
    status, answer = post_json(client, "/designer/form-preview", {"name": "city_review.json", "schema": broken})
    assert answer["ok"] is False and answer["html"] == ""
    assert "not a valid JSON Schema at properties/review_decision/type" in answer["problems"][0]["message_en"]
    assert "不是有效的 JSON Schema（位置：properties/review_decision/type）" in answer["problems"][0]["message"]
    status, answer = post_json(client, "/designer/form-preview", {"name": "x.json", "schema": '{"type": '})
    assert answer["ok"] is False and answer["problems"][0]["message"].startswith("不是有效的 JSON")
    status, answer = post_json(client, "/designer/form-preview", {"name": "x.json", "schema": schema,
                                                                  "ui_schema": "[]"})
    assert answer["ok"] is False and "界面设置（UI Schema）必须是一个 JSON 对象" in answer["problems"][0]["message"]


def test_a_dry_run_walks_the_draft_with_the_sample_data_and_stores_nothing(client_for, platform, health_card):
    client = client_for("designer")
    data = {"applicant_name": "张三", "talent_category": "顶尖人才", "county": "dongchangfu"}
    status, answer = post_json(client, "/designer/dry-run", {"files": as_text(health_card_files()), "data": data})
    assert status == 200 and answer["ok"] is True
    assert [s["task"] for s in answer["report"]["steps"]][:2] == ["submit_materials", "county_check"]
    status, answer = post_json(client, "/designer/dry-run", {"files": as_text(health_card_files()), "data": "[1]"})
    assert status == 400
    broken = health_card_files(**{"working_days(5)": "working_days(5"})
    status, answer = post_json(client, "/designer/dry-run", {"files": as_text(broken), "data": data})
    assert status == 422 and answer["problems"][0]["element"] == "city_review_deadline"
    assert model_count(platform) == 1


# --- migration ---------------------------------------------------------------------------------------

def waiting_at_city_review(flow, county_case: int) -> dict:
    task = open_task(flow, county_case, "county_check")
    from tasks.service import claim_task

    with flow.platform.uow() as uow:
        claim_task(task["id"], actor=flow.actor("win_dcf"), uow=uow, now=flow.platform.now())
        uow.commit()
    flow.complete("win_dcf", "county_check", FORWARD, county_case)
    return open_task(flow, county_case, "city_review")


def test_the_migration_dry_run_and_the_bulk_move_through_the_web(client_for, flow, county_case, start_case):
    from .conftest import MATERIALS

    reviewed = waiting_at_city_review(flow, county_case)
    deadline = flow.view(county_case)["next_due_at"]
    at_county = start_case(county="linqing")
    flow.complete("applicant", "submit_materials", MATERIALS, at_county)
    client = client_for("designer")
    v2 = renamed_county_check(health_card_files(**{"working_days(5)": "working_days(3)",
                                                   "市平台受理审核": "市平台受理复核"}))
    post_json(client, "/designer/deploy", {"files": as_text(v2)})

    page = text(client.post(f"/designer/flows/{HC}/migrate", data={"from": 1, "to": 2, "action": "plan"}))
    movable = re.search(r'<ul class="case-report movable">(.*?)</ul>', page, re.S).group(1)
    blocked = re.search(r'<ul class="case-report blocked">(.*?)</ul>\s*</li>\s*</ul>', page, re.S).group(1)
    assert f'data-case="{county_case}"' in movable and f'data-case="{at_county}"' not in movable
    assert f'data-case="{at_county}"' in blocked
    assert "当前环节 county_check (县级平台核验转报) 在新版本中不存在" in blocked
    assert "迁移 1 件案件" in page

    page = text(client.post(f"/designer/flows/{HC}/migrate", data={"from": 1, "to": 2, "action": "move",
                                                                    "reason": "审核时限改为3个工作日"}))
    assert "已迁移 1 件案件到第 2 版" in page
    view = flow.view(county_case)
    assert view["version"] == 2 and flow.view(at_county)["version"] == 1
    [moved] = [t for t in view["tasks"] if t["state"] in ("open", "claimed")]
    assert (moved["id"], moved["title"]) == (reviewed["id"], "市平台受理复核")
    assert datetime.fromisoformat(moved["due_at"]) == datetime.fromisoformat(reviewed["due_at"])
    assert view["next_due_at"] == deadline, "the running deadline is kept"
    [entry] = [h for h in view["history"] if h["action"] == "migrate"]
    assert entry["actor"] == "designer" and entry["details"]["reason"] == "审核时限改为3个工作日"

    page = text(client.post(f"/designer/flows/{HC}/migrate", data={
        "from": 1, "to": 2, "action": "move", "mapping": "county_check = county_verify"}))
    assert "已迁移 1 件案件到第 2 版" in page and flow.open_task_names(at_county) == ["county_verify"]


def test_the_workspace_speaks_english_when_asked(client_for, county_case):
    client = client_for("designer")
    client.post("/language", data={"lang": "en"})
    assert "Deployed flows" in text(client.get("/designer/")) and "Process design" in text(client.get("/tasks"))
    page = text(client.get(f"/designer/flows/{HC}/versions/1/edit"))
    labels = json.loads(re.search(r"data-labels='([^']*)'", page).group(1))
    assert labels["timerExpression"] == "Timer expression"
    client.post("/designer/deploy", json={"files": as_text(renamed_county_check(health_card_files()))})
    page = text(client.post(f"/designer/flows/{HC}/migrate", data={"from": 1, "to": 2, "action": "plan"}))
    assert "Cannot move (1)" in page
    assert "current step county_check (县级平台核验转报) does not exist in the new version" in page
