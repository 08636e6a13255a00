"""Load: 50 people working through cases at once on PostgreSQL, 2 web processes and 2 timer workers, for a fixed time.

Everything runs on loopback: a private PostgreSQL server (scripts/postgres-private.sh, durable commits) unless
--database-url names an empty database, `onestop serve --workers 2 --no-scheduler` and two `onestop worker
--interval 1`, all started fresh and killed at the end (tests/fault_harness.py). The people, each with their own
keep-alive connection (http.client, one thread each):

- county-window clerks (spread over the counties) start cases for their county, then take the accept task;
- city-window clerks take the review task; talent-office clerks take the supervise task that a missed deadline
  opens (one case in five runs the escalation flow with a deadline one second after the start, so the timer
  workers fire while the load runs);
- taking a task is what the web UI does: list the department's tasks, open one (GET /tasks/{id}, its form and
  data), claim it, complete it. A claim that another clerk won answers 409: the clerk takes another task.

Each person waits --think seconds (uniform 0..2x) between actions. Reported per request kind: count, p50, p95,
p99 and max latency; throughput; every answer that is not 2xx. A 409 is explained (another clerk claimed the task
first; or the case changed at the same moment, e.g. its deadline fired) and counted apart; anything else is an
error and the run exits 1. At the end the database is audited (tests/fault_harness.py: every acknowledged action
present, every case restores, task rows match the workflows).

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--think 0.25] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fault_harness import (  # noqa: E402
    Api,
    Cluster,
    Ledger,
    Person,
    PrivatePostgres,
    audit,
    escalation_variant,
    prepare_database,
)

FLOWS = {"escalation_demo": {}, "escalation_due_soon": {"element": "timeDuration", "expression": '"PT1S"'}}
FORMS = {"accept": {"approved": True, "months": 6}, "review": {"decision": "通过"}, "supervise": {"note": "已督办"}}
KINDS = ("start", "list", "show", "claim", "complete")


class Recorder:
    """Latencies per request kind, and every answer that was not 2xx, from the measured window only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.explained: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.measuring = False

    def add(self, kind: str, ms: float, status: int | None, answer: Any) -> None:
        if not self.measuring:
            return
        with self.lock:
            self.latency[kind].append(ms)
            if status is not None and 200 <= status < 300:
                return
            if status == 409:
                self.explained[f"409 {kind}: {_reason(answer)}"] += 1
            else:
                self.errors[f"{status} {kind}: {str(answer)[:200]}"] += 1


def _reason(answer: Any) -> str:
    message = answer.get("message", "") if isinstance(answer, dict) else str(answer)
    if "held by" in message:
        return "another clerk claimed the task first"
    if "no longer open" in message or "completed" in message:
        return "the task was already done"
    if "at the same moment" in message:
        return "the case changed at the same moment (its deadline fired)"
    return message[:120]


class Clerk(threading.Thread):
    def __init__(self, person: Person, token: str, port: int, recorder: Recorder, ledger: Ledger, think: float,
                 seed: int, stop: threading.Event) -> None:
        super().__init__(name=f"clerk-{person.username}", daemon=True)
        self.person, self.recorder, self.ledger, self.think, self.stop = person, recorder, ledger, think, stop
        self.api = Api(port, token, timeout=60)
        self.rng = random.Random(seed)
        self.failure: str | None = None

    def call(self, kind: str, method: str, path: str, body: object = None) -> tuple[int | None, Any]:
        started = time.perf_counter()
        try:
            status, answer = self.api.call(method, path, body)
        except OSError as error:
            status, answer = None, f"no answer: {type(error).__name__}: {error}"
        self.recorder.add(kind, (time.perf_counter() - started) * 1000, status, answer)
        return status, answer

    def pause(self) -> None:
        self.stop.wait(self.rng.uniform(0, 2 * self.think))

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.person.department == "county_window" and self.rng.random() < 0.5:
                    self.start_case()
                else:
                    self.work_a_task()
                self.pause()
        except Exception as error:  # noqa: BLE001 — reported at the end
            self.failure = f"{self.name}: {type(error).__name__}: {error}"
        finally:
            self.api.close()

    def start_case(self) -> None:
        key = "escalation_due_soon" if self.rng.random() < 0.2 else "escalation_demo"
        status, answer = self.call("start", "POST", "/process-instances",
                                   {"model_key": key, "data": {"county": self.person.county, "applicant": "张博士"}})
        if status == 201:
            self.ledger.started(answer["id"], key)

    def work_a_task(self) -> None:
        status, listed = self.call("list", "GET", "/tasks?scope=department&state=open&limit=20")
        if status != 200:
            return
        young = datetime.now(UTC) - timedelta(seconds=2)  # a due-soon case's accept waits for its deadline
        ready = [t for t in listed if not (t["model_key"] == "escalation_due_soon" and t["name"] == "accept"
                                           and datetime.fromisoformat(t["created_at"]) > young)]
        if not ready:
            return
        task = self.rng.choice(ready)
        self.pause()
        if self.call("show", "GET", f"/tasks/{task['id']}")[0] != 200:
            return
        if self.call("claim", "POST", f"/tasks/{task['id']}/claim")[0] != 200:
            return
        self.pause()
        for _attempt in range(3):  # a 409 for a case that changed at the same moment succeeds on retry
            status, answer = self.call("complete", "POST", f"/tasks/{task['id']}/complete",
                                       {"data": FORMS[task["name"]]})
            if status == 200:
                self.ledger.completed(task["id"], task["instance_id"], task["name"])
                return
            if status != 409 or "at the same moment" not in str(answer):
                return


