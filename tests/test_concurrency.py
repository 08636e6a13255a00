"""Production scale: two people finishing parallel branches of one case at the same moment; several timer workers
(threads, and separate `onestop worker` processes) sweeping the same due subsidy payments; and the two queries
every worker and every clerk runs all day — the timer sweep and the department task list — walking an index in
the order they answer, so that their cost does not grow with the cases waiting (bench/growth.py measures it)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, ROOT, SHANGHAI, at, read_flow
from sqlalchemy import event, select

from engine.bpmn.validation import load_bundle
from engine.cases.deployment import deploy
from engine.cases.scheduler import fire_due_timers
from engine.errors import Conflict
from engine.people.identity import Actor
from engine.store.models import HistoryEntry, HumanTask
from tasks.service import complete_task, list_tasks

PARALLEL = DATA / "parallel"
REPEATS = 8
ATTEMPTS = 5
HRSS_DATA = {"hrss_opinion": "同意", "hrss_note": "人才资格符合"}
HOUSING_DATA = {"housing_opinion": "同意", "housing_note": "有空余房源"}

APPLICANT = {"applicant_name": "李博士", "id_number": "37150219900101123X", "phone": "13806350002",
             "employer": "聊城鲁西化工集团", "certificate_no": "LCRC2026-0101"}
DOCTOR = {"subsidy_category": "企业全职引进人才", "qualification": "博士研究生", "contract_years": 5,
          "local_social_insurance": True, "full_time_degree": True, "urgently_needed": True,
          "apartment_needed": False}


@pytest.fixture
def parallel_key(platform: Any) -> str:
    with platform.uow() as uow:
        result = deploy(read_flow(PARALLEL), actor=Actor("designer", "designer"), uow=uow, now=platform.now())
        uow.commit()
    return result.key


def test_the_parallel_review_diagram_passes_the_engine_validation(platform):
    bundle = load_bundle(read_flow(PARALLEL), platform.organisation)
    assert bundle.key == "parallel_review"
    text = (PARALLEL / "parallel.bpmn").read_text()
    for element in ("start", "fork", "hrss_review", "housing_review", "join", "combine", "conclude", "end"):
        assert f'bpmnElement="{element}"' in text, f"{element} has no shape in the diagram"


def _race(jobs: list[Callable[[], str]]) -> list[str]:
    """Run the jobs in threads released together by a barrier; each returns how it ended."""
    barrier = threading.Barrier(len(jobs))
    results: list[str] = [""] * len(jobs)

    def run(index: int) -> None:
        barrier.wait(10)
        try:
            results[index] = jobs[index]()
        except Exception as error:  # noqa: BLE001 — the assertion below shows what went wrong
            results[index] = f"failed: {type(error).__name__}: {error}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a racing thread did not finish within 60 s"
    return results


def _complete_with_retry(complete: Callable[[], None]) -> str:
    """Complete; on a Conflict (someone changed the case first) reload and try again, as the UI tells people to."""
    conflicts = 0
    for _attempt in range(ATTEMPTS):
        try:
            complete()
        except Conflict:
            conflicts += 1
            continue
        return f"ok after {conflicts} conflict(s)"
    return f"gave up after {conflicts} conflicts"


def _assert_both_kept(flow: Any, platform: Any, case: int) -> None:
    view = flow.view(case)
    assert view["status"] == "active"
    data = view["data"]
    assert {k: data.get(k) for k in HRSS_DATA} == HRSS_DATA, "the hrss completion was lost"
    assert {k: data.get(k) for k in HOUSING_DATA} == HOUSING_DATA, "the housing completion was lost"
    assert data["opinions"] == ["同意", "同意"], "the join ran before both branches were in"
    assert flow.open_task_names(case) == ["conclude"], "the join did not proceed"
    done = {t["name"]: t for t in view["tasks"] if t["state"] == "completed"}
    assert (done["hrss_review"]["completed_by"], done["housing_review"]["completed_by"]) == ("hrss", "housing")
    completes = Counter(h["task_name"] for h in view["history"] if h["action"] == "complete")
    assert completes == {"hrss_review": 1, "housing_review": 1}, completes


def test_two_people_finishing_parallel_branches_at_once_both_completions_are_kept(flow, platform, parallel_key):
    outcomes: Counter[str] = Counter()
    for _ in range(REPEATS):
        case = flow.start(parallel_key, {"applicant_name": "王工程师"})
        jobs = []
        for who, name, data in (("hrss", "hrss_review", HRSS_DATA), ("housing", "housing_review", HOUSING_DATA)):
            task_id, actor = flow.task(who, name, case)["id"], flow.actor(who)

            def complete(task_id: int = task_id, actor: Actor = actor, data: dict[str, Any] = data) -> None:
                with platform.uow(optimistic=True) as uow:
                    complete_task(task_id, data, actor=actor, uow=uow, now=platform.now())
                    uow.commit()

            jobs.append(lambda complete=complete: _complete_with_retry(complete))
        results = _race(jobs)
        assert all(r.startswith("ok") for r in results), results
        outcomes.update(results)
        _assert_both_kept(flow, platform, case)
        flow.complete("city_window", "conclude", {"conclusion": "准予入住"}, case)
        assert flow.view(case)["status"] == "completed"
    print(f"parallel completions over {REPEATS} races: {dict(outcomes)}")


def test_parallel_branches_over_the_api_answer_200_or_409_and_the_409_succeeds_on_retry(app, flow, people, platform,
                                                                                        parallel_key):
    statuses: Counter[int] = Counter()
    for _ in range(REPEATS):
        case = flow.start(parallel_key, {"applicant_name": "赵教授"})
        jobs = []
        for who, name, data in (("hrss", "hrss_review", HRSS_DATA), ("housing", "housing_review", HOUSING_DATA)):
            task_id = flow.task(who, name, case)["id"]

            def post(task_id: int = task_id, who: str = who, data: dict[str, Any] = data) -> str:
                client = app.test_client()
                for _attempt in range(ATTEMPTS):
                    response = client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data},
                                           headers=people.headers(who))
                    statuses[response.status_code] += 1
                    if response.status_code == 200:
                        return "ok"
                    body = response.get_json()
                    assert response.status_code == 409 and body["error"] == "conflict", (response.status_code, body)
                return "gave up"

            jobs.append(post)
        assert _race(jobs) == ["ok", "ok"]
        _assert_both_kept(flow, platform, case)
    assert set(statuses) <= {200, 409} and statuses[200] == 2 * REPEATS, statuses
    print(f"API answers over {REPEATS} races: {dict(statuses)}")


# Subsidy payments: each month's timer must fire once however many workers sweep at the same moment.


def _approved_subsidy(flow: Any, first_month: str) -> int:
    """A doctor in an enterprise, urgently needed: 1000 living + 1000 rent a month, payments from first_month."""
    case = flow.start("subsidy", {"applicant_name": APPLICANT["applicant_name"], "county": "dongchangfu"})
    flow.complete("city_window", "city_intake", {**APPLICANT, **DOCTOR, "intake_decision": "受理"}, case)
    flow.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0,
                                          "eligibility_comment": "经认定"}, case)
    flow.complete("hrss", "approval", {"approval_decision": "批准", "first_month": first_month,
                                       "approved_months": 36, "approval_comment": "同意"}, case)
    flow.complete("finance", "allocate", {"allocated_amount": 72000, "allocated_on": "2026-10-20",
                                          "voucher_no": "LCCZ-0001"}, case)
    return case


def _pay_tasks(flow: Any) -> list[dict[str, Any]]:
    """The monthly payment tasks waiting at the human-resources bureau (平台办法第四条（二）: 补贴发放)."""
    return [t for t in flow.tasks("hrss") if t["name"] == "pay"]


def _pay_open_months(flow: Any, cases: list[int], paid_on: str) -> None:
    payments = _pay_tasks(flow)
    assert sorted(t["instance_id"] for t in payments) == sorted(cases), "one pay task per case, no more"
    for task in payments:
        flow.complete("hrss", "pay", {"disbursement": "已发放", "paid_on": paid_on}, task["instance_id"])
    # each month paid goes to the finance system as a payment instruction; its answer lets the case wait for the
    # next month (the demo's simulated treasury answers here)
    assert sorted(job["instance_id"] for job in flow.answer_jobs("finance.payment")) == sorted(cases)


def _assert_each_month_paid_once(flow: Any, platform: Any, cases: list[int], months: int) -> None:
    for case in cases:
        view = flow.view(case)
        assert [p[0] for p in view["data"]["payments"]] == list(range(1, months + 1)), view["data"]["payments"]
        fired = [h for h in view["history"] if h["action"] == "timer_fired"]
        assert len(fired) == months, f"case {case}: {len(fired)} timer firings for {months} months"
    with platform.uow(write=False) as uow:
        pays = Counter(uow.session.scalars(select(HumanTask.instance_id).where(HumanTask.name == "pay")).all())
        paid = Counter(uow.session.scalars(select(HistoryEntry.instance_id).where(
            HistoryEntry.action == "complete", HistoryEntry.task_name == "pay")).all())
    assert pays == dict.fromkeys(cases, months), "the bureau got a pay task more than once for a month"
    assert paid == dict.fromkeys(cases, months)


def test_three_threads_sweeping_the_same_due_payments_pay_each_month_once(flow, platform, clock):
    flow.deploy_folder("subsidy")
    cases = [_approved_subsidy(flow, "2026-11") for _ in range(4)]
    for month in (1, 2, 3):
        year, index = divmod(2026 * 12 + 10 + month - 1, 12)  # November 2026 is the first month
        due = at(f"{year}-{index + 1:02d}-01 09:00")
        clock.set(due)
        reports: list[Any] = []

        def sweep(due: datetime = due, reports: list[Any] = reports) -> str:
            reports.append(fire_due_timers(platform, now=due))
            return "swept"

        results = _race([sweep] * 3)
        assert results == ["swept"] * 3, results
        fired = sorted(i for report in reports for i in report.fired)
        assert fired == sorted(cases), f"month {month}: fired {fired}"
        assert not any(report.errors for report in reports)
        _pay_open_months(flow, cases, due.date().isoformat())
    _assert_each_month_paid_once(flow, platform, cases, 3)


def _worker_processes(database_url: str, tmp_path: Path, count: int) -> list[str]:
    """`onestop worker --once` in ``count`` processes started together; their one-line reports."""
    env = {**os.environ, "ONESTOP_DATABASE_URL": database_url, "ONESTOP_INSTANCE_DIR": str(tmp_path),
           "ONESTOP_SECRET_KEY": "test-secret"}
    processes = [subprocess.Popen([sys.executable, "-m", "ui.cli", "worker", "--once"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
                 for _ in range(count)]
    reports = []
    try:
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err[-2000:]
            reports.append(out.strip().splitlines()[-1])
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, 9)
                process.wait(10)
    return reports


def test_two_worker_processes_sweeping_the_same_due_payments_pay_each_month_once(flow, platform, clock,
                                                                                   database_url, tmp_path):
    # `onestop worker` reads the real clock: approve 100 days ago, with payments from the month after.
    approved_at = datetime.now(SHANGHAI) - timedelta(days=100)
    clock.set(approved_at)
    first = approved_at + timedelta(days=35)
    flow.deploy_folder("subsidy")
    cases = [_approved_subsidy(flow, f"{first:%Y-%m}") for _ in range(4)]
    assert _pay_tasks(flow) == [], "no payment is due yet at the moment of approval"
    for month in (1, 2):
        reports = _worker_processes(database_url, tmp_path, 2)
        fired = sum(int(report.split("fired ")[1].split(",")[0]) for report in reports)
        assert fired == len(cases), reports
        assert all(report.endswith("errors 0") for report in reports), reports
        _pay_open_months(flow, cases, f"{first:%Y-%m}-0{month}")
    _assert_each_month_paid_once(flow, platform, cases, 2)


# The sweep and the task list at scale: plans, not timings (bench/growth.py has the timings at 100,000 tasks).


def _statements(platform: Any, call: Callable[[], object], table: str) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) that ``call`` sends about ``table``."""
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if f"FROM {table}" in statement:
            seen.append((statement, parameters))

    event.listen(platform.engine, "before_cursor_execute", keep)
    try:
        call()
    finally:
        event.remove(platform.engine, "before_cursor_execute", keep)
    return seen


