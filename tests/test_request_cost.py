"""What a case costs the database over the REST API (issue 18): SQL statements and commits per request, counted by
SQLAlchemy's own events on the platform's engine while a case of the escalation diagram goes start → list →
complete → complete through the Flask test client, every request authenticated with its bearer token.

The case counted is the second one of the process: the first fills the per-process caches (each token's first
use reads its owner; the parsed flow and the calendar are read once), as a server does once after it starts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, select

from engine.store.models import HistoryEntry, HumanTask

FORMS = ({"approved": True, "months": 3}, {"decision": "通过"})
# Start: no read (the flow's newest version as this process last read it), then the case row — whose INSERT brings
# back the revisions that confirm the cached token and that version — its task rows and its history, one statement
# each. Completing: one read (the task with its case), then the same three writes — the task rows in one statement
# whatever closed and opened. Listing: one read. So start + list + complete + complete = 3 + 1 + 4 + 4 = 12, issue
# 18's target. A write that must commit cannot share its commit with another request's, so each of the three writing
# requests commits once and the listing not at all.
STATEMENTS_PER_CASE = 12
STATEMENTS_PER_REQUEST = [3, 1, 4, 4]
COMMITS_PER_CASE = 3
# Telling people (issue 15) costs more, counted apart: a request that opens a task in a department writes the
# notifications of that department's staff in the same transaction, one statement (engine/notify/outbox.py); the
# staff themselves (with their contact details and choices) are read once per process and confirmed by the revision
# the request's first read brought (a start's: its INSERT). Start and the first completion open a department's task;
# the last completion ends the case. So 14 statements a case in all.
NOTIFYING = (1, 0, 1, 0)


def notifying(statement: str) -> bool:
    return statement.startswith("INSERT INTO notifications") or (
        statement.startswith("SELECT users.") and "users.notification_settings" in statement)


@contextmanager
def counting(platform: Any) -> Iterator[dict[str, list[str]]]:
    """Statements SQLAlchemy sends (``BEGIN IMMEDIATE`` apart: SQLite's write lock, which PostgreSQL takes without
    a statement of its own) and commits, in lists under "statements", "begins" and "commits"."""
    seen: dict[str, list[str]] = {"statements": [], "begins": [], "commits": []}

    def statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
        seen["begins" if text.strip().upper().startswith("BEGIN") else "statements"].append(" ".join(text.split()))

    def commit(_conn: Any) -> None:
        seen["commits"].append("COMMIT")

    event.listen(platform.engine, "before_cursor_execute", statement)
    event.listen(platform.engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(platform.engine, "before_cursor_execute", statement)
        event.remove(platform.engine, "commit", commit)


def _case(client: Any, people: Any, key: str, count: Callable[[str], Any]) -> int:
    """One case through the API; ``count(name)`` is entered around each request that the cost counts."""
    with count("start"):
        started = client.post("/api/v1/process-instances", json={"model_key": key, "data": {"county": "dongchangfu"}},
                              headers=people.headers("win_dcf"))
    assert started.status_code == 201, started.get_json()
    case_id = started.get_json()["id"]
    with count("list"):
        listed = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf"))
    task = next(t for t in listed.get_json() if t["instance_id"] == case_id)
    with count("complete"):
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": FORMS[0]},
                           headers=people.headers("win_dcf"))
    assert done.status_code == 200, done.get_json()
    # The next task is the city window's: its clerk finds it in their own list (not counted: the same read as above).
    task = next(t for t in client.get("/api/v1/tasks?scope=department", headers=people.headers("city1")).get_json()
                if t["instance_id"] == case_id)
    with count("complete"):
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": FORMS[1]},
                           headers=people.headers("city1"))
    assert done.status_code == 200 and done.get_json()["instance"]["status"] == "completed", done.get_json()
    return int(case_id)


def test_a_case_costs_at_most_12_statements_besides_notifying_and_a_commit_per_writing_request(
        client, people, platform, deployed):
    _case(client, people, deployed, lambda _name: counting(platform))  # the first case fills the caches
    per_request: list[tuple[str, dict[str, list[str]]]] = []

    @contextmanager
    def count(name: str) -> Iterator[None]:
        with counting(platform) as seen:
            yield
        per_request.append((name, seen))

    case_id = _case(client, people, deployed, count)
    notices = tuple(len([s for s in seen["statements"] if notifying(s)]) for _name, seen in per_request)
    for _name, seen in per_request:
        seen["statements"] = [s for s in seen["statements"] if not notifying(s)]
    statements = sum(len(seen["statements"]) for _name, seen in per_request)
    commits = sum(len(seen["commits"]) for _name, seen in per_request)
    report = "\n".join(f"{name}: {len(seen['statements'])} statements, {len(seen['commits'])} commits\n  "
                       + "\n  ".join(s[:110] for s in seen["statements"]) for name, seen in per_request)
    assert statements <= STATEMENTS_PER_CASE, report
    assert [len(seen["statements"]) for _name, seen in per_request] == STATEMENTS_PER_REQUEST, report
    assert notices == NOTIFYING, report
    assert commits == COMMITS_PER_CASE, report
    assert [len(seen["commits"]) for _name, seen in per_request] == [1, 0, 1, 1], report
    # One statement per table written: the history rows of a request in one, its task rows in one.
    for name, seen in per_request:
        for table in ("INSERT INTO history", "human_tasks"):
            writes = [s for s in seen["statements"] if s.startswith(("INSERT", "UPDATE")) and table in s]
            assert len(writes) <= 1, f"{name} writes {table} {len(writes)} times:\n{report}"
    # What was counted is the whole case: both completions kept, the case's history and task rows complete.
    with platform.uow(write=False) as uow:
        actions = list(uow.session.scalars(select(HistoryEntry.action).where(HistoryEntry.instance_id == case_id)
                                           .order_by(HistoryEntry.id)))
        rows = uow.session.execute(select(HumanTask.name, HumanTask.state, HumanTask.completed_by)
                                   .where(HumanTask.instance_id == case_id).order_by(HumanTask.id)).all()
    assert actions == ["start", "complete", "complete", "completed"]
    assert [tuple(row) for row in rows] == [("accept", "completed", "win_dcf"), ("review", "completed", "city1")]


def test_a_cached_token_is_confirmed_by_the_requests_own_read(client, people, platform, deployed):
    """A token this process has seen costs no read of its own on the task list: the list's read brings the
    revision along (engine/people/tokens.py)."""
    client.post("/api/v1/process-instances", json={"model_key": deployed, "data": {"county": "dongchangfu"}},
                headers=people.headers("win_dcf"))
    client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf"))  # the token's first use
    with counting(platform) as seen:
        listed = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf"))
    assert listed.status_code == 200 and len(listed.get_json()) == 1
    assert len(seen["statements"]) == 1 and "FROM human_tasks" in seen["statements"][0], seen
    assert "revisions" in seen["statements"][0]


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/me"])
def test_a_bearer_request_gets_no_session_cookie(client, people, path):
    response = client.get(path, headers=people.headers("win_dcf"))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    page = client.get("/sign-in")  # pages keep their session (the sign-in form's CSRF token lives there)
    assert page.status_code == 200 and "Set-Cookie" in page.headers


def _run_fields(platform: Any, key: str) -> tuple[dict[str, Any], Any]:
    """The fields and assets of a run of the flow's newest version, as the server hands them to a child."""
    from engine.cases.deployment import latest_version
    from engine.cases.runner import run_args

    with platform.uow(write=False) as uow:
        bundle = platform.specs.get(latest_version(key, uow=uow)[0], uow=uow)
        return run_args(uow, bundle, platform.now())


