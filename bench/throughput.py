"""Throughput: the bare SpiffWorkflow engine in memory vs full cases through `onestop serve` and the REST API.

Both run the same diagram, alternating in rounds within one run, and the ratio API/engine is printed.
Diagrams: `escalation` (default; tests/data/escalation: a county-window task with a working_days(3)
boundary timer, a script, a gateway, a city-window task — the shape of the city's flows) or `small`
(bench/small: two user tasks in a row). The bare engine gets a `working_days` that returns a constant, which
only flatters the engine side. A case through the API is: POST start, GET the department's task list, POST
complete for the first task, then POST complete for the next task named in that answer — every request its
own unit of work that authenticates, loads the case, runs it and saves it with its task rows and history.

    .venv/bin/python bench/throughput.py [--diagram escalation|small] [--seconds 5] [--rounds 3] [--clients 4]
        [--connection-per-request] [--workers N] [--threads T] [--no-scheduler] [--no-access-log]
        [--sandbox process|inline] [--database-url postgresql+psycopg://...]

With no --workers/--threads/--no-* flags the server is exactly what `onestop serve` runs with no flags (its
access log goes to /dev/null). `--clients 1` is one client working through its cases one request at a time;
each client keeps one connection unless `--connection-per-request`.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Diagram:
    folder: Path
    key: str
    data: dict[str, object]
    steps: tuple[tuple[str, str, dict[str, object]], ...]  # (username, department, form data) per user task
    users: tuple[tuple[str, str, str | None], ...]  # (username, department, county)


DIAGRAMS = {
    "escalation": Diagram(ROOT / "tests" / "data" / "escalation", "escalation_demo", {"county": "dongchangfu"},
                          (("bench_window", "county_window", {"approved": True, "months": 3}),
                           ("bench_city", "city_window", {"decision": "通过"})),
                          (("bench_window", "county_window", "dongchangfu"), ("bench_city", "city_window", None))),
    "small": Diagram(ROOT / "bench" / "small", "bench_small", {},
                     (("bench_hrss", "hrss", {"ok": True}), ("bench_hrss", "hrss", {"ok": True})),
                     (("bench_hrss", "hrss", None),)),
}


def engine_rate(diagram: Diagram, seconds: float) -> float:
    parser = SpiffBpmnParser()
    for path in diagram.folder.glob("*.bpmn"):
        parser.add_bpmn_file(str(path))
    spec = parser.get_spec(diagram.key)
    script_engine = PythonScriptEngine(TaskDataEnvironment({"working_days": lambda n, start=None:
                                                            "2099-01-01T18:00:00+08:00"}))
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        workflow = BpmnWorkflow(spec, script_engine=script_engine)
        workflow.get_tasks(state=TaskState.READY)[0].data.update(diagram.data)
        workflow.do_engine_steps()
        for _user, _department, form in diagram.steps:
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.set_data(**form)
            task.run()
            workflow.do_engine_steps()
        assert workflow.completed
        done += 1
    return done / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`onestop serve` on loopback with a fresh database, the diagram deployed, and a token per user."""

    def __init__(self, diagram: Diagram, database_url: str | None, serve_args: list[str],
                 environ: dict[str, str] | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
        self.port = free_port()
        self.env = {**os.environ, **(environ or {}), "ONESTOP_INSTANCE_DIR": str(self.tmp),
                    "ONESTOP_DATABASE_URL": database_url or f"sqlite:///{self.tmp}/bench.db"}
        self.onestop = [sys.executable, "-m", "ui.cli"]
        self._run("db", "upgrade")
        self._run("deploy", str(diagram.folder))
        self.tokens = {}
        for username, department, county in diagram.users:
            self._run("users", "create", username, "--role", "staff", "--department", department,
                      *(["--county", county] if county else []), stdin="bench-password\\n")
            self.tokens[username] = self._run("token", "create", username).strip()
        self.process = subprocess.Popen([*self.onestop, "serve", "--port", str(self.port), *serve_args],
                                        env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def _run(self, *args: str, stdin: str = "") -> str:
        return subprocess.run([*self.onestop, *args], input=stdin, env=self.env, cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


class Client:
    """One keep-alive HTTP connection speaking JSON, as each of a department's users — or, with
    ``new_connections``, a connection of its own for every request, closed once the answer is read (what
    ``requests.post`` without a session or ``urllib`` do)."""

    def __init__(self, server: Server, *, new_connections: bool = False) -> None:
        self.port, self.new_connections = server.port, new_connections
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.headers = {user: {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                        for user, token in server.tokens.items()}

    def call(self, user: str, method: str, path: str, body: object = None) -> tuple[int, object]:
        payload = json.dumps(body).encode() if body is not None else None
        if self.new_connections:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            self.connection.request(method, "/api/v1" + path, body=payload, headers=self.headers[user])
            response = self.connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            if self.new_connections:
                self.connection.close()

    def close(self) -> None:
        self.connection.close()


def run_case(client: Client, diagram: Diagram) -> bool:
    first_user = diagram.steps[0][0]
    status, case = client.call(first_user, "POST", "/process-instances",
                               {"model_key": diagram.key, "data": diagram.data})
    if status != 201:
        return False
    case_id = case["id"]  # type: ignore[index]
    status, listed = client.call(first_user, "GET", "/tasks?scope=department&limit=500")
    task = next((t for t in listed if t["instance_id"] == case_id), None)  # type: ignore[union-attr]
    for index, (user, _department, form) in enumerate(diagram.steps):
        if task is None:
            return False
        status, done = client.call(user, "POST", f"/tasks/{task['id']}/complete", {"data": form})
        if status != 200:
            return False
        if index + 1 < len(diagram.steps):
            next_user = diagram.steps[index + 1][0]
            if next_user == user:
                task = next(iter(done["next_tasks"]), None)  # type: ignore[index]
            else:  # the next task is another department's: that user finds it in their own list
                status, listed = client.call(next_user, "GET", "/tasks?scope=department&limit=500")
                task = next((t for t in listed if t["instance_id"] == case_id), None)  # type: ignore[union-attr]
    return True


def api_rate(server: Server, diagram: Diagram, seconds: float, clients: int,
             new_connections: bool = False) -> tuple[float, int]:
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def worker(index: int) -> None:
        client = Client(server, new_connections=new_connections)
        try:
            while time.perf_counter() < deadline:
                if run_case(client, diagram):
                    counts[index] += 1
                else:
                    errors[index] += 1
        finally:
            client.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--diagram", choices=sorted(DIAGRAMS), default="escalation")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating engine/API rounds")
    parser.add_argument("--clients", type=int, default=4,
                        help="concurrent API clients (1: one client working through its cases one request at a time)")
    parser.add_argument("--connection-per-request", action="store_true",
                        help="each client opens a connection for every request and closes it after the answer "
                             "(default: one kept-alive connection per client)")
    parser.add_argument("--workers", type=int, default=None, help="web processes (default: as `onestop serve`)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per web process (default: as `onestop serve`)")
    parser.add_argument("--no-scheduler", action="store_true", help="pass --no-scheduler to `onestop serve`")
    parser.add_argument("--no-access-log", action="store_true", help="pass --no-access-log to `onestop serve`")
    parser.add_argument("--sandbox", choices=("process", "inline"), default="process",
                        help="ONESTOP_SANDBOX for the server: inline only measures what the engine's child processes "
                             "cost (never for a server that runs diagrams it does not trust)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    diagram = DIAGRAMS[args.diagram]
    serve_args = [*(["--workers", str(args.workers)] if args.workers else []),
                  *(["--threads", str(args.threads)] if args.threads else []),
                  *(["--no-scheduler"] if args.no_scheduler else []),
                  *(["--no-access-log"] if args.no_access_log else [])]
    server = Server(diagram, args.database_url, serve_args, {"ONESTOP_SANDBOX": args.sandbox})
    engine_rates, api_rates, errors = [], [], 0
    try:
        api_rate(server, diagram, 1.0, args.clients, args.connection_per_request)  # warm up: caches, connections
        for round_ in range(1, args.rounds + 1):
            engine_rates.append(engine_rate(diagram, args.seconds))
            rate, failed = api_rate(server, diagram, args.seconds, args.clients, args.connection_per_request)
            api_rates.append(rate)
            errors += failed
            print(f"round {round_}: engine {engine_rates[-1]:8.1f} cases/s   API {rate:7.1f} cases/s   "
                  f"ratio {rate / engine_rates[-1]:.3f}", flush=True)
    finally:
        server.stop()
    engine, api = sum(engine_rates) / len(engine_rates), sum(api_rates) / len(api_rates)
    ratios = [a / e for a, e in zip(api_rates, engine_rates, strict=True)]
    backend = "PostgreSQL" if args.database_url and "postgresql" in args.database_url else "SQLite"
    print(f"\ndiagram: {args.diagram} ({diagram.key})")
    print(f"bare engine (in memory): {engine:.1f} cases/s")
    print(f"API ({backend}, `onestop serve {' '.join(serve_args)}`".rstrip() + f", engine runs: {args.sandbox}, "
          f"{args.clients} client(s){', a connection per request' if args.connection_per_request else ''}): "
          f"{api:.1f} cases/s, {errors} failed cases")
    print(f"ratio API/engine: {api / engine:.3f} (rounds {min(ratios):.3f}-{max(ratios):.3f}; goal >= 0.10)")


if __name__ == "__main__":
    main()
