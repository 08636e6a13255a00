"""The runs that execute diagram code, as they happen in the engine's child process (engine/sandbox/).

Each handler takes its arguments and the assets it named (the parsed flow, the calendar), restores or creates
the workflow, advances it within the step budget and answers a :class:`RunResult` — plain data the server
writes. Nothing here touches the database: a handler is a function of its arguments."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import messages
from engine.bpmn.expressions import ExpressionFunctions
from engine.bpmn.scripting import RestrictedScriptEngine
from engine.bpmn.serialization import InstanceSerializer
from engine.bpmn.service_tasks import give_result, waiting_service_task, waiting_service_tasks
from engine.bpmn.timers import to_aware, waiting_timer_due_times
from engine.bpmn.validation import Bundle, load_bundle
from engine.calendar.workdays import WorkingCalendar
from engine.cases.stepping import RunBudget, advance, label
from engine.cases.summary import RunResult, StepFailure, ready_manual_tasks, summarize
from engine.cases.token_rules import MoveRefused, apply_move, check_move
from engine.clock import FixedClock
from engine.notify.diagram import arriving_notices
from engine.people.organisation import Organisation
from engine.sandbox.child import after_answer

SERIALIZER = InstanceSerializer()
_NO_ORGANISATION = Organisation([], [])  # a deployed flow's lanes were checked when it was deployed
MAX_DRY_RUN_STEPS = 200  # user tasks a dry run completes before it stops ("a loop?")


# --- assets ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BundleFiles:
    """A deployed flow as files, with the flows it calls: what a child needs to parse it."""

    files: dict[str, bytes]
    linked: dict[str, BundleFiles] = field(default_factory=dict)

    @classmethod
    def of(cls, bundle: Bundle) -> BundleFiles:
        return cls(dict(bundle.files), {pid: cls.of(linked) for pid, linked in bundle.linked.items()})


def build_bundle(payload: BundleFiles) -> Bundle:
    linked = {pid: build_bundle(files) for pid, files in payload.linked.items()}
    return load_bundle(payload.files, _NO_ORGANISATION, check=False, linked=linked)


def build_calendar(payload: WorkingCalendar) -> WorkingCalendar:
    return payload


# --- the workflow of one run -------------------------------------------------------------------------------

def make_script_engine(calendar: WorkingCalendar, now: datetime) -> tuple[RestrictedScriptEngine,
                                                                         ExpressionFunctions]:
    tz = calendar.tz
    functions = ExpressionFunctions(calendar, now, tz)
    engine = RestrictedScriptEngine(functions.as_mapping())
    engine.clock = FixedClock(now)  # type: ignore[attr-defined]
    engine.tz = tz  # type: ignore[attr-defined]
    engine.fired_timers = []  # type: ignore[attr-defined]  # filled by engine/bpmn/timers.py as timers fire
    engine.expression_functions = functions  # type: ignore[attr-defined]  # the calendar, for a stopped clock
    engine.clock_events = []  # type: ignore[attr-defined]  # deadlines resumed after a correction, for history
    engine.notifications = []  # type: ignore[attr-defined]  # what the diagram sent (engine/notify/diagram.py)
    return engine, functions


@dataclass(frozen=True)
class Run:
    """What every run names: its flow and calendar (asset keys) and the moment it runs at."""

    bundle: str
    calendar: str
    now: datetime


# The state a child's last run left, restored again while the child waited for its next job (after_answer): the
# case's next run, if it comes to this child with exactly that state, starts from it instead of restoring it then.
# The same restore of the same text, done earlier — never the workflow object the run itself worked on. What a run
# reads off its starting state before it steps (what the case waits for, the user tasks waiting) is read then too.
_RESTORED: dict[str, Any] = {}


def _restore_ahead(bundle_key: str, bundle: Bundle, state: str) -> None:
    _RESTORED.clear()
    workflow = SERIALIZER.loads(state, bundle.spec, bundle.subprocess_specs)
    messages.watch(workflow)
    _RESTORED["ready"] = [str(task.id) for task in ready_manual_tasks(workflow)]
    _RESTORED["workflow"] = workflow
    _RESTORED["key"] = (bundle_key, state)


# A new case of the flow a child last started one of, made while it waited: the flow's next start takes it instead of
# making one then. Making one runs no diagram code (SpiffWorkflow lays out the start of the task tree; the script
# engine is attached after), so one made earlier is the same as one made at the start.
_FRESH: dict[str, Any] = {}


class _NoEngineYet:
    """The script engine of a workflow made ahead, until its run attaches the real one: never used."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError("a workflow made ahead ran before its script engine was attached")


