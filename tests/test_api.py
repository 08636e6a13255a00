"""The REST API surface: authentication, deployment, calendar, errors and the OpenAPI document."""

from __future__ import annotations

import io
import re
from typing import Any

from conftest import ESCALATION, edit, read_flow


def upload(client: Any, headers: dict[str, str], files: dict[str, bytes]) -> Any:
    data = {"files": [(io.BytesIO(content), name) for name, content in files.items()]}
    return client.post("/api/v1/process-models", data=data, headers=headers, content_type="multipart/form-data")


def test_every_call_needs_a_valid_bearer_token(client, people):
    for path in ("/api/v1/process-models", "/api/v1/tasks", "/api/v1/process-instances", "/api/v1/calendar/2026"):
        assert client.get(path).status_code == 401
        response = client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert response.status_code == 401
        assert response.get_json()["error"] == "unauthorized"
    assert client.get("/api/v1/me", headers=people.headers("win_dcf")).get_json() == {
        "username": "win_dcf", "role": "staff", "department": "county_window", "county": "dongchangfu"}


def test_a_revoked_or_expired_token_is_refused(client, people, platform, clock):
    from datetime import timedelta

    from engine.people.identity import create_token, revoke_tokens

    with platform.uow() as uow:
        short = create_token("city1", uow=uow, now=clock.now(), lifetime=timedelta(hours=1))
        uow.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 200
    clock.advance(timedelta(hours=2))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {short}"}).status_code == 401
    with platform.uow() as uow:
        revoke_tokens("city1", uow=uow, now=clock.now())
        uow.commit()
    assert client.get("/api/v1/me", headers=people.headers("city1")).status_code == 401


def test_deploy_creates_versions_and_identical_content_deploys_nothing_new(client, people):
    files = read_flow(ESCALATION)
    first = upload(client, people.headers("designer"), files)
    assert first.status_code == 201 and first.get_json() == {"key": "escalation_demo", "version": 1,
                                                             "created": True}
    same = upload(client, people.headers("admin"), files)
    assert same.status_code == 200 and same.get_json()["version"] == 1 and not same.get_json()["created"]
    changed = upload(client, people.headers("designer"), edit(files, "escalation.bpmn", "市平台审核", "市平台复核"))
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    models = client.get("/api/v1/process-models", headers=people.headers("win_dcf")).get_json()
    assert [(m["key"], m["version"], m["name"]) for m in models] == [("escalation_demo", 2, "受理与督办示例")]
    v1 = client.get("/api/v1/process-models/escalation_demo/versions/1/bpmn", headers=people.headers("admin"))
    assert v1.status_code == 200 and v1.mimetype == "application/xml"
    assert "市平台审核" in v1.get_data(as_text=True)
    assert client.get("/api/v1/process-models/escalation_demo/versions/9/bpmn",
                      headers=people.headers("admin")).status_code == 404


def test_an_instance_stays_on_the_version_it_started_with(client, people):
    files = read_flow(ESCALATION)
    upload(client, people.headers("designer"), files)
    body = {"model_key": "escalation_demo", "data": {"county": "dongchangfu"}}
    old = client.post("/api/v1/process-instances", json=body, headers=people.headers("applicant")).get_json()["id"]
    upload(client, people.headers("designer"), edit(files, "escalation.bpmn", "县级窗口受理", "县级窗口初审"))
    new = client.post("/api/v1/process-instances", json=body, headers=people.headers("applicant")).get_json()["id"]
    tasks = {t["instance_id"]: t for t in client.get("/api/v1/tasks?scope=department",
                                                     headers=people.headers("win_dcf")).get_json()}
    assert tasks[old]["title"] == "县级窗口受理" and tasks[new]["title"] == "县级窗口初审"
    versions = {i["id"]: i["version"] for i in client.get("/api/v1/process-instances",
                                                          headers=people.headers("admin")).get_json()}
    assert versions == {old: 1, new: 2}
    done = client.post(f"/api/v1/tasks/{tasks[old]['id']}/complete", json={"data": {"approved": True, "months": 1}},
                       headers=people.headers("win_dcf"))
    assert done.status_code == 200


def test_only_admins_and_designers_deploy(client, people):
    for who in ("win_dcf", "applicant"):
        response = upload(client, people.headers(who), read_flow(ESCALATION))
        assert response.status_code == 403
    assert client.get("/api/v1/process-models", headers=people.headers("admin")).get_json() == []


