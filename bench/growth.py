"""Growth: the department task list and the timer sweep with 1,000 and then 100,000 open tasks, and the size of a
subsidy case after 12, 24 and 36 monthly payments.

The open cases are copies of a real escalation case (started through the service layer: its serialized state,
data and task row), bulk-inserted with SQLAlchemy Core executemany: departments and counties spread as the
city's workload is (county windows the most, then the city window and the HRSS bureau), task deadlines spread over
six weeks, each case's next timer spread over the two months after the sweep moment. At each size it measures:

- the department task list: `tasks.service.list_tasks(scope="department")` for an HRSS clerk and for the
  Dongchangfu county window, each call in its own read unit of work, p50/p95 over --repeats calls;
- the timer sweep: `engine.cases.scheduler.due_instance_ids` (p50 over --repeats) and a full `fire_due_timers`
  firing --due copies whose deadline has passed, while every other case's timer waits in the future.

Goals (issue 7): task list p50 at the largest size <= 2x that at the smallest; the sweep's cost depends on the
number of due timers, not on the number waiting. Then one subsidy case is driven through the service layer as
tests/flows/liaocheng/test_subsidy.py does (fire the month's timer, the human-resources bureau pays) and its serialized
state is measured after 12, 24 and 36 payments: equal growth per 12 payments is linear, growing growth quadratic.

    .venv/bin/python bench/growth.py                     # SQLite in a temporary file
    .venv/bin/python bench/growth.py --database-url postgresql+psycopg://onestop@127.0.0.1:54329/onestop_growth

A PostgreSQL database must be empty (or give --reset to drop OneStop's tables first); its schema is created with
the Alembic migrations, as `onestop db upgrade` does. PostgreSQL tables are ANALYZEd after each bulk load, as
autovacuum would soon do; SQLite gets no ANALYZE (nothing runs it in a default deployment).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, inspect, select, text, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.calendar.store import seed_official_years  # noqa: E402
from engine.cases.deployment import deploy  # noqa: E402
from engine.cases.instances import start_instance  # noqa: E402
from engine.cases.scheduler import due_instance_ids, fire_due_timers, fire_instance_timers  # noqa: E402
from engine.clock import FixedClock  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.integration.external_tasks import complete as complete_external  # noqa: E402
from engine.integration.external_tasks import fetch_and_lock  # noqa: E402
from engine.people.identity import Actor  # noqa: E402
from engine.platform import Platform  # noqa: E402
from engine.store.db import make_engine, upgrade  # noqa: E402
from engine.store.models import Base, HumanTask, ProcessInstance, table_of  # noqa: E402
from onestop_worker.client import Job  # noqa: E402
from onestop_worker.simulated import SIMULATED  # noqa: E402
from tasks.service import complete_task, list_tasks  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI)  # the template case starts; its deadline: 2026-10-10 18:00
SWEEP = datetime(2026, 10, 12, 9, 0, tzinfo=SHANGHAI)  # the template's deadline has passed: its copies are due
CASES, TASKS = table_of(ProcessInstance), table_of(HumanTask)
DESIGNER, ADMIN = Actor("bench_designer", "designer"), Actor("bench_admin", "admin")
HRSS = Actor("bench_hrss", "staff", department="hrss")
WINDOW = Actor("bench_window", "staff", department="county_window", county="dongchangfu")
# Share of open tasks per department: county windows take most first contacts, then the city window and HRSS.
WEIGHTS = {"county_window": 40, "city_window": 15, "hrss": 15, "talent_office": 4, "finance": 4, "housing": 4,
           "education": 4, "health": 3, "org_dept": 2, "staffing_office": 2, "public_security": 2}
BATCH = 5_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(call: Callable[[], object], repeats: int, warmup: int = 5) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


class Bench:
    """A platform on a fresh database with the escalation and subsidy flows deployed and one template case."""

    def __init__(self, url: str, workdir: Path, reset: bool) -> None:
        self.url = url
        engine = make_engine(url)
        existing = inspect(engine).get_table_names()
        if existing and reset:
            Base.metadata.drop_all(engine)
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        elif existing:
            raise SystemExit(f"the database at {url} is not empty ({', '.join(sorted(existing)[:5])}...): give an "
                             f"empty one, or --reset to drop OneStop's tables")
        engine.dispose()
        upgrade(url)
        self.clock = FixedClock(START)
        self.platform = Platform(Settings(database_url=url, processes_dir=ROOT / "processes" / "liaocheng",
                                          instance_dir=workdir, secret_key="bench"), clock=self.clock)
        self.postgres = self.platform.engine.dialect.name == "postgresql"
        with self.platform.uow() as uow:
            seed_official_years(uow=uow, now=START)
            for folder in (ROOT / "tests" / "data" / "escalation", ROOT / "processes" / "liaocheng" / "subsidy"):
                files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".bpmn", ".dmn", ".json")}
                deploy(files, actor=DESIGNER, uow=uow, now=START)
            uow.commit()
        with self.platform.uow(optimistic=True) as uow:  # diagram code runs: no write lock meanwhile
            case = start_instance("escalation_demo", {"county": "dongchangfu", "applicant": "张博士"},
                                  actor=ADMIN, uow=uow, now=START)
            uow.commit()
        with self.platform.uow(write=False) as uow:
            self.case = dict(uow.session.execute(select(CASES).where(CASES.c.id == case["id"])).one()._mapping)
            self.task = dict(uow.session.execute(select(TASKS).where(TASKS.c.instance_id == case["id"])).one()
                             ._mapping)
        with self.platform.write_engine.begin() as connection:  # the template waits like the bulk: not due
            connection.execute(update(CASES).where(CASES.c.id == case["id"]).values(
                next_due_at=SWEEP + timedelta(days=90)))
        self.rng = random.Random(7)
        self.departments = list(WEIGHTS)
        self.counties = sorted(self.platform.organisation.counties)
        self.open_tasks = 1  # the template's

    def _next_id(self, connection: Any, table: Any) -> int:
        return int(connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1

    def add_cases(self, count: int, *, due: bool) -> list[int]:
        """Bulk-insert ``count`` copies of the template case, each with one open task: ``due`` copies' timers
        have passed (a sweep fires them); the others wait up to two months after the sweep moment."""
        ids: list[int] = []
        with self.platform.write_engine.begin() as connection:
            first_case, first_task = self._next_id(connection, CASES), self._next_id(connection, TASKS)
            for start in range(0, count, BATCH):
                cases, tasks = [], []
                for offset in range(start, min(start + BATCH, count)):
                    cases.append(self._case_row(first_case + offset, due))
                    tasks.append(self._task_row(first_task + offset, first_case + offset, due))
                connection.execute(insert(CASES), cases)
                connection.execute(insert(TASKS), tasks)
                ids.extend(row["id"] for row in cases)
            if self.postgres:  # explicit ids: move the sequences past them for the service layer's inserts
                for table in ("process_instances", "human_tasks"):
                    connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"(SELECT max(id) FROM {table}))"))
        self.open_tasks += count
        return ids

    def _case_row(self, case_id: int, due: bool) -> dict[str, Any]:
        county = "dongchangfu" if due else self.rng.choice(self.counties)
        waits = timedelta(minutes=self.rng.randint(60, 60 * 24 * 60))
        return {**self.case, "id": case_id, "business_key": f"GROWTH-{case_id}", "county": county,
                "data": {**self.case["data"], "county": county},
                "next_due_at": self.case["next_due_at"] if due else SWEEP + waits}

    def _task_row(self, task_id: int, case_id: int, due: bool) -> dict[str, Any]:
        if due:
            return {**self.task, "id": task_id, "instance_id": case_id}
        department = self.rng.choices(self.departments, weights=list(WEIGHTS.values()))[0]
        claimed = self.rng.random() < 0.1
        deadline = START + timedelta(hours=self.rng.randint(-24 * 10, 24 * 30))
        return {**self.task, "id": task_id, "instance_id": case_id, "department": department,
                "county": self.rng.choice(self.counties) if department == "county_window" else None,
                "state": "claimed" if claimed else "open", "assignee": "someone" if claimed else None,
                "claimed_at": START if claimed else None,
                "due_at": None if self.rng.random() < 0.05 else deadline}

    def analyze(self) -> None:
        if self.postgres:
            with self.platform.write_engine.begin() as connection:
                connection.execute(text("ANALYZE process_instances"))
                connection.execute(text("ANALYZE human_tasks"))

    def task_list(self, actor: Actor) -> int:
        with self.platform.uow(write=False) as uow:
            return len(list_tasks(actor=actor, uow=uow, scope="department"))

    def due_ids(self) -> list[int]:
        with self.platform.uow(write=False) as uow:
            return due_instance_ids(uow=uow, now=SWEEP, limit=200)


def measure_size(bench: Bench, open_tasks: int, repeats: int, due: int, sweeps: int) -> dict[str, Any]:
    bench.add_cases(open_tasks - bench.open_tasks, due=False)
    bench.analyze()
    result: dict[str, Any] = {"open tasks": bench.open_tasks}
    for label, actor in (("list hrss", HRSS), ("list county window", WINDOW)):
        rows = bench.task_list(actor)
        times = timed(lambda actor=actor: bench.task_list(actor), repeats)
        result[label] = (statistics.median(times), percentile(times, 0.95), rows)
    sweep_times, ids_times = [], []
    bench.add_cases(due, due=True)  # a warm-up sweep, not measured: caches filled at every size alike
    assert len(fire_due_timers(bench.platform, now=SWEEP).fired) == due
    for _ in range(sweeps):
        expected = sorted(bench.add_cases(due, due=True))
        bench.analyze()
        assert sorted(bench.due_ids()) == expected, "the sweep must see exactly the due copies"
        ids_times += timed(bench.due_ids, max(repeats // sweeps, 10), warmup=1)
        started = time.perf_counter()
        report = fire_due_timers(bench.platform, now=SWEEP)
        sweep_times.append((time.perf_counter() - started) * 1000)
        assert sorted(report.fired) == expected and not report.errors, report
    result["due_instance_ids"] = (statistics.median(ids_times), percentile(ids_times, 0.95), due)
    result["fire_due_timers"] = (statistics.median(sweep_times), max(sweep_times), due)
    return result


def subsidy_sizes(bench: Bench, checkpoints: tuple[int, ...] = (12, 24, 36)) -> list[tuple[int, int, int, float]]:
    """(payments, state bytes, data bytes, ms for that month's fire + payment) at each checkpoint."""
    platform, clock = bench.platform, bench.clock
    applicant = Actor("bench_applicant", "applicant")
    staff = {d: Actor(f"bench_{d}", "staff", department=d) for d in ("city_window", "hrss", "finance")}

    def complete(department: str, name: str, data: dict[str, Any]) -> None:
        with platform.uow(write=False) as uow:
            task_id = uow.session.scalar(select(TASKS.c.id).where(TASKS.c.instance_id == case_id,
                                                                  TASKS.c.name == name,
                                                                  TASKS.c.state == "open"))
        with platform.uow(optimistic=True) as uow:
            complete_task(task_id, data, actor=staff[department], uow=uow, now=clock.now())
            uow.commit()

    def finance_system_answers() -> None:
        """The month's payment instruction answered by the finance system (the demo's simulated one)."""
        with platform.uow() as uow:
            [job] = fetch_and_lock("bench", ["finance.payment"], actor=ADMIN, uow=uow, now=clock.now())
            uow.commit()
        with platform.uow(optimistic=True) as uow:
            complete_external(job["id"], "bench", SIMULATED["finance.payment"](Job.of(job)), actor=ADMIN, uow=uow,
                              now=clock.now())
            uow.commit()

    clock.set(START)
    with platform.uow(optimistic=True) as uow:
        case_id = start_instance("subsidy", {"applicant_name": "李博士", "county": "dongchangfu"}, actor=applicant,
                                 uow=uow, now=START)["id"]
        uow.commit()
    complete("city_window", "city_intake", {
        "applicant_name": "李博士", "id_number": "37150219900101123X", "phone": "13806350002",
        "employer": "聊城鲁西化工集团", "certificate_no": "LCRC2026-0101", "subsidy_category": "企业全职引进人才",
        "qualification": "博士研究生", "contract_years": 5, "local_social_insurance": True, "urgently_needed": True,
        "full_time_degree": True, "apartment_needed": False, "intake_decision": "受理"})
    complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象", "prior_subsidy_months": 0,
                                     "eligibility_comment": "经认定"})
    complete("hrss", "approval", {"approval_decision": "批准", "first_month": "2026-11", "approved_months": 36,
                                  "approval_comment": "同意"})
    complete("finance", "allocate", {"allocated_amount": 72000, "allocated_on": "2026-10-20", "voucher_no": "CZ-1"})
    found = []
    for month in range(1, max(checkpoints) + 1):
        year, index = divmod(2026 * 12 + 10 + month - 1, 12)
        due = datetime(year, index + 1, 1, 9, 0, tzinfo=SHANGHAI)
        clock.set(due)
        started = time.perf_counter()
        with platform.uow(optimistic=True) as uow:  # what a sweep does for this case (the bulk cases are left alone)
            assert fire_instance_timers(case_id, uow=uow, now=due) == "fired"
            uow.commit()
        complete("hrss", "pay", {"disbursement": "已发放", "paid_on": due.date().isoformat()})
        finance_system_answers()
        step_ms = (time.perf_counter() - started) * 1000
        if month in checkpoints:
            with platform.uow(write=False) as uow:
                state, data = uow.session.execute(select(CASES.c.state, CASES.c.data)
                                                  .where(CASES.c.id == case_id)).one()
            assert len(data["payments"]) == month
            found.append((month, len(state.encode()), len(json.dumps(data, ensure_ascii=False).encode()), step_ms))
    return found


