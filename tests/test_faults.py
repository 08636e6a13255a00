"""Faults survived: web processes and timer workers SIGKILLed at random points under load, then restarted, leave
every acknowledged action in the database and no case corrupted, stuck or doubled; a database that goes away
yields JSON 503 within a bounded time and the same server recovers on its own.

Runs in the PostgreSQL pass of `make test`, against a PostgreSQL server of its own (tests/fault_harness.py) so
that stopping it disturbs nothing else. Outside CI:

    ONESTOP_TEST_DATABASE_URL=$(scripts/postgres.sh) ONESTOP_FAULTS_SEED=1234 ONESTOP_FAULTS_SECONDS=300 \\
        .venv/bin/pytest -s -p no:cacheprovider tests/test_faults.py -k killed

ONESTOP_FAULTS_SEED picks other random kill points (the seed of every run is printed), ONESTOP_FAULTS_SECONDS
runs the load longer (default 40 s, which keeps the module near two minutes in CI).
"""

from __future__ import annotations

import http.client
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_URL, ROOT, need
from fault_harness import (
    Api,
    Cluster,
    Ledger,
    Person,
    PrivatePostgres,
    audit,
    escalation_variant,
    postgres_bin,
    prepare_database,
)

pytestmark = pytest.mark.postgres_only  # the fault harness runs in the PostgreSQL pass of `make test`

SECONDS = float(os.environ.get("ONESTOP_FAULTS_SECONDS", "40"))
SEED = int(os.environ.get("ONESTOP_FAULTS_SEED") or random.SystemRandom().randrange(1, 10**6))
ANSWER_WITHIN = 10.0  # seconds: a request must be answered (503 included) within this, never hang
FROZEN_ANSWER_WITHIN = 20.0  # seconds, when the database stops answering without closing its connections
FLOWS = {
    "escalation_demo": {},  # the deadline is working_days(3): a timer waiting in the future
    "escalation_due_now": {"expression": '"2020-01-01T09:00:00+08:00"'},  # already due: fires in the start itself
    "escalation_due_soon": {"element": "timeDuration", "expression": '"PT1S"'},  # the timer workers fire it
}
PEOPLE = [Person("win1", "staff", "county_window", "dongchangfu"), Person("win2", "staff", "county_window",
                                                                            "dongchangfu"),
          Person("city1", "staff", "city_window"), Person("city2", "staff", "city_window"),
          Person("talent1", "staff", "talent_office")]
