"""The designers' decision-table editor (dmn-js): a policy officer changes a flow's DMN table (e.g. subsidy
amounts) in the browser, 检查 runs the server's checks and marks each problem on its cell, and 部署为新版本 deploys
the flow with the edited table as a new version (diffs then show the table's changes). Also the API explorer."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, render_template, url_for

from engine.cases import deployment
from engine.errors import InvalidInput, NotFound
from engine.services import designer as designs
from engine.services.dmn_tables import locate_problems, read_table

from .check_messages import localized_all
from .designer import _draft_files, designer
from .dmn_texts import DMN_TEXTS
from .pages import CONTENT_SECURITY_POLICY
from .work import transaction


@designer.get("/flows/<key>/versions/<int:version>/dmn/<filename>")
def dmn_edit(key: str, version: int, filename: str) -> Response:
    with transaction(write=False) as uow:
        model = deployment.find_model(key, version, uow=uow)
        files = {f.filename: bytes(f.content).decode("utf-8-sig") for f in model.files}
    if filename not in files or not filename.lower().endswith(".dmn"):
        raise NotFound(f"version {version} of {key} has no decision table {filename!r}")
    table = read_table(files[filename].encode("utf-8"))
    return _inline_styles(render_template("designer/dmn.html", key=key, version=version, filename=filename, files=files,
                           table=table, texts={english: str(text) for english, text in DMN_TEXTS.items()},
                           versions_url=url_for("designer.versions", key=key)))


@designer.post("/dmn-check")
def dmn_check() -> Any:
    """The server's full checks of the flow with the edited table; each problem of a .dmn file carries the cell
    (``cell``) and rule (``rule``) it is about, for the editor to mark."""
    try:
        files = _draft_files()
    except InvalidInput as error:
        problem = {"file": "", "line": 0, "message": error.message}
        return jsonify({"ok": False, "problems": localized_all([problem])}), 400
    with transaction(write=False) as uow:
        problems = designs.check_draft(files, uow=uow)
    return jsonify({"ok": not problems, "problems": localized_all(locate_problems(files, list(problems)))})


@designer.get("/api")
def api_explorer() -> Response:
    """Swagger UI (npm, served from ui/static/vendor) on the platform's own OpenAPI document."""
    return _inline_styles(render_template("designer/api.html", spec_url=url_for("api.openapi")))


def _inline_styles(html: str) -> Response:
    """dmn-js and Swagger UI write style attributes as they draw (column widths, collapsed sections), which the
    site's policy refuses: these two pages allow inline styles — never inline scripts."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return response

