"""Checks submitted data against a JSON Schema form (a task's, or a flow's start form), with a message per field."""

from __future__ import annotations

from typing import Any

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from engine.errors import InvalidInput


def _field_path(error: Any) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    elif error.validator == "additionalProperties" and "'" in error.message:
        path.append(error.message.split("'")[1])
    return ".".join(p for p in path if p) or "data"


_MESSAGES_ZH = {
    "required": "必填",
    "type": "类型不正确",
    "enum": "不在可选范围内",
    "minimum": "小于允许的最小值",
    "maximum": "大于允许的最大值",
    "minLength": "内容太短",
    "maxLength": "内容太长",
    "pattern": "格式不正确",
    "format": "格式不正确",
    "additionalProperties": "不是此表单的字段",
}


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _validator(schema: dict[str, Any]) -> Any:
    """One compiled validator per schema object (schemas live as long as their deployed version's cache)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is not None and cached[0] is schema:
        return cached[1]
    validator = validator_for(schema)(schema, format_checker=FormatChecker())
    if len(_VALIDATORS) > 2048:
        _VALIDATORS.clear()
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def validate_form_data(schema: dict[str, Any] | None, data: Any) -> dict[str, Any]:
    """The data if it satisfies the schema; InvalidInput listing every failing field otherwise."""
    if not isinstance(data, dict):
        raise InvalidInput("data must be a JSON object", details=[{"field": "data", "message": "an object"}])
    if not schema:
        return data
    errors = sorted(_validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        details = [{"field": _field_path(e), "message": e.message,
                    "message_zh": _MESSAGES_ZH.get(str(e.validator), "不符合要求")} for e in errors]
        raise InvalidInput("the data does not satisfy the task's form", details=details)
    return data
