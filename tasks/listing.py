"""What the web lists show: task-list pages (views, filters, counts, keyset pages, saved filters), the services
a person may start, their cases, and one case's steps and result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, true

from engine.bpmn.forms import validate_form_data
from engine.cases.deployment import latest_version
from engine.cases.instances import get_visible, needs_county, start_forms
from engine.cases.priority import PRIORITIES, PRIORITY_NAMES
from engine.cases.runner import load_case, restore
from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.people.privacy import mask_text
from engine.store.json_text import json_text
from engine.store.models import HistoryEntry, HumanTask, ProcessInstance, ProcessModel, SavedFilter, User
from engine.store.uow import UnitOfWork

from .service import instance_task_rows

__all__ = ["DEFAULT_START_FORM", "PAGE_SIZE", "TaskPage", "TaskQuery", "case_overview", "case_result", "cases_of",
           "count_matching", "delete_filter", "display_names", "flow_names", "list_task_page", "save_filter",
           "saved_filters", "service", "services", "start_service", "view_counts"]

VIEWS = ("mine", "department", "all")
STATES = ("open", "claimed")
DUE = ("today", "overdue")
SORTS = ("due", "priority")
OPEN = ("open", "claimed")
PAGE_SIZE = 20
MAX_SAVED_FILTERS = 30
# Flows name the person a case is for in one of these case-data fields.
APPLICANT_KEYS = ("applicant_name", "applicant", "talent_name")


def _problem(field: str, message: str, message_zh: str) -> dict[str, str]:
    return {"field": field, "message": message, "message_zh": message_zh}


@dataclass(frozen=True)
class TaskQuery:
    """One task-list view and its filters, as read from a URL or a saved filter (all plain text)."""

    view: str = "mine"
    flow: str = ""
    state: str = ""
    due: str = ""
    county: str = ""
    applicant: str = ""
    priority: str = ""  # normal | urgent | critical (engine/cases/priority.py)
    sort: str = ""  # "" by deadline; "priority": 特急 first, then 紧急, then 普通, each by deadline

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, default_view: str = "mine") -> TaskQuery:
        values = {f.name: str(raw.get(f.name) or "").strip() for f in fields(cls)}
        values["view"] = values["view"] or default_view
        problems = []
        if values["view"] not in VIEWS:
            problems.append(_problem("view", f"one of {', '.join(VIEWS)}", "不是可选的视图"))
        if values["state"] and values["state"] not in STATES:
            problems.append(_problem("state", f"one of {', '.join(STATES)}", "不是可选的状态"))
        if values["due"] and values["due"] not in DUE:
            problems.append(_problem("due", f"one of {', '.join(DUE)}", "不是可选的期限"))
        if values["priority"] and values["priority"] not in PRIORITIES:
            problems.append(_problem("priority", f"one of {', '.join(PRIORITIES)}", "不是可选的优先级"))
        if values["sort"] and values["sort"] not in SORTS:
            problems.append(_problem("sort", f"one of {', '.join(SORTS)}", "不是可选的排序方式"))
        if len(values["applicant"]) > 50 or len(values["flow"]) > 120 or len(values["county"]) > 40:
            problems.append(_problem("applicant", "at most 50 characters", "内容太长"))
        if problems:
            raise InvalidInput("the task-list filter is not valid", details=problems)
        return cls(**values)

    def params(self) -> dict[str, str]:
        """The non-empty filters, for a URL or a saved filter."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True)
class TaskPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int


def _visible(view: str, actor: Actor, uow: UnitOfWork) -> ColumnElement[bool]:
    """Which task rows a view shows: my own; my department's (my county's, for county windows); everything."""
    if view == "mine":
        return HumanTask.assignee == actor.username
    if view == "department":
        if actor.role != "staff" or actor.department is None:
            raise PermissionDenied("only department staff have a department task list")
        condition = HumanTask.department == actor.department
        if uow.platform.organisation.is_per_county(actor.department):
            condition = condition & (HumanTask.county == actor.county)
        return condition
    if actor.role not in ("admin", "designer"):
        raise PermissionDenied("only administrators see every department's tasks")
    return true()


def _local_day(now: datetime, uow: UnitOfWork) -> tuple[datetime, datetime]:
    tz = uow.platform.settings.tz
    start = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    return start, start + timedelta(days=1)


