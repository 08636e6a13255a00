"""Checks submitted data against a JSON Schema form (a task's, or a flow's start form), with a message per field.

The work is bounded whatever is sent: the data's size and shape are checked first (a million-item array is
refused before any rule runs), at most MAX_FORM_ERRORS problems are collected, and ``uniqueItems`` is checked in
linear time (jsonschema compares every pair of objects)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from itertools import islice
from typing import Any

from jsonschema import FormatChecker, ValidationError
from jsonschema.validators import extend, validator_for

from engine.errors import InvalidInput

__all__ = ["DOCUMENT_FORMATS", "MAX_FORM_DEPTH", "MAX_FORM_ERRORS", "MAX_FORM_ITEMS", "MAX_FORM_PROPERTIES",
           "MAX_FORM_TEXT_CHARS", "MAX_FORM_VALUES", "accepted_formats", "field_problem", "validate_form_data"]

#: Problems reported for one submission: enough to fix a form, never one per item of a huge array.
MAX_FORM_ERRORS = 20
#: Items of one array in submitted data (a form's lists are short: materials, children, choices).
MAX_FORM_ITEMS = 500
#: Fields of one object in submitted data.
MAX_FORM_PROPERTIES = 200
#: Values in one submission, counted at every level.
MAX_FORM_VALUES = 5000
#: Containers inside containers in one submission.
MAX_FORM_DEPTH = 32
#: Characters of one text value (a form's longest field, an opinion or a description, is a few thousand).
MAX_FORM_TEXT_CHARS = 20_000
#: The document formats the platform accepts (tasks/attachments.py checks the bytes), with their file endings.
DOCUMENT_FORMATS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("PDF", (".pdf",)), ("JPG", (".jpg", ".jpeg")), ("PNG", (".png",)))

_UNFIT_TEXT = re.compile("[\x00\ud800-\udfff]")  # a NUL or a lone surrogate: no database or page can hold them


def field_problem(field: str, message: str, message_zh: str, **params: Any) -> dict[str, Any]:
    """A field's problem; a message with ``params`` also carries its template, which the web pages translate
    (ui/web/schema_forms.problem_text). A list parameter reads as 甲、乙."""
    shown = {k: "、".join(v) if isinstance(v, list) else v for k, v in params.items()}
    found: dict[str, Any] = {"field": field, "message": message, "message_zh": message_zh % shown}
    if params:
        found["message_key"], found["params"] = message_zh, params
    return found


def _field_name(path: list[Any]) -> str:
    return ".".join(str(p) for p in path) or "data"


def _bounds_problem(data: Any) -> dict[str, Any] | None:
    """The first way ``data`` is larger or stranger than any form takes, or None; stops as soon as it knows."""
    stack: list[tuple[Any, list[Any]]] = [(data, [])]
    values = 0
    while stack:
        node, path = stack.pop()
        values += 1
        if values > MAX_FORM_VALUES:
            return field_problem("data", f"more than {MAX_FORM_VALUES} values", "填写的内容过多（超过%(max)s项）",
                            max=MAX_FORM_VALUES)
        if len(path) > MAX_FORM_DEPTH:
            return field_problem(_field_name(path), f"nested more than {MAX_FORM_DEPTH} deep", "层级过深")
        if isinstance(node, list):
            if len(node) > MAX_FORM_ITEMS:
                return field_problem(_field_name(path), f"more than {MAX_FORM_ITEMS} items",
                                "项数过多（最多%(max)s项）", max=MAX_FORM_ITEMS)
            stack.extend((item, [*path, index]) for index, item in enumerate(node))
        elif isinstance(node, dict):
            if len(node) > MAX_FORM_PROPERTIES:
                return field_problem(_field_name(path), f"more than {MAX_FORM_PROPERTIES} fields",
                                "字段过多（最多%(max)s个）", max=MAX_FORM_PROPERTIES)
            stack.extend((item, [*path, key]) for key, item in node.items())
        elif isinstance(node, str):
            if len(node) > MAX_FORM_TEXT_CHARS:
                return field_problem(_field_name(path), f"longer than {MAX_FORM_TEXT_CHARS} characters",
                                "内容太长（最多%(max)s字）", max=MAX_FORM_TEXT_CHARS)
            if _UNFIT_TEXT.search(node):
                return field_problem(_field_name(path), "holds a NUL or a lone surrogate", "含有无法识别的字符")
        elif isinstance(node, float) and not math.isfinite(node):
            return field_problem(_field_name(path), "not a finite number", "请输入有效的数字")
    return None


def _same_value(value: Any) -> Any:
    """``value`` as JSON Schema compares it: 1 and 1.0 the same, true and 1 not, objects regardless of order."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_same_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _same_value(v) for k, v in value.items()}
    return value


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """``uniqueItems`` in linear time: each item written canonically once, repeats found by hashing."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for index, item in enumerate(instance):
        key = json.dumps(_same_value(item), sort_keys=True, ensure_ascii=False, default=repr)
        if key in seen:
            yield ValidationError(f"item {index} repeats an earlier item")
            return
        seen.add(key)


_VALIDATOR_CLASSES: dict[type, Any] = {}
_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """One compiled validator per schema object (schemas live as long as their deployed version's cache)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    base = validator_for(schema)
    cls = _VALIDATOR_CLASSES.get(base)
    if cls is None:
        cls = _VALIDATOR_CLASSES[base] = extend(base, {"uniqueItems": _unique_items})
    validator = cls(schema, format_checker=FormatChecker())
    if len(_VALIDATORS) > 2048:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def accepted_formats(spec: Any) -> list[str] | None:
    """The document formats a field's ``pattern`` lets through when it is about file names (``\\.(jpg|png)$``:
    JPG and PNG), else None (no pattern, or one every format or none passes)."""
    pattern = spec.get("pattern") if isinstance(spec, dict) else None
    if not isinstance(pattern, str):
        return None
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    accepted = [name for name, endings in DOCUMENT_FORMATS
                if any(compiled.search(f"{prefix}张三{ending}") for ending in endings for prefix in ("", "附件#1 "))]
    return accepted if 0 < len(accepted) < len(DOCUMENT_FORMATS) else None


_MESSAGES_ZH = {
    "required": "必填",
    "type": "类型不正确",
    "enum": "不在可选范围内",
    "const": "不符合要求",
    "minimum": "小于允许的最小值",
    "maximum": "大于允许的最大值",
    "exclusiveMinimum": "小于允许的最小值",
    "exclusiveMaximum": "大于允许的最大值",
    "minLength": "内容太短",
    "maxLength": "内容太长",
    "minItems": "选择或填写的项数太少",
    "maxItems": "选择或填写的项数太多",
    "uniqueItems": "有重复的项",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "additionalProperties": "不是此表单的字段",
}
# What a ``format`` expects, said the way a person would (jsonschema's FormatChecker checks these).
_FORMATS_ZH = {
    "date": "应为日期，如 2026-10-01",
    "date-time": "应为日期和时间，如 2026-10-01T09:00:00+08:00",
    "time": "应为时间，如 09:00:00+08:00",
    "email": "应为电子邮箱地址，如 zhangsan@example.com",
    "idn-email": "应为电子邮箱地址，如 zhangsan@example.com",
    "uri": "应为完整的网址，如 https://www.example.com/",
    "ipv4": "应为IPv4地址，如 192.168.1.1",
}


def _designer_message(schema: Any, keyword: str) -> str | None:
    """A message the form's author wrote for this rule: ``errorMessage`` as a text, or per keyword (ajv-errors)."""
    custom = schema.get("errorMessage") if isinstance(schema, dict) else None
    if isinstance(custom, dict):
        custom = custom.get(keyword)
    return custom if isinstance(custom, str) and custom.strip() else None


def _error_problem(error: Any) -> dict[str, Any]:
    path = [str(p) for p in error.absolute_path]
    keyword = str(error.validator)
    if keyword == "required":
        path.append(error.message.split("'")[1] if "'" in error.message else "")
    elif keyword == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    field, schema = ".".join(p for p in path if p) or "data", error.schema
    message = error.message if len(error.message) <= 300 else error.message[:300] + "…"
    if (custom := _designer_message(schema, keyword)) is not None:
        return {"field": field, "message": message, "message_zh": custom}
    if keyword == "pattern" and (formats := accepted_formats(schema)) is not None:
        return field_problem(field, f"should be a {' or '.join(formats)} file", "应为%(formats)s格式的文件",
                        formats=formats)
    if keyword == "pattern" and isinstance(schema.get("examples"), list) and schema["examples"]:
        return field_problem(field, message, "格式不正确，应如：%(example)s", example=str(schema["examples"][0])[:100])
    if keyword == "format" and str(error.validator_value) in _FORMATS_ZH:
        return {"field": field, "message": message, "message_zh": _FORMATS_ZH[str(error.validator_value)]}
    return {"field": field, "message": message, "message_zh": _MESSAGES_ZH.get(keyword, "不符合要求")}


def validate_form_data(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """The data if it satisfies the schema; InvalidInput listing the failing fields (at most MAX_FORM_ERRORS)
    otherwise. Data larger or deeper than any form takes is refused before the schema runs."""
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", details=[{"field": "data", "message": "an object"}])
    if (too_much := _bounds_problem(data)) is not None:
        raise InvalidInput(f"the data is larger than a form takes: {too_much['field']} {too_much['message']}",
                           details=[too_much])
    if not schema:
        return data
    try:
        errors = sorted(islice(_validator(schema).iter_errors(data), MAX_FORM_ERRORS),
                        key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError as error:  # a form deployed before such schemas were refused (schema_safety.py)
        raise InvalidInput("the form refers to itself without end and cannot check any answer; ask the flow's "
                           "designer to correct it", details=[field_problem(
                               "data", "the form cannot be checked", "表单定义有误，无法校验，请联系流程设计人员")]) \
            from error
    if errors:
        raise InvalidInput("the data does not satisfy the task's form", details=[_error_problem(e) for e in errors])
    return data
