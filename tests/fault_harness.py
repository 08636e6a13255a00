"""Real processes for fault and load runs: a private PostgreSQL server, `onestop serve` and `onestop worker` on
loopback (each in its own process group, killed with SIGKILL and restarted on demand), a JSON client, a ledger
of acknowledged actions and an audit of the database against it.

Used by tests/test_faults.py and bench/load.py. Nothing here leaves loopback; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ESCALATION = ROOT / "tests" / "data" / "escalation"
PASSWORD = "fault-harness-password"
SECRET = "fault-harness-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), if any."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (from /proc: no ps needed)."""
    result = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            result.append(int(entry.name))
    return result


class PrivatePostgres:
    """A PostgreSQL server of our own (data directory under /tmp, own port, durable commits) run by
    scripts/postgres-private.sh, so stopping, crashing or freezing it disturbs no one else. ``destroy`` stops it
    and removes its files."""

    def __init__(self, port: int | None = None) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="onestop-pg-"))
        self.port = port or free_port()

    def _script(self, action: str) -> str:
        done = subprocess.run([str(ROOT / "scripts" / "postgres-private.sh"), str(self.base), str(self.port), action],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"scripts/postgres-private.sh {action} failed: {done.stderr[-2000:]}")
        return done.stdout.strip()

    def start(self) -> None:
        self._script("start")

    def stop(self, *, crash: bool = False) -> None:
        """A fast shutdown, or with ``crash`` an immediate one: sessions die without goodbye, no checkpoint."""
        self._script("crash" if crash else "stop")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://onestop@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database ``name`` on this server; its URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=onestop dbname=postgres",
                             autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def server_pids(self) -> list[int]:
        pid_file = self.base / "data" / "postmaster.pid"
        if not pid_file.exists():
            return []
        postmaster = int(pid_file.read_text().split()[0])
        return [postmaster, *_children(postmaster)]

    def freeze(self) -> None:
        """SIGSTOP every server process: connections stay open but nothing answers (a stalled disk, a paused VM)."""
        for pid in self.server_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.server_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def destroy(self) -> None:
        try:
            self.thaw()
            if (self.base / "data" / "postmaster.pid").exists():
                self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def escalation_variant(key: str, *, element: str = "timeDate", expression: str = "working_days(3)",
                       folder: Path = ESCALATION) -> dict[str, bytes]:
    """The escalation flow of tests/data/escalation deployed as ``key``, its deadline replaced: e.g.
    ``element="timeDuration", expression='"PT1S"'`` (due a second after the start: a worker fires it) or a past
    ``timeDate`` (already due when the case starts: the start itself fires it)."""
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".json")}
    bpmn = files["escalation.bpmn"].decode()
    for old, new in (('id="escalation_demo"', f'id="{key}"'), ('processRef="escalation_demo"', f'processRef="{key}"'),
                     (">working_days(3)</bpmn:timeDate>", f">{expression}</bpmn:{element}>"),
                     ("<bpmn:timeDate ", f"<bpmn:{element} ")):
        assert old in bpmn, old
        bpmn = bpmn.replace(old, new)
    return {**files, "escalation.bpmn": bpmn.encode()}


@dataclass(frozen=True)
class Person:
    username: str
    role: str
    department: str | None = None
    county: str | None = None


def prepare_database(url: str, flows: Iterable[dict[str, bytes]], people: Iterable[Person],
                     instance_dir: Path) -> dict[str, str]:
    """`onestop db upgrade`, deploy ``flows``, create ``people``: their API tokens by username."""
    from engine.calendar.store import seed_official_years
    from engine.cases.deployment import deploy
    from engine.config import Settings
    from engine.people.identity import Actor, create_token, create_user
    from engine.platform import Platform
    from engine.store.db import upgrade

    upgrade(url)
    platform = Platform(Settings(database_url=url, processes_dir=ROOT / "processes" / "liaocheng",
                                 instance_dir=instance_dir, secret_key=SECRET))
    tokens = {}
    try:
        with platform.uow() as uow:
            seed_official_years(uow=uow, now=platform.now())
            for files in flows:
                deploy(files, actor=Actor("harness", "designer"), uow=uow, now=platform.now())
            for person in people:
                create_user(person.username, PASSWORD, role=person.role, department=person.department,
                            county=person.county, organisation=platform.organisation, uow=uow, now=platform.now())
                tokens[person.username] = create_token(person.username, uow=uow, now=platform.now())
            uow.commit()
    finally:
        platform.close()
    return tokens