def test_a_refused_upload_lists_every_problem_with_file_and_line_and_deploys_nothing(client, people):
    files = edit(read_flow(ESCALATION), "escalation.bpmn", 'name="talent_office"', 'name="no_such_department"')
    files = edit(files, "escalation.bpmn", "approved and amount &gt; 0", "().__class__.__bases__")
    del files["review.json"]
    response = upload(client, people.headers("designer"), files)
    assert response.status_code == 422
    details = response.get_json()["details"]
    assert len(details) >= 3
    assert all(d["file"] and isinstance(d["line"], int) and d["message"] for d in details)
    assert client.get("/api/v1/process-models", headers=people.headers("admin")).get_json() == []


def test_hostile_xml_is_refused_without_a_500(client, people):
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">
    <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><definitions>&lol3;</definitions>"""
    xxe = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions>&x;</definitions>"""
    for content in (bomb, xxe, b"<definitions><unclosed></definitions>", b"\x00\xff garbage"):
        response = upload(client, people.headers("designer"), {"bad.bpmn": content})
        assert response.status_code == 422, content
        assert "root:" not in response.get_data(as_text=True)
    assert client.get("/api/v1/process-models", headers=people.headers("admin")).get_json() == []


def test_calendar_api_reads_and_admins_edit_a_year(client, people):
    year_2026 = client.get("/api/v1/calendar/2026", headers=people.headers("city1")).get_json()
    assert year_2026["official"] is True
    assert {"date": "2026-10-10", "name": "调休上班"} in year_2026["working_days"]
    assert any(h["date"] == "2026-10-01" for h in year_2026["holidays"])
    year_2027 = client.get("/api/v1/calendar/2027", headers=people.headers("city1")).get_json()
    assert year_2027["official"] is False and year_2027["holidays"] == []
    body = {"holidays": [{"date": "2027-01-01", "name": "元旦"}], "working_days": [{"date": "2027-01-02",
                                                                                "name": "调休上班"}]}
    assert client.put("/api/v1/calendar/2027", json=body, headers=people.headers("city1")).status_code == 403
    saved = client.put("/api/v1/calendar/2027", json=body, headers=people.headers("admin"))
    assert saved.status_code == 200 and saved.get_json()["official"] is True
    bad = client.put("/api/v1/calendar/2027", json={"holidays": [{"date": "2028-01-01"}, {"date": "nope"}]},
                     headers=people.headers("admin"))
    assert bad.status_code == 422 and len(bad.get_json()["details"]) == 2
    assert client.get("/api/v1/calendar/2027", headers=people.headers("city1")).get_json()["holidays"] == [
        {"date": "2027-01-01", "name": "元旦"}]


def test_an_edited_calendar_changes_new_deadlines(client, people, platform, clock):
    from datetime import datetime

    from conftest import at

    upload(client, people.headers("designer"), read_flow(ESCALATION))
    body = {"holidays": [{"date": f"2027-01-0{d}", "name": "元旦"} for d in (1,)], "working_days": []}
    client.put("/api/v1/calendar/2027", json=body, headers=people.headers("admin"))
    clock.set(at("2026-12-30 10:00"))
    client.post("/api/v1/process-instances", json={"model_key": "escalation_demo", "data": {"county": "linqing"}},
                headers=people.headers("applicant"))
    [task] = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_lq")).get_json()
    assert datetime.fromisoformat(task["due_at"]) == at("2027-01-05 18:00")


def test_bad_requests_get_json_errors_not_500(client, people):
    headers = people.headers("admin")
    cases = [
        client.post("/api/v1/process-instances", data="not json", headers=headers, content_type="application/json"),
        client.post("/api/v1/process-instances", json=[1, 2], headers=headers),
        client.post("/api/v1/process-instances", json={"model_key": "nope"}, headers=headers),
        client.post("/api/v1/process-instances", json={"model_key": 5}, headers=headers),
        client.get("/api/v1/tasks?scope=everything", headers=headers),
        client.get("/api/v1/tasks?limit=abc", headers=headers),
        client.get("/api/v1/process-instances?status=sleeping", headers=headers),
        client.get("/api/v1/process-instances/999", headers=headers),
        client.post("/api/v1/tasks/999/claim", headers=headers),
        client.get("/api/v1/calendar/1066", headers=headers),
        client.get("/api/v1/no-such-thing", headers=headers),
        client.post("/api/v1/process-models", headers=headers),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) == {"error", "message", "details"}


def test_the_openapi_document_describes_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = {(path, method) for path, item in document["paths"].items() for method in item}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)


def test_a_database_that_is_away_gives_503_json_and_the_app_recovers(client, people, platform):
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    def refuse(*args):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    event.listen(platform.engine, "before_cursor_execute", refuse)
    try:
        response = client.get("/api/v1/tasks", headers=people.headers("city1"))
    finally:
        event.remove(platform.engine, "before_cursor_execute", refuse)
    assert response.status_code == 503 and response.get_json()["error"] == "database_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert client.get("/api/v1/tasks", headers=people.headers("city1")).status_code == 200
