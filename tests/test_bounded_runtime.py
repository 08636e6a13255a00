"""Hostile and careless diagrams cannot stall, bloat or poison the platform: what can be seen before deploying is
refused with the element to change; what only shows while a case runs ends that case in `error` within the run's
limits, naming the element or the variable — and everyone else keeps working meanwhile."""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import pytest
from hostile import diagram, script_task, straight, user_task, with_script

from engine.cases.deployment import deploy
from engine.cases.instances import start_instance
from engine.errors import DeploymentRefused
from engine.people.identity import Actor
from engine.sandbox.limits import RunLimits

DESIGNER = Actor("designer", "designer")
APPLICANT = Actor("applicant", "applicant")
RUN_SECONDS = 2.0


@pytest.fixture
def limits() -> RunLimits:
    return RunLimits(seconds=RUN_SECONDS, memory_mib=96)


def deploy_files(platform: Any, files: dict[str, bytes]) -> str:
    with platform.uow() as uow:
        key = deploy(files, actor=DESIGNER, uow=uow, now=platform.now()).key
        uow.commit()
    return key


def refused(platform: Any, files: dict[str, bytes]) -> list[str]:
    with platform.uow() as uow, pytest.raises(DeploymentRefused) as raised:
        deploy(files, actor=DESIGNER, uow=uow, now=platform.now())
    return [problem["message"] for problem in raised.value.details]


