"""`onestop external-worker`: the worker client (onestop_worker/) with the handlers named on the command line."""

from __future__ import annotations

import importlib
import os
from typing import Any

import click

from onestop_worker import ExternalWorker, HttpConnector, OneStopClient
from onestop_worker.simulated import SIMULATED

TOKEN_VARIABLE = "ONESTOP_WORKER_TOKEN"  # noqa: S105 — the name of the variable, not a token


def handler_for(topic: str, name: str, *, allowed_hosts: set[str] | None, timeout: float) -> Any:
    """``http``, ``simulated`` (a demo system of that topic) or ``module:function``."""
    if name == "http":
        return HttpConnector(timeout=timeout, allowed_hosts=allowed_hosts)
    if name == "simulated":
        if topic not in SIMULATED:
            raise click.UsageError(f"no simulated system for {topic}: there are {', '.join(sorted(SIMULATED))}")
        return SIMULATED[topic]
    module, colon, function = name.partition(":")
    if not colon or not module or not function:
        raise click.UsageError(f"{topic}={name}: the handler is http, simulated or module:function")
    try:
        return getattr(importlib.import_module(module), function)
    except (ImportError, AttributeError) as error:
        raise click.UsageError(f"{topic}={name}: {error}") from None


def build_worker(url: str, worker_id: str, topics: tuple[str, ...], *, max_tasks: int, lock_seconds: int,
                 retries: int, allowed_hosts: set[str] | None, timeout: float,
                 long_poll: float = 20.0) -> ExternalWorker:
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        raise click.UsageError(f"set {TOKEN_VARIABLE} to the worker account's token (onestop token create NAME)")
    worker = ExternalWorker(OneStopClient(url, token), worker_id=worker_id, max_tasks=max_tasks,
                            lock_seconds=lock_seconds, retries=retries, long_poll=long_poll)
    for item in topics:
        topic, equals, name = item.partition("=")
        if not equals or not topic:
            raise click.UsageError(f"--topic {item}: write TOPIC=HANDLER, e.g. finance.payment=http")
        worker.handlers[topic] = handler_for(topic, name, allowed_hosts=allowed_hosts, timeout=timeout)
    return worker
