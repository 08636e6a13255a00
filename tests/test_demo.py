"""`onestop demo`: for the city package the platform serves, accounts with several colleagues per department and
county window, and a dozen sample cases in different states, loaded once, into a database without users."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from conftest import CITIES, read_flow
from sqlalchemy import func, select

from engine.bpmn.validation import called_elsewhere, defined_processes
from engine.cases.deployment import deploy
from engine.people.identity import Actor
from engine.platform import Platform
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance, User
from ui import demo
from ui.demo import COLLEAGUES_PER_DEPARTMENT, DEMO_PASSWORD, demo_accounts, load_demo, scenarios_for


def deploy_every_flow(platform: Platform) -> list[str]:
    """Every flow folder of the platform's city package, each after the flows it calls by callActivity."""
    package = platform.settings.processes_dir
    pending = {p.name: read_flow(p) for p in sorted(package.iterdir()) if p.is_dir() and any(p.glob("*.bpmn"))}
    available: set[str] = set()
    keys = []
    while pending:
        ready = [name for name, files in pending.items() if called_elsewhere(files) <= available]
        assert ready, f"these flows call flows that no folder defines: {sorted(pending)}"
        for name in ready:
            with platform.uow() as uow:
                keys.append(deploy(pending[name], actor=Actor("designer", "designer"), uow=uow,
                                   now=platform.now()).key)
                uow.commit()
            available |= defined_processes(pending.pop(name))
    return keys


def cases(platform: Platform) -> dict[str, Any]:
    """Sample cases by business key, with their task rows."""
    with platform.uow(write=False) as uow:
        rows = uow.session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)).all()
        tasks = uow.session.scalars(select(HumanTask).order_by(HumanTask.id)).all()
        views = [SimpleNamespace(instance_id=t.instance_id, name=t.name, state=t.state, department=t.department,
                                 due_at=t.due_at, assignee=t.assignee, clock_stopped_at=t.clock_stopped_at)
                 for t in tasks]
        return {row.business_key: {"status": row.status, "model_key": row.model_key, "data": dict(row.data),
                                   "tasks": [t for t in views if t.instance_id == row.id]} for row in rows}


def counts(platform: Platform) -> tuple[int, int, int]:
    with platform.uow(write=False) as uow:
        return (uow.session.scalar(select(func.count(User.id))) or 0,
                uow.session.scalar(select(func.count(ProcessInstance.id))) or 0,
                uow.session.scalar(select(func.count(HumanTask.id))) or 0)


@pytest.mark.parametrize("city", CITIES)
def test_demo_loads_colleagues_and_a_dozen_cases_in_different_states_once(platform, city):
    keys = deploy_every_flow(platform)
    lines = list(load_demo(platform))
    output = "\n".join(lines)
    assert not [line for line in lines if "failed" in line], output
    assert f"password '{DEMO_PASSWORD}'" in output and "admin API token written to " in lines[-1]
    token_file = platform.settings.instance_dir / "admin-token"
    assert str(token_file) in lines[-1] and token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text().strip()
    assert len(token) >= 40 and token not in output, "the token is never printed"
    assert platform.organisation.city.platform in output

    users, _instances, _tasks = counts(platform)
    assert users == len(demo_accounts(platform))
    loaded = cases(platform)
    assert len(loaded) >= 12, output
    assert {case["model_key"] for case in loaded.values()} == set(keys), "sample cases of every flow of the city"
    assert {case["status"] for case in loaded.values()} == {"active", "completed", "suspended", "cancelled"}, output
    tasks = [t for case in loaded.values() for t in case["tasks"]]
    now = platform.now()
    assert any(t.state == "open" and t.department for t in tasks), "a task waiting in a department's list"
    assert any(t.state == "claimed" and t.department for t in tasks), "a task claimed by a member of staff"
    assert any(t.state in ("open", "claimed") and ((t.due_at is not None and t.due_at < now)
                                                   or t.department == "talent_office") for t in tasks)
    assert any(t.clock_stopped_at is not None for t in tasks if t.state in ("open", "claimed")), \
        "a task whose clock is stopped (suspended, or materials out for correction)"
    for case in loaded.values():
        if case["status"] in ("cancelled", "completed"):
            assert not [t for t in case["tasks"] if t.state in ("open", "claimed")], case
    departments = {t.department for t in tasks if t.state in ("open", "claimed") and t.department}
    assert len(departments) >= 4, f"open tasks in several departments, not only {departments}"

    if city == "liaocheng":  # the health-care card's materials are uploaded as documents
        assert_demo_documents_open(platform)

    before = counts(platform)
    assert list(load_demo(platform)) == ["demo: the database has users already; nothing loaded"]
    assert counts(platform) == before


