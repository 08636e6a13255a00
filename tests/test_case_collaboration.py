"""Working together on a case through the API: comments on a case and its tasks (read by whoever may see the
case, kept in its history), a case's priority (普通/紧急/特急, set by the window or an administrator, on its task
rows for sorting and filtering), and an applicant's withdrawal (撤回) while no department has decided."""

from __future__ import annotations

from test_cases import department_tasks, instance, start

from tasks.comments import MAX_COMMENT_CHARS, MAX_COMMENTS_PER_CASE


def post(client, people, who, path, body):
    return client.post(f"/api/v1{path}", json=body, headers=people.headers(who))


def test_comments_on_a_case_and_a_task_are_read_by_everyone_who_may_see_the_case(client, people, deployed):
    case = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    answer = post(client, people, "win_dcf", f"/tasks/{task['id']}/comments", {"text": "申请人电话说明：材料周五补齐"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["task_id"] == task["id"] and answer.get_json()["author"] == "win_dcf"
    added = post(client, people, "admin", f"/process-instances/{case}/comments", {"text": "请加快办理"})
    assert added.status_code == 201
    for who in ("applicant", "admin", "win_dcf", "talent1"):
        thread = client.get(f"/api/v1/process-instances/{case}/comments", headers=people.headers(who)).get_json()
        assert [c["text"] for c in thread] == ["申请人电话说明：材料周五补齐", "请加快办理"], who
        assert thread[0]["task_title"] == "县级窗口受理" and thread[1]["task_id"] is None
    on_task = client.get(f"/api/v1/tasks/{task['id']}/comments", headers=people.headers("win_dcf")).get_json()
    assert [c["text"] for c in on_task] == ["申请人电话说明：材料周五补齐"]
    history = [h for h in instance(client, people, case)["history"] if h["action"] == "comment"]
    assert [h["details"]["note"] for h in history] == ["申请人电话说明：材料周五补齐", "请加快办理"]
    assert history[0]["task_id"] == task["id"]
    for who in ("other_applicant", "hrss1", "win_lq"):  # they may not see the case
        assert client.get(f"/api/v1/process-instances/{case}/comments",
                          headers=people.headers(who)).status_code == 404, who
        assert post(client, people, who, f"/process-instances/{case}/comments", {"text": "x"}).status_code == 404


def test_a_comment_is_bounded_and_refused_clearly(client, people, deployed, platform):
    case = start(client, people)
    for text in ("", "   ", "x" * (MAX_COMMENT_CHARS + 1), "a\x00b", 3):
        answer = post(client, people, "admin", f"/process-instances/{case}/comments", {"text": text})
        assert answer.status_code in (400, 422), text  # a NUL is refused at the door (400), the rest here (422)
    assert client.get(f"/api/v1/process-instances/{case}/comments", headers=people.headers("admin")).get_json() == []
    assert post(client, people, "admin", f"/process-instances/{case}/comments",
                {"text": "x" * MAX_COMMENT_CHARS}).status_code == 201
    from engine.store.models import Comment
    with platform.uow() as uow:
        uow.session.add_all([Comment(instance_id=case, author="admin", body="旧意见", created_at=platform.now())
                             for _ in range(MAX_COMMENTS_PER_CASE - 1)])
        uow.commit()
    full = post(client, people, "admin", f"/process-instances/{case}/comments", {"text": "再一条"})
    assert full.status_code == 409 and str(MAX_COMMENTS_PER_CASE) in full.get_json()["message"]


def test_the_window_sets_a_priority_that_its_tasks_take_and_the_task_list_sorts_and_filters_by(client, people,
                                                                                               deployed):
    first, second, third = start(client, people), start(client, people), start(client, people)
    answer = post(client, people, "win_dcf", f"/process-instances/{second}/priority",
                  {"priority": "critical", "reason": "省重点人才项目，限时办结"})
    assert answer.status_code == 200 and answer.get_json()["priority"] == "critical"
    assert post(client, people, "admin", f"/process-instances/{third}/priority",
                {"priority": "urgent"}).get_json()["priority"] == "urgent"
    listed = department_tasks(client, people, "win_dcf")
    assert {t["instance_id"]: t["priority"] for t in listed} == {first: "normal", second: "critical", third: "urgent"}
    by_priority = client.get("/api/v1/tasks?scope=department&sort=priority", headers=people.headers("win_dcf"))
    assert [t["instance_id"] for t in by_priority.get_json()] == [second, third, first]
    urgent = client.get("/api/v1/tasks?scope=department&priority=urgent", headers=people.headers("win_dcf"))
    assert [t["instance_id"] for t in urgent.get_json()] == [third]
    assert instance(client, people, second)["priority"] == "critical"
    [set_] = [h for h in instance(client, people, second)["history"] if h["action"] == "priority"]
    assert set_["details"] == {"priority": "critical", "previous": "normal", "reason": "省重点人才项目，限时办结"}
    for who, status in (("applicant", 403), ("talent1", 403), ("hrss1", 404), ("win_lq", 404)):
        refused = post(client, people, who, f"/process-instances/{first}/priority", {"priority": "urgent"})
        assert refused.status_code == status, who
    bad = post(client, people, "admin", f"/process-instances/{first}/priority", {"priority": "highest"})
    assert bad.status_code == 422 and bad.get_json()["details"][0]["field"] == "priority"
    assert client.get("/api/v1/tasks?scope=department&priority=x",
                      headers=people.headers("win_dcf")).status_code == 422


def test_a_task_reached_later_takes_the_cases_priority(client, people, deployed):
    case = start(client, people)
    post(client, people, "win_dcf", f"/process-instances/{case}/priority", {"priority": "urgent"})
    [task] = department_tasks(client, people, "win_dcf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 2}},
                       headers=people.headers("win_dcf"))
    assert done.status_code == 200, done.get_json()
    [review] = department_tasks(client, people, "city1")
    assert review["priority"] == "urgent"


def test_an_applicant_withdraws_with_a_reason_while_no_department_has_decided(client, people, deployed):
    case = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))  # a claim decides nothing
    for who, status in (("win_dcf", 404), ("other_applicant", 404), ("admin", 404)):
        assert post(client, people, who, f"/process-instances/{case}/withdraw", {"reason": "x"}).status_code == status
    assert post(client, people, "applicant", f"/process-instances/{case}/withdraw", {"reason": " "}).status_code == 422
    answer = post(client, people, "applicant", f"/process-instances/{case}/withdraw",
                  {"reason": "已在外地落户，不再申请"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    view = instance(client, people, case, who="win_dcf")
    assert [t["state"] for t in view["tasks"]] == ["cancelled"]
    [withdrawn] = [h for h in view["history"] if h["action"] == "withdraw"]
    assert withdrawn["actor"] == "applicant" and withdrawn["details"]["reason"] == "已在外地落户，不再申请"
    assert department_tasks(client, people, "win_dcf") == []
    again = post(client, people, "applicant", f"/process-instances/{case}/withdraw", {"reason": "再撤一次"})
    assert again.status_code == 409


def test_once_a_department_has_decided_the_application_cannot_be_withdrawn(client, people, deployed):
    case = start(client, people)
    [task] = department_tasks(client, people, "win_dcf")
    client.post(f"/api/v1/tasks/{task['id']}/claim", headers=people.headers("win_dcf"))
    client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True, "months": 2}},
                headers=people.headers("win_dcf"))
    refused = post(client, people, "applicant", f"/process-instances/{case}/withdraw", {"reason": "不想办了"})
    assert refused.status_code == 409 and "县级窗口受理" in refused.get_json()["message"]
    assert instance(client, people, case)["status"] == "active"


def test_a_withdrawal_reason_is_bounded(client, people, deployed):
    from engine.cases.withdrawal import MAX_WITHDRAW_REASON_CHARS

    case = start(client, people)
    too_long = post(client, people, "applicant", f"/process-instances/{case}/withdraw",
                    {"reason": "x" * (MAX_WITHDRAW_REASON_CHARS + 1)})
    assert too_long.status_code == 422 and too_long.get_json()["details"][0]["field"] == "reason"
    assert instance(client, people, case)["status"] == "active"
    assert post(client, people, "applicant", f"/process-instances/{case}/withdraw",
                {"reason": "x" * MAX_WITHDRAW_REASON_CHARS}).status_code == 200


def test_a_priority_reason_is_bounded(client, people, deployed):
    from engine.cases.priority import MAX_REASON_CHARS

    case = start(client, people)
    refused = post(client, people, "admin", f"/process-instances/{case}/priority",
                   {"priority": "urgent", "reason": "x" * (MAX_REASON_CHARS + 1)})
    assert refused.status_code == 422 and instance(client, people, case)["priority"] == "normal"