def _applicant_column(key: str, uow: UnitOfWork, *, selected: bool = False) -> Any:
    return json_text(ProcessInstance.data, key, uow.platform.engine.dialect.name, selected=selected)


def _states(query: TaskQuery) -> tuple[str, ...]:
    return (query.state,) if query.state else OPEN


def _conditions(query: TaskQuery, actor: Actor, uow: UnitOfWork, now: datetime) -> tuple[list[Any], bool]:
    """The WHERE clauses of a query but its states, and whether they need the case row joined."""
    conditions: list[Any] = [_visible(query.view, actor, uow)]
    if query.flow:
        conditions.append(HumanTask.model_key == query.flow)
    if query.priority:
        conditions.append(HumanTask.priority == PRIORITIES[query.priority])
    if query.due == "overdue":
        conditions.append(HumanTask.due_at < now)
    elif query.due == "today":
        start, end = _local_day(now, uow)
        conditions += [HumanTask.due_at >= start, HumanTask.due_at < end]
    join = False
    county_fixed = query.view == "department" and uow.platform.organisation.is_per_county(actor.department)
    if query.county and not county_fixed:
        conditions.append(ProcessInstance.county == query.county)
        join = True
    if query.applicant:
        conditions.append(or_(*(_applicant_column(key, uow).contains(query.applicant, autoescape=True)
                                for key in APPLICANT_KEYS)))
        join = True
    return conditions, join


def _from(statement: Any, join: bool) -> Any:
    return statement.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) if join else statement


def count_matching(query: TaskQuery, *, actor: Actor, uow: UnitOfWork, now: datetime) -> int:
    conditions, join = _conditions(query, actor, uow, now)
    statement = _from(select(func.count()).select_from(HumanTask), join) \
        .where(*conditions, HumanTask.state.in_(_states(query)))
    return int(uow.session.scalar(statement) or 0)