FORMS = {"accept": lambda rng: {"approved": rng.random() < 0.8, "months": rng.randint(1, 12)},
         "review": lambda rng: {"decision": "通过"}, "supervise": lambda rng: {"note": "已督办，请加快办理"}}


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    need(postgres_bin() is not None, "PostgreSQL binaries (apt-get install postgresql) for the fault harness")
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def cluster_for(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator[Any]:
    """cluster_for(database) -> (cluster, tokens): a fresh database with the escalation flows and people, served
    by `onestop serve --workers 2` with two `onestop worker --interval 0.2`; everything killed at the end."""
    clusters: list[Cluster] = []

    def make(database: str) -> tuple[Cluster, dict[str, str]]:
        url = private_postgres.create_database(database)
        flows = [escalation_variant(key, **options) for key, options in FLOWS.items()]
        tokens = prepare_database(url, flows, PEOPLE, tmp_path)
        cluster = Cluster(url, web_processes=2, timer_workers=2, interval=0.2,
                          workdir=Path(tempfile.mkdtemp(prefix=f"{database}-", dir=tmp_path)))
        clusters.append(cluster)
        cluster.start()
        cluster.wait_ready(tokens["city1"])
        return cluster, tokens

    try:
        yield make
    finally:
        for cluster in clusters:
            cluster.stop()


class Clerk(threading.Thread):
    """One member of staff: starts cases (county windows) and completes tasks from the department's list,
    recording in the ledger every action the server acknowledged."""

    def __init__(self, person: Person, tokens: dict[str, str], cluster: Cluster, ledger: Ledger, seed: int,
                 stop: threading.Event, max_starts: int, database_may_be_away: bool = False) -> None:
        super().__init__(name=f"clerk-{person.username}", daemon=True)
        self.person, self.ledger, self.stop, self.max_starts = person, ledger, stop, max_starts
        self.database_may_be_away = database_may_be_away
        self.api = Api(cluster.port, tokens[person.username], timeout=ANSWER_WITHIN)
        self.rng = random.Random(seed)
        self.starts = 0
        self.failure: str | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.step()
                time.sleep(self.rng.uniform(0.0, 0.03))
        except Exception as error:  # noqa: BLE001 — reported by the test
            self.failure = f"{self.name}: {type(error).__name__}: {error}"
        finally:
            self.api.close()

    def call(self, kind: str, method: str, path: str, body: object = None) -> tuple[int, Any] | None:
        """The answer, or None when there was none (the server was killed: a hang is counted as 'TimeoutError')."""
        try:
            status, answer = self.api.call(method, path, body)
        except (OSError, http.client.HTTPException) as error:
            self.ledger.count(f"no answer {kind}: {type(error).__name__}")
            time.sleep(0.2)
            return None
        self.ledger.count(f"{status} {kind}")
        if status == 503 and self.database_may_be_away and isinstance(answer, dict) \
                and answer.get("error") == "database_unavailable":
            time.sleep(0.2)
            return None
        if status >= 500:
            raise AssertionError(f"{kind}: {status} {answer}")
        return status, answer

    def step(self) -> None:
        if self.person.department == "county_window" and self.starts < self.max_starts and self.rng.random() < 0.4:
            key = self.rng.choice(sorted(FLOWS))
            answer = self.call("start", "POST", "/process-instances",
                               {"model_key": key, "data": {"county": "dongchangfu", "applicant": "张博士"}})
            self.starts += 1
            if answer is not None and answer[0] == 201:
                self.ledger.started(answer[1]["id"], key)
            return
        listed = self.call("list", "GET", "/tasks?scope=department&limit=50")
        if listed is None or listed[0] != 200:
            return
        # Leave the accept task of a due-soon case open past its deadline, so the timer workers fire it.
        young = datetime.now(UTC) - timedelta(seconds=2.5)
        tasks = [t for t in listed[1] if not (t["model_key"] == "escalation_due_soon" and t["name"] == "accept"
                                              and datetime.fromisoformat(t["created_at"]) > young)]
        if not tasks:
            return
        task = self.rng.choice(tasks)
        answer = self.call("complete", "POST", f"/tasks/{task['id']}/complete",
                           {"data": FORMS[task["name"]](self.rng)})
        if answer is not None and answer[0] == 200:
            self.ledger.completed(task["id"], task["instance_id"], task["name"])
        elif answer is not None and answer[0] != 409:
            raise AssertionError(f"complete {task['name']}: {answer}")


def kill_at_random_points(cluster: Cluster, rng: random.Random, until: float) -> None:
    """SIGKILL the whole server, one web process or one timer worker every 1.5-5 s; restart after 0-1 s."""
    while time.monotonic() < until:
        time.sleep(min(rng.uniform(1.5, 5.0), max(until - time.monotonic(), 0)))
        target = rng.choices(["server", "web process", "timer worker", "everything"], [3, 2, 4, 1])[0]
        if target in ("server", "everything"):
            cluster.kill_server()
        if target == "web process" and cluster.web_process_pids():
            cluster.kill_web_process(rng.choice(cluster.web_process_pids()))
        if target in ("timer worker", "everything"):
            for index in range(len(cluster.workers)):
                if target == "everything" or rng.random() < 0.5:
                    cluster.kill_worker(index)
        time.sleep(rng.uniform(0.0, 1.0))
        cluster.ensure_running()


def wait_for_due_timers(url: str, timeout: float) -> int:
    """Until no active case has a timer that is due (the workers fire them); how many were still due."""
    from sqlalchemy import create_engine, func, select

    from engine.store.models import ProcessInstance

    engine = create_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as connection:
                due = connection.scalar(select(func.count()).where(ProcessInstance.status == "active",
                                                                   ProcessInstance.next_due_at <= datetime.now(UTC)))
            if not due or time.monotonic() > deadline:
                return int(due or 0)
            time.sleep(0.5)
    finally:
        engine.dispose()


def test_killed_servers_and_workers_lose_no_acknowledged_action_and_leave_no_case_stuck_or_corrupted(cluster_for):
    print(f"\nfault harness: ONESTOP_FAULTS_SEED={SEED} ONESTOP_FAULTS_SECONDS={SECONDS:g}")
    cluster, tokens = cluster_for("onestop_faults")
    rng = random.Random(SEED)
    ledger, stop = Ledger(), threading.Event()
    clerks = [Clerk(person, tokens, cluster, ledger, rng.randrange(10**9), stop, max_starts=int(20 * SECONDS))
              for person in PEOPLE]
    for clerk in clerks:
        clerk.start()
    try:
        kill_at_random_points(cluster, rng, time.monotonic() + SECONDS)
    finally:
        stop.set()
        for clerk in clerks:
            clerk.join(ANSWER_WITHIN + 5)
    cluster.ensure_running()
    cluster.wait_ready(tokens["city1"])
    still_due = wait_for_due_timers(cluster.database_url, timeout=30)
    cluster.stop()  # nothing may change while the audit reads
    report = audit(cluster.database_url, ledger, now=datetime.now(UTC), grace=timedelta(seconds=5),
                   once_per_case=("accept", "review", "supervise"), fire_at_start=("escalation_due_now",))
    print(f"seed {SEED}; kills and restarts: {[e for e in cluster.events if 'SIGKILL' in e[1]]}")
    print(f"answers: {dict(sorted(ledger.outcomes.items()))}")
    print(f"acknowledged: {len(ledger.starts)} starts, {len(ledger.completes)} completions; cases: "
          f"{report.instances} {dict(report.by_status)}; timers fired by flow: {dict(report.timers_fired)}")
    failures = [clerk.failure for clerk in clerks if clerk.failure]
    assert not failures, f"seed {SEED}: {failures}"
    assert not any(clerk.is_alive() for clerk in clerks), "a client hung"
    hung = {k: n for k, n in ledger.outcomes.items() if "Timeout" in k}
    assert not hung, f"seed {SEED}: requests without an answer within {ANSWER_WITHIN:.0f} s: {hung}"
    kills = [e for e in cluster.events if "SIGKILL" in e[1]]
    assert kills, f"seed {SEED}: nothing was killed: run longer"
    assert len(ledger.starts) >= 10 and len(ledger.completes) >= 10, f"seed {SEED}: too little load to judge"
    assert report.timers_fired["escalation_due_soon"] > 0, "no timer was fired by the workers"
    assert still_due == 0, f"seed {SEED}: {still_due} due timers did not fire within 30 s"
    assert report.problems == [], f"seed {SEED}: " + "\n".join(report.problems[:50])


def _expect_503(api: Api, method: str, path: str, body: object = None) -> float:
    started = time.monotonic()
    status, answer = api.call(method, path, body)
    elapsed = time.monotonic() - started
    assert status == 503, (method, path, status, answer)
    assert isinstance(answer, dict) and answer["error"] == "database_unavailable", answer
    assert "Traceback" not in str(answer) and api.last_headers.get("Retry-After"), answer
    return elapsed


def test_a_stopped_database_answers_json_503_at_once_and_the_same_server_recovers(cluster_for, private_postgres):
    cluster, tokens = cluster_for("onestop_outage")
    with Api(cluster.port, tokens["win1"], timeout=ANSWER_WITHIN) as window:
        status, case = window.call("POST", "/process-instances", {"model_key": "escalation_demo",
                                                                 "data": {"county": "dongchangfu"}})
        assert status == 201
        [task] = window.call("GET", "/tasks?scope=department")[1]
        server_pid, web_pids = cluster.server.pid, sorted(cluster.web_process_pids())  # type: ignore[union-attr]
        worker_pids = [w.pid for w in cluster.workers]  # type: ignore[union-attr]
        private_postgres.stop()
        try:
            timings = [
                _expect_503(window, "GET", "/tasks?scope=department"),
                _expect_503(window, "GET", f"/process-instances/{case['id']}"),
                _expect_503(window, "POST", "/process-instances", {"model_key": "escalation_demo",
                                                                   "data": {"county": "dongchangfu"}}),
                _expect_503(window, "POST", f"/tasks/{task['id']}/complete",
                            {"data": {"approved": True, "months": 2}}),
            ]
            time.sleep(1.0)  # the timer workers sweep five times against the missing database
            assert all(w.poll() is None for w in cluster.workers), "a timer worker died with the database"
        finally:
            private_postgres.start()
        print(f"\n503 answers while the database was stopped came within {max(timings) * 1000:.0f} ms")
        assert max(timings) < ANSWER_WITHIN
        deadline = time.monotonic() + 30
        while window.call("GET", "/tasks?scope=department")[0] != 200:
            assert time.monotonic() < deadline, "the server did not recover within 30 s of the database's return"
            time.sleep(0.2)
        assert (cluster.server.pid, sorted(cluster.web_process_pids())) == (server_pid, web_pids), "restarted"
        assert [w.pid for w in cluster.workers] == worker_pids  # type: ignore[union-attr]
        status, done = window.call("POST", f"/tasks/{task['id']}/complete",
                                   {"data": {"approved": True, "months": 2}})
        assert status == 200, done
        status, soon = window.call("POST", "/process-instances", {"model_key": "escalation_due_soon",
                                                                 "data": {"county": "dongchangfu"}})
        assert status == 201
    with Api(cluster.port, tokens["talent1"]) as talent:
        deadline = time.monotonic() + 20
        while not any(t["instance_id"] == soon["id"] and t["name"] == "supervise"
                      for t in talent.call("GET", "/tasks?scope=department")[1]):
            assert time.monotonic() < deadline, "the timer workers fired nothing after the database returned"
            time.sleep(0.2)


def test_a_database_crash_under_load_gives_only_json_answers_and_no_acknowledged_action_is_lost(cluster_for,
                                                                                               private_postgres):
    cluster, tokens = cluster_for("onestop_crash")
    ledger, stop = Ledger(), threading.Event()
    clerks = [Clerk(person, tokens, cluster, ledger, index, stop, max_starts=200, database_may_be_away=True)
              for index, person in enumerate(PEOPLE)]
    for clerk in clerks:
        clerk.start()
    try:
        time.sleep(3)
        private_postgres.stop(crash=True)  # connections die without goodbye, as in a crash
        time.sleep(2)
        private_postgres.start()
        time.sleep(4)
    finally:
        stop.set()
        for clerk in clerks:
            clerk.join(ANSWER_WITHIN + 5)
    failures = [clerk.failure for clerk in clerks if clerk.failure]
    assert not failures, failures
    assert not any(clerk.is_alive() for clerk in clerks), "a request hung"
    assert any(k.startswith("503") for k in ledger.outcomes), f"no request met the crashed database: {ledger.outcomes}"
    assert not any(k.startswith("no answer") for k in ledger.outcomes), ledger.outcomes
    wait_for_due_timers(cluster.database_url, timeout=20)
    cluster.stop()
    report = audit(cluster.database_url, ledger, now=datetime.now(UTC), grace=timedelta(seconds=5),
                   once_per_case=("accept", "review", "supervise"))
    print(f"\nanswers around a database crash: {dict(sorted(ledger.outcomes.items()))}")
    assert report.problems == [], "\n".join(report.problems[:50])


def test_a_frozen_database_answers_json_503_within_a_bounded_time(cluster_for, private_postgres):
    """A database that stops answering without closing its connections (a stalled disk, a paused VM, a network
    partition) must not hang requests: the engine needs connect and statement deadlines (see docs/operations.md)."""
    cluster, tokens = cluster_for("onestop_frozen")
    with Api(cluster.port, tokens["city1"], timeout=FROZEN_ANSWER_WITHIN + 2) as api:
        assert api.call("GET", "/tasks?scope=department")[0] == 200
        private_postgres.freeze()
        try:
            started = time.monotonic()
            try:
                status, answer = api.call("GET", "/tasks?scope=department")
            except TimeoutError:
                status, answer = None, None
            elapsed = time.monotonic() - started
        finally:
            private_postgres.thaw()
    print(f"\nwith the database frozen, GET /tasks answered {status} after {elapsed:.1f} s")
    assert status == 503 and elapsed < FROZEN_ANSWER_WITHIN, (
        f"with the database frozen, GET /tasks answered {status} after {elapsed:.1f} s "
        f"(no answer within {FROZEN_ANSWER_WITHIN + 2:.0f} s means it hung): {answer}")
    with Api(cluster.port, tokens["city1"]) as api:
        assert api.call("GET", "/tasks?scope=department")[0] == 200


_FROZEN_WORKER = """
import sys, time
import engine.cases.scheduler as scheduler
from engine.config import Settings
from engine.platform import Platform

real_load_case = scheduler.load_case
def frozen(instance_id, **kwargs):  # called once the case's lease is held, before its timers run
    print("locked", instance_id, flush=True)
    time.sleep(300)  # killed long before this ends
    return real_load_case(instance_id, **kwargs)
scheduler.load_case = frozen
scheduler.fire_due_timers(Platform(Settings.from_env()))
"""


def test_a_worker_killed_while_firing_leaves_the_case_to_the_next_worker_at_once(platform, flow, deployed, clock):
    """SIGKILL a worker that holds a due case locked mid-firing: PostgreSQL ends its transaction with its
    connection, so the next sweep fires the case — once."""
    from engine.cases.scheduler import fire_due_timers

    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    clock.set(datetime(2026, 10, 20, 9, tzinfo=UTC))  # the accept deadline (working_days(3)) has passed
    env = {**os.environ, "ONESTOP_DATABASE_URL": str(PG_URL), "ONESTOP_INSTANCE_DIR": tempfile.gettempdir(),
           "ONESTOP_SECRET_KEY": "test-secret"}
    worker = subprocess.Popen([sys.executable, "-c", _FROZEN_WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = worker.stdout.readline()  # type: ignore[union-attr]
        assert line.split() == ["locked", str(case)], (line, worker.stderr.read() if worker.poll() else "")
        skipped = fire_due_timers(platform)
        assert skipped.fired == [] and skipped.skipped == [case], "the locked case was not left to its worker"
    finally:
        os.killpg(worker.pid, 9)
        worker.communicate(timeout=10)
    started = time.monotonic()
    report = fire_due_timers(platform)
    while report.fired != [case] and time.monotonic() - started < 10:
        time.sleep(0.1)
        report = fire_due_timers(platform)
    assert report.fired == [case], f"the case stayed locked after its worker was killed: {report}"
    assert [h["action"] for h in flow.view(case)["history"]].count("timer_fired") == 1


def test_a_worker_frozen_while_firing_holds_the_case_for_a_bounded_lease_only(platform, flow, deployed, clock,
                                                                              monkeypatch):
    """A worker that froze mid-firing (a paused VM, a network partition: its connection stays open) must not hold
    a due case for ever. The lease: the firing transaction sets `idle_in_transaction_session_timeout`
    (10 s), so PostgreSQL ends the frozen transaction, the next worker fires the case, and the frozen worker's
    late save fails instead of firing twice."""
    import engine.cases.scheduler as scheduler

    case = flow.start("escalation_demo", {"county": "dongchangfu"})
    clock.set(datetime(2026, 10, 20, 9, tzinfo=UTC))
    locked, release = threading.Event(), threading.Event()
    real_load_case = scheduler.load_case

    def frozen(instance_id: int, **kwargs: Any) -> Any:  # called once the case's lease is held
        if threading.current_thread().name == "frozen-worker":
            locked.set()
            release.wait(40)
        return real_load_case(instance_id, **kwargs)

    monkeypatch.setattr(scheduler, "load_case", frozen)
    outcome: list[Any] = []

    def frozen_worker() -> None:
        try:
            outcome.append(scheduler.fire_due_timers(platform))
        except Exception as error:  # noqa: BLE001 — the lease ended its transaction: expected
            outcome.append(error)

    thread = threading.Thread(target=frozen_worker, name="frozen-worker")
    thread.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        fired: list[int] = []
        while not fired and time.monotonic() - started < 20:
            fired = scheduler.fire_due_timers(platform).fired
            time.sleep(0.5)
        waited = time.monotonic() - started
    finally:
        release.set()
        thread.join(30)
    history = [h["action"] for h in flow.view(case)["history"]]
    assert history.count("timer_fired") == 1, f"the timer fired {history.count('timer_fired')} times: {outcome}"
    assert fired == [case], (f"a frozen worker held the due case for {waited:.0f} s and counting: no lease "
                             f"(see docs/operations.md, timers)")
