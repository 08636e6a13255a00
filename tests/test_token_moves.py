"""Moving a case's token (Camunda Cockpit's "modify"): the waiting step is cancelled and the chosen element starts
in its place, in the engine's child process, recorded with a reason — refused, changing nothing, where it cannot
be done safely (parallel branches, call activities, boundary and start events, a case not running)."""

from __future__ import annotations

import pytest
from conftest import at

from engine.cases.instances import suspend_instance
from engine.cases.scheduler import fire_due_timers
from engine.cases.token_moves import move_options, move_token
from engine.cases.token_rules import REFUSED_KINDS
from engine.errors import Conflict, EngineError, InvalidInput, PermissionDenied

START = {"applicant": "李博士", "county": "dongchangfu"}


def move(flow, case, source, target, *, who="admin", reason="窗口误将申请退回，按电话核实恢复到市平台审核"):
    with flow.platform.uow(optimistic=True) as uow:
        result = move_token(case, source, target, reason=reason, actor=flow.actor(who), uow=uow,
                            now=flow.platform.now())
        uow.commit()
    return result


def options(flow, case):
    with flow.platform.uow(write=False) as uow:
        return move_options(case, actor=flow.actor("admin"), uow=uow, now=flow.platform.now())


def test_a_token_moves_forward_past_a_script_to_a_task_of_another_department(flow, deployed):
    case = flow.start(deployed, START)
    found = options(flow, case)
    assert found["refused"] is None
    assert [w["element"] for w in found["waiting"]] == ["accept"]
    assert {"review", "compute", "decide", "end_done"} <= {t["element"] for t in found["targets"]}
    assert "accept_deadline" not in {t["element"] for t in found["targets"]} and "start" not in {
        t["element"] for t in found["targets"]}
    move(flow, case, "accept", "review")
    assert flow.open_task_names(case) == ["review"]
    view = flow.view(case)
    assert [t["state"] for t in view["tasks"] if t["name"] == "accept"] == ["cancelled"]
    [moved] = [h for h in view["history"] if h["action"] == "move_token"]
    assert moved["actor"] == "admin" and moved["details"]["source"] == "accept"
    assert moved["details"]["target"] == "review" and "恢复到市平台审核" in moved["details"]["reason"]
    assert view["next_due_at"] is None, "the accept deadline went with the task it watched"
    assert view["data"]["applicant"] == "李博士"
    flow.complete("city1", "review", {"decision": "通过"}, case)
    assert flow.view(case)["status"] == "completed"


def test_a_token_moves_back_to_a_step_done_before_and_its_deadline_starts_afresh(flow, deployed, clock):
    case = flow.start(deployed, START)
    flow.complete("win_dcf", "accept", {"approved": True, "months": 3}, case)
    assert flow.open_task_names(case) == ["review"]
    clock.set(at("2026-10-12 10:00"))
    move(flow, case, "review", "accept", reason="受理材料需重新核对")
    assert flow.open_task_names(case) == ["accept"]
    assert flow.due(case, "accept") == at("2026-10-15 18:00"), "three working days from the move"
    assert flow.data(case)["amount"] == 3000, "the case keeps what it knew"
    flow.complete("win_dcf", "accept", {"approved": True, "months": 6}, case)
    assert flow.data(case)["amount"] == 6000 and flow.open_task_names(case) == ["review"]


def test_a_move_whose_target_fails_changes_nothing(flow, deployed):
    case = flow.start(deployed, START)
    before = flow.view(case)
    with pytest.raises(EngineError) as failed:
        move(flow, case, "accept", "compute")  # the script needs months, which the case does not have yet
    assert "compute" in failed.value.message and "nothing was changed" in failed.value.message
    after = flow.view(case)
    assert after["status"] == "active" and flow.open_task_names(case) == ["accept"]
    assert len(after["history"]) == len(before["history"])


@pytest.mark.parametrize(("target", "kind"), [("accept_deadline", "BoundaryEvent"), ("start", "StartEvent")])
def test_boundary_and_start_events_cannot_receive_the_token(flow, deployed, target, kind):
    case = flow.start(deployed, START)
    with pytest.raises(Conflict) as refused:
        move(flow, case, "accept", target)
    assert REFUSED_KINDS[kind][0] in refused.value.message
    assert REFUSED_KINDS[kind][1] in refused.value.details[0]["message_zh"]
    assert flow.open_task_names(case) == ["accept"]


def test_parallel_branches_are_refused_with_what_waits(flow, deployed, platform):
    case = flow.start(deployed, START)
    fire_due_timers(platform, now=at("2026-10-10 18:00:01"))  # non-interrupting: accept and supervise both wait
    assert flow.open_task_names(case) == ["accept", "supervise"]
    found = options(flow, case)
    assert found["waiting"] == [] and "parallel branches" in found["refused"]["message"]
    assert "并行分支" in found["refused"]["message_zh"]
    with pytest.raises(Conflict, match="parallel branches"):
        move(flow, case, "supervise", "end_supervised")
    assert flow.open_task_names(case) == ["accept", "supervise"]


def test_an_unknown_target_a_case_not_running_and_a_non_administrator_are_refused(flow, deployed, platform):
    case = flow.start(deployed, START)
    with pytest.raises(Conflict, match="no element 'nowhere'"):
        move(flow, case, "accept", "nowhere")
    with pytest.raises(Conflict, match="does not wait at 'review'"):
        move(flow, case, "review", "end_done")
    with pytest.raises(InvalidInput):
        move(flow, case, "accept", "review", reason=" ")
    with pytest.raises(PermissionDenied):
        move(flow, case, "accept", "review", who="win_dcf")
    with platform.uow() as uow:
        suspend_instance(case, reason="暂缓", actor=flow.actor("admin"), uow=uow, now=platform.now())
        uow.commit()
    assert "only an active case" in options(flow, case)["refused"]["message"]
    with pytest.raises(Conflict, match="only an active case"):
        move(flow, case, "accept", "review")
