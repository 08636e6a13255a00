"""The applicant portal (网上办、不见面): the services to start, my tasks, my cases followed step by step
(全程跟踪), and the case page and document downloads that staff share."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from engine.errors import InvalidInput
from engine.people.identity import Actor
from engine.store.uow import UnitOfWork
from tasks import attachments, listing
from tasks import service as tasks

from .casework import case_extras
from .pages import add_error_pages
from .schema_forms import build_fields, form_errors, problem_text, read_submission
from .work import now, unit_of_work

portal = add_error_pages(Blueprint("portal", __name__))


@portal.get("/portal")
@login_required
def home() -> Any:
    with unit_of_work(write=False) as (uow, actor):
        return render_template(
            "portal/home.html", services=listing.services(uow=uow), cases=listing.cases_of(actor=actor, uow=uow),
            my_tasks=tasks.list_tasks(actor=actor, uow=uow, scope="mine"))


def _start_page(service: dict[str, Any], uow: UnitOfWork, values: dict[str, Any],
                problems: list[dict[str, Any]] | None = None) -> str:
    form = service["start_form"]
    separate_county = "county" not in (form.get("properties") or {})
    county_problems = [p for p in problems or [] if separate_county and p.get("field") in ("county", "data.county")]
    others = [p for p in problems or [] if p not in county_problems]
    counties = [(code, county.name) for code, county in uow.platform.organisation.counties.items()]
    return render_template(
        "portal/start.html", service=service,
        fields=build_fields(form, service["ui_schema"], values, others, choices={"county": counties}),
        form_errors=form_errors(others, form), separate_county=separate_county,
        county_errors=[problem_text(p, "请选择县市区") for p in county_problems],
        county=values.get("county", ""), counties=uow.platform.organisation.counties)


@portal.get("/portal/services/<key>")
@login_required
def start_form(key: str) -> Any:
    with unit_of_work(write=False) as (uow, _actor):
        return _start_page(listing.service(key, uow=uow), uow, {"applicant_name": current_user.display_name})


@portal.post("/portal/services/<key>")
@login_required
def start(key: str) -> Any:
    with unit_of_work(write=True, optimistic=True) as (uow, actor):
        service = listing.service(key, uow=uow)
        data, _uploads, unreadable = read_submission(service["start_form"], service["ui_schema"], request.form,
                                                     request.files)
        if request.form.get("county"):
            data["county"] = request.form["county"].strip()
        try:
            started = listing.start_service(key, data, actor=actor, uow=uow, now=now())
        except InvalidInput as error:
            fields = {p["field"] for p in unreadable}
            return _start_page(service, uow, data, unreadable + [d for d in error.details
                                                                 if d.get("field") not in fields]), 422
    flash(_("申请已提交，办件编号 %(id)s。", id=started["id"]), "success")
    return redirect(url_for("portal.case", instance_id=started["id"]))


def _case_page(instance_id: int, uow: UnitOfWork, actor: Actor) -> str:
    case = listing.case_overview(instance_id, actor=actor, uow=uow)
    every_document = attachments.case_attachments(instance_id, actor=actor, uow=uow, include_replaced=True)
    documents = [d for d in every_document if not d["replaced"]]  # a replaced version opens from its step
    extras = case_extras(instance_id, uow, actor)
    people = {case["started_by"], *(s["actor"] for s in case["steps"]), *(d["uploaded_by"] for d in documents),
              *(t["assignee"] for t in case["open_tasks"]), *(c["author"] for c in extras["comments"])}
    return render_template(
        "portal/case.html", case=case, documents=documents, document_ids={d["id"] for d in every_document},
        result=listing.case_result(instance_id, actor=actor, uow=uow, now=now()),
        names=listing.display_names({p for p in people if p}, uow=uow),
        my_tasks=[t for t in case["open_tasks"] if t["assignee"] == actor.username], **extras)


@portal.get("/cases/<int:instance_id>")
@login_required
def case(instance_id: int) -> Any:
    with unit_of_work(write=False) as (uow, actor):
        return _case_page(instance_id, uow, actor)


@portal.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    with unit_of_work(write=True) as (uow, actor):  # the opening is recorded (tasks/attachments.open_document)
        details, content = attachments.open_document(attachment_id, actor=actor, uow=uow, now=now())
    response = send_file(BytesIO(content), mimetype=details["content_type"], as_attachment=True,
                         download_name=details["filename"], max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
