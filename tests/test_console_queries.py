"""The console's queries: where one case stands on its diagram (by element id), the data a case in error is
retried with and what of it goes in as corrections, and each version's diagram — on the hand-built cases of
test_supervision plus F, a case parked in error at the script step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from conftest import ESCALATION, at, edit, read_flow
from test_supervision import scenario  # noqa: F401 — the shared fixture

from engine.cases.deployment import deploy
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.services.admin_queries import diagram_xml, element_names, instance_marks, retry_baseline, retry_with_edits

ADMIN = Actor("admin", "admin")


def with_a_case_in_error(cases: dict[str, int], flow: Any, platform: Any) -> dict[str, int]:
    """The scenario's cases and F: on version 2, whose script needs a ``rate`` nobody gave — in error once the
    window accepts it (the submission kept, to be replayed on retry)."""
    files = edit(read_flow(ESCALATION), "escalation.bpmn", "amount = 1000 * months if approved else 0",
                 "amount = 1000 * months * rate if approved else 0")
    with platform.uow() as uow:
        deploy(files, actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    f = flow.start("escalation_demo", {"county": "dongchangfu", "applicant_name": "申请人F"})
    flow.complete("win_dcf", "accept", {"approved": True, "months": 2}, f)
    assert flow.view(f)["status"] == "error"
    return {**cases, "F": f}


@pytest.fixture
def cases(scenario: Any, flow: Any, platform: Any) -> dict[str, int]:  # noqa: F811
    return with_a_case_in_error(scenario.cases, flow, platform)


def marks(platform: Any, case: int) -> dict[str, Any]:
    with platform.uow(write=False) as uow:
        return instance_marks(case, actor=ADMIN, uow=uow, now=platform.now())


def test_marks_say_which_elements_are_done_current_overdue_failing_or_waiting(platform, cases):
    d = marks(platform, cases["D"])
    assert (d["key"], d["version"], d["status"]) == ("escalation_demo", 1, "active")
    assert d["current"] == ["accept", "supervise"] and d["overdue"] == ["accept"]
    assert {"start", "accept_deadline"} <= set(d["completed"]) and "compute" not in d["completed"]
    assert d["error"] is None and d["timers"] == []
    [timer] = marks(platform, cases["E"])["timers"]
    assert timer["timer"] == "accept_deadline" and datetime.fromisoformat(timer["due_at"]) == at("2026-10-15 18:00")
    a = marks(platform, cases["A"])
    assert a["current"] == [] and {"start", "accept", "compute", "decide", "end_refused"} <= set(a["completed"])
    assert "review" not in a["completed"]  # the refused branch was taken
    f = marks(platform, cases["F"])
    assert f["error"]["element"] == "compute" and f["error"]["pending"] == "complete"
    assert "rate" in f["error"]["message"] and f["current"] == ["accept"]


def test_a_retry_takes_only_the_fields_the_administrator_changed_or_added(platform, cases, flow):
    f = cases["F"]
    with platform.uow(write=False) as uow:
        baseline = retry_baseline(f, actor=ADMIN, uow=uow)
    assert baseline["pending"] == "complete" and baseline["submitted"] == {"approved": True, "months": 2}
    assert baseline["data"]["applicant_name"] == "申请人F" and baseline["data"]["months"] == 2
    with platform.uow() as uow, pytest.raises(InvalidInput):
        retry_with_edits(f, {**baseline["data"], "_engine": 1}, reason="修正", actor=ADMIN, uow=uow,
                         now=platform.now())
    with platform.uow(optimistic=True) as uow:
        result = retry_with_edits(f, {**baseline["data"], "months": 3, "rate": 0.5}, reason="补充费率",
                                  actor=ADMIN, uow=uow, now=platform.now())
        uow.commit()
    assert result["status"] == "active"
    view = flow.view(f)
    assert view["data"]["amount"] == 1500  # 1000 × 3 months × 0.5
    [retry] = [h for h in view["history"] if h["action"] == "retry"]
    assert retry["details"]["data"] == {"months": 3, "rate": 0.5} and retry["details"]["reason"] == "补充费率"
    with platform.uow() as uow, pytest.raises(Conflict):
        retry_baseline(f, actor=ADMIN, uow=uow)


def test_the_diagram_and_element_names_of_a_version(platform, cases):
    with platform.uow(write=False) as uow:
        assert 'id="accept" name="县级窗口受理"' in diagram_xml("escalation_demo", 1, actor=ADMIN, uow=uow)
        assert "months * rate" in diagram_xml("escalation_demo", 2, actor=ADMIN, uow=uow)
        names = element_names("escalation_demo", 1, actor=ADMIN, uow=uow)
        assert names["accept"] == "县级窗口受理" and names["accept_deadline"] == "受理超期"
        with pytest.raises(NotFound):
            diagram_xml("escalation_demo", 7, actor=ADMIN, uow=uow)


def test_only_administrators_ask(platform, cases):
    talent = Actor("talent1", "staff", "talent_office")
    with platform.uow(write=False) as uow:
        for call in (lambda: instance_marks(cases["D"], actor=talent, uow=uow, now=platform.now()),
                     lambda: retry_baseline(cases["F"], actor=talent, uow=uow),
                     lambda: diagram_xml("escalation_demo", 1, actor=talent, uow=uow),
                     lambda: element_names("escalation_demo", 1, actor=talent, uow=uow)):
            with pytest.raises(PermissionDenied):
                call()