def _sorts_everything(platform: Any, statement: str, parameters: Any) -> str | None:
    """The plan if the database must read and sort every matching row before it can answer the first page: a
    temporary B-tree in SQLite; in PostgreSQL a Sort node left even when sorting is priced out (a test table is
    too small for the planner to prefer an index by itself, so the plan shows whether any index gives the order)."""
    with platform.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                            parameters))
            sorted_all = "TEMP B-TREE" in plan
        else:
            connection.exec_driver_sql("SET enable_seqscan = off")
            connection.exec_driver_sql("SET enable_bitmapscan = off")
            connection.exec_driver_sql("SET enable_sort = off")
            connection.exec_driver_sql("SET jit = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
            connection.rollback()
            sorted_all = "Sort" in plan
    return plan if sorted_all else None


def test_the_timer_sweep_reads_the_due_timers_in_index_order_however_many_wait(platform):
    """Proposal: an index on process_instances (status, next_due_at). Without it SQLite searches the status
    index — every active case — and sorts them: the sweep costs 113 ms at 100,000 waiting cases instead of 0.4 ms."""
    from engine.cases.scheduler import due_instance_ids

    def sweep() -> None:
        with platform.uow(write=False) as uow:
            due_instance_ids(uow=uow, now=at("2026-10-12 09:00"), limit=200)

    [(statement, parameters)] = _statements(platform, sweep, "process_instances")
    plan = _sorts_everything(platform, statement, parameters)
    assert plan is None, f"the sweep reads and sorts every active case:\n{plan}"


@pytest.mark.parametrize("username", ["hrss", "county_window_dongchangfu"])
def test_the_department_task_list_reads_one_page_in_index_order_however_many_tasks_are_open(platform, flow,
                                                                                           username):
    """Proposal: partial indexes on human_tasks (department, due_at, id) and (department, county, due_at, id)
    WHERE state IN ('open', 'claimed'), and the list's state filter written with literal values so that SQLite
    can match the partial index. Without them the database reads and sorts every open task of the department
    to show the first 100: 15.5 ms for HRSS on PostgreSQL at 100,000 open tasks instead of 1.0 ms."""
    actor = flow.actor(username)

    def department_list() -> None:
        with platform.uow(write=False) as uow:
            list_tasks(actor=actor, uow=uow, scope="department")

    [(statement, parameters)] = _statements(platform, department_list, "human_tasks")
    plan = _sorts_everything(platform, statement, parameters)
    assert plan is None, f"the task list reads and sorts every open task of the department:\n{plan}"
