"""SQLite's WAL checkpoints are the checkpoint thread's work (engine/store/checkpoint.py), not a request's commit."""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import pytest

from engine.store import checkpoint
from engine.store.checkpoint import BACKSTOP_PAGES, Checkpointer, checkpoint_if_due, wal_path
from engine.store.models import Revision


def _write(platform: Any, rows: int) -> None:
    with platform.uow() as uow:
        for i in range(rows):
            uow.session.add(Revision(name=f"checkpoint-test-{os.urandom(8).hex()}-{i}", value=i))
        uow.commit()


@pytest.mark.sqlite_only
def test_a_commit_leaves_the_checkpoint_to_the_thread_up_to_the_backstop(platform):
    with platform.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == BACKSTOP_PAGES
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"


def _in_database_file(platform: Any) -> int:
    """The test's rows in the database file itself (``immutable``: SQLite reads the file, not the log)."""
    database = platform.engine.url.database
    with sqlite3.connect(f"file:{database}?immutable=1", uri=True) as connection:
        return int(connection.execute("SELECT count(*) FROM revisions WHERE name LIKE 'checkpoint-test-%'")
                   .fetchone()[0])


@pytest.mark.sqlite_only
def test_the_log_is_checkpointed_once_it_holds_enough_pages_and_not_before(platform):
    assert checkpoint_if_due(platform.engine, pages=1) is True  # the schema, written at set-up, into the file
    _write(platform, 200)
    path = wal_path(platform.engine)
    assert path is not None and os.stat(path).st_size > 0
    assert _in_database_file(platform) == 0  # committed, in the log only: no commit checkpointed it
    assert checkpoint_if_due(platform.engine, pages=10**9) is False  # far below the threshold: nothing done
    assert _in_database_file(platform) == 0
    assert checkpoint_if_due(platform.engine, pages=1) is True
    assert _in_database_file(platform) == 200


def test_the_thread_looks_at_its_interval_until_stopped_and_not_at_all_on_postgresql(platform, monkeypatch):
    looks: list[Any] = []
    worker = Checkpointer(platform.engine, interval=0.001)

    def look(engine: Any, **_kwargs: Any) -> bool:
        looks.append(engine)
        if len(looks) == 3:
            worker._stop.set()
        return False

    monkeypatch.setattr(checkpoint, "checkpoint_if_due", look)
    worker.start()
    if platform.engine.dialect.name == "sqlite":
        assert worker._thread is not None
        worker._thread.join(timeout=30)
        assert looks == [platform.engine] * 3 and not worker._thread.is_alive()
    else:
        assert worker._thread is None and wal_path(platform.engine) is None and looks == []
    worker.stop()


@pytest.mark.sqlite_only
def test_every_web_process_checkpoints_with_or_without_its_timer_scheduler(app, monkeypatch):
    """`onestop serve` starts the checkpoint thread (and the warm-up) in each web process: on their own with
    --no-scheduler, beside the timer scheduler and the notification worker otherwise (ui/server.py)."""
    from types import SimpleNamespace

    from ui import server

    for scheduler, hook in ((False, server._start_process), (True, server._start_scheduler)):
        gunicorn_app = server._OneStopServer({"bind": "127.0.0.1:0"}, scheduler)
        assert gunicorn_app.cfg.post_worker_init is hook
    started: list[str] = []
    monkeypatch.setattr(server, "Scheduler", lambda *_a, **_k: SimpleNamespace(start=lambda: started.append("timers")))
    monkeypatch.setattr(server, "NotificationWorker",
                        lambda *_a, **_k: SimpleNamespace(start=lambda: started.append("notifications")))
    worker = SimpleNamespace(wsgi=app)
    alone = server._start_checkpoints(worker)
    try:
        assert alone._thread is not None and alone._thread.is_alive() and alone._thread.name == "onestop-checkpoints"
    finally:
        alone.stop()
    assert not alone._thread.is_alive()
    monkeypatch.setattr(server, "_start_checkpoints", lambda w: started.append("checkpoints"))
    monkeypatch.setattr(server, "_warm_up", lambda platform: started.append("warm-up"))
    server._start_process(worker).join(5)
    assert started == ["checkpoints", "warm-up"]
    started.clear()
    server._start_scheduler(worker)
    assert started[:3] == ["timers", "notifications", "checkpoints"]