def view_counts(*, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """The numbers on the tabs: my tasks, my department's, and of those (or of mine) due today and overdue."""
    counts = {"mine": count_matching(TaskQuery("mine"), actor=actor, uow=uow, now=now)}
    main = "mine"
    if actor.role == "staff" and actor.department:
        main = "department"
    elif actor.role in ("admin", "designer"):
        main = "all"
    if main != "mine":
        counts[main] = count_matching(TaskQuery(main), actor=actor, uow=uow, now=now)
    counts["today"] = count_matching(TaskQuery(main, due="today"), actor=actor, uow=uow, now=now)
    counts["overdue"] = count_matching(TaskQuery(main, due="overdue"), actor=actor, uow=uow, now=now)
    return counts


# --- keyset pages ------------------------------------------------------------------------------------
# Sorted by due time, tasks without a deadline last, ties by id. A cursor names the last row shown:
# "d<epoch microseconds>_<id>" in the part with deadlines, "n<id>" in the part without. Each page reads, per
# state, an index range (department, state, due_at) from the cursor and merges the two short lists, so page
# 500 costs what page 1 costs and no page sorts the whole department.

def _encode(due_at: datetime | None, task_id: int) -> str:
    if due_at is None:
        return f"n{task_id}"
    micros = int(due_at.timestamp() * 1_000_000)
    return f"d{micros}_{task_id}"


def _decode(cursor: str) -> tuple[datetime | None, int]:
    try:
        if cursor.startswith("n"):
            return None, int(cursor[1:])
        if cursor.startswith("d"):
            micros, task_id = cursor[1:].split("_", 1)
            return datetime.fromtimestamp(int(micros) / 1_000_000, tz=UTC), int(task_id)
    except (ValueError, OverflowError, OSError):
        pass
    raise InvalidInput("the page cursor is not valid", details=[_problem("after", "a cursor from a page link",
                                                                         "分页参数无效")])


def _sort_key(row: tuple[int, datetime | None]) -> tuple[bool, datetime, int]:
    task_id, due_at = row
    return due_at is None, due_at or datetime.min.replace(tzinfo=UTC), task_id


def _page_ids(conditions: list[Any], states: tuple[str, ...], join: bool, after: str | None, size: int,
              uow: UnitOfWork) -> list[tuple[int, datetime | None]]:
    merged = [row for state in states for row in _state_page_ids(conditions + [HumanTask.state == state], join,
                                                                 after, size, uow)]
    return sorted(merged, key=_sort_key)[:size + 1]


def _state_page_ids(conditions: list[Any], join: bool, after: str | None, size: int,
                    uow: UnitOfWork) -> list[tuple[int, datetime | None]]:
    base = _from(select(HumanTask.id, HumanTask.due_at), join).where(*conditions)
    cursor_due, cursor_id = _decode(after) if after else (None, None)
    rows: list[Any] = []
    if after is None or cursor_due is not None:
        dated = base.where(HumanTask.due_at.is_not(None))
        if cursor_due is not None:
            dated = dated.where(or_(HumanTask.due_at > cursor_due,
                                    and_(HumanTask.due_at == cursor_due, HumanTask.id > cursor_id)))
        rows = list(uow.session.execute(dated.order_by(HumanTask.due_at, HumanTask.id).limit(size + 1)).all())
    if len(rows) <= size:
        undated = base.where(HumanTask.due_at.is_(None))
        if after is not None and cursor_due is None:
            undated = undated.where(HumanTask.id > cursor_id)
        rows += uow.session.execute(undated.order_by(HumanTask.id).limit(size + 1 - len(rows))).all()
    return [(row.id, row.due_at) for row in rows]


def _details(ids: list[int], uow: UnitOfWork) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    names = [_applicant_column(key, uow, selected=True).label(key) for key in APPLICANT_KEYS]
    statement = select(HumanTask, ProcessInstance.created_at, ProcessInstance.county.label("case_county"),
                       ProcessInstance.status.label("case_status"), ProcessModel.name.label("flow_name"), *names) \
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id) \
        .join(ProcessModel, ProcessModel.id == ProcessInstance.model_id) \
        .where(HumanTask.id.in_(ids))
    found = {}
    for row in uow.session.execute(statement).all():
        task = row.HumanTask
        found[task.id] = {
            "id": task.id, "instance_id": task.instance_id, "name": task.name, "title": task.title,
            "model_key": task.model_key, "flow_name": row.flow_name or task.model_key,
            "department": task.department, "county": task.county, "case_county": row.case_county,
            "assignee": task.assignee, "state": task.state, "due_at": task.due_at, "created_at": task.created_at,
            "case_started_at": row.created_at, "case_status": row.case_status,
            "clock_stopped_at": task.clock_stopped_at, "priority": PRIORITY_NAMES.get(task.priority or 0, "normal"),
            "applicant": mask_text(next((getattr(row, key) for key in APPLICANT_KEYS if getattr(row, key)), "")),
        }
    return found


def list_task_page(query: TaskQuery, *, actor: Actor, uow: UnitOfWork, now: datetime, after: str | None = None,
                   size: int = PAGE_SIZE) -> TaskPage:
    """One page of the view, sorted by due time, with the cursor of the next page and the matching total."""
    size = min(max(size, 1), 100)
    conditions, join = _conditions(query, actor, uow, now)
    if query.sort == "priority":
        ids, next_cursor = _priority_page_ids(query, conditions, join, after, size, uow)
    else:
        ids = _page_ids(conditions, _states(query), join, after, size, uow)
        last_id, last_due = ids[size - 1] if len(ids) > size else (0, None)
        next_cursor = _encode(last_due, last_id) if len(ids) > size else None
    details = _details([task_id for task_id, _due in ids[:size]], uow)
    rows = [details[task_id] for task_id, _due in ids[:size] if task_id in details]
    return TaskPage(rows=rows, next_cursor=next_cursor, total=count_matching(query, actor=actor, uow=uow, now=now))


def _priority_page_ids(query: TaskQuery, conditions: list[Any], join: bool, after: str | None, size: int,
                      uow: UnitOfWork) -> tuple[list[tuple[int, datetime | None]], str | None]:
    """A page sorted by priority: the levels from 特急 down, each read as a due-ordered keyset range of its own
    (the cursor "p<level>~<cursor within the level>"), so a page still reads only what it shows."""
    levels = sorted(PRIORITY_NAMES, reverse=True)
    start, inner = levels[0], None
    if after:
        head, sep, rest = after.partition("~")
        if not sep or not head.startswith("p") or not head[1:].isdigit() or int(head[1:]) not in PRIORITY_NAMES:
            raise InvalidInput("the page cursor is not valid",
                               details=[_problem("after", "a cursor from a page link", "分页参数无效")])
        start, inner = int(head[1:]), rest or None
    found: list[tuple[int, int, datetime | None]] = []
    for level in (lv for lv in levels if lv <= start):
        want = size + 1 - len(found)
        if want <= 0:
            break
        rows = _page_ids(conditions + [HumanTask.priority == level], _states(query), join,
                         inner if level == start else None, want - 1, uow)
        found += [(level, task_id, due) for task_id, due in rows[:want]]
    cursor = None
    if len(found) > size:
        level, task_id, due = found[size - 1]
        cursor = f"p{level}~{_encode(due, task_id)}"
    return [(task_id, due) for _level, task_id, due in found], cursor