def test_every_department_has_colleagues_so_a_task_can_be_handed_over(platform):
    accounts = demo_accounts(platform)
    for code, department in platform.organisation.departments.items():
        staff = [a for a in accounts if a[2] == code]
        if department.per_county:
            for county in platform.organisation.counties:
                assert len([a for a in staff if a[3] == county]) >= 2, (code, county)
        else:
            assert len(staff) == COLLEAGUES_PER_DEPARTMENT, code
    deploy_every_flow(platform)
    list(load_demo(platform))
    with platform.uow(write=False) as uow:
        handovers = [(h.details["from"], h.details["to"]) for h in uow.session.scalars(
            select(HistoryEntry).where(HistoryEntry.action == "handover")).all()]
    assert handovers == [("city_window", "city_window_2")]
    held = next(t for case in cases(platform).values() for t in case["tasks"] if t.name == "city_review"
                and t.state == "claimed")
    assert held.assignee == "city_window_2"


@pytest.mark.parametrize("city", CITIES)
def test_the_demo_is_the_served_citys(platform, city):
    scenarios = scenarios_for(platform)
    flows = {p.name for p in platform.settings.processes_dir.iterdir() if p.is_dir()}
    assert scenarios and {s.key for s in scenarios} <= flows
    other = {"liaocheng": "lianyungang", "lianyungang": "liaocheng"}[city]
    assert platform.organisation.city.code == city and other not in {s.key for s in scenarios}


def test_demo_skips_flows_that_are_not_deployed_and_says_so(platform, deployed):
    lines = list(load_demo(platform))
    output = "\n".join(lines)
    for key in dict.fromkeys(s.key for s in scenarios_for(platform)):
        assert f"demo: {key} is not deployed" in output
    assert f"demo: no sample cases for {deployed}" in lines
    assert "demo: 0 sample cases loaded" in lines
    assert counts(platform)[0] == len(demo_accounts(platform))


def test_a_sample_case_that_fails_is_reported_rolled_back_and_the_others_still_load(platform, monkeypatch):
    from ui.demo_cases import liaocheng

    deploy_every_flow(platform)

    def broken(case: Any, now: Any) -> None:
        case.start("spouse_placement", {}, at=now)
        case.complete("city_window", "hrss_place", {}, at=now)  # not the task the case waits for

    monkeypatch.setattr(liaocheng, "SCENARIOS", [demo.Scenario("spouse_placement", "XX-01", "坏的示例", broken),
                                                 *liaocheng.SCENARIOS])
    lines = list(load_demo(platform))
    [failure] = [line for line in lines if "failed" in line and "DEMO-XX-01" in line]
    assert "hrss_place" in failure and "not loaded" in failure
    loaded = cases(platform)
    assert "DEMO-XX-01" not in loaded, "a failed case leaves nothing behind"
    assert len(loaded) >= 12
    assert any(line.startswith("demo: ") and line.endswith(" failed") and "sample cases loaded" in line
               for line in lines)


def test_demo_identity_numbers_carry_the_gb11643_check_digit():
    assert demo.id_number("110105", "1949-12-31", "002") == "11010519491231002X"  # the standard's example
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2, 1]
    for sequence in ("015", "028", "473"):
        number = demo.id_number("371502", "1986-04-12", sequence)
        digits = [10 if c == "X" else int(c) for c in number]
        assert sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 == 1, number


def assert_demo_documents_open(platform: Platform) -> None:
    """The health-card cases' materials are real documents of the case: PDFs and a photo that open."""
    from engine.store.models import Attachment
    from tasks.attachments import open_document

    with platform.uow() as uow:
        documents = uow.session.scalars(select(Attachment).order_by(Attachment.id)).all()
        assert documents, "the sample applications come with their documents"
        kinds = {d.content_type for d in documents}
        assert kinds == {"application/pdf", "image/png"}, kinds
        details, content = open_document(documents[0].id, actor=Actor("admin", "admin"), uow=uow,
                                         now=platform.now())
        assert details["content_type"] == "application/pdf" and content.startswith(b"%PDF-1.4")
        case = uow.session.get(ProcessInstance, documents[0].instance_id)
        assert case is not None and str(case.data["certification_proof"]).startswith("附件#")
