"""The task list: my tasks, my department's, filters, counts per view, keyset pages and saved filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from engine.errors import InvalidInput
from engine.people.identity import Actor
from engine.store.uow import UnitOfWork
from tasks import listing

from .pages import add_error_pages
from .schema_forms import problem_text
from .work import now, unit_of_work

tasklist = add_error_pages(Blueprint("tasklist", __name__, url_prefix="/tasks"))


def _default_view(actor: Actor, counts: dict[str, int]) -> str:
    """Staff land on their own tasks when they hold some, else on their department's."""
    if actor.role == "staff" and actor.department and not counts.get("mine"):
        return "department"
    if actor.role in ("admin", "designer") and not counts.get("mine"):
        return "all"
    return "mine"


def _query(args: Any, actor: Actor, counts: dict[str, int]) -> listing.TaskQuery:
    try:
        return listing.TaskQuery.parse(args, default_view=_default_view(actor, counts))
    except InvalidInput:
        flash(_("筛选条件无效，已显示默认列表。"), "error")
        return listing.TaskQuery(view=_default_view(actor, counts))


def _page(query: listing.TaskQuery, after: str | None, actor: Actor, uow: UnitOfWork) -> listing.TaskPage:
    try:
        return listing.list_task_page(query, actor=actor, uow=uow, now=now(), after=after)
    except InvalidInput:
        return listing.list_task_page(query, actor=actor, uow=uow, now=now())


@tasklist.get("")
@login_required
def index() -> Any:
    with unit_of_work(write=False) as (uow, actor):
        counts = listing.view_counts(actor=actor, uow=uow, now=now())
        query = _query(request.args, actor, counts)
        page = _page(query, request.args.get("after"), actor, uow)
        names = listing.display_names({row["assignee"] for row in page.rows}, uow=uow)
        return render_template(
            "tasks/list.html", query=query, page=page, counts=counts, names=names,
            flows=listing.flow_names(uow=uow), saved=listing.saved_filters(actor=actor, uow=uow),
            counties=uow.platform.organisation.counties,
            county_fixed=uow.platform.organisation.is_per_county(actor.department))


@tasklist.post("/filters")
@login_required
def save_filter() -> Any:
    with unit_of_work(write=True) as (uow, actor):
        query = listing.TaskQuery.parse(request.form, default_view="mine")
        try:
            listing.save_filter(request.form.get("name", ""), query, actor=actor, uow=uow, now=now())
            flash(_("筛选条件已保存。"), "success")
        except InvalidInput as error:
            flash(problem_text(error.details[0]), "error")
    return redirect(url_for("tasklist.index", **query.params()))  # type: ignore[arg-type]


@tasklist.post("/filters/<int:filter_id>/delete")
@login_required
def delete_filter(filter_id: int) -> Any:
    with unit_of_work(write=True) as (uow, actor):
        listing.delete_filter(filter_id, actor=actor, uow=uow)
    flash(_("已删除保存的筛选条件。"), "success")
    return redirect(url_for("tasklist.index"))