# --- names --------------------------------------------------------------------------------------------

def flow_names(*, uow: UnitOfWork) -> dict[str, str]:
    """Flow key → name of its latest deployed version, for filters and headings."""
    newest = select(ProcessModel.key, func.max(ProcessModel.version).label("version")) \
        .group_by(ProcessModel.key).subquery()
    rows = uow.session.execute(select(ProcessModel.key, ProcessModel.name).join(
        newest, (ProcessModel.key == newest.c.key) & (ProcessModel.version == newest.c.version))
        .order_by(ProcessModel.key)).all()
    return {row.key: row.name or row.key for row in rows}


def display_names(usernames: set[str], *, uow: UnitOfWork) -> dict[str, str]:
    """User name → display name (the user name itself when none is set)."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = uow.session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all()
    return {row.username: row.display_name or row.username for row in rows}


# --- saved filters ------------------------------------------------------------------------------------

def saved_filters(*, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    rows = uow.session.scalars(select(SavedFilter).where(SavedFilter.username == actor.username)
                               .order_by(SavedFilter.name)).all()
    return [{"id": row.id, "name": row.name, "params": dict(row.query or {})} for row in rows]


def save_filter(name: str, query: TaskQuery, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    """Save the query under a name of the user's (an existing name is overwritten)."""
    name = " ".join(name.split())
    if not 1 <= len(name) <= 40:
        raise InvalidInput("a saved filter needs a name of 1 to 40 characters",
                           details=[_problem("name", "1 to 40 characters", "请填写1至40个字的名称")])
    existing = uow.session.scalar(select(SavedFilter).where(SavedFilter.username == actor.username,
                                                            SavedFilter.name == name))
    if existing is None:
        count = uow.session.scalar(select(func.count()).select_from(SavedFilter)
                                   .where(SavedFilter.username == actor.username)) or 0
        if count >= MAX_SAVED_FILTERS:
            raise InvalidInput(f"at most {MAX_SAVED_FILTERS} saved filters; delete one first",
                               details=[_problem("name", "too many saved filters",
                                                 f"最多保存{MAX_SAVED_FILTERS}个筛选条件，请先删除不用的")])
        existing = SavedFilter(username=actor.username, name=name, created_at=now)
        uow.session.add(existing)
    existing.query = query.params()
    uow.flush()
    return {"id": existing.id, "name": existing.name, "params": dict(existing.query)}


def delete_filter(filter_id: int, *, actor: Actor, uow: UnitOfWork) -> None:
    deleted = uow.session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id,
                                                            SavedFilter.username == actor.username))
    if not deleted.rowcount:  # type: ignore[attr-defined]  # a CursorResult
        raise NotFound(f"no saved filter {filter_id}")


# --- services and case pages --------------------------------------------------------------------------
# Asked when a flow's start event names no form: who the case is for, their talent category and employer.
DEFAULT_START_FORM: dict[str, Any] = {
    "type": "object",
    "title": "申请信息",
    "required": ["applicant_name", "talent_category"],
    "properties": {
        "applicant_name": {"type": "string", "title": "申请人姓名", "minLength": 1, "maxLength": 50},
        "talent_category": {"type": "string", "title": "人才类别",
                            "enum": ["顶尖人才", "高端人才", "急需紧缺人才", "青年优秀人才", "高技能人才"]},
        "employer": {"type": "string", "title": "用人单位", "maxLength": 100},
        "problem_description": {"type": "string", "title": "申请事项说明", "maxLength": 2000},
    },
    "additionalProperties": False,
}
COUNTY_LABEL = "县市区"
# Steps an applicant follows on their case page; claims, releases, hand-overs and timers stay internal.
APPLICANT_ACTIONS = ("start", "complete", "completed", "cancel", "suspend", "resume", "withdraw", "comment")


