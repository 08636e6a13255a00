"""The designers' workspace: flows and their versions, the web modeler, forms, checks, deploys, diffs, migration."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.bpmn.validation import Problem, form_problems
from engine.cases import deployment
from engine.cases.migration import migrate_cases, plan_migration
from engine.errors import Conflict, DeploymentRefused, InvalidInput, NotFound
from engine.services import designer as designs
from engine.services import diagrams

from .auth import login_manager
from .check_messages import localized_all
from .modeler_texts import MODELER_TEXTS
from .pages import add_error_pages, error_page
from .schema_forms import build_fields
from .work import now, platform, transaction, unit_of_work

designer = add_error_pages(Blueprint("designer", __name__, url_prefix="/designer"))
DESIGNER_ROLES = ("designer", "admin")
MAX_MAPPING_LINES = 200
MAX_DRY_RUN_ANSWERS = 200  # per-task answers of one dry run (a draft has far fewer user tasks)


@designer.before_request
def designers_only() -> Any:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.actor.role not in DESIGNER_ROLES:
        return error_page(403)
    return None


def _departments() -> list[dict[str, str]]:
    return [{"code": d.code, "name": d.name, "short": d.short_name}
            for d in platform().organisation.departments.values()]


def _draft_files() -> dict[str, bytes]:
    """The draft's files from a JSON body ``{"files": {name: text}}``."""
    body = request.get_json(silent=True)
    files = body.get("files") if isinstance(body, dict) else None
    if not isinstance(files, dict) or not files or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise InvalidInput("send {\"files\": {name: text}} with the flow's .bpmn and form files")
    return {name: text.encode("utf-8") for name, text in files.items()}


def _problems(details: list[Any], status: int = 422) -> tuple[Response, int]:
    return jsonify({"ok": False, "problems": localized_all(details)}), status


def _modeler(files: dict[str, bytes], *, key: str | None, version: int | None, main: str) -> str:
    with transaction(write=False) as uow:  # sample dates are Beijing's day (the configured zone), not UTC's
        sample = designs.start_form_sample(files, now().astimezone(platform().settings.tz).date(), uow=uow)
    return render_template("designer/modeler.html", key=key, version=version, main=main,
                           files={name: content.decode("utf-8-sig") for name, content in files.items()},
                           departments=_departments(), sample=sample,
                           texts={english: str(text) for english, text in MODELER_TEXTS.items()})


@designer.get("/")
def index() -> str:
    with transaction(write=False) as uow:
        models = deployment.latest_models(uow=uow)
    return render_template("designer/index.html", models=models, departments=_departments(), problems=[])


@designer.post("/new")
def new() -> Any:
    key, name = request.form.get("key", "").strip(), request.form.get("name", "").strip()
    try:
        with transaction(write=False) as uow:
            files = designs.new_flow(key, name, request.form.getlist("departments"), uow=uow)
    except InvalidInput as error:
        for problem in error.details:
            flash(_(problem["message_zh"]), "error")
        return redirect(url_for("designer.index"))
    return _modeler(files, key=None, version=None, main=f"{key}.bpmn")


@designer.post("/upload")
def upload() -> Any:
    files = {upload.filename or "": upload.read() for upload in request.files.getlist("files")}
    try:
        with unit_of_work(write=True) as (uow, actor):
            result = deployment.deploy(files, actor=actor, uow=uow, now=now())
    except DeploymentRefused as refused:
        with transaction(write=False) as uow:
            models = deployment.latest_models(uow=uow)
        return render_template("designer/index.html", models=models, departments=_departments(),
                               problems=localized_all(refused.details)), 422
    flash(_("已部署为第 %(version)s 版。", version=result.version) if result.created
          else _("内容与最新版本相同，未生成新版本。"), "success" if result.created else "info")
    return redirect(url_for("designer.versions", key=result.key))


@designer.get("/flows/<key>")
def versions(key: str) -> str:
    with transaction(write=False) as uow:
        found = designs.list_versions(key, uow=uow)
    return render_template("designer/versions.html", key=key, versions=found)


@designer.get("/flows/<key>/versions/<int:version>/edit")
def edit(key: str, version: int) -> str:
    with transaction(write=False) as uow:
        model = deployment.find_model(key, version, uow=uow)
        files = {f.filename: bytes(f.content) for f in model.files}
        main = deployment.main_bpmn(model)[0]
    return _modeler(files, key=key, version=version, main=main)


@designer.get("/flows/<key>/versions/<int:version>/diagram.bpmn")
def diagram(key: str, version: int) -> Response:
    """The version's diagram for the diff's viewers: lanes read as department names (the files themselves are
    downloaded as stored with 下载文件)."""
    with transaction(write=False) as uow:
        content = deployment.main_bpmn(deployment.find_model(key, version, uow=uow))[1]
        shown = diagrams.readable_lanes(content, uow.platform.organisation)
    return Response(shown, mimetype="application/xml")


@designer.get("/flows/<key>/versions/<int:version>/export")
def export(key: str, version: int) -> Response:
    """The version's files as they are stored, zipped: to edit in Camunda Modeler and upload again."""
    with transaction(write=False) as uow:
        files = [(f.filename, bytes(f.content)) for f in deployment.find_model(key, version, uow=uow).files]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for filename, content in files:
            bundle.writestr(filename, content)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{key}-v{version}.zip", max_age=0)


@designer.get("/flows/<key>/diff")
def diff(key: str) -> str:
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if old is None or new is None:
        raise NotFound("choose two versions to compare")
    with transaction(write=False) as uow:
        changes = designs.diff_versions(key, old, new, uow=uow)
    return render_template("designer/diff.html", key=key, diff=changes)


