"""Error pages for people (status from the one table in ui/errors.py) and the security headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import OneStopError
from ui.errors import error_body, status_for

CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'self'; object-src 'none'")
# Every answer carries these unless its view set its own (register_pages' after-request hook).
SECURITY_HEADERS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                    ("X-Frame-Options", "DENY"), ("Referrer-Policy", "same-origin"))


def _forbidden() -> str:
    """Why a page is refused, said for the part of the site it belongs to."""
    blueprint = request.blueprint or ""
    if blueprint in ("console", "console_ops"):
        if request.endpoint in ("console.dashboard", "console.dashboard_print", "console.dashboard_csv",
                                "console.overdue"):
            return _("您没有权限查看督办统计：它仅向平台管理员和市人才工作领导小组办公室开放。")
        return _("您没有权限使用管理控制台：它仅向平台管理员开放。")
    if blueprint == "designer":
        return _("您没有权限使用流程设计：它仅向流程设计人员和平台管理员开放。")
    return _("您没有权限办理此事项：它属于其他部门或县市区。")


def _message(status: int) -> str:
    return {
        400: _("请求无法处理，请返回重试。"),
        401: _("请先登录。"),
        403: _forbidden(),
        404: _("找不到该页面，或您无权查看此内容。"),
        405: _("请求方式不正确，请返回重试。"),
        409: _("此事项已被他人处理，请刷新页面查看最新状态。"),
        413: _("上传的文件过大：单个文件不超过10MB，一次提交合计不超过20MB。"),
        422: _("提交的内容不符合要求，请检查后重试。"),
        503: _("系统繁忙，请稍后再试。"),
    }.get(status, _("系统出现错误，请稍后再试。"))


def error_page(status: int, detail: str | None = None) -> tuple[str, int]:
    return render_template("errors/error.html", status=status, message=_message(status), detail=detail), status


def _unexpected(error: Exception) -> tuple[str, int]:
    current_app.logger.exception("unexpected error on %s %s", request.method, request.path)
    return error_page(500)


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    return error_page(400, _("页面已过期或来源无法确认（CSRF 校验失败），请刷新页面后重新提交。"))


def add_error_pages(blueprint: Blueprint) -> Blueprint:
    """Errors of a web blueprint's views as pages (the API's stay JSON): status from ui/errors.py's table."""
    blueprint.register_error_handler(OneStopError, lambda error: error_page(status_for(error)))
    blueprint.register_error_handler(CSRFError, _csrf_failed)
    blueprint.register_error_handler(Exception, _unexpected)
    return blueprint


def register_pages(app: Flask) -> None:
    """Pages for HTTP errors outside any blueprint (an unknown address), and the security headers."""

    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        if request.path.startswith("/api/"):  # the API keeps its JSON errors (ui/errors.py)
            name = (error.name or "error").lower().replace(" ", "_")
            return jsonify(error_body(name, error.description or error.name)), code
        return error_page(code)

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, _http)
    app.register_error_handler(CSRFError, _csrf_failed)

    @app.after_request
    def _security_headers(response: Any) -> Any:
        # Each header unless the view set its own: the names present are read once (every answer passes here).
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        for name, value in SECURITY_HEADERS:
            if name.lower() not in present:
                headers.add(name, value)
        if "cache-control" not in present and response.mimetype == "text/html":
            headers.add("Cache-Control", "no-store")
        return response