def services(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every deployed flow (latest version) with the form that starts it and whether it needs a county."""
    return [service(key, uow=uow) for key in flow_names(uow=uow)]


def service(key: str, *, uow: UnitOfWork) -> dict[str, Any]:
    model_id, key, version = latest_version(key, uow=uow)
    bundle = uow.platform.specs.get(model_id, uow=uow)
    form, ui_form = start_forms(bundle)
    return {"key": key, "name": bundle.name or key, "version": version, "start_form": form or DEFAULT_START_FORM,
            "ui_schema": ui_form or {}, "default_form": form is None, "needs_county": needs_county(bundle, uow)}


def start_service(key: str, data: dict[str, Any], *, actor: Actor, uow: UnitOfWork,
                  now: datetime) -> dict[str, Any]:
    """Start a case of a service with the answers to its start form (the default one when the flow names none);
    ``county`` travels beside the form unless the form asks for it itself. Every problem is reported at once."""
    from engine.cases.instances import start_instance

    found = service(key, uow=uow)
    form = found["start_form"]
    asked = {k: v for k, v in data.items() if k != "county" or "county" in (form.get("properties") or {})}
    problems: list[dict[str, Any]] = []
    try:
        validate_form_data(form, asked)
    except InvalidInput as error:
        problems += error.details
    county = data.get("county")
    if county and uow.platform.organisation.county_code(str(county)) is None:
        problems.append(_problem("county", "unknown county", "不是本市的县市区"))
    elif not county and found["needs_county"]:
        problems.append(_problem("county", "required: the county of the applicant", "请选择县市区"))
    if problems:
        raise InvalidInput("the start form is not complete", details=problems)
    return start_instance(key, data, actor=actor, uow=uow, now=now)


def _labels(schema: Any) -> dict[str, str]:
    properties = (schema or {}).get("properties") or {}
    return {key: str(spec.get("title") or key) for key, spec in properties.items() if isinstance(spec, dict)}


def _is_choice(schema: Any, key: str) -> bool:
    spec = ((schema or {}).get("properties") or {}).get(key) or {}
    return "enum" in spec or "const" in spec or spec.get("type") == "boolean" or "enum" in (spec.get("items") or {})


def _fields(data: Any, schema: Any, *, choices_only: bool = False) -> list[dict[str, Any]]:
    """Submitted values labelled with the form's titles, in the form's order."""
    if not isinstance(data, dict):
        return []
    labels = _labels(schema)
    order = [key for key in labels if key in data] + [key for key in data if key not in labels]
    return [{"key": key, "label": labels.get(key, COUNTY_LABEL if key == "county" else key), "value": data[key]}
            for key in order if not choices_only or _is_choice(schema, key)]


def _element_name(bundle: Any, name: str | None) -> str | None:
    """The diagram's name of an element (a timer's "审核超过5个工作日") when history knows only its id."""
    if not name:
        return None
    for spec in (bundle.spec, *bundle.subprocess_specs.values()):
        element = spec.task_specs.get(name)
        if element is not None:
            return getattr(element, "bpmn_name", None) or name
    return name


def _step(entry: HistoryEntry, task: Any, bundle: Any, start_form: Any, applicant_view: bool) -> dict[str, Any]:
    details = entry.details or {}
    step: dict[str, Any] = {
        "id": entry.id, "action": entry.action, "actor": entry.actor, "at": entry.at,
        "title": task.title if task is not None else _element_name(bundle, entry.task_name),
        "department": None, "county": None, "fields": [],
        "details": {k: v for k, v in details.items()
                    if k in ("to", "from", "note", "reason", "priority", "previous", "closed_tasks", "source_title")
                    or (k == "message" and not applicant_view)}}
    if task is not None:
        step["department"], step["county"] = task.department, task.county
    if entry.action == "start":
        step["fields"] = _fields(details.get("data"), start_form)
    elif entry.action == "retry" and not applicant_view:  # the data an administrator corrected
        step["fields"] = _fields(details.get("data"), None)
    elif entry.action == "complete" and task is not None:
        schema = bundle.form(task.process_id, task.form_file)
        staff_step = task.department is not None
        step["fields"] = _fields(details.get("data"), schema, choices_only=applicant_view and staff_step)
    return step


def case_overview(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> dict[str, Any]:
    """A case as its page shows it: summary, open steps, every earlier step with its data, and documents.

    Applicants (who see only their own cases) follow the steps and decisions, not staff-internal moves."""
    row = get_visible(instance_id, actor=actor, uow=uow)
    bundle = uow.platform.specs.get(row.model_id, uow=uow)
    tasks = {task.id: task for task in instance_task_rows(row.id, uow=uow)}
    applicant_view = actor.role not in ("staff", "admin", "designer")
    history = uow.session.scalars(select(HistoryEntry).where(HistoryEntry.instance_id == row.id)
                                  .order_by(HistoryEntry.id)).all()
    start_form = start_forms(bundle)[0] or DEFAULT_START_FORM
    steps = [_step(entry, tasks.get(entry.task_id or 0), bundle, start_form, applicant_view) for entry in history
             if not applicant_view or entry.action in APPLICANT_ACTIONS]
    data = row.data or {}
    return {
        "id": row.id, "model_key": row.model_key, "flow_name": bundle.name or row.model_key,
        "status": row.status, "county": row.county, "started_by": row.started_by, "created_at": row.created_at,
        "priority": PRIORITY_NAMES.get(row.priority or 0, "normal"),
        "withdrawn": any(entry.action == "withdraw" for entry in history),
        "ended_at": row.ended_at, "business_key": row.business_key, "data": data,
        "applicant": next((str(data[key]) for key in APPLICANT_KEYS if data.get(key)), ""),
        "outcome": data.get("outcome") if isinstance(data.get("outcome"), str) else None,
        "open_tasks": [{"id": t.id, "title": t.title, "department": t.department, "county": t.county,
                        "assignee": t.assignee, "state": t.state, "due_at": t.due_at, "created_at": t.created_at}
                       for t in tasks.values() if t.state in OPEN],
        "steps": steps,
        "error": row.error_message if row.status == "error" else None,
    }


def case_result(instance_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> str | None:
    """The instructions of the end event a finished case reached (a template over the case data), if any."""
    from SpiffWorkflow.bpmn.specs.defaults import EndEvent
    from SpiffWorkflow.util.task import TaskState

    row = get_visible(instance_id, actor=actor, uow=uow)
    if row.status != "completed":
        return None
    workflow = restore(load_case(row.id, uow=uow), uow=uow, now=now).workflow
    texts = [str(task.task_spec.extensions["instructionsForEndUser"])
             for task in workflow.get_tasks(state=TaskState.COMPLETED)
             if task.workflow is workflow and isinstance(task.task_spec, EndEvent)
             and (getattr(task.task_spec, "extensions", None) or {}).get("instructionsForEndUser")]
    return texts[-1] if texts else None


def cases_of(*, actor: Actor, uow: UnitOfWork, limit: int = 50) -> list[dict[str, Any]]:
    """The cases a person started, newest first, with their open steps (the applicant's 我的办件)."""
    rows = uow.session.execute(
        select(ProcessInstance.id, ProcessInstance.model_key, ProcessInstance.status, ProcessInstance.county,
               ProcessInstance.created_at, ProcessInstance.ended_at, ProcessInstance.next_due_at,
               ProcessInstance.data, ProcessModel.name)
        .join(ProcessModel, ProcessModel.id == ProcessInstance.model_id)
        .where(ProcessInstance.started_by == actor.username)
        .order_by(ProcessInstance.id.desc()).limit(limit)).all()
    open_tasks: dict[int, list[Any]] = {}
    if rows:
        for task in uow.session.scalars(select(HumanTask).where(
                HumanTask.instance_id.in_([r.id for r in rows]), HumanTask.state.in_(OPEN)).order_by(HumanTask.id)):
            open_tasks.setdefault(task.instance_id, []).append(task)
    return [{"id": r.id, "model_key": r.model_key, "flow_name": r.name or r.model_key, "status": r.status,
             "county": r.county, "created_at": r.created_at, "ended_at": r.ended_at, "next_due_at": r.next_due_at,
             "outcome": (r.data or {}).get("outcome"),
             "open_tasks": [{"id": t.id, "title": t.title, "department": t.department, "assignee": t.assignee,
                             "state": t.state, "due_at": t.due_at} for t in open_tasks.get(r.id, [])]}
            for r in rows]
