"""A worker for OneStop's external tasks: a handler per topic, polling with back-off, retries, lock extension for
long handlers, and a graceful stop.

Subclass it, or register handlers on an instance::

    worker = ExternalWorker(OneStopClient("https://onestop.example", token), worker_id="finance-1")

    @worker.handler("finance.payment")
    def pay(job: Job) -> dict:
        voucher = finance_system.pay(job.parameters["payee"], job.parameters["amount"])
        return {"voucher": voucher}            # stored in the service task's resultVariable

    worker.run()                                # until SIGTERM / Ctrl-C (install_signal_handlers) or stop()

A handler returns the result (any JSON value); raises :class:`BpmnError` for a business outcome the diagram
models with an error boundary event (e.g. ``BpmnError("PAYMENT_REFUSED", "账户已冻结")``); any other exception is a
failure: the job is offered again after a back-off while retries are left (``retries`` per job, counted down by
the platform), then becomes an incident the platform's console shows. Fetching is polling: when nothing is due
the worker waits ``poll_interval`` seconds, doubling up to ``max_poll_interval``, and polls at once again after a
fetch that found work.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from .client import ApiError, Job, LockLost, OneStopClient, Unreachable

__all__ = ["BpmnError", "ExternalWorker", "Handler", "topic"]

log = logging.getLogger("onestop_worker")
Handler = Callable[[Job], Any]


class BpmnError(Exception):
    """Raised by a handler: the outside system answered with a business error the diagram catches by ``code``."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class ExternalWorker:
    """Fetches jobs of its handlers' topics, runs each handler, and answers the platform."""

    #: back-off before a failed job is offered again: the first retry, the second, and every later one
    retry_delays: tuple[int, ...] = (10, 60, 300)

    def __init__(self, client: OneStopClient, *, worker_id: str, max_tasks: int = 1, lock_seconds: int = 60,
                 retries: int = 3, poll_interval: float = 1.0, max_poll_interval: float = 30.0,
                 long_poll: float = 20.0) -> None:
        self.client = client
        self.worker_id = worker_id
        self.max_tasks = max_tasks
        self.lock_seconds = lock_seconds
        self.retries = retries
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        # Seconds each fetch waits on the platform for a job to come (a long poll; 0: plain polling with back-off),
        # kept under the client's own timeout. A stop is seen when the fetch in flight returns.
        self.long_poll = max(0.0, min(long_poll, 30.0, client.timeout - 5))
        self.handlers: dict[str, Handler] = {}
        self.stopping = threading.Event()
        for topic, method in self.topic_methods().items():
            self.handlers[topic] = method

    def topic_methods(self) -> dict[str, Handler]:
        """A subclass's handlers: methods marked with :func:`topic` (``@topic("finance.payment")``)."""
        found = {}
        for name in dir(type(self)):
            member = getattr(type(self), name, None)
            topic_name = getattr(member, "onestop_topic", None)
            if topic_name is not None:
                found[topic_name] = getattr(self, name)
        return found

    def handler(self, topic_name: str) -> Callable[[Handler], Handler]:
        """Register a function as the handler of ``topic_name``."""
        def register(function: Handler) -> Handler:
            self.handlers[topic_name] = function
            return function
        return register

    # --- the loop ------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Poll and handle until :meth:`stop` (or SIGTERM/SIGINT after :meth:`install_signal_handlers`). A job
        being handled is finished and answered before the loop ends."""
        if not self.handlers:
            raise ValueError("the worker has no handlers: register at least one topic")
        wait = self.poll_interval
        log.info("worker %s serving %s", self.worker_id, ", ".join(sorted(self.handlers)))
        while not self.stopping.is_set():
            began = time.monotonic()
            try:
                handled = self.run_once(wait_seconds=self.long_poll)
                # an empty answer that came at once (a platform that does not wait): back off as when polling
                waited = self.long_poll > 0 and time.monotonic() - began >= self.long_poll * 0.9
            except Unreachable as error:
                log.warning("platform unreachable: %s", error)
                handled, waited = 0, False
            except ApiError as error:
                log.error("fetch refused: %s", error)
                handled, waited = 0, False
            if handled or waited:  # work came, or the platform already waited for some: ask again at once
                wait = self.poll_interval
                continue
            self.stopping.wait(wait)
            wait = min(wait * 2, self.max_poll_interval)
        log.info("worker %s stopped", self.worker_id)

    def run_once(self, *, wait_seconds: float = 0) -> int:
        """Fetch once (waiting up to ``wait_seconds`` on the platform for a job) and handle what came: how many
        jobs were handled."""
        jobs = self.client.fetch_and_lock(self.worker_id, sorted(self.handlers), max_tasks=self.max_tasks,
                                          lock_seconds=self.lock_seconds, wait_seconds=wait_seconds)
        for job in jobs:
            self.handle(job)
        return len(jobs)

    def stop(self, *_: Any) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and Ctrl-C end the loop once the job in hand is answered."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    # --- one job ---------------------------------------------------------------------------------------------

    def handle(self, job: Job) -> None:
        handler = self.handlers[job.topic]
        keeper = _LockKeeper(self, job)
        keeper.start()
        try:
            result = handler(job)
        except BpmnError as error:
            code, message = error.code, error.message
            keeper.stop()
            self._answer(lambda: self.client.bpmn_error(job.id, self.worker_id, code, message), job)
            return
        except Exception as error:  # noqa: BLE001 — whatever the handler raises is reported as a failure
            keeper.stop()
            self._fail(job, f"{type(error).__name__}: {error}")
            return
        keeper.stop()
        self._answer(lambda: self.client.complete(job.id, self.worker_id, result), job)

    def _fail(self, job: Job, message: str) -> None:
        left = (self.retries if job.retries is None else job.retries) - 1
        attempt = max(self.retries - max(left, 0) - 1, 0)
        delay = self.retry_delays[min(attempt, len(self.retry_delays) - 1)]
        log.warning("job %s (%s) failed, %d retries left: %s", job.id, job.topic, max(left, 0), message)
        self._answer(lambda: self.client.failure(job.id, self.worker_id, message, retries=max(left, 0),
                                                 retry_seconds=delay), job)

    def _answer(self, send: Callable[[], Any], job: Job) -> None:
        try:
            send()
        except LockLost as error:
            log.warning("job %s is no longer this worker's: %s", job.id, error.message)
        except (ApiError, Unreachable) as error:  # the lock expires and the job is offered again
            log.error("could not answer job %s: %s", job.id, error)


def topic(name: str) -> Callable[[Handler], Handler]:
    """Mark a method of an ExternalWorker subclass as the handler of topic ``name``."""
    def mark(function: Handler) -> Handler:
        function.onestop_topic = name  # type: ignore[attr-defined]
        return function
    return mark


class _LockKeeper:
    """Extends the job's lock every half lock while its handler runs, so a long handler keeps its job."""

    def __init__(self, worker: ExternalWorker, job: Job) -> None:
        self.worker, self.job = worker, job
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._keep, name=f"onestop-lock-{job.id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if not self.done.is_set():
            self.done.set()
            self.thread.join(5)

    def _keep(self) -> None:
        interval = max(self.worker.lock_seconds / 2, 0.05)
        while not self.done.wait(interval):
            try:
                self.worker.client.extend_lock(self.job.id, self.worker.worker_id, self.worker.lock_seconds)
            except (ApiError, Unreachable) as error:
                log.warning("could not extend the lock of job %s: %s", self.job.id, error)
                return