class Cluster:
    """`onestop serve --workers N --no-scheduler` and M `onestop worker --interval S` against one database."""

    def __init__(self, database_url: str, *, web_processes: int = 2, threads: int = 4, timer_workers: int = 2,
                 interval: float = 0.2, workdir: Path | None = None) -> None:
        self.database_url = database_url
        self.web_processes, self.threads, self.interval = web_processes, threads, interval
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="onestop-cluster-"))
        self.port = free_port()
        self.env = {**os.environ, "ONESTOP_DATABASE_URL": database_url, "ONESTOP_INSTANCE_DIR": str(self.workdir),
                    "ONESTOP_SECRET_KEY": SECRET, "PYTHONUNBUFFERED": "1"}
        self.server: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes] | None] = [None] * timer_workers
        self.events: list[tuple[float, str]] = []
        self._started = time.monotonic()

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 — the child owns it
        try:
            return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()

    def note(self, event: str) -> None:
        self.events.append((round(time.monotonic() - self._started, 2), event))

    def start_server(self) -> None:
        self.server = self._spawn("serve", "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers",
                                  str(self.web_processes), "--threads", str(self.threads), "--no-scheduler",
                                  "--no-access-log")
        self.note(f"server started (pid {self.server.pid})")

    def start_worker(self, index: int) -> None:
        self.workers[index] = self._spawn(f"worker{index}", "worker", "--interval", str(self.interval))
        self.note(f"timer worker {index} started (pid {self.workers[index].pid})")  # type: ignore[union-attr]

    def start(self) -> None:
        self.start_server()
        for index in range(len(self.workers)):
            self.start_worker(index)

    def ensure_running(self) -> None:
        if self.server is None or self.server.poll() is not None:
            self.start_server()
        for index, worker in enumerate(self.workers):
            if worker is None or worker.poll() is not None:
                self.start_worker(index)

    @staticmethod
    def _kill_group(process: subprocess.Popen[bytes] | None) -> None:
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def kill_server(self) -> None:
        """SIGKILL the gunicorn master and all its web processes at once (a crash of the whole server)."""
        self._kill_group(self.server)
        self.note("server SIGKILLed")

    def web_process_pids(self) -> list[int]:
        return _children(self.server.pid) if self.server is not None and self.server.poll() is None else []

    def kill_web_process(self, pid: int) -> None:
        """SIGKILL one web process: gunicorn's master starts a new one by itself."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.note(f"web process {pid} SIGKILLed")

    def kill_worker(self, index: int) -> None:
        self._kill_group(self.workers[index])
        self.note(f"timer worker {index} SIGKILLed")

    def stop(self) -> None:
        """Kill everything this cluster started; safe to call twice."""
        self._kill_group(self.server)
        for worker in self.workers:
            self._kill_group(worker)

    def wait_ready(self, token: str, timeout: float = 60.0) -> None:
        """Until the API answers an authenticated request (the app is loaded and the database reachable)."""
        deadline = time.monotonic() + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.server is not None and self.server.poll() is not None:
                raise RuntimeError(f"the server exited with {self.server.returncode}: {self.log_tail('serve')}")
            try:
                with Api(self.port, token, timeout=5) as api:
                    status, _ = api.call("GET", "/me")
                if status == 200:
                    return
                last = status
            except (OSError, http.client.HTTPException) as error:
                last = error
            time.sleep(0.1)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s (last: {last!r})")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def logs(self) -> dict[str, str]:
        return {path.stem: path.read_text(errors="replace") for path in sorted(self.workdir.glob("*.log"))}


class Api:
    """One keep-alive HTTP/1.1 connection speaking JSON as one user; a broken connection is reopened next call."""

    def __init__(self, port: int, token: str, timeout: float = 10.0) -> None:
        self.port, self.timeout = port, timeout
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None
        self.last_headers: dict[str, str] = {}

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        """(status, JSON body) — or raises OSError / HTTPException when the server did not answer."""
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        payload = json.dumps(body).encode() if body is not None else None
        try:
            self.connection.request(method, "/api/v1" + path, body=payload, headers=self.headers)
            response = self.connection.getresponse()
            raw = response.read()
            self.last_headers = dict(response.getheaders())
        except BaseException:
            self.close()
            raise
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw.decode(errors="replace")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass
class Ledger:
    """What the server acknowledged (a 2xx answer): the database must hold every one of these."""

    starts: dict[int, str] = field(default_factory=dict)  # instance id -> model key
    completes: dict[int, tuple[int, str]] = field(default_factory=dict)  # task id -> (instance id, task name)
    outcomes: Counter[str] = field(default_factory=Counter)  # '201 start', '409 complete', 'no answer start', ...
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def started(self, instance_id: int, model_key: str) -> None:
        with self.lock:
            self.starts[instance_id] = model_key

    def completed(self, task_id: int, instance_id: int, name: str) -> None:
        with self.lock:
            self.completes[task_id] = (instance_id, name)


@dataclass
class Audit:
    instances: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    timers_fired: Counter[str] = field(default_factory=Counter)  # by flow
    problems: list[str] = field(default_factory=list)


def audit(database_url: str, ledger: Ledger, *, now: datetime, grace: timedelta,
          once_per_case: tuple[str, ...] = (), fire_at_start: tuple[str, ...] = ()) -> Audit:
    """Check the database against the ledger: every acknowledged start and completion is there, once; no history
    is duplicated; every case restores from its stored state and its open task rows are exactly its waiting
    user tasks; no case is in error or stuck (an active case waits on a task or on a timer not yet due).
    ``once_per_case``: task names that may appear at most once in a case (flows without loops);
    ``fire_at_start``: flows whose timer is already due when a case starts, so each case records it. Run it when
    nothing else writes (stop the cluster first): it reads the cases, their history and their tasks in turn."""
    from sqlalchemy import select

    from engine.cases.runner import load_case, restore
    from engine.cases.summary import ready_manual_tasks
    from engine.config import Settings
    from engine.platform import Platform
    from engine.store.models import HistoryEntry, HumanTask, ProcessInstance, table_of

    result = Audit()
    problems = result.problems
    platform = Platform(Settings(database_url=database_url, processes_dir=ROOT / "processes" / "liaocheng",
                                 instance_dir=Path(tempfile.gettempdir()), secret_key=SECRET))
    try:
        with platform.uow(write=False) as uow:
            cases = {row.id: row for row in uow.session.execute(select(table_of(ProcessInstance))).all()}
            history = uow.session.execute(select(HistoryEntry.instance_id, HistoryEntry.action, HistoryEntry.task_id,
                                                 HistoryEntry.task_name, HistoryEntry.model_key)).all()
            tasks = uow.session.execute(select(HumanTask.id, HumanTask.instance_id, HumanTask.spiff_task_id,
                                               HumanTask.name, HumanTask.state)).all()
        result.instances = len(cases)
        result.by_status = Counter(row.status for row in cases.values())
        actions = Counter((h.instance_id, h.action) for h in history)
        completes = Counter(h.task_id for h in history if h.action == "complete")
        fired = Counter((h.instance_id, h.task_name) for h in history if h.action == "timer_fired")
        result.timers_fired = Counter(h.model_key for h in history if h.action == "timer_fired")
        task_by_id = {t.id: t for t in tasks}
        for instance_id, model_key in sorted(ledger.starts.items()):
            if instance_id not in cases:
                problems.append(f"acknowledged start of case {instance_id} ({model_key}) is missing")
        for task_id, (instance_id, name) in sorted(ledger.completes.items()):
            task = task_by_id.get(task_id)
            if task is None or task.state != "completed":
                problems.append(f"acknowledged completion of task {task_id} ({name}, case {instance_id}) is missing: "
                                f"{'no such task' if task is None else task.state}")
            elif completes[task_id] != 1:
                problems.append(f"task {task_id} ({name}, case {instance_id}) has {completes[task_id]} completions")
        for (instance_id, action), count in actions.items():
            if action in ("start", "completed") and count != 1:
                problems.append(f"case {instance_id} has {count} '{action}' history entries")
        for task_id, count in completes.items():
            if task_id is not None and count > 1:
                problems.append(f"task {task_id} was completed {count} times in the history")
        for instance_id, row in sorted(cases.items()):
            if row.model_key in fire_at_start and not any(i == instance_id for i, _timer in fired):
                problems.append(f"case {instance_id} ({row.model_key}): its timer was due at the start, never fired")
        for (instance_id, timer), count in fired.items():
            if count > 1:
                problems.append(f"timer {timer} of case {instance_id} fired {count} times")
        per_name = Counter((t.instance_id, t.name) for t in tasks)
        for (instance_id, name), count in per_name.items():
            if name in once_per_case and count > 1:
                problems.append(f"case {instance_id} has {count} '{name}' tasks")
        open_rows: dict[int, set[str]] = {}
        for task in tasks:
            if task.state in ("open", "claimed"):
                open_rows.setdefault(task.instance_id, set()).add(task.spiff_task_id)
        for instance_id, row in sorted(cases.items()):
            problems.extend(_check_case(platform, row, open_rows.get(instance_id, set()), now, grace,
                                        load_case, restore, ready_manual_tasks))
    finally:
        platform.close()
    return result


def _check_case(platform: Any, row: Any, open_rows: set[str], now: datetime, grace: timedelta, load_case: Any,
                restore: Any, ready_manual_tasks: Any) -> Iterator[str]:
    if row.status == "error":
        yield f"case {row.id} is in error: {row.error_task}: {row.error_message}"
        return
    try:
        with platform.uow(write=False) as uow:
            loaded = restore(load_case(row.id, uow=uow), uow=uow, now=now)
    except Exception as error:  # noqa: BLE001 — any failure to restore is what we look for
        yield f"case {row.id} does not restore from its stored state: {type(error).__name__}: {error}"
        return
    waiting = {str(task.id) for task in ready_manual_tasks(loaded.workflow)}
    if row.status == "active":
        if waiting != open_rows:
            yield f"case {row.id}: task list rows {sorted(open_rows)} but the workflow waits on {sorted(waiting)}"
        if not waiting and row.next_due_at is None:
            yield f"case {row.id} is active with no open task and no timer: stuck"
        if row.next_due_at is not None and row.next_due_at < now - grace:
            yield f"case {row.id}: timer due at {row.next_due_at.isoformat()} has not fired"
    elif row.status == "completed":
        if open_rows or not loaded.workflow.completed:
            yield f"case {row.id} is completed but its workflow is not, or it still has open tasks {open_rows}"