def _mapping(text: str) -> dict[str, str]:
    """``old_id = new_id`` (or ``old_id -> new_id``), one a line."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines()[:MAX_MAPPING_LINES], start=1):
        if not line.strip():
            continue
        old, sep, new = line.replace("->", "=").partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(f"mapping line {number}: write old_id = new_id",
                               details=[{"message_zh": "对应关系每行写作：旧元素ID = 新元素ID"}])
        mapping[old.strip()] = new.strip()
    return mapping


@designer.route("/flows/<key>/migrate", methods=["GET", "POST"])
def migrate(key: str) -> Any:
    form = request.form if request.method == "POST" else request.args
    with transaction(write=False) as uow:
        found = designs.list_versions(key, uow=uow)
    old, new = form.get("from", type=int), form.get("to", type=int) or int(found[0]["version"])
    text, reason = form.get("mapping", ""), form.get("reason", "").strip()[:500]
    # By default from the version before the target (v(n-1) → v(n)), never a version onto itself.
    older = [int(v["version"]) for v in found if int(v["version"]) < new]
    suggested = old if old is not None else (older[0] if older else None)
    page = {"key": key, "versions": found,
            "chosen": {"from": suggested, "to": new, "mapping": text, "reason": reason}}
    if request.method == "GET" or old is None:
        return render_template("designer/migrate.html", report=None, result=None, **page)
    report = result = None
    try:
        mapping = _mapping(text)
        if request.form.get("action") == "move":
            result = migrate_cases(platform(), key, old, new, mapping=mapping, reason=reason,
                                   actor=current_user.actor, now=now())
        else:
            with unit_of_work(write=False) as (uow, actor):
                report = plan_migration(key, old, new, mapping=mapping, actor=actor, uow=uow, now=now())
    except (InvalidInput, Conflict) as error:
        flash(_(error.details[0]["message_zh"]) if error.details and "message_zh" in error.details[0]
              else error.message, "error")
    return render_template("designer/migrate.html", report=report, result=result, **page)


@designer.post("/check")
def check() -> Any:
    try:
        files = _draft_files()
    except InvalidInput as error:
        return _problems([{"file": "", "line": 0, "message": error.message}], 400)
    with transaction(write=False) as uow:
        problems = designs.check_draft(files, uow=uow)
    return jsonify({"ok": not problems, "problems": localized_all(problems)})


@designer.post("/deploy")
def deploy() -> Any:
    try:
        files = _draft_files()
        with unit_of_work(write=True) as (uow, actor):
            result = deployment.deploy(files, actor=actor, uow=uow, now=now())
    except DeploymentRefused as refused:
        return _problems(refused.details)
    except InvalidInput as error:
        return _problems([{"file": "", "line": 0, "message": error.message}], 400)
    return jsonify({"ok": True, "key": result.key, "version": result.version, "created": result.created,
                    "versions_url": url_for("designer.versions", key=result.key),
                    "migrate_url": url_for("designer.migrate", key=result.key, to=result.version)})


def _answers(raw: Any) -> dict[str, dict[str, Any]]:
    """Per-task answers for a dry run: ``{task id: {field: value}}``; at most one per task of the draft."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_DRY_RUN_ANSWERS or not all(
            isinstance(k, str) and isinstance(v, dict) for k, v in raw.items()):
        raise InvalidInput(f"answers must be a JSON object of at most {MAX_DRY_RUN_ANSWERS} tasks, each answer "
                           "a JSON object")
    return raw


@designer.post("/dry-run")
def dry_run() -> Any:
    body = request.get_json(silent=True) or {}
    try:
        files = _draft_files()
        data = json.loads(body.get("data") or "{}") if isinstance(body.get("data"), str) else body.get("data")
        if not isinstance(data, dict):
            raise InvalidInput("the sample data must be a JSON object")
        answers = _answers(body.get("answers"))
        with transaction(write=False) as uow:
            report = designs.dry_run(files, data, answers=answers, linked=designs.linked_flows(files, uow=uow),
                                     uow=uow, now=now())
    except DeploymentRefused as refused:
        return _problems(refused.details)
    except (InvalidInput, ValueError) as error:
        return _problems([{"file": "", "line": 0, "message": getattr(error, "message", str(error))}], 400)
    return jsonify({"ok": True, "report": report})


@designer.post("/form-preview")
def form_preview() -> Any:
    """A form as staff will see it, rendered by the task pages' own code, with the schema's problems."""
    body = request.get_json(silent=True) or {}
    name, schema_text, ui_text = (str(body.get(k) or "") for k in ("name", "schema", "ui_schema"))
    problems = [p.as_dict() for p in form_problems(name or "form.json", schema_text.encode("utf-8"))]
    if ui_text.strip():
        problems += [p.as_dict() for p in _ui_problems(name, ui_text)]
    if problems:
        return jsonify({"ok": False, "problems": localized_all(problems), "html": ""})
    fields = build_fields(json.loads(schema_text), json.loads(ui_text) if ui_text.strip() else None, {})
    return jsonify({"ok": True, "problems": [], "html": render_template("designer/_preview.html",
                                                                        schema=json.loads(schema_text),
                                                                        fields=fields)})


def _ui_problems(name: str, text: str) -> list[Problem]:
    try:
        if isinstance(json.loads(text), dict):
            return []
    except ValueError as error:
        return [Problem(f"{name} (UI)", 0, f"not valid JSON: {error}")]
    return [Problem(f"{name} (UI)", 1, "a UI schema must be a JSON object")]
