"""Ordinary input that answered 500 (issue 12's list), each now a 4xx with a message or refused at deployment with
file and line: console page and version numbers too large or not ASCII digits, start-date filters in year 1 or
9999, a line break in the sign-in's next address, a timer literal in year 9999, a form whose $ref points at
itself, instruction filters applied to a number."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from web.webkit import deploy_files, sign_in

from engine.calendar.bounds import EARLIEST_YEAR, LATEST_YEAR
from engine.errors import DeploymentRefused, InvalidInput

from .conftest import World
from .diagrams import escalation_files


def flashed(page: Any) -> str:
    return " ".join(re.findall(r'<p class="flash flash-error"[^>]*>(.*?)</p>', page.get_data(as_text=True), re.S))


@pytest.mark.parametrize(("query", "message"), [
    ("page=99999999999999999999", "页码“99999999999999999999”无效"), ("page=²", "页码“²”无效"),
    ("page=0", "页码“0”无效"), ("page=-3", "页码“-3”无效"),
    ("version=99999999999999999999", "版本号“99999999999999999999”无效"), ("version=²", "版本号“²”无效"),
    ("model_key=escalation_demo&version=٣", "版本号“٣”无效"),
    ("started_from=0001-01-01", "超出可查询的范围"), ("started_to=9999-12-31", "超出可查询的范围"),
    ("started_from=9999-12-31", "超出可查询的范围"), ("started_from=10/01/2026", "无效"),
])
def test_console_filters_out_of_range_answer_400_with_a_message(web_app: Any, world: World, query: str,
                                                                message: str) -> None:
    world.county_case()
    admin = web_app.test_client()
    sign_in(admin, "admin")
    page = admin.get(f"/console/instances?{query}")
    assert page.status_code == 400 and message in flashed(page), flashed(page)
    assert "data-status" in page.get_data(as_text=True)  # the list is still there, without that filter


def test_the_overdue_list_refuses_a_page_it_cannot_show(web_app: Any, world: World) -> None:
    admin = web_app.test_client()
    sign_in(admin, "admin")
    for page in ("99999999999999999999", "²"):
        answer = admin.get(f"/console/overdue?page={page}")
        assert answer.status_code == 400 and "无效" in flashed(answer)
    assert admin.get("/console/overdue?page=2").status_code == 200


@pytest.mark.parametrize("query", ["started_from=0001-01-01", "started_to=9999-12-31", "started_from=1969-12-31",
                                   f"started_to={LATEST_YEAR + 1}-01-01"])
def test_the_admin_api_refuses_dates_out_of_range_with_422(client: Any, people: Any, world: World,
                                                            query: str) -> None:
    response = client.get(f"/api/v1/admin/instances?{query}", headers=people.headers("admin"))
    body = response.get_json()
    assert response.status_code == 422 and f"{EARLIEST_YEAR}–{LATEST_YEAR}" in body["message"], body
    assert client.get(f"/api/v1/admin/instances?started_from={EARLIEST_YEAR}-01-01",
                      headers=people.headers("admin")).status_code == 200


@pytest.mark.parametrize("period", ["from=0001-01-01&to=0001-02-01", "from=9999-11-01&to=9999-12-31"])
def test_a_dashboard_period_out_of_range_is_refused_with_a_message(client: Any, web_app: Any, people: Any,
                                                                   world: World, period: str) -> None:
    response = client.get(f"/api/v1/admin/dashboard?{period}", headers=people.headers("admin"))
    assert response.status_code == 422 and "platform works with" in response.get_json()["message"]
    admin = web_app.test_client()
    sign_in(admin, "admin")
    page = admin.get(f"/console/supervision?{period}", follow_redirects=True)
    assert page.status_code == 200 and "统计区间无效" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/tasks\r\nSet-Cookie: x=1", "/tasks\nLocation: //evil.example", "/\t/evil"])
def test_a_line_break_in_the_sign_in_next_never_reaches_a_header(web_app: Any, people: Any, target: str) -> None:
    client = web_app.test_client()
    shown = client.get("/sign-in", query_string={"next": target})
    assert shown.status_code == 400 and "请求无法处理" in shown.get_data(as_text=True)
    signed = client.post("/sign-in", data={"username": "city1", "password": "correct horse battery",
                                           "next": target})
    assert signed.status_code == 302 and signed.headers["Location"] == "/tasks"
    assert "Set-Cookie: x" not in str(signed.headers)


@pytest.mark.parametrize("literal", ["'9999-12-31T23:00:00-08:00'", "'9999-12-31T00:00:00+08:00'",
                                     "'0001-01-01T00:00:00+08:00'", f"'{LATEST_YEAR + 1}-01-01T09:00:00+08:00'"])
def test_a_timer_literal_outside_the_calendar_is_refused_at_deployment(platform: Any, people: Any,
                                                                      literal: str) -> None:
    files = escalation_files(key="far_timer", timer=literal)
    with pytest.raises(DeploymentRefused) as refused:
        deploy_files(platform, files)
    [problem] = refused.value.details
    line = next(n for n, row in enumerate(files["escalation.bpmn"].decode().splitlines(), 1) if literal in row)
    assert (problem["file"], problem["line"]) == ("escalation.bpmn", line)
    assert f"{EARLIEST_YEAR}–{LATEST_YEAR}" in problem["message"]
    deploy_files(platform, escalation_files(key="near_timer", timer="'2027-03-01T09:00:00+08:00'"))


@pytest.mark.parametrize(("kind", "literal"), [
    ("timeDuration", "'P101Y'"), ("timeDuration", "'P99999999D'"), ("timeCycle", "'R/P200Y'"),
    ("timeCycle", "'R3/9999-01-01T00:00:00Z/P1D'")])
def test_a_timer_span_over_a_century_is_refused_at_deployment(platform: Any, people: Any, kind: str,
                                                             literal: str) -> None:
    files = escalation_files(key="long_timer", timer=literal)
    files["escalation.bpmn"] = files["escalation.bpmn"].replace(b"bpmn:timeDate", f"bpmn:{kind}".encode())
    with pytest.raises(DeploymentRefused) as refused:
        deploy_files(platform, files)
    [problem] = refused.value.details
    assert problem["file"] == "escalation.bpmn" and problem["line"] > 1 and kind in problem["message"]
    assert "100 years" in problem["message"] or f"{EARLIEST_YEAR}–{LATEST_YEAR}" in problem["message"]
    files = escalation_files(key="long_timer", timer="'P99Y'" if kind == "timeDuration" else "'R3/P1D'")
    files["escalation.bpmn"] = files["escalation.bpmn"].replace(b"bpmn:timeDate", f"bpmn:{kind}".encode())
    deploy_files(platform, files)


@pytest.mark.parametrize("schema", [
    {"$defs": {"a": {"$ref": "#/$defs/a"}}, "properties": {"x": {"$ref": "#/$defs/a"}}},
    {"properties": {"x": {"$ref": "#"}}, "allOf": [{"$ref": "#"}]},
    {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/a"}]}},
     "properties": {"x": {"$ref": "#/$defs/a"}}},
])
def test_a_form_whose_ref_leads_back_to_itself_is_refused_with_file_and_line(platform: Any, people: Any,
                                                                            schema: dict[str, Any]) -> None:
    files = escalation_files(key="looping_form")
    files["accept.json"] = json.dumps({"type": "object", **schema}, indent=2).encode()
    with pytest.raises(DeploymentRefused) as refused:
        deploy_files(platform, files)
    [problem] = [p for p in refused.value.details if p["file"] == "accept.json"]
    assert "leads back to itself" in problem["message"] and problem["line"] > 1


def test_a_recursive_form_that_reads_deeper_into_the_answer_still_deploys(platform: Any, people: Any,
                                                                          flow: Any) -> None:
    files = escalation_files(key="tree_form")
    files["accept.json"] = json.dumps({
        "type": "object", "required": ["approved", "months"],
        "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
        "properties": {"approved": {"type": "boolean"}, "months": {"type": "integer"},
                       "tree": {"$ref": "#/$defs/node"}}}).encode()
    key = deploy_files(platform, files)
    case = flow.start(key, {"applicant": "张三", "county": "dongchangfu"})
    flow.complete("win_dcf", "accept", {"approved": True, "months": 3, "tree": {"child": {"child": {}}}}, case)


def test_a_looping_form_deployed_before_the_check_answers_422_not_500(client: Any, platform: Any, people: Any,
                                                                      flow: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    files = escalation_files(key="old_looping_form")
    files["accept.json"] = json.dumps({"type": "object", "$defs": {"a": {"$ref": "#/$defs/a"}},
                                       "properties": {"approved": {"$ref": "#/$defs/a"}}}).encode()
    monkeypatch.setattr("engine.bpmn.conventions.schema_hazards", lambda schema: [])  # as an older release did
    key = deploy_files(platform, files)
    monkeypatch.undo()
    case = flow.start(key, {"applicant": "张三", "county": "dongchangfu"})
    task = flow.task("win_dcf", "accept", case)
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
    response = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True}},
                           headers=people.headers("win_dcf"))
    assert response.status_code == 422 and "refers to itself" in response.get_json()["message"]


def test_instruction_filters_on_a_number_render_and_unknown_filters_are_refused(web_app: Any, platform: Any,
                                                                                 people: Any, flow: Any) -> None:
    files = escalation_files(key="filters", instructions="{{ months | length }}|{{ applicant | length }}|"
                                                         "{{ months | first }}|{{ applicant | upper }}|"
                                                         "{{ applicant | round }}")
    key = deploy_files(platform, files)
    case = flow.start(key, {"applicant": "abc", "county": "dongchangfu", "months": 3})
    task = flow.task("win_dcf", "accept", case)
    staff = web_app.test_client()
    sign_in(staff, "win_dcf")
    page = staff.get(f"/tasks/{task['id']}")
    assert page.status_code == 200 and "|3|" in page.get_data(as_text=True)
    assert "|3||ABC|" in page.get_data(as_text=True)  # a number has no length and no first item: nothing shown
    with pytest.raises(DeploymentRefused) as refused:
        deploy_files(platform, escalation_files(key="filters2", instructions="{{ applicant | attr }}"))
    assert "not attr" in refused.value.details[0]["message"]


def test_a_designer_draft_holding_a_lone_surrogate_is_refused_not_a_500(web_app: Any, people: Any) -> None:
    designer = web_app.test_client()
    sign_in(designer, "designer")
    for body in (b'{"files": {"a.bpmn": "\\udc80"}}', b'{"files": {"a.bpmn": "x"}, "data": {"n": NaN}}'):
        response = designer.post("/designer/dry-run", data=body, content_type="application/json")
        assert response.status_code == 400, response.status_code


def test_form_data_bounds_are_enforced_before_the_schema_runs(platform: Any) -> None:
    from engine.bpmn.forms import validate_form_data

    with pytest.raises(InvalidInput) as refused:
        validate_form_data({"type": "object"}, {"x": float("nan")})
    assert refused.value.details[0]["field"] == "x"
