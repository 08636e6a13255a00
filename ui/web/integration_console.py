"""The console's page of outside systems: jobs per topic (waiting, locked, failed), the incidents (failed jobs
with no retries left: their case is in error, retried from here), and the latest jobs of a topic or state."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import login_required

from engine.errors import PermissionDenied
from engine.integration import external_tasks

from .console import PAGE_SIZE, _refused, _status, console
from .work import now, unit_of_work


@console.get("/external-tasks")
@login_required
def external_tasks_page() -> Any:
    topic = (request.args.get("topic") or "").strip()[:120] or None
    state = request.args.get("state") or None
    if state is not None and state not in external_tasks.STATES:
        _refused(_("状态“%(value)s”无效，已显示全部状态。", value=state[:20]))
        state = None
    with unit_of_work(write=False) as (uow, actor):
        if not actor.is_admin:
            raise PermissionDenied("only administrators use the console")
        jobs = external_tasks.list_jobs(topic=topic, state=state, limit=PAGE_SIZE, actor=actor, uow=uow, now=now())
        incidents = external_tasks.list_jobs(state="failed", limit=PAGE_SIZE, actor=actor, uow=uow, now=now())
        return render_template("console/external_tasks.html", topics=external_tasks.jobs_by_topic(uow=uow, now=now()),
                               incidents=incidents, jobs=jobs, topic=topic, state=state,
                               states=external_tasks.STATES), _status()