def _same_outcome(ahead: Any, cold: Any, *fields: str) -> None:
    """A run that started from what a child prepared ahead came to what a run that prepared nothing comes to."""
    for field in ("data", "completed", "due_times", "fired_timers", *fields):
        assert getattr(ahead, field) == getattr(cold, field), field
    assert [(t["name"], t["lane"], t["due_at"]) for t in ahead.ready] == \
        [(t["name"], t["lane"], t["due_at"]) for t in cold.ready]


def test_a_childs_next_run_of_a_case_starts_from_its_state_restored_while_the_child_waited(platform, deployed):
    """After answering, a child restores the state it answered with (engine/cases/jobs.py): the case's next run,
    given exactly that state, starts from it — and comes to the same result as a run that restores it then."""
    from engine.cases.jobs import CompleteRun, StartRun
    from engine.sandbox.pool import Job, run_inline

    fields, assets = _run_fields(platform, deployed)
    started = platform.sandbox.run(Job("engine.cases.jobs:start", StartRun(**fields, data={"county": "dongchangfu"}),
                                       assets))
    assert "restored_ahead" not in started.extra  # a new case: nothing to restore
    task = started.ready[0]["spiff_task_id"]
    complete = Job("engine.cases.jobs:complete", CompleteRun(**fields, state=started.state, task_id=task,
                                                             data={"approved": True, "months": 3}), assets)
    ahead = platform.sandbox.run(complete)  # the same child (the pool hands out the one used last)
    assert ahead.extra.get("restored_ahead") is True and ahead.failure is None
    cold = run_inline(complete)
    assert "restored_ahead" not in cold.extra
    _same_outcome(ahead, cold, "ready_before")
    again = platform.sandbox.run(complete)  # the state restored ahead was used once: this run restores it again
    assert "restored_ahead" not in again.extra and again.failure is None


