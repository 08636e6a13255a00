"""Administrators' operations through the API: bulk actions on found cases (a confirmation step, one unit of work
and one answer per case, a bound), incidents grouped by error with a retry per group, and moving a case's token."""

from __future__ import annotations

import pytest
from conftest import ESCALATION, edit, read_flow
from test_cases import instance, start

from engine.cases.deployment import deploy
from engine.people.identity import Actor
from engine.services import bulk

BROKEN = ("amount = 1000 * months if approved else 0", "amount = 1000 * months * rate if approved else 0")


def post(client, people, path, body, who="admin"):
    return client.post(f"/api/v1/admin{path}", json=body, headers=people.headers(who))


def in_error(client, people, platform, count):
    """``count`` cases of version 2, whose script needs a ``rate`` nobody gave: in error once accepted."""
    with platform.uow() as uow:
        deploy(edit(read_flow(ESCALATION), "escalation.bpmn", *BROKEN), actor=Actor("designer", "designer"),
               uow=uow, now=platform.now())
        uow.commit()
    cases = []
    for _ in range(count):
        case = start(client, people)
        [task] = [t for t in instance(client, people, case)["tasks"] if t["state"] == "open"]
        client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
        client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 2}},
                    headers=people.headers("win_dcf"))
        assert instance(client, people, case)["status"] == "error"
        cases.append(case)
    return cases


def test_a_bulk_suspend_asks_for_confirmation_then_answers_per_case(client, people, deployed):
    cases = [start(client, people) for _ in range(3)]
    client.post(f"/api/v1/process-instances/{cases[0]}/suspend", json={"reason": "先暂停一件"},
                headers=people.headers("admin"))
    body = {"action": "suspend", "reason": "系统迁移期间暂缓办理", "filters": {"model_key": "escalation_demo"}}
    preview = post(client, people, "/instances/bulk", body)
    assert preview.status_code == 200 and preview.get_json()["confirmed"] is False
    assert sorted(preview.get_json()["ids"]) == sorted(cases)
    assert all(instance(client, people, c)["status"] == "active" for c in cases[1:]), "a preview changes nothing"
    done = post(client, people, "/instances/bulk", {**body, "ids": preview.get_json()["ids"], "confirm": True})
    outcome = {r["id"]: r for r in done.get_json()["results"]}
    assert outcome[cases[0]]["outcome"] == "refused" and "suspended case cannot be suspended" in \
        outcome[cases[0]]["reason"]
    assert [outcome[c]["outcome"] for c in cases[1:]] == ["done", "done"]
    assert done.get_json()["done"] == 2 and done.get_json()["refused"] == 1
    for case in cases[1:]:
        view = instance(client, people, case)
        assert view["status"] == "suspended"
        assert [h["details"]["reason"] for h in view["history"] if h["action"] == "suspend"] == ["系统迁移期间暂缓办理"]


def test_a_bulk_action_is_bounded_needs_a_reason_and_is_for_administrators(client, people, deployed, monkeypatch):
    cases = [start(client, people) for _ in range(3)]
    monkeypatch.setattr(bulk, "MAX_BULK_CASES", 2)
    over = post(client, people, "/instances/bulk", {"action": "resume", "reason": "x", "ids": cases, "confirm": True})
    assert over.status_code == 422 and "at most 2" in over.get_json()["details"][0]["message"]
    by_filter = post(client, people, "/instances/bulk", {"action": "resume", "reason": "x", "filters": {}})
    assert by_filter.status_code == 422, "a search finding more than the bound is refused whole"
    assert post(client, people, "/instances/bulk", {"action": "resume", "ids": cases[:1]}).status_code == 422
    assert post(client, people, "/instances/bulk", {"action": "delete", "reason": "x", "ids": cases[:1]}
                ).status_code == 422
    assert post(client, people, "/instances/bulk", {"action": "resume", "reason": "x", "ids": cases[:1]},
                who="win_dcf").status_code == 403
    assert post(client, people, "/instances/bulk", {"action": "resume", "reason": "x", "filters": {"x": 1}}
                ).status_code == 422