def _create_ahead(bundle_key: str, bundle: Bundle) -> None:
    _FRESH.clear()
    _FRESH["workflow"] = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=_NoEngineYet())
    _FRESH["key"] = bundle_key


def _fresh(bundle_key: str, bundle: Bundle, engine: Any) -> tuple[BpmnWorkflow, bool]:
    """A new case's workflow — the one made ahead for this flow if there is one, else one made now — and which."""
    if _FRESH.get("key") == bundle_key:
        workflow: BpmnWorkflow = _FRESH.pop("workflow")
        _FRESH.clear()
        workflow.script_engine = engine
        return workflow, True
    return BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=engine), False


def _restore(bundle_key: str, bundle: Bundle, state: str) -> tuple[BpmnWorkflow, list[str] | None]:
    """The workflow of ``state`` and, if it was restored ahead (and watched then), its waiting user tasks' ids."""
    if _RESTORED.get("key") == (bundle_key, state):
        workflow: BpmnWorkflow = _RESTORED.pop("workflow")
        ready: list[str] = _RESTORED.pop("ready")
        _RESTORED.clear()
        return workflow, ready
    return SERIALIZER.loads(state, bundle.spec, bundle.subprocess_specs), None


class _Workflow:
    """A run's workflow with its functions (for the calendar years a deadline had no official data for)."""

    def __init__(self, run: Run, assets: Mapping[str, Any], state: str | None = None,
                 bundle_key: str | None = None) -> None:
        self.bundle_key = bundle_key or run.bundle
        self.bundle: Bundle = assets[self.bundle_key]
        engine, self.functions = make_script_engine(assets[run.calendar], run.now)
        self.new, self.created_ahead = state is None, False
        ready_ahead: list[str] | None = None
        if state is None:
            self.workflow, self.created_ahead = _fresh(self.bundle_key, self.bundle, engine)
        else:
            self.workflow, ready_ahead = _restore(self.bundle_key, self.bundle, state)
            self.workflow.script_engine = engine  # not serialized: re-attached after every load
        self.restored_ahead = ready_ahead is not None
        if ready_ahead is None:
            # What it waits for from outside now, to report what the run changed (engine/cases/summary.py).
            messages.watch(self.workflow, new=state is None)
        self._ready_before = ready_ahead

    def ready_before(self) -> list[str]:
        """The ids of the user tasks waiting before the run (call before it steps)."""
        if self._ready_before is None:
            self._ready_before = [str(task.id) for task in ready_manual_tasks(self.workflow)]
        return self._ready_before

    def result(self, failure: StepFailure | None) -> RunResult:
        """The run's outcome; on failure nothing of the run (state None: the stored state stays)."""
        if failure is not None:
            return RunResult(state=None, failure=failure)
        ready = ready_manual_tasks(self.workflow)
        result = summarize(self.workflow, SERIALIZER, fallback_years=self.functions.fallback_years, ready=ready)
        if result.failure is None:
            try:  # what the diagram sent on the way, and the user tasks that tell someone as they arrive
                result.notifications = [*self.workflow.script_engine.notifications,  # type: ignore[attr-defined]
                                        *arriving_notices(ready)]
            except Exception as error:  # noqa: BLE001 — a recipient expression that fails is the diagram's error
                return RunResult(state=None, failure=StepFailure(task=getattr(error, "task", None),
                                                                 message=f"notification: {error}", line=None))
        if self.restored_ahead:
            result.extra["restored_ahead"] = True
        if self.created_ahead:
            result.extra["created_ahead"] = True
        if result.state is not None and result.failure is None and not result.completed:
            state, key, bundle = result.state, self.bundle_key, self.bundle
            after_answer(lambda: _restore_ahead(key, bundle, state))
        if self.new:  # the flow's next start, most likely soon
            after_answer(functools.partial(_create_ahead, self.bundle_key, self.bundle))
        return result


def enter_data(workflow: BpmnWorkflow, data: Mapping[str, Any]) -> None:
    for task in workflow.get_tasks(state=TaskState.READY):  # the READY start task: the case data enters here
        task.data.update(data)


# --- the handlers ------------------------------------------------------------------------------------------

def warm(_args: None, assets: Mapping[str, Any]) -> int:
    """Nothing but the assets, built as the job arrived (engine/cases/runner.py ``warm_up``): how many."""
    return len(assets)


@dataclass(frozen=True)
class StartRun(Run):
    data: dict[str, Any] = field(default_factory=dict)