def people(users: int, counties: list[str]) -> list[Person]:
    """Half county-window clerks (round the counties), a third city-window clerks, the rest talent office."""
    windows, city = users // 2, users // 3
    crowd = [Person(f"window{i:02d}", "staff", "county_window", counties[i % len(counties)]) for i in range(windows)]
    crowd += [Person(f"city{i:02d}", "staff", "city_window") for i in range(city)]
    crowd += [Person(f"talent{i:02d}", "staff", "talent_office") for i in range(users - windows - city)]
    return crowd


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def machine(load_before: str) -> dict[str, str]:
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), "0")
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    postgres = subprocess.run([str(found[-1]), "--version"], capture_output=True, text=True).stdout.strip() \
        if found else "?"
    return {"cpus": str(os.cpu_count()), "memory": f"{int(memory) / 1024 / 1024:.1f} GiB",
            "python": host.python_version(), "postgresql": postgres, "load average before the run": load_before}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured time (after --warmup)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--think", type=float, default=0.25, help="mean pause between a person's actions (s)")
    parser.add_argument("--web-processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--timer-workers", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database; default: a private server")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    load_before = Path("/proc/loadavg").read_text().split()[0]  # other work on the machine skews every figure
    from engine.people.organisation import Organisation

    counties = sorted(Organisation.load(ROOT / "processes" / "liaocheng" / "organisation.yaml").counties)
    crowd = people(args.users, counties)
    server: PrivatePostgres | None = None
    cluster: Cluster | None = None
    clerks: list[Clerk] = []
    stop = threading.Event()
    recorder, ledger = Recorder(), Ledger()
    try:
        if args.database_url is None:
            server = PrivatePostgres()
            server.start()
            url = server.create_database("onestop_load")
        else:
            url = args.database_url
        workdir = Path(os.environ.get("TMPDIR", "/tmp"))
        tokens = prepare_database(url, [escalation_variant(k, **o) for k, o in FLOWS.items()], crowd, workdir)
        cluster = Cluster(url, web_processes=args.web_processes, threads=args.threads,
                          timer_workers=args.timer_workers, interval=1.0)
        cluster.start()
        cluster.wait_ready(tokens[crowd[0].username])
        clerks = [Clerk(p, tokens[p.username], cluster.port, recorder, ledger, args.think, i, stop)
                  for i, p in enumerate(crowd)]
        for clerk in clerks:
            clerk.start()
        time.sleep(args.warmup)
        recorder.measuring = True
        started = time.perf_counter()
        time.sleep(args.seconds)
        recorder.measuring = False
        elapsed = time.perf_counter() - started
        stop.set()
        for clerk in clerks:
            clerk.join(70)
        cluster.stop()  # nothing may change while the audit reads
        report = audit(url, ledger, now=datetime.now(UTC), grace=timedelta(seconds=30),
                       once_per_case=("accept", "review", "supervise"))
    finally:
        stop.set()
        if cluster is not None:
            cluster.stop()
        if server is not None:
            server.destroy()
    status = print_report(args, elapsed, recorder, ledger, report, clerks, load_before)
    if status == 0:
        shutil.rmtree(cluster.workdir, ignore_errors=True)
    else:
        print(f"server and worker logs: {cluster.workdir}")
    return status


def print_report(args: Any, elapsed: float, recorder: Recorder, ledger: Ledger, report: Any,
                 clerks: list[Clerk], load_before: str) -> int:
    total = sum(len(v) for v in recorder.latency.values())
    figures: dict[str, Any] = {"machine": machine(load_before), "date": datetime.now(UTC).isoformat(timespec="seconds"),
                               "users": args.users, "seconds": round(elapsed, 1), "think": args.think,
                               "web processes": args.web_processes, "threads": args.threads,
                               "timer workers": args.timer_workers, "requests per second": round(total / elapsed, 1),
                               "kinds": {}}
    print(f"\n{args.users} users, {elapsed:.0f} s measured, think {args.think:g} s mean; "
          f"{args.web_processes} web processes x {args.threads} threads, {args.timer_workers} timer workers")
    print(f"machine: {figures['machine']}")
    print(f"\n{'kind':<10}{'count':>8}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in KINDS:
        times = recorder.latency.get(kind, [])
        if not times:
            continue
        row = {"count": len(times), "per_s": round(len(times) / elapsed, 1),
               "p50": round(statistics.median(times), 1), "p95": round(percentile(times, 0.95), 1),
               "p99": round(percentile(times, 0.99), 1), "max": round(max(times), 1)}
        figures["kinds"][kind] = row
        print(f"{kind:<10}{row['count']:>8}{row['per_s']:>8}{row['p50']:>9}{row['p95']:>9}{row['p99']:>9}"
              f"{row['max']:>9}")
    completes = len(recorder.latency.get("complete", []))
    print(f"{'all':<10}{total:>8}{total / elapsed:>8.1f}")
    print(f"\ncases started {len(ledger.starts)}, tasks completed {len(ledger.completes)} (whole run); "
          f"completions in the measured window {completes / elapsed:.1f}/s")
    print(f"cases in the database: {report.instances} {dict(report.by_status)}; timers fired: "
          f"{dict(report.timers_fired)}")
    figures.update(explained=dict(recorder.explained), errors=dict(recorder.errors), audit=report.problems[:20],
                   cases=dict(report.by_status), timers_fired=dict(report.timers_fired))
    print(f"explained 409s: {dict(recorder.explained) or 'none'}")
    failures = [c.failure for c in clerks if c.failure]
    print(f"errors: {dict(recorder.errors) or 'none'}; client failures: {failures or 'none'}; "
          f"audit problems: {report.problems[:20] or 'none'}")
    if args.json is not None:
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 1 if recorder.errors or failures or report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