def start(platform: Any, key: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    with platform.uow(optimistic=True) as uow:
        result = start_instance(key, data or {}, actor=APPLICANT, uow=uow, now=platform.now())
        uow.commit()
    with platform.uow(write=False) as uow:
        from engine.store.models import ProcessInstance

        row = uow.session.get(ProcessInstance, result["id"])
        return {"id": row.id, "status": row.status, "error": row.error_message, "task": row.error_task,
                "data": row.data}


# --- what only shows while the case runs: the case ends in error, within the limits ---------------------------

def test_a_cpu_bomb_in_one_c_call_is_killed_at_the_time_limit_and_the_case_goes_to_error(platform):
    # 80,000 integers with one hash value: building the set compares every pair, in one C call that no step
    # counter inside Python ever sees.
    key = deploy_files(platform, with_script("cpu_bomb", "keys = set([i * 2305843009213693951 for i in range(80000)])"))
    began = time.monotonic()
    case = start(platform, key)
    elapsed = time.monotonic() - began
    assert case["status"] == "error"
    assert "time limit" in case["error"] and "bomb" in case["error"]
    assert elapsed < RunLimits(seconds=RUN_SECONDS).wall_seconds + 2  # killed at 2 s of CPU time, or 6 s at most
    assert platform.sandbox.killed >= 1


def test_a_memory_bomb_spread_over_many_lines_ends_in_error_and_the_server_process_stays_small(platform):
    script = "\n".join(f"v{i} = 'x' * 8_000_000 + '{i}'" for i in range(40))  # 320 MB, 8 MB a line
    key = deploy_files(platform, with_script("memory_bomb", script))
    resident_before = _resident_mib()
    case = start(platform, key)
    assert case["status"] == "error"
    assert "memory" in case["error"] or "MiB" in case["error"]
    assert _resident_mib() - resident_before < 50  # the bomb went off in the child, not here


def _resident_mib() -> float:
    with open("/proc/self/statm") as statm:
        import os

        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.parametrize(("script", "variable", "words"), [
    ("numbers = range(3)", "numbers", "range"),
    ("z = 1j", "z", "complex"),
    ("loop = []\nloop.append(loop)", "loop", "contains itself"),
    ("big = 10 ** 400", "big", "64 bits"),
    ("nan = float('nan')", "nan", "nan"),
    ("bad = 'caf\\udc80'", "bad", "surrogate"),
    ("text = 'x' * 1_500_000", "text", "longer than"),
    ("deep = " + "[" * 40 + "1" + "]" * 40, "deep", "nested"),
    ("kinds = {1, 2}", "kinds", "set"),
])
def test_a_script_result_case_data_cannot_hold_ends_the_case_in_error_naming_the_variable(platform, script,
                                                                                           variable, words):
    key = deploy_files(platform, with_script("unstorable", script))
    case = start(platform, key)
    assert case["status"] == "error"
    assert f"'{variable}" in case["error"] and words in case["error"], case["error"]


def test_a_loop_that_never_ends_stops_with_an_error_naming_the_element(platform):
    nodes = ['<bpmn:startEvent id="start" />', script_task("count", "n = n + 1"),
             '<bpmn:exclusiveGateway id="again" name="再来一次" />', user_task("wait"), '<bpmn:endEvent id="end" />']
    files = diagram("endless", nodes, [("start", "count", None), ("count", "again", None),
                                       ("again", "count", "True"), ("again", "wait", None), ("wait", "end", None)],
                    default={"again": "wait"})
    case = start(platform, deploy_files(platform, files), {"n": 0})
    assert case["status"] == "error"
    assert "count" in case["error"] or "again" in case["error"]
    assert "loop" in case["error"]


def test_a_cycle_computed_to_fire_without_pause_ends_its_case_in_error_naming_the_timer(platform):
    # Not refused at deploy (the cycle is computed), and SpiffWorkflow would fire it for ever in one run.
    boundary = ('<bpmn:boundaryEvent id="nag" name="催办" cancelActivity="false" attachedToRef="wait">'
                '<bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R/" + "PT0S"'
                '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    nodes = ['<bpmn:startEvent id="start" />', user_task("wait"), boundary, '<bpmn:endEvent id="end" />',
             '<bpmn:endEvent id="nagged" />']
    files = diagram("nagging", nodes, [("start", "wait", None), ("wait", "end", None), ("nag", "nagged", None)])
    case = start(platform, deploy_files(platform, files))
    assert case["status"] == "error"
    assert case["task"] == "nag (催办)" and "fired 100 times" in case["error"]


def test_a_cycle_that_started_long_ago_catches_up_in_one_sweep_within_the_budget(platform, clock):
    """A cycle computed to start 30 hours ago with an hourly interval: 31 firings due at once, all in one sweep;
    the case then waits for the next hour (not one firing per sweep for a day)."""
    from datetime import timedelta

    from engine.cases.scheduler import fire_due_timers

    boundary = ('<bpmn:boundaryEvent id="remind" name="每小时提醒" cancelActivity="false" attachedToRef="wait">'
                '<bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R40/" + since + '
                '"/PT1H"</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    nodes = ['<bpmn:startEvent id="start" />', user_task("wait"), boundary, '<bpmn:endEvent id="end" />',
             '<bpmn:endEvent id="reminded" />']
    files = diagram("hourly", nodes, [("start", "wait", None), ("wait", "end", None), ("remind", "reminded", None)])
    since = (clock.now() + timedelta(hours=1)).isoformat()
    case = start(platform, deploy_files(platform, files), {"since": since})
    assert case["status"] == "active"
    clock.advance(timedelta(hours=31, minutes=30))
    report = fire_due_timers(platform)
    assert report.fired == [case["id"]]
    with platform.uow(write=False) as uow:
        from engine.store.models import HistoryEntry, ProcessInstance

        row = uow.session.get(ProcessInstance, case["id"])
        fired = uow.session.query(HistoryEntry).filter_by(instance_id=case["id"], action="timer_fired").count()
        assert row.status == "active" and fired == 31
        assert row.next_due_at > clock.now()


def test_a_multi_instance_of_twenty_thousand_items_from_the_case_data_ends_in_error(platform):
    mi = user_task("each", '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>n</bpmn:loopCardinality>'
                           '</bpmn:multiInstanceLoopCharacteristics>')
    key = deploy_files(platform, straight("wide", mi))
    case = start(platform, key, {"n": 20_000})
    assert case["status"] == "error"
    assert "each" in (case["error"] + (case["task"] or ""))


def test_a_killed_run_leaves_a_working_platform_behind(platform):
    bomb = deploy_files(platform, with_script("cpu_bomb2", "k = set([i * 2305843009213693951 for i in range(80000)])"))
    fine = deploy_files(platform, with_script("fine", "total = 1 + 2"))
    assert start(platform, bomb)["status"] == "error"
    case = start(platform, fine)
    assert case["status"] == "active" and case["data"]["total"] == 3


@pytest.mark.sqlite_only  # PostgreSQL has no database-wide write lock
def test_diagram_code_never_runs_while_the_unit_holds_the_write_lock(platform):
    key = deploy_files(platform, with_script("plain", "total = 1"))
    with platform.uow() as uow, pytest.raises(RuntimeError, match="write lock"):
        start_instance(key, {}, actor=APPLICANT, uow=uow, now=platform.now())


# --- what can be seen before: refused at deploy, naming the element ---------------------------------------------

def _cycle(key: str, cycle: str) -> dict[str, bytes]:
    boundary = ('<bpmn:boundaryEvent id="nag" name="催办" cancelActivity="false" attachedToRef="wait">'
                f'<bpmn:timerEventDefinition><bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{cycle}'
                '</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    nodes = ['<bpmn:startEvent id="start" />', user_task("wait"), boundary, '<bpmn:endEvent id="end" />',
             '<bpmn:endEvent id="nagged" />']
    return diagram(key, nodes, [("start", "wait", None), ("wait", "end", None), ("nag", "nagged", None)])


@pytest.mark.parametrize(("cycle", "words"), [
    ("'R/PT0S'", "shortest interval"),
    ("'R5/PT0S'", "shortest interval"),
    ("'R/PT10S'", "shortest interval"),
    ("'R/2020-01-01T00:00:00+08:00/PT1H'", "fire"),
    ("'R500/2024-01-01T00:00:00+08:00/P1D'", "fire"),
])
def test_a_cycle_timer_that_would_fire_without_pause_or_all_at_once_is_refused_at_deploy(platform, cycle, words):
    messages = refused(platform, _cycle("cycles", cycle))
    assert any("'nag'" in m and words in m for m in messages), messages


def test_a_cycle_with_a_sane_interval_deploys(platform):
    assert deploy_files(platform, _cycle("sane", "'R3/PT1H'")) == "sane"


def test_a_literal_cardinality_over_the_limit_is_refused_at_deploy(platform):
    mi = user_task("each", '<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>20000</bpmn:loopCardinality>'
                           '</bpmn:multiInstanceLoopCharacteristics>')
    messages = refused(platform, straight("wide_literal", mi))
    assert any("'each'" in m and "20,000" in m and "1,000" in m for m in messages), messages


def test_a_parallel_split_wider_than_the_limit_is_refused_at_deploy(platform):
    branches = [script_task(f"b{i}", "x = 1") for i in range(150)]
    nodes = ['<bpmn:startEvent id="start" />', '<bpmn:parallelGateway id="split" />', *branches,
             '<bpmn:parallelGateway id="join" />', user_task("wait"), '<bpmn:endEvent id="end" />']
    flows = [("start", "split", None), *[("split", f"b{i}", None) for i in range(150)],
             *[(f"b{i}", "join", None) for i in range(150)], ("join", "wait", None), ("wait", "end", None)]
    messages = refused(platform, diagram("split", nodes, flows))
    assert any("'split'" in m and "150 outgoing" in m for m in messages), messages


def test_a_standard_loop_without_a_maximum_is_refused_at_deploy(platform):
    looped = script_task("again", "n = 1").replace(
        "</bpmn:scriptTask>", "<bpmn:standardLoopCharacteristics><bpmn:loopCondition>True</bpmn:loopCondition>"
        "</bpmn:standardLoopCharacteristics></bpmn:scriptTask>")
    messages = refused(platform, straight("looped", looped))
    assert any("'again'" in m and "loopMaximum" in m for m in messages), messages


# --- everyone else keeps working --------------------------------------------------------------------------------

def test_another_user_keeps_working_while_a_hostile_case_runs(platform, people, client, deployed):
    bomb = deploy_files(platform, with_script("cpu_bomb3", "k = set([i * 2305843009213693951 for i in range(80000)])"))
    answers: dict[str, Any] = {}

    def hostile() -> None:
        answers["bomb"] = client.post("/api/v1/process-instances", json={"model_key": bomb, "data": {}},
                                      headers=people.headers("applicant")).get_json()

    thread = threading.Thread(target=hostile)
    thread.start()
    time.sleep(0.3)  # the hostile run is under way in its child process
    worst = 0.0
    for _round in range(3):
        began = time.monotonic()
        listed = client.get("/api/v1/tasks?scope=department", headers=people.headers("win_dcf"))
        started = client.post("/api/v1/process-instances", json={"model_key": deployed,
                                                                 "data": {"county": "dongchangfu"}},
                              headers=people.headers("other_applicant"))
        worst = max(worst, time.monotonic() - began)
        assert listed.status_code == 200 and started.status_code == 201
    thread.join(timeout=RUN_SECONDS + 10)
    assert worst < 2.0, f"another user's requests took {worst:.2f} s while a hostile case ran"
    assert answers["bomb"]["status"] == "error"


# --- each bound of the step budget, hit directly --------------------------------------------------------------

class _Spec:
    def __init__(self, name: str) -> None:
        self.name, self.bpmn_name = name, None


class _Task:
    """Just what the budget reads of a SpiffWorkflow task."""

    def __init__(self, name: str, parent: _Task | None = None, workflow: Any = None) -> None:
        self.task_spec, self.parent, self.id = _Spec(name), parent, object()
        self.workflow = workflow


def _workflow(tasks: int) -> Any:
    from types import SimpleNamespace

    workflow = SimpleNamespace(tasks=dict.fromkeys(range(tasks)), subprocesses={})
    workflow.top_workflow = workflow
    return workflow


def test_the_step_budget_stops_a_run_at_its_step_limit():
    from engine.cases.stepping import MAX_STEPS_PER_RUN, BudgetExceeded, RunBudget

    budget, workflow, root = RunBudget(), _workflow(10), _Task("root")
    with pytest.raises(BudgetExceeded, match=f"{MAX_STEPS_PER_RUN:,} engine steps"):
        for index in range(MAX_STEPS_PER_RUN + 1):  # many elements side by side: no one element, no depth
            budget.charge(_Task(f"branch_{index % 900}", root, workflow))


def test_the_step_budget_stops_an_element_that_runs_too_often():
    from engine.cases.stepping import MAX_RUNS_OF_ONE_ELEMENT, BudgetExceeded, RunBudget

    budget, workflow, root = RunBudget(), _workflow(10), _Task("root")
    with pytest.raises(BudgetExceeded, match=f"ran {MAX_RUNS_OF_ONE_ELEMENT:,} times") as raised:
        for _index in range(MAX_RUNS_OF_ONE_ELEMENT + 1):
            budget.charge(_Task("again", root, workflow))
    assert raised.value.element == "again"


def test_the_step_budget_stops_a_task_tree_before_the_engine_stops_walking_it():
    from engine.cases.stepping import MAX_TREE_DEPTH, BudgetExceeded, RunBudget

    budget, workflow = RunBudget(), _workflow(10)
    task = _Task("root", None, workflow)
    with pytest.raises(BudgetExceeded, match=f"{MAX_TREE_DEPTH} steps in a row"):
        for index in range(MAX_TREE_DEPTH + 1):
            task = _Task(f"step_{index % 2}", task, workflow)
            budget.charge(task)


def test_the_step_budget_stops_a_case_with_too_many_tasks():
    from engine.cases.stepping import MAX_TASKS_PER_CASE, BudgetExceeded, RunBudget

    budget, workflow, root = RunBudget(), _workflow(MAX_TASKS_PER_CASE + 1), _Task("root")
    with pytest.raises(BudgetExceeded, match=f"over the limit of {MAX_TASKS_PER_CASE:,}"):
        for index in range(100):
            budget.charge(_Task(f"item_{index}", root, workflow))


def test_case_data_over_its_stored_size_is_refused_naming_the_limit(platform):
    from engine.bpmn.case_data import MAX_CASE_DATA_BYTES

    script = "\n".join(f"part{i} = 'x' * 900_000" for i in range(MAX_CASE_DATA_BYTES // 900_000 + 1))
    case = start(platform, deploy_files(platform, with_script("bulky", script)))
    assert case["status"] == "error"
    assert f"over the limit of {MAX_CASE_DATA_BYTES:,}" in case["error"]


def test_a_run_waits_for_a_free_child_process_and_is_refused_when_none_comes_free():
    from engine.errors import Busy
    from engine.sandbox.pool import Job, SandboxPool

    pool = SandboxPool(RunLimits(seconds=5, processes=1, acquire_seconds=0.5), preload=("engine.cases.jobs",))
    holder = threading.Thread(target=lambda: pool.run(Job("sandbox_handlers:pause", 2)))
    try:
        holder.start()
        time.sleep(0.8)  # the one child is busy for two seconds
        with pytest.raises(Busy, match="busy"):
            pool.run(Job("sandbox_handlers:pause", 0))
    finally:
        holder.join()
        pool.close()


def test_metrics_count_the_runs_stopped_at_their_limit(platform, client):
    from test_metrics import parse

    before = parse(client.get("/metrics").get_data(as_text=True))["onestop_engine_runs_stopped_total"]
    bomb = deploy_files(platform, with_script("cpu_bomb4", "k = set([i * 2305843009213693951 for i in range(80000)])"))
    assert start(platform, bomb)["status"] == "error"
    after = parse(client.get("/metrics").get_data(as_text=True))
    assert after["onestop_engine_runs_stopped_total"] == before + 1
    assert after["onestop_engine_processes_started_total"] >= 1


def test_a_thread_polls_for_its_runs_answer_only_briefly_and_only_with_a_cpu_to_spare(tmp_path, monkeypatch):
    """The wait for a run's answer polls for at most ``spin_seconds`` while the kernel runs no more threads than this
    process has CPUs, then sleeps as before: a quick run and a slow one both answer, an overrunning one is still
    stopped at its limit, and a machine with every CPU busy is not polled on."""
    from engine.errors import RunStopped
    from engine.sandbox.pool import _CPUS, Job, SandboxPool, cpu_to_spare

    load = tmp_path / "loadavg"
    load.write_text(f"0.50 0.40 0.30 {_CPUS}/85 1234\n")
    assert cpu_to_spare(str(load))
    load.write_text(f"3.50 2.40 1.30 {_CPUS + 1}/85 1234\n")
    assert not cpu_to_spare(str(load))
    load.write_text("garbled\n")
    assert not cpu_to_spare(str(load)) and not cpu_to_spare(str(tmp_path / "missing"))
    kept = os.open(load, os.O_RDONLY)  # the file a process keeps open is read afresh at every look
    try:
        monkeypatch.setattr("engine.sandbox.pool._LOADAVG", kept)
        load.write_text(f"0.50 0.40 0.30 {_CPUS}/85 1234\n")
        assert cpu_to_spare()
        load.write_text(f"3.50 2.40 1.30 {_CPUS + 1}/85 1234\n")
        assert not cpu_to_spare()
        monkeypatch.setattr("engine.sandbox.pool._LOADAVG", None)  # none to read (not Linux): never poll
        assert not cpu_to_spare()
    finally:
        os.close(kept)
    with pytest.raises(ValueError, match="ONESTOP_SANDBOX_SPIN_SECONDS"):
        RunLimits.from_env({"ONESTOP_SANDBOX_SPIN_SECONDS": "1"})
    assert RunLimits.from_env({"ONESTOP_SANDBOX_SPIN_SECONDS": "0"}).spin_seconds == 0

    monkeypatch.setattr("engine.sandbox.pool.cpu_to_spare", lambda: True)  # whatever else this machine runs now
    pool = SandboxPool(RunLimits(seconds=0.2, processes=1, spin_seconds=0.01), preload=("engine.cases.jobs",))
    try:
        assert pool.run(Job("sandbox_handlers:pause", 0)) == 0  # within the poll
        assert pool.run(Job("sandbox_handlers:pause", 0.05)) == 0.05  # after it: the thread slept
        began = time.monotonic()
        with pytest.raises(RunStopped, match="stopped after"):
            pool.run(Job("sandbox_handlers:pause", 5))  # past the wall-clock limit (3 × 0.2 s)
        assert time.monotonic() - began < 3
    finally:
        pool.close()


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG])
def test_an_engine_child_takes_the_servers_levels_for_spiffworkflows_loggers(level, monkeypatch):
    """A child starts afresh (from the fork server), without the logging set-up of `onestop serve`: it is handed the
    parent's effective level for each SpiffWorkflow logger. Left unset there, SpiffWorkflow gathers every task of the
    workflow for a log record at each state change, logged or not (WARNING: quiet and cheap; `-v`: DEBUG)."""
    from engine.sandbox.child import SPIFF_LOGGERS
    from engine.sandbox.pool import Job, SandboxPool

    for name in SPIFF_LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    monkeypatch.setattr(logging.getLogger("spiff"), "level", level)  # the others inherit it
    pool = SandboxPool(RunLimits(seconds=5, processes=1))
    try:
        assert pool.run(Job("sandbox_handlers:logger_levels", list(SPIFF_LOGGERS))) == \
            dict.fromkeys(SPIFF_LOGGERS, level)
    finally:
        pool.close()
