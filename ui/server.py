"""Runs the app under gunicorn (N processes × threads), each process with its own timer scheduler."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from engine.cases.scheduler import Scheduler
from engine.notify.worker import NotificationWorker


class _OneStopServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], scheduler: bool) -> None:
        self.options = options
        self.with_scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        if self.with_scheduler:
            self.cfg.set("post_worker_init", _start_scheduler)

    def load(self) -> Any:
        from . import create_app

        return create_app()


def _start_scheduler(worker: Any) -> None:
    # Every web process sweeps; instances are fired under a row lock / version check, so races are harmless.
    from .sweeps import SWEEPS

    app = worker.wsgi
    Scheduler(app.extensions["onestop"], sweeps=SWEEPS).start()
    NotificationWorker(app.extensions["onestop"]).start()  # the outbox is delivered here, never in a request


def run_server(*, host: str, port: int, workers: int, threads: int, scheduler: bool, access_log: bool = True) -> None:
    # An engine child process for each thread of a web process, and one for its timer scheduler: a run never waits
    # for another thread's run (engine/sandbox/). The web processes inherit the setting.
    os.environ.setdefault("ONESTOP_SANDBOX_PROCESSES", str(max(threads, 1) + (1 if scheduler else 0)))
    options = {
        "bind": f"{host}:{port}",
        "workers": max(workers, 1),
        "threads": max(threads, 1),
        "worker_class": "gthread",
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "timeout": 60,
        "graceful_timeout": 10,
    }
    _OneStopServer(options, scheduler).run()