def start(run: StartRun, assets: Mapping[str, Any]) -> RunResult:
    """A new case of the flow, run to its first wait. On failure: the state before the first step, to retry."""
    case = _Workflow(run, assets)
    enter_data(case.workflow, run.data)
    result = case.result(advance(case.workflow, lambda wf: None))
    if result.failure is not None:
        result.state = initial_state(run, assets)
    return result


def initial_state(run: StartRun, assets: Mapping[str, Any]) -> str:
    """A new case of the flow holding its start data, before any step: what a failed start retries from. Making
    it runs no diagram code (so the server may make it when a start was stopped at a limit)."""
    fresh = _Workflow(run, assets)
    enter_data(fresh.workflow, run.data)
    return SERIALIZER.dumps(fresh.workflow)


def ready_manual_task(workflow: BpmnWorkflow, spiff_task_id: str) -> Any:
    """The READY user task with that id, or None (it finished, or the case moved on)."""
    try:
        task = workflow.get_task_from_id(UUID(spiff_task_id))
    except Exception:  # noqa: BLE001 — Spiff raises its own TaskNotFound
        return None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        return None
    return task


@dataclass(frozen=True)
class CompleteRun(Run):
    state: str = ""
    task_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def complete(run: CompleteRun, assets: Mapping[str, Any]) -> RunResult:
    """Complete one READY user task with the submitted data and run the case on to its next wait."""
    case = _Workflow(run, assets, run.state)
    task = ready_manual_task(case.workflow, run.task_id)
    if task is None:
        return RunResult(state=None, conflict="the task is no longer waiting for a person")
    before = case.ready_before()

    def submit(_wf: Any) -> None:
        task.set_data(**run.data)
        task.run()

    result = case.result(advance(case.workflow, submit))
    if result.failure is None:
        result.ready_before = before
    return result


@dataclass(frozen=True)
class TimersRun(Run):
    state: str = ""


def fire_timers(run: TimersRun, assets: Mapping[str, Any]) -> RunResult:
    """Fire what is due and run the case on; a timer that is due again at once (a cycle that started in the past)
    fires again in the same run, within the run's budget — so one without an interval ends in an error that
    names it, instead of firing at every sweep for ever."""
    case = _Workflow(run, assets, run.state)
    budget = RunBudget()
    failure = advance(case.workflow, lambda wf: wf.refresh_timers(), budget)
    while failure is None and any(due <= run.now for _task, due in waiting_timer_due_times(case.workflow)):
        failure = advance(case.workflow, lambda wf: wf.refresh_timers(), budget)
    return case.result(failure)


@dataclass(frozen=True)
class RetryRun(Run):
    state: str = ""
    pending: dict[str, Any] = field(default_factory=dict)
    fixes: dict[str, Any] = field(default_factory=dict)


def retry(run: RetryRun, assets: Mapping[str, Any]) -> RunResult:
    """Replay what failed — a task completion (with the corrections merged into what was submitted), a worker's
    answer to a service task, the engine's own steps, or the timers — from the last good state. A service task
    whose job failed (engine/integration/) needs no replay: saving the case offers its job again."""
    case = _Workflow(run, assets, run.state)
    pending = run.pending
    if pending.get("action") == "external_complete":  # a worker's result, whose steps after it failed
        service = waiting_service_task(case.workflow, str(pending.get("task")))
        if service is None:
            return RunResult(state=None, conflict="the service task no longer waits for a worker")

        def answer(_wf: Any) -> None:
            service.data.update(run.fixes)
            give_result(service, pending.get("result"))

        return case.result(advance(case.workflow, answer))
    if pending.get("action") == "deliver":  # a message or signal the case caught, whose steps after it failed
        try:
            caught = messages.deliver(case.workflow, pending["kind"], pending["name"], pending.get("payload"),
                                      pending.get("correlations"))
        except Exception as error:  # noqa: BLE001 — reported like a step that fails
            return RunResult(state=None, failure=StepFailure(task=None, message=f"{type(error).__name__}: {error}",
                                                             line=None))
        if not caught:
            return RunResult(state=None, conflict=f"the case no longer waits for the {pending['kind']} "
                                                  f"{pending['name']!r}")
        return case.result(advance(case.workflow, lambda wf: _fix_ready(wf, run.fixes)))
    if pending.get("action") == "complete":
        task = ready_manual_task(case.workflow, str(pending.get("task")))
        if task is None:
            return RunResult(state=None, conflict="the task is no longer waiting for a person")
        submitted = {**pending.get("data", {}), **run.fixes}

        def replay(_wf: Any) -> None:
            task.set_data(**submitted)
            task.run()
    else:
        def replay(wf: Any) -> None:  # type: ignore[misc]  # one of two replays, chosen by what failed
            if pending.get("action") == "timers":
                # A failed firing was not saved: fire the due timers again first, so the corrections reach the
                # steps they start (a cycle's next round included).
                wf.refresh_timers()
            _fix_ready(wf, run.fixes)
    return case.result(advance(case.workflow, replay))