def test_a_bulk_migration_moves_each_case_and_a_bulk_retry_reports_the_new_error(client, people, deployed, platform):
    on_v1 = [start(client, people) for _ in range(2)]
    broken = in_error(client, people, platform, 2)
    moved = post(client, people, "/instances/bulk", {"action": "migrate", "reason": "新版本上线", "to_version": 2,
                                                     "ids": on_v1, "confirm": True})
    assert [r["outcome"] for r in moved.get_json()["results"]] == ["done", "done"], moved.get_json()
    assert [instance(client, people, c)["version"] for c in on_v1] == [2, 2]
    retried = post(client, people, "/instances/bulk", {"action": "retry", "reason": "重试", "ids": broken,
                                                       "confirm": True}).get_json()
    assert [r["outcome"] for r in retried["results"]] == ["refused", "refused"]
    assert all("failed again" in r["reason"] and "rate" in r["reason"] for r in retried["results"])


def test_incidents_are_grouped_by_error_with_counts_cases_and_a_retry_per_group(client, people, deployed,
                                                                                platform):
    broken = in_error(client, people, platform, 3)
    [group] = client.get("/api/v1/admin/incidents", headers=people.headers("admin")).get_json()
    assert group["count"] == 3 and group["element"] == "compute" and sorted(group["case_ids"]) == sorted(broken)
    assert "rate" in group["message"] and group["model_key"] == "escalation_demo"
    assert client.get("/api/v1/admin/incidents", headers=people.headers("win_dcf")).status_code == 403
    assert post(client, people, f"/incidents/{group['key']}/retry", {}).status_code == 422, "a reason is required"
    result = post(client, people, f"/incidents/{group['key']}/retry", {"reason": "数据已修正后重试"}).get_json()
    assert result["group"]["count"] == 3 and len(result["results"]) == 3
    assert post(client, people, "/incidents/0000000000000000/retry", {"reason": "x"}).status_code == 404
    listed = client.get("/api/v1/admin/instances?status=error", headers=people.headers("admin")).get_json()
    assert listed["total"] == 3


@pytest.mark.parametrize("who", ["win_dcf", "applicant"])
def test_moving_a_token_through_the_api(client, people, deployed, who):
    case = start(client, people)
    options = client.get(f"/api/v1/admin/instances/{case}/moves", headers=people.headers("admin")).get_json()
    assert options["refused"] is None and options["waiting"][0]["element"] == "accept"
    assert client.get(f"/api/v1/admin/instances/{case}/moves", headers=people.headers(who)).status_code == 403
    assert post(client, people, f"/instances/{case}/moves", {"source": "accept", "target": "review"}).status_code \
        == 422, "a reason is required"
    refused = post(client, people, f"/instances/{case}/moves", {"source": "accept", "target": "accept_deadline",
                                                                "reason": "x"})
    assert refused.status_code == 409 and "边界事件" in refused.get_json()["details"][0]["message_zh"]
    moved = post(client, people, f"/instances/{case}/moves", {"source": "accept", "target": "review",
                                                              "reason": "窗口已线下受理"})
    assert moved.status_code == 200, moved.get_json()
    view = instance(client, people, case)
    assert [t["name"] for t in view["tasks"] if t["state"] == "open"] == ["review"]
    assert [h["details"]["reason"] for h in view["history"] if h["action"] == "move_token"] == ["窗口已线下受理"]


def test_the_incidents_list_is_bounded_in_groups_and_in_cases_shown(client, people, deployed, platform,
                                                                    monkeypatch):
    from engine.services import incidents

    broken = in_error(client, people, platform, 3)
    with platform.uow() as uow:  # a second group: the same element, another message
        from engine.store.models import ProcessInstance
        uow.session.get(ProcessInstance, broken[0]).error_message = "another failure"
        uow.commit()
    monkeypatch.setattr(incidents, "CASES_SHOWN_PER_GROUP", 1)
    groups = client.get("/api/v1/admin/incidents", headers=people.headers("admin")).get_json()
    assert [g["count"] for g in groups] == [2, 1], "the largest group first"
    assert [len(g["case_ids"]) for g in groups] == [1, 1]
    monkeypatch.setattr(incidents, "MAX_INCIDENT_GROUPS", 1)
    assert len(client.get("/api/v1/admin/incidents", headers=people.headers("admin")).get_json()) == 1
