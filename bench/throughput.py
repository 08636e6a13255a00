"""Throughput: the bare SpiffWorkflow engine in memory vs full cases through `onestop serve` and the REST API.

Both run the same diagram (bench/small: start → 受理 → 办理 → end), alternating in rounds within one run, and
the ratio API/engine is printed. A case through the API is: POST start, GET the department's tasks, then
POST complete for each task (two), each request a unit of work that loads, runs and saves the case.

    .venv/bin/python bench/throughput.py [--seconds 5] [--rounds 3] [--clients 4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
DIAGRAM = ROOT / "bench" / "small"


def engine_rate(seconds: float) -> float:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM / "small.bpmn"))
    spec = parser.get_spec("bench_small")
    done, deadline = 0, time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        while not workflow.completed:
            for task in workflow.get_tasks(state=TaskState.READY, manual=True):
                task.set_data(ok=True)
                task.run()
            workflow.do_engine_steps()
        done += 1
    return done / (time.perf_counter() - started)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`onestop serve` on loopback with a fresh database, a staff user and a token."""

    def __init__(self, database_url: str | None, workers: int, threads: int) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="onestop-bench-"))
        self.port = free_port()
        self.env = {**os.environ, "ONESTOP_INSTANCE_DIR": str(self.tmp),
                    "ONESTOP_DATABASE_URL": database_url or f"sqlite:///{self.tmp}/bench.db"}
        onestop = [sys.executable, "-m", "ui.cli"]
        for args, stdin in ((["db", "upgrade"], ""), (["deploy", str(DIAGRAM)], ""),
                            (["users", "create", "bench", "--role", "staff", "--department", "hrss"],
                             "bench-password\n")):
            subprocess.run(onestop + args, input=stdin, env=self.env, cwd=ROOT, check=True, capture_output=True,
                           text=True)
        self.token = subprocess.run(onestop + ["token", "create", "bench"], env=self.env, cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout.strip()
        self.process = subprocess.Popen(
            onestop + ["serve", "--port", str(self.port), "--workers", str(workers), "--threads", str(threads),
                       "--no-scheduler"], env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/api/v1"
        for _ in range(200):
            try:
                requests.get(f"{self.url}/openapi.json", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def api_rate(server: Server, seconds: float, clients: int) -> tuple[float, int]:
    deadline = time.perf_counter() + seconds
    counts = [0] * clients
    errors = [0] * clients

    def client(index: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {server.token}"
        while time.perf_counter() < deadline:
            case = session.post(f"{server.url}/process-instances", json={"model_key": "bench_small", "data": {}})
            if case.status_code != 201:
                errors[index] += 1
                continue
            case_id = case.json()["id"]
            for _ in range(2):
                tasks = session.get(f"{server.url}/tasks", params={"scope": "department", "limit": 500}).json()
                mine = [t for t in tasks if t["instance_id"] == case_id]
                if not mine:
                    errors[index] += 1
                    break
                done = session.post(f"{server.url}/tasks/{mine[0]['id']}/complete", json={"data": {"ok": True}})
                if done.status_code != 200:
                    errors[index] += 1
                    break
            else:
                counts[index] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating engine/API rounds")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients")
    parser.add_argument("--workers", type=int, default=1, help="web processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per web process")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    server = Server(args.database_url, args.workers, args.threads)
    engine_rates, api_rates, errors = [], [], 0
    try:
        api_rate(server, 1.0, args.clients)  # warm up: spec cache, connections
        for round_ in range(1, args.rounds + 1):
            engine_rates.append(engine_rate(args.seconds))
            rate, failed = api_rate(server, args.seconds, args.clients)
            api_rates.append(rate)
            errors += failed
            print(f"round {round_}: engine {engine_rates[-1]:8.1f} cases/s   API {rate:7.1f} cases/s   "
                  f"ratio {rate / engine_rates[-1]:.3f}", flush=True)
    finally:
        server.stop()
    engine, api = sum(engine_rates) / len(engine_rates), sum(api_rates) / len(api_rates)
    backend = "PostgreSQL" if args.database_url and "postgresql" in args.database_url else "SQLite"
    print(f"\nbare engine (in memory): {engine:.1f} cases/s")
    print(f"API ({backend}, {args.workers} worker(s) × {args.threads} threads, {args.clients} clients): "
          f"{api:.1f} cases/s, {errors} errors")
    print(f"ratio API/engine: {api / engine:.3f}  (goal ≥ 0.10)")


if __name__ == "__main__":
    main()