def _fix_ready(workflow: Any, fixes: Mapping[str, Any]) -> None:
    """Merge an administrator's corrections into the steps the engine runs next."""
    for ready in workflow.get_tasks(state=TaskState.READY):
        if not ready.task_spec.manual:
            ready.data.update(fixes)


@dataclass(frozen=True)
class MigrateRun(Run):
    state: str = ""
    target: str = ""  # the asset key of the version the case moves to
    mapping: dict[str, str] = field(default_factory=dict)


def migrate(run: MigrateRun, assets: Mapping[str, Any]) -> RunResult:
    """Re-attach the case's tasks and timers to the target version's steps (by id, or through ``mapping``),
    keeping the waiting timers' due moments, then run what became ready."""
    case = _Workflow(run, assets, run.state)
    target: Bundle = assets[run.target]
    workflow = case.workflow
    timers = [task for task, _due in waiting_timer_due_times(workflow)]
    workflow.script_engine.preset_timers = {  # type: ignore[attr-defined]  # read as the timers re-arm
        run.mapping.get(task.task_spec.name, task.task_spec.name): {
            "event_value": task._get_internal_data("event_value"),
            "timer_started": task._get_internal_data("timer_started")} for task in timers}

    def move(wf: Any) -> None:
        top_diff, sub_diffs = diff_workflow(SERIALIZER.registry, wf, target.spec, target.subprocess_specs)
        _apply_mapping(top_diff, target.spec, run.mapping)
        migrate_workflow(top_diff, wf, target.spec)
        for sub_id, sub_diff in sub_diffs.items():
            sub = wf.subprocesses[sub_id]
            if sub_diff is not None:
                new_spec = target.subprocess_specs[sub.spec.name]
                _apply_mapping(sub_diff, new_spec, run.mapping)
                migrate_workflow(sub_diff, sub, new_spec)
        wf.subprocess_specs = target.subprocess_specs

    return case.result(advance(workflow, move))


def _mapped(name: str, mapping: Mapping[str, str]) -> str | None:
    """The new id of a step; the engine's helper specs of a task (``accept.BoundaryEventSplit``) follow it."""
    if name in mapping:
        return mapping[name]
    head, dot, tail = name.partition(".")
    return f"{mapping[head]}.{tail}" if dot and head in mapping else None


def _apply_mapping(diff: Any, spec: Any, mapping: Mapping[str, str]) -> None:
    for task in [*diff.alignment, *diff.removed]:
        new_name = _mapped(task.task_spec.name, mapping)
        if new_name is not None and new_name in spec.task_specs:
            diff.alignment[task] = spec.task_specs[new_name]
            if task in diff.removed:
                diff.removed.remove(task)


@dataclass(frozen=True)
class MoveRun(Run):
    state: str = ""
    source: str = ""  # the waiting step: its task id or element id
    target: str = ""  # the element of the case's own process the token moves to


def move_token(run: MoveRun, assets: Mapping[str, Any]) -> RunResult:
    """Cancel the waiting step and start the target element in its place (engine/cases/token_rules.py), then run
    the case on to its next wait. A move that cannot be done safely changes nothing: a conflict saying why."""
    case = _Workflow(run, assets, run.state)
    try:
        check_move(case.workflow, run.source, run.target)
    except MoveRefused as refused:
        return RunResult(state=None, conflict=refused.message, extra={"message_zh": refused.message_zh})
    return case.result(advance(case.workflow, lambda wf: apply_move(wf, run.source, run.target)))


@dataclass(frozen=True)
class RecomputeRun(Run):
    state: str = ""
    start: datetime | None = None
    end: datetime | None = None


