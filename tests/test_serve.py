"""`onestop serve` as run with no flags: a web process per CPU, threads that serve a kept-alive client's next request
without a hand-over — and never at the expense of another connection waiting for a thread (ui/server.py)."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from ui.server import DEFAULT_THREADS, KEEPALIVE_LINGER_SECONDS, default_workers

pytestmark = pytest.mark.sqlite_only


def test_the_defaults_follow_the_machine():
    assert default_workers() == len(os.sched_getaffinity(0))
    assert DEFAULT_THREADS >= 2  # a slow upload holds one thread, not the process


@pytest.fixture
def one_thread_server(tmp_path: Path) -> Iterator[int]:
    """`onestop serve --workers 1 --threads 1`: one thread, so a lingering connection would block everyone."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ONESTOP_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
           "ONESTOP_INSTANCE_DIR": str(tmp_path), "ONESTOP_PROCESSES_DIR": str(ROOT / "processes" / "liaocheng")}
    subprocess.run([sys.executable, "-m", "ui.cli", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    server = subprocess.Popen([sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--workers", "1",
                               "--threads", "1", "--no-scheduler", "--no-access-log"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait(15)


def _get(connection: http.client.HTTPConnection, path: str = "/api/v1/openapi.json") -> int:
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    return response.status


def test_a_kept_alive_idle_client_does_not_hold_the_only_thread(one_thread_server):
    idle = http.client.HTTPConnection("127.0.0.1", one_thread_server, timeout=10)
    assert _get(idle) == 200  # kept alive, then silent
    other = http.client.HTTPConnection("127.0.0.1", one_thread_server, timeout=10)
    started = time.monotonic()
    assert _get(other) == 200
    assert time.monotonic() - started < 1.0  # not held up behind the idle connection (gthread's keep-alive timeout)
    time.sleep(KEEPALIVE_LINGER_SECONDS * 5)  # past the linger: the idle connection went back to the poller
    started = time.monotonic()
    assert _get(idle) == 200 and _get(other) == 200  # both still served on their kept-alive connections
    assert time.monotonic() - started < 1.0
    idle.close()
    other.close()


def test_a_client_sending_request_after_request_is_served_on_its_connection(one_thread_server):
    connection = http.client.HTTPConnection("127.0.0.1", one_thread_server, timeout=10)
    _get(connection)
    local_port = connection.sock.getsockname()[1]  # type: ignore[union-attr]
    for _ in range(20):
        assert _get(connection) == 200
    assert connection.sock is not None and connection.sock.getsockname()[1] == local_port  # never reconnected
    connection.close()
