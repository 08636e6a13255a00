"""Demo accounts and sample cases for a fresh database (`onestop demo`, run by `make run`), for the city package
the platform serves (ui/demo_cases/<city>.py).

The accounts come first, in one unit of work: an administrator, a designer, two applicants, and three colleagues in
every department (two at every county window), so that a task can be handed over (转交) to a colleague. Then, for
every deployed flow the city's demo knows, a few realistic cases are started and driven through the service layer —
the same calls the API makes — so the task lists show cases in different states: just arrived at a window, claimed
by a member of staff and handed over to a colleague, waiting in another department, overdue and escalated to the
talent office, completed, refused, suspended with its clock stopped, cancelled. The timers a case would have seen
are fired for that case alone (engine.cases.scheduler.fire_instance_timers, what fire_due_timers does per case) at
the moment they fell due.

Each case is built step by step, each step its own unit of work at a moment in the recent past (time is an
argument everywhere); a case that fails is taken away again, reported, and does not stop the others. A flow that
is not deployed is skipped with a line saying so."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from engine.cases.instances import cancel_instance, resume_instance, start_instance, suspend_instance
from engine.cases.scheduler import fire_instance_timers
from engine.people.identity import Actor, create_token, create_user
from engine.platform import Platform
from engine.store.models import ProcessInstance, ProcessModel, User
from engine.store.uow import UnitOfWork
from tasks.attachments import Upload, store_submission
from tasks.handover import hand_over_task
from tasks.service import claim_task, complete_task, instance_task_rows
from ui.demo_systems import DEMO_TOPICS, DEMO_WORKER, DEMO_WORKER_NAME, run_simulated_systems

DEMO_PASSWORD = "onestop-demo"  # noqa: S105 — printed for the demo; never used outside `onestop demo`
OPEN = ("open", "claimed")


# Given names of the colleagues in each department: the first account of a department is named by its code, the
# others <code>_2, <code>_3 (county windows: county_window_<county> and county_window_<county>_2).
COLLEAGUES = ("王芳", "李强", "赵敏")
COLLEAGUES_PER_DEPARTMENT = len(COLLEAGUES)
COLLEAGUES_PER_COUNTY_WINDOW = 2


def demo_accounts(platform: Platform) -> list[tuple[str, str, str | None, str | None, str]]:
    """(username, role, department, county, display name): the administrator, designer and applicants, and
    colleagues in every department and at every county window (so that tasks can be handed over)."""
    accounts: list[tuple[str, str, str | None, str | None, str]] = [
        ("admin", "admin", None, None, "平台管理员"),
        ("designer", "designer", None, None, "流程设计员"),
        ("applicant", "applicant", None, None, "张博士"),
        ("applicant_2", "applicant", None, None, "李教授"),
        # the simulated outside systems of the demo (ui/demo_systems.py): API only, no web sign-in
        (DEMO_WORKER, "worker", None, None, DEMO_WORKER_NAME),
    ]
    organisation = platform.organisation
    for code, department in organisation.departments.items():
        if department.per_county:
            for county in organisation.counties.values():
                for index in range(COLLEAGUES_PER_COUNTY_WINDOW):
                    suffix = f"_{index + 1}" if index else ""
                    accounts.append((f"{code}_{county.code}{suffix}", "staff", code, county.code,
                                     f"{COLLEAGUES[index]}（{county.name}）"))
        else:
            for index, person in enumerate(COLLEAGUES):
                suffix = f"_{index + 1}" if index else ""
                accounts.append((f"{code}{suffix}", "staff", code, None, f"{person}（{department.name}）"))
    return accounts


# ------------------------------------------------------------------------------------------------ the driver


class DemoStepFailed(Exception):
    """A step of a sample case did not go as the scenario expects (the flow changed, or a form refused)."""


class CaseDriver:
    """Drives one case through the service layer, each step in its own unit of work at its own moment (a step
    that runs the diagram may not hold the database's write lock while it runs: engine/cases/runner.py)."""

    def __init__(self, platform: Platform, actors: dict[str, Actor], business_key: str) -> None:
        self.platform = platform
        self.actors = actors
        self.business_key = business_key
        self.id: int | None = None

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            raise DemoStepFailed(f"no demo account {username!r}")
        return self.actors[username]

    def _step(self, action: Callable[[UnitOfWork], Any], *, runs_diagram: bool = False,
              at: datetime | None = None) -> Any:
        with self.platform.uow(optimistic=runs_diagram) as uow:
            result = action(uow)
            uow.commit()
        if runs_diagram:  # the simulated outside systems answer what the step asked of them, at the same moment
            run_simulated_systems(self.platform, now=at)
        return result

    def start(self, key: str, data: dict[str, Any], *, at: datetime, who: str = "applicant") -> None:
        result = self._step(lambda uow: start_instance(key, data, business_key=self.business_key,
                                                       actor=self.actor(who), uow=uow, now=at), runs_diagram=True,
                            at=at)
        self.id = int(result["id"])
        self._check()

    def complete(self, who: str, name: str, data: dict[str, Any], *, at: datetime) -> None:
        """Complete a task; values that are :class:`Document` are uploaded as the case's documents (as the form's
        file fields would), so they open from the case page."""
        task = self._open_task(name)
        uploads = [Upload(key, value.filename, value.content) for key, value in data.items()
                   if isinstance(value, Document)]
        fields = {key: value for key, value in data.items() if not isinstance(value, Document)}
        if uploads:  # the documents stored first, then the task completed (tasks/attachments.py)
            fields = self._step(lambda uow: store_submission(task.id, fields, uploads, actor=self.actor(who),
                                                             uow=uow, now=at)).data
        self._step(lambda uow: complete_task(task.id, fields, actor=self.actor(who), uow=uow, now=at),
                   runs_diagram=True, at=at)
        self._check()

    def claim(self, who: str, name: str, *, at: datetime) -> None:
        task = self._open_task(name)
        self._step(lambda uow: claim_task(task.id, actor=self.actor(who), uow=uow, now=at))

    def hand_over(self, who: str, name: str, to: str, note: str, *, at: datetime) -> None:
        """``who`` (who holds the task) hands it over to a colleague of the same department."""
        task = self._open_task(name)
        self._step(lambda uow: hand_over_task(task.id, to, actor=self.actor(who), uow=uow, now=at, note=note))

    def resume(self, reason: str, *, at: datetime) -> None:
        self._step(lambda uow: resume_instance(self.case_id, reason=reason, actor=self.actor("admin"), uow=uow,
                                               now=at))

    def suspend(self, reason: str, *, at: datetime) -> None:
        self._step(lambda uow: suspend_instance(self.case_id, reason=reason, actor=self.actor("admin"), uow=uow,
                                                now=at))

    def cancel(self, reason: str, *, at: datetime) -> None:
        self._step(lambda uow: cancel_instance(self.case_id, reason=reason, actor=self.actor("admin"), uow=uow,
                                               now=at))

    def fire(self, *, at: datetime) -> None:
        """Fire this case's timers that are due at ``at`` (what the scheduler would have done then)."""
        if self._step(lambda uow: fire_instance_timers(self.case_id, uow=uow, now=at), runs_diagram=True, at=at) \
                != "fired":
            raise DemoStepFailed(f"no timer of the case was due at {at.isoformat()}")
        self._check()

    def remove(self) -> None:
        """Take away what a sample case that failed half-way left (its tasks, history and documents go with it)."""
        if self.id is not None:
            self._step(lambda uow: uow.session.execute(delete(ProcessInstance).where(ProcessInstance.id == self.id)))

    @property
    def case_id(self) -> int:
        if self.id is None:
            raise DemoStepFailed("the case has not been started")
        return self.id

    def row(self) -> ProcessInstance:
        with self.platform.uow(write=False) as uow:
            row = uow.session.get(ProcessInstance, self.case_id)
            if row is not None:
                uow.session.expunge(row)  # read as it is now; the unit's rollback must not expire it
        if row is None:
            raise DemoStepFailed(f"case {self.case_id} vanished")
        return row

    def open_tasks(self) -> list[Any]:
        with self.platform.uow(write=False) as uow:
            return [t for t in instance_task_rows(self.case_id, uow=uow) if t.state in OPEN]

    def _open_task(self, name: str) -> Any:
        process, _, name = name.rpartition("/")  # "process/task" picks a task of one called flow
        found = [t for t in self.open_tasks() if t.name == name and (not process or t.process_id == process)]
        if len(found) != 1:
            waiting = ", ".join(sorted(t.name for t in self.open_tasks())) or "none"
            raise DemoStepFailed(f"expected one open task {name!r}; open tasks: {waiting}")
        return found[0]

    def _check(self) -> None:
        row = self.row()
        if row.status == "error":
            raise DemoStepFailed(f"the case went into error at {row.error_task}: {row.error_message}")


@dataclass(frozen=True)
class Scenario:
    key: str  # the flow, as its folder under processes/<city>/
    ref: str  # business key DEMO-<ref>
    state: str  # what the case shows, in the UI's language
    run: Callable[[CaseDriver, datetime], None]


# ----------------------------------------------------------------------------------------------- sample data


def id_number(area: str, birth: str, sequence: str) -> str:
    """A resident identity number with a correct GB 11643 check digit (area code, YYYY-MM-DD, 3 digits)."""
    body = f"{area}{birth.replace('-', '')}{sequence}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def days_ago(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` calendar days before ``now``, at hour:minute local time (days ≥ 1: always in the past)."""
    return (now - timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def month_start(day: date, months_back: int, now: datetime) -> datetime:
    """09:00 on the first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=9, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Document:
    """A document a demo applicant uploads with a form (made by ui/demo_documents.py, so it opens)."""

    filename: str
    content: bytes



# ----------------------------------------------------------------------------------------------------- loading


def scenarios_for(platform: Platform) -> list[Scenario]:
    """The sample cases of the city the platform serves (none for a package the demo does not know)."""
    from ui.demo_cases import lianyungang, liaocheng

    known = {"liaocheng": liaocheng.SCENARIOS, "lianyungang": lianyungang.SCENARIOS}
    return known.get(platform.organisation.city.code or platform.settings.city, [])


def load_demo(platform: Platform) -> Iterator[str]:
    now = platform.now().astimezone(platform.settings.tz)
    scenarios = scenarios_for(platform)
    accounts = demo_accounts(platform)
    with platform.uow() as uow:
        if uow.session.scalar(select(func.count(User.id))):
            yield "demo: the database has users already; nothing loaded"
            return
        for username, role, department, county, name in accounts:
            create_user(username, DEMO_PASSWORD, role=role, department=department, county=county,
                        display_name=name, organisation=platform.organisation, uow=uow, now=now,
                        topics=list(DEMO_TOPICS) if role == "worker" else None)
        admin_token = create_token("admin", name="demo", uow=uow, now=now)
        deployed = set(uow.session.scalars(select(ProcessModel.key).distinct()).all())
        uow.commit()
    yield f"demo: {len(accounts)} accounts, password '{DEMO_PASSWORD}' for each"
    yield f"demo: {platform.organisation.city.platform or platform.settings.city}"
    yield "demo: admin / designer / applicant; staff by department code, each with colleagues <code>_2, <code>_3 " \
          "(e.g. city_window, city_window_2, talent_office)"
    yield f"demo: {DEMO_WORKER} ({DEMO_WORKER_NAME}) answers the jobs of {', '.join(DEMO_TOPICS)} in `onestop serve` " \
          "with simulated systems"

    actors = {username: Actor(username=username, role=role, department=department, county=county)
              for username, role, department, county, _name in accounts}
    known = list(dict.fromkeys(s.key for s in scenarios))
    loaded = failed = 0
    for key in known:
        of_flow = [s for s in scenarios if s.key == key]
        if key not in deployed:
            yield f"demo: {key} is not deployed; its {len(of_flow)} sample cases skipped"
            continue
        for scenario in of_flow:
            line = _load_case(platform, scenario, actors, now)
            if line.startswith("demo: failed"):
                failed += 1
            else:
                loaded += 1
            yield line
    for key in sorted(deployed - set(known)):
        yield f"demo: no sample cases for {key}"
    yield f"demo: {loaded} sample cases loaded" + (f", {failed} failed" if failed else "")
    yield f"demo: admin API token written to {_keep_token(platform, admin_token)} (readable by you alone)"


def _keep_token(platform: Platform, token: str) -> str:
    """The administrator's demo API token goes into a file only its owner reads, never onto the terminal (where
    it would stay in a scroll-back or a CI log)."""
    path = platform.settings.instance_dir / "admin-token"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token + "\n")
    return str(path)


def _load_case(platform: Platform, scenario: Scenario, actors: dict[str, Actor], now: datetime) -> str:
    """One sample case, step by step: its line for the output, or why it failed (then nothing of it is kept)."""
    business_key = f"DEMO-{scenario.ref}"
    case = CaseDriver(platform, actors, business_key)
    try:
        scenario.run(case, now)
        line = _describe(case, scenario, now)
    except Exception as error:  # noqa: BLE001 — a sample case that fails is reported; the others go on
        case.remove()
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        return f"demo: failed {business_key} ({scenario.key}): {message}; not loaded"
    return line


def _describe(case: CaseDriver, scenario: Scenario, now: datetime) -> str:
    row = case.row()
    waiting = []
    for task in case.open_tasks():
        if task.department is None:
            holder = f"for {task.assignee}"
        elif task.state == "claimed":
            holder = f"claimed by {task.assignee}"
        else:
            holder = f"{task.department}/{task.county}" if task.county else task.department
        overdue = " clock stopped" if task.clock_stopped_at is not None else \
            " overdue" if task.due_at is not None and task.due_at < now else ""
        waiting.append(f"{task.title or task.name} [{holder}{overdue}]")
    tasks = "; waiting: " + ", ".join(waiting) if waiting else ""
    return f"demo: case {row.id} {row.business_key} {scenario.key}: {scenario.state} ({row.status}{tasks})"