def recompute(run: RecomputeRun, assets: Mapping[str, Any]) -> RunResult:
    """Evaluate again, on today's calendar and from the moment each token arrived, the case's waiting date
    timers due in [start, end). ``extra["moves"]`` lists what changed; with no change nothing is stored."""
    case = _Workflow(run, assets, run.state)
    moves = []
    failure = None
    for task, due in waiting_timer_due_times(case.workflow):
        started = task._get_internal_data("timer_started")
        if run.start is None or run.end is None or not (run.start <= due < run.end) or started is None or \
                not isinstance(task.task_spec.event_definition, TimeDateEventDefinition):
            continue  # durations and cycles do not follow the calendar
        functions = case.functions
        moment, functions.moment = functions.moment, datetime.fromisoformat(started)
        try:
            value = case.workflow.script_engine.evaluate(task, task.task_spec.event_definition.expression)
            new_due = to_aware(value.isoformat() if isinstance(value, datetime) else value,
                               case.workflow.script_engine.tz)
        except Exception as error:  # noqa: BLE001 — a timer that cannot be evaluated again is reported
            failure = StepFailure(task=label(task.task_spec), message=f"{type(error).__name__}: {error}", line=None)
            break
        finally:
            functions.moment = moment
        if new_due != due:
            task._set_internal_data(event_value=new_due.isoformat())
            moves.append({"timer": task.task_spec.name, "before": due.isoformat(), "after": new_due.isoformat()})
    if failure is not None or not moves:
        return RunResult(state=None, failure=failure, extra={"moves": []})
    result = case.result(None)
    result.extra["moves"] = moves
    return result


@dataclass(frozen=True)
class DryRun(Run):
    data: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: dict[str, dict[str, Any]] = field(default_factory=dict)  # the smallest data each form accepts


def dry_run(run: DryRun, assets: Mapping[str, Any]) -> dict[str, Any]:
    """Start a case of a draft in memory and walk it as far as it goes: each user task is completed with
    ``answers[task id]`` or the sample for its form. Nothing is stored."""
    case = _Workflow(run, assets)
    workflow = case.workflow
    enter_data(workflow, run.data)
    steps: list[dict[str, Any]] = []
    failure = advance(workflow, lambda wf: None)
    while failure is None and not workflow.completed and len(steps) < MAX_DRY_RUN_STEPS:
        ready = ready_manual_tasks(workflow)
        if not ready:
            service = next(waiting_service_tasks(workflow), None)
            if service is None:
                break
            # An outside system's answer: the one given for the task, else a stand-in that says it is one.
            answer = run.answers.get(service.task_spec.name, {"dry_run": True})
            steps.append({"task": service.task_spec.name, "title": getattr(service.task_spec, "bpmn_name", None)
                          or service.task_spec.name, "lane": service.task_spec.lane, "data": answer,
                          "topic": service.task_spec.operation_name})
            def reply(_wf: Any, task: Any = service, result: Any = answer) -> None:
                give_result(task, result)

            failure = advance(workflow, reply)
            continue
        task = ready[0]
        spec = task.task_spec
        form = ((getattr(spec, "extensions", None) or {}).get("properties") or {}).get("formJsonSchemaFilename")
        submitted = dict(run.answers.get(spec.name) or run.samples.get(f"{task.workflow.spec.name}/{form}") or {})
        steps.append({"task": spec.name, "title": getattr(spec, "bpmn_name", None) or spec.name,
                      "lane": spec.lane, "data": submitted})

        def submit(_wf: Any, task: Any = task, submitted: dict[str, Any] = submitted) -> None:
            task.set_data(**submitted)
            task.run()

        failure = advance(workflow, submit)
    summary = summarize(workflow, SERIALIZER) if failure is None else None
    if summary is not None and summary.failure is not None:
        failure = summary.failure
    if failure is not None:
        stopped: dict[str, Any] = {"reason": "error", "task": failure.task, "message": failure.message,
                                   "line": failure.line}
    elif workflow.completed:
        stopped = {"reason": "completed"}
    elif len(steps) >= MAX_DRY_RUN_STEPS:
        stopped = {"reason": "step limit", "message": f"stopped after {MAX_DRY_RUN_STEPS} user tasks: a loop?"}
    elif messages.waits(workflow) and not waiting_timer_due_times(workflow):
        stopped = {"reason": "waiting for a message", "messages": [
            {"kind": w["kind"], "name": w["name"], "element": w["element"]} for w in messages.waits(workflow)]}
    else:
        stopped = {"reason": "waiting for a timer", "timers": [
            {"timer": task.task_spec.name, "due_at": due.isoformat()} for task, due in
            waiting_timer_due_times(workflow)]}
    data = summary.data if summary is not None and summary.failure is None else {}
    return {"steps": steps, "stopped": stopped, "data": data,
            "calendar_fallback_years": sorted(case.functions.fallback_years)}
