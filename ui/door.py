"""The door every request passes: bodies bounded by what they can carry, query strings and form fields free of
characters that cannot belong in them, and pages and answers that always encode (see ui/strict_json.py for the
JSON itself)."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Request, Response, request

from engine.errors import InvalidInput

from .strict_json import JSONRefused, StrictJSONProvider, StrictRequestJSON, parse_json

__all__ = ["MAX_FORM_BODY_BYTES", "MAX_JSON_BODY_BYTES", "MAX_QUERY_VALUE_CHARS", "MAX_REQUEST_BYTES",
           "MalformedRequest", "RequestTooLarge", "install_door", "json_request_body"]

#: Everything a request may carry: a form with its documents (each at most 10 MB, tasks/attachments.py).
MAX_REQUEST_BYTES = 20 * 1024 * 1024
#: A JSON body of the API: start data or a task's answers (case data is at most 256 KiB,
#: engine/cases/instances.MAX_DATA_BYTES), a repair's reason, a calendar year.
MAX_JSON_BODY_BYTES = 512 * 1024
#: A web form sent without documents (application/x-www-form-urlencoded).
MAX_FORM_BODY_BYTES = 1024 * 1024
#: One query-string value (a filter, a page, a cursor, a return address).
MAX_QUERY_VALUE_CHARS = 1000
# Query strings and form field names hold one line of text: no control character. Form values may hold line
# breaks and tabs (a textarea), nothing else below U+0020. Werkzeug decodes bad UTF-8 as U+FFFD, so no lone
# surrogate comes from a form or a URL; JSON bodies are checked by ui/strict_json.py.
_BAD_LINE = re.compile("[\x00-\x1f\x7f]")
_BAD_FORM_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MULTIPART = "multipart/form-data"
_URLENCODED = "application/x-www-form-urlencoded"


class MalformedRequest(InvalidInput):
    """The request itself cannot be read: bad JSON, a character that cannot belong, a value out of bounds (400)."""

    code = "malformed_request"


class RequestTooLarge(InvalidInput):
    """The body is larger than anything this route takes (413)."""

    code = "too_large"


class EncodingResponse(Response):
    """A response whose text is always encodable: a lone surrogate stored before the door refused them becomes
    U+FFFD instead of failing the whole page."""

    def set_data(self, value: bytes | str) -> None:
        if isinstance(value, str):
            value = value.encode("utf-8", "replace")
        super().set_data(value)


class StrictRequest(Request):
    """A request whose ``get_json`` reads strictly (ui/strict_json.py), whichever view calls it."""

    @property  # type: ignore[override]
    def json_module(self) -> Any:
        return StrictRequestJSON

    @json_module.setter
    def json_module(self, provider: Any) -> None:
        """Flask hands each request the app's JSON provider to read with; a request keeps the strict reader (the
        provider still reads the test client's answers, which may quote what a request may not hold)."""


def _too_large(what: str, limit: int) -> RequestTooLarge:
    return RequestTooLarge(f"the {what} is larger than {limit // 1024} KiB",
                           details=[{"field": "body", "message": f"at most {limit} bytes"}])


def _body_limit(current: Request) -> tuple[str, int] | None:
    """What the body of ``current`` may be at most, by its type and route (None: MAX_REQUEST_BYTES only)."""
    mimetype = current.mimetype
    if mimetype == _MULTIPART:
        return None
    if current.path.startswith("/api/"):
        return "JSON body", MAX_JSON_BODY_BYTES
    if mimetype == _URLENCODED:
        return "form", MAX_FORM_BODY_BYTES
    return None  # the designer's JSON drafts carry whole diagrams: MAX_REQUEST_BYTES


def json_request_body(limit: int = MAX_JSON_BODY_BYTES) -> Any:
    """The request's JSON value (None without a body): MalformedRequest or RequestTooLarge saying why not."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_large("JSON body", limit)
    raw = request.get_data(cache=True)
    if len(raw) > limit:
        raise _too_large("JSON body", limit)
    if not raw:
        return None
    if not request.is_json:
        raise MalformedRequest("send the body as JSON (Content-Type: application/json)",
                               details=[{"field": "body", "message": "application/json"}])
    try:
        return parse_json(raw)
    except JSONRefused as error:
        raise MalformedRequest(str(error), details=[{"field": "body", "message": str(error)}]) from error


def _refuse(field: str, message: str) -> MalformedRequest:
    return MalformedRequest(message, details=[{"field": field, "message": message,
                                                "message_zh": "请求中含有无法识别的字符或过长的内容"}])


def check_request() -> None:
    """Before any view: the body's size for its kind, then every query-string value and form field."""
    current: Request = request._get_current_object()  # type: ignore[attr-defined]  # read many times: once
    limit = _body_limit(current)
    length = current.content_length
    if limit is not None and length is not None and length > limit[1]:
        raise _too_large(*limit)
    query = current.query_string
    # A short query string with no escapes cannot decode to a control character or an over-long value: nothing to
    # look at one by one (most API calls: ?scope=department&limit=100).
    quick = not query or (len(query) <= MAX_QUERY_VALUE_CHARS and b"%" not in query
                          and not _BAD_LINE.search(query.decode("latin-1")))
    for key, value in () if quick else current.args.items(multi=True):
        if _BAD_LINE.search(key) or _BAD_LINE.search(value):
            raise _refuse(key, f"the query parameter {key[:40]!r} holds a control character")
        if len(value) > MAX_QUERY_VALUE_CHARS:
            raise _refuse(key, f"the query parameter {key[:40]!r} is longer than {MAX_QUERY_VALUE_CHARS} characters")
    if current.method in ("POST", "PUT", "PATCH") and current.mimetype in (_MULTIPART, _URLENCODED):
        for key, value in current.form.items(multi=True):
            # A malformed multipart part can come out of the parser without a name or a text value: "" then.
            key, value = key if isinstance(key, str) else "", value if isinstance(value, str) else ""
            if _BAD_LINE.search(key) or _BAD_FORM_TEXT.search(value):
                raise _refuse(key, f"the form field {key[:40]!r} holds a control character")


def install_door(app: Flask) -> None:
    """Strict JSON both ways, pages that always encode, and :func:`check_request` before every view."""
    app.json_provider_class = StrictJSONProvider
    app.json = StrictJSONProvider(app)
    app.response_class = EncodingResponse
    app.request_class = StrictRequest
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.before_request(check_request)
