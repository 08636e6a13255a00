"""Runs the app under gunicorn (N processes × threads), each process with its own timer scheduler.

The default uses the machine: one web process per CPU, a few threads each (:func:`default_workers`,
:data:`DEFAULT_THREADS`). Threads, not processes, wait for slow clients: a request's body is read by one thread
while the process's other threads serve others, and a kept-alive connection waiting for its next request holds no
thread at all (gunicorn's gthread worker puts it back in its poller). :class:`KeepAliveThreadWorker` adds one thing
to gthread: a client that sends its next request at once on the same connection (an API client working through a
case) is served by the same thread, without the two hand-overs between the poller thread and the pool that gthread
makes for every request."""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.workers.gthread import ThreadWorker

from engine.cases.runner import warm_up
from engine.cases.scheduler import Scheduler
from engine.notify.worker import NotificationWorker
from engine.store.checkpoint import Checkpointer

log = logging.getLogger(__name__)

#: Threads per web process (`onestop serve --threads`): requests served at once by one process, slow uploads
#: included.
DEFAULT_THREADS = 4
#: How long a thread that has answered a kept-alive connection waits for that client's next request before handing
#: the connection back to the poller — and never while another connection waits for a thread.
KEEPALIVE_LINGER_SECONDS = 0.02
_LINGER_SLICE = 0.002


def default_workers() -> int:
    """One web process per CPU this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):  # not Linux
        return max(os.cpu_count() or 1, 1)


class KeepAliveThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, serving a kept-alive client's next request in the same thread when it comes
    within :data:`KEEPALIVE_LINGER_SECONDS` and no other connection is waiting for a thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queued = 0  # connections handed to the pool and not yet picked up by a thread
        self._queued_lock = threading.Lock()

    def enqueue_req(self, conn: Any) -> None:
        with self._queued_lock:
            self._queued += 1
        super().enqueue_req(conn)

    def handle(self, conn: Any) -> Any:
        with self._queued_lock:
            self._queued -= 1
        keepalive = super().handle(conn)
        while keepalive is True and self.alive and self._next_request_soon(conn):
            keepalive = super().handle(conn)
        return keepalive

    def _next_request_soon(self, conn: Any) -> bool:
        if conn.parser.unreader.buf.getvalue():  # already read ahead
            return True
        deadline = time.monotonic() + KEEPALIVE_LINGER_SECONDS
        while self.alive and not self._queued:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, _, _ = select.select([conn.sock], [], [], min(remaining, _LINGER_SLICE))
            if readable:
                return True
        return False


class _OneStopServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], scheduler: bool) -> None:
        self.options = options
        self.with_scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("post_worker_init", _start_scheduler if self.with_scheduler else _start_process)

    def load(self) -> Any:
        from . import create_app

        return create_app()


def _start_process(worker: Any) -> threading.Thread:
    """What every web process starts beside its requests: the checkpoint thread, and a thread getting it ready for
    its first cases (returned)."""
    _start_checkpoints(worker)
    ready = threading.Thread(target=_warm_up, args=(worker.wsgi.extensions["onestop"],), name="onestop-warm-up",
                             daemon=True)
    ready.start()
    return ready


def _start_checkpoints(worker: Any) -> Checkpointer:
    checkpoints = Checkpointer(worker.wsgi.extensions["onestop"].engine)  # SQLite's, outside the requests' commits
    checkpoints.start()
    return checkpoints


def _warm_up(platform: Any) -> None:
    """The process's first engine child and its flows, made ready while it takes its first requests."""
    try:
        flows = warm_up(platform)
        log.info("ready: %d flows parsed, an engine child process started", flows)
    except Exception:  # noqa: BLE001 — only a head start: the first case does the work itself
        log.warning("getting ready ahead of the first requests failed", exc_info=True)


def _start_scheduler(worker: Any) -> None:
    # Every web process sweeps; instances are fired under a row lock / version check, so races are harmless.
    from .sweeps import SWEEPS

    app = worker.wsgi
    Scheduler(app.extensions["onestop"], sweeps=SWEEPS).start()
    NotificationWorker(app.extensions["onestop"]).start()  # the outbox is delivered here, never in a request
    _start_process(worker)


def process_settings(threads: int, scheduler: bool) -> dict[str, str]:
    """What each web process is given, unless the environment says otherwise: an engine child process for each of
    its threads and one for its timer scheduler (a run never waits for another thread's run: engine/sandbox/), and
    places for workers' long polls in half its threads (none of a single thread): the rest serve people."""
    return {"ONESTOP_SANDBOX_PROCESSES": str(max(threads, 1) + (1 if scheduler else 0)),
            "ONESTOP_LONG_POLLS": str(max(threads, 1) // 2)}


def run_server(*, host: str, port: int, workers: int | None = None, threads: int | None = None, scheduler: bool,
               access_log: bool = True) -> None:
    workers = workers or default_workers()
    threads = threads or DEFAULT_THREADS
    for name, value in process_settings(threads, scheduler).items():  # the web processes inherit them
        os.environ.setdefault(name, value)
    options = {
        "bind": f"{host}:{port}",
        "workers": max(workers, 1),
        "threads": max(threads, 1),
        "worker_class": "ui.server.KeepAliveThreadWorker",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
    }
    _OneStopServer(options, scheduler).run()