def test_a_childs_next_start_of_a_flow_takes_the_new_case_made_while_the_child_waited(platform, deployed):
    """After a start, a child makes the flow's next new case while it waits (engine/cases/jobs.py): the next start
    of that flow takes it — and comes to the same result as a start that makes its own; another flow makes its own."""
    from engine.cases.jobs import StartRun
    from engine.sandbox.pool import Job, run_inline

    fields, assets = _run_fields(platform, deployed)
    start = Job("engine.cases.jobs:start", StartRun(**fields, data={"county": "dongchangfu"}), assets)
    # The same files under another asset key: to the child, another flow.
    other = Job("engine.cases.jobs:start", StartRun(**(fields | {"bundle": "another"}), data={"county": "x"}),
                (type(assets[0])("another", assets[0].build, assets[0].payload), *assets[1:]))
    assert platform.sandbox.run(other).failure is None  # the child (the pool hands out the one used last) ...
    first = platform.sandbox.run(start)  # ... made a case of the other flow ahead: this start makes its own
    assert "created_ahead" not in first.extra and first.failure is None
    ahead = platform.sandbox.run(start)
    assert ahead.extra.get("created_ahead") is True and ahead.failure is None
    cold = run_inline(start)
    assert "created_ahead" not in cold.extra
    _same_outcome(ahead, cold, "notifications")
    assert ahead.ready[0]["spiff_task_id"] != first.ready[0]["spiff_task_id"]  # a case of its own, not a copy


def test_a_run_restored_ahead_reports_what_it_changed_outside_the_case_as_a_cold_run_does(platform):
    """What a run reads off its starting state before it steps (the messages the case waits for, the service tasks
    waiting for a worker, the user tasks waiting) is read while the child waits, with the restore ahead: a
    worker's answer to the payment diagram's service task, from the state restored ahead, still reports the job
    ended and the message the case now waits for — exactly as a run that restores the state then."""
    from integration_kit import PAYMENT

    from engine.cases.deployment import deploy
    from engine.cases.jobs import StartRun
    from engine.integration.runs import ResultRun
    from engine.people.identity import Actor
    from engine.sandbox.pool import Job, run_inline

    with platform.uow() as uow:
        key = deploy({"payment.bpmn": PAYMENT.read_bytes()}, actor=Actor("designer", "designer"), uow=uow,
                     now=platform.now()).key
        uow.commit()
    fields, assets = _run_fields(platform, key)
    started = platform.sandbox.run(Job("engine.cases.jobs:start", StartRun(
        **fields, data={"amount": 1500, "applicant_name": "张三"}), assets))
    [job] = started.external_tasks
    assert started.failure is None and started.waits is None  # None: no change (it waits for no message yet)
    answer = Job("engine.integration.runs:complete_external", ResultRun(
        **fields, state=started.state, task_id=job["spiff_task_id"], result={"voucher": "CZ-1", "paid": True}), assets)
    ahead = platform.sandbox.run(answer)  # the same child (the pool hands out the one used last)
    assert ahead.extra.get("restored_ahead") is True and ahead.failure is None
    cold = run_inline(answer)
    assert "restored_ahead" not in cold.extra
    assert ahead.ended_external_tasks == cold.ended_external_tasks == [job["spiff_task_id"]]
    assert ahead.waits == cold.waits and [w["kind"] for w in ahead.waits or []] == ["message"]
    _same_outcome(ahead, cold, "external_tasks", "thrown")


def test_a_process_gets_ready_for_its_first_case_while_it_starts(platform, deployed):
    """`onestop serve` warms each web process (ui/server.py): the newest version of each flow is parsed, and an engine
    child is started that has built it — the first case neither starts a child nor sends it the flow."""
    from engine.cases.deployment import latest_version
    from engine.cases.runner import warm_up

    platform.sandbox.close()  # no child left from other tests: this process starts cold
    started = platform.sandbox.started
    assert warm_up(platform) == 1
    assert platform.sandbox.started == started + 1
    with platform.uow(write=False) as uow:
        bundle = platform.specs.get(latest_version(deployed, uow=uow)[0], uow=uow)
        calendar = platform.calendar.get(uow)
    [child] = platform.sandbox._idle
    assert bundle.fingerprint in child.known and calendar.token in child.known


def test_a_flow_that_cannot_be_parsed_ahead_leaves_the_rest_of_the_warm_up_alone(platform, deployed, monkeypatch):
    from engine.cases.runner import warm_up

    platform.sandbox.close()
    started = platform.sandbox.started

    def broken(model_id: int, *, uow: Any) -> Any:
        raise ValueError("not a diagram")

    monkeypatch.setattr(platform.specs, "get", broken)
    assert warm_up(platform) == 0  # nothing parsed, nothing raised
    assert platform.sandbox.started == started + 1  # the engine child is started all the same


def test_the_pool_hands_out_the_connection_returned_last(platform):
    """Requests reuse the connection the previous one returned (engine/store/db.py): on SQLite a connection that
    another one has written behind drops its whole page cache, so a pool that hands out the connection idle longest
    makes every request read its pages again."""
    engine = platform.engine
    first, second = engine.connect(), engine.connect()
    first_raw, second_raw = first.connection.dbapi_connection, second.connection.dbapi_connection
    assert first_raw is not second_raw
    first.close()
    second.close()  # returned last
    with engine.connect() as again:
        assert again.connection.dbapi_connection is second_raw
    with engine.connect() as again:
        assert again.connection.dbapi_connection is second_raw