def growth_verdict(sizes: list[tuple[int, int, int, float]]) -> str:
    (n1, s1, *_), (n2, s2, *_), (n3, s3, *_) = sizes[:3]
    first, second = (s2 - s1) / (n2 - n1), (s3 - s2) / (n3 - n2)
    ratio = second / first if first else float("inf")
    # Quadratic growth a*n^2 would make the second increment (24->36) 1.67x the first (12->24).
    kind = "linear" if 0.8 <= ratio <= 1.25 else ("quadratic-like (growing)" if ratio > 1.25 else "sub-linear")
    return (f"{first:.0f} bytes/payment from {n1} to {n2}, {second:.0f} bytes/payment from {n2} to {n3}: "
            f"ratio {ratio:.2f} -> {kind}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--reset", action="store_true", help="drop OneStop's tables in --database-url first")
    parser.add_argument("--sizes", default="1000,100000", help="open tasks at each measurement")
    parser.add_argument("--repeats", type=int, default=200, help="task-list and due-id queries per size")
    parser.add_argument("--due", type=int, default=20, help="due timers per sweep")
    parser.add_argument("--sweeps", type=int, default=5, help="sweeps per size")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="onestop-growth-"))
    url = args.database_url or f"sqlite:///{workdir}/growth.db"
    sizes = [int(s) for s in args.sizes.split(",")]
    started = time.perf_counter()
    try:
        load_before = Path("/proc/loadavg").read_text().split()[0]  # other work on the machine skews the figures
        bench = Bench(url, workdir, args.reset)
        with bench.platform.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version()" if bench.postgres else
                                                 "SELECT 'SQLite ' || sqlite_version()").scalar()
        memory = next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
        print(f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} CPUs, {int(memory) / 2**20:.1f} GiB, "
              f"Python {host.python_version()}, {version}; load average before: {load_before}")
        print(f"template case state {len(bench.case['state'])} bytes")
        results = []
        for size in sizes:
            loading = time.perf_counter()
            result = measure_size(bench, size, args.repeats, args.due, args.sweeps)
            results.append(result)
            print(f"\n{result['open tasks']:>7} open tasks ({time.perf_counter() - loading:.1f} s to load and measure)")
            for key in ("list hrss", "list county window", "due_instance_ids"):
                p50, p95, rows = result[key]
                print(f"  {key:<20} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   ({rows} rows)")
            p50, worst, due = result["fire_due_timers"]
            print(f"  {'fire_due_timers':<20} p50 {p50:8.2f} ms   max {worst:8.2f} ms   ({due} due timers fired per "
                  f"sweep, {p50 / due:.2f} ms each)")
        small, large = results[0], results[-1]
        missed = []
        print(f"\nratios {large['open tasks']} / {small['open tasks']} open tasks (p50):")
        for key, limit, goal in (("list hrss", 2.0, "goal <= 2"), ("list county window", 2.0, "goal <= 2"),
                                 ("due_instance_ids", 2.0, "goal ~1: independent of the number waiting"),
                                 ("fire_due_timers", 2.0, "goal ~1: independent of the number waiting")):
            ratio = large[key][0] / small[key][0]
            print(f"  {key:<20} {ratio:6.2f}   ({goal}){'   MISSED' if ratio > limit else ''}")
            if ratio > limit:
                missed.append(key)
        sizes_found = subsidy_sizes(bench)
        print("\nsubsidy case (serialized state without the spec):")
        for payments, state, data, step_ms in sizes_found:
            print(f"  after {payments:2d} payments: state {state:7d} bytes ({state / 1024:.1f} KiB), case data "
                  f"{data} bytes; that month's fire + payment {step_ms:.1f} ms")
        verdict = growth_verdict(sizes_found)
        print(f"  growth: {verdict}; after 36 payments "
              f"{'under' if sizes_found[-1][1] < 100_000 else 'OVER'} 100 KB (goal)")
        if sizes_found[-1][1] >= 100_000 or "linear" not in verdict.split("-> ")[-1]:
            missed.append("subsidy case size")
        bench.platform.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; goals missed: {', '.join(missed) or 'none'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
