"""A task's JSON Schema (and optional UI schema) as HTML form fields, and a submitted HTML form back as data.

Widgets: text, textarea (``ui:widget: textarea`` or a long ``maxLength``), number/integer, enum as radio (up to
four choices, or ``ui:widget: radio``) or select, a list of choices as checkboxes, boolean as a checkbox, date
(``format: date``) and file upload (``ui:widget: file`` in the UI schema: the value becomes a document reference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import FileStorage, MultiDict

from tasks.attachments import MAX_BYTES, Upload, parse_reference

FILE_WIDGETS = ("file", "attachment")
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
KEPT = "__kept"  # suffix of the hidden field that keeps an uploaded document across a failed submission
# engine.bpmn.forms gives these Chinese field messages; listed so the English catalogue translates them.
ENGINE_MESSAGES = (lazy_gettext("必填"), lazy_gettext("类型不正确"), lazy_gettext("不在可选范围内"),
                   lazy_gettext("小于允许的最小值"), lazy_gettext("大于允许的最大值"), lazy_gettext("内容太短"),
                   lazy_gettext("内容太长"), lazy_gettext("格式不正确"), lazy_gettext("不是此表单的字段"),
                   lazy_gettext("不符合要求"), lazy_gettext("文件为空，请重新选择"),
                   lazy_gettext("文件超过10MB，请压缩后重新上传"), lazy_gettext("只接受PDF、JPG、PNG格式的文件"),
                   lazy_gettext("文件扩展名与文件内容不符，请检查后重新上传"), lazy_gettext("附件无效，请重新上传"),
                   lazy_gettext("请选择本部门的同事"), lazy_gettext("请填写1至40个字的名称"),
                   lazy_gettext("请选择县市区"), lazy_gettext("不是本市的县市区"), lazy_gettext("分页参数无效"))


def problem_text(problem: dict[str, Any], default: str = "不符合要求") -> str:
    """A problem's message in the reader's language (the services and engine.bpmn.forms give it in Chinese)."""
    message = str(problem.get("message_zh") or default)
    return _(message)


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool = False
    help: str = ""
    options: list[tuple[Any, str]] = field(default_factory=list)  # (value, label)
    value: Any = None
    errors: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)


def _widget(spec: dict[str, Any], ui: dict[str, Any]) -> str:
    chosen = ui.get("ui:widget")
    kind = spec.get("type")
    if chosen in FILE_WIDGETS:
        return "file"
    if kind == "boolean":
        return "checkbox"
    if kind == "array" and "enum" in (spec.get("items") or {}):
        return "checkboxes"
    if "enum" in spec:
        if chosen in ("radio", "select"):
            return str(chosen)
        return "radio" if len(spec["enum"]) <= 4 else "select"
    if kind in ("integer", "number"):
        return kind
    if spec.get("format") == "date":
        return "date"
    if chosen == "textarea" or int(spec.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def _attrs(spec: dict[str, Any], widget: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if widget in ("text", "textarea") and spec.get("maxLength"):
        attrs["maxlength"] = spec["maxLength"]
    if widget in ("integer", "number"):
        attrs["step"] = "1" if widget == "integer" else "any"
        for key in ("minimum", "maximum"):
            if key in spec:
                attrs[key[:3]] = spec[key]
    if widget == "file":
        attrs["accept"] = ACCEPT
    return attrs


def _conditional_hints(schema: dict[str, Any], labels: dict[str, str]) -> dict[str, list[str]]:
    """"Required when X is Y" for the fields an ``allOf``/``if``/``then`` makes required."""
    hints: dict[str, list[str]] = {}
    for rule in schema.get("allOf") or []:
        when = ((rule.get("if") or {}).get("properties") or {}) if isinstance(rule, dict) else {}
        then = ((rule.get("then") or {}).get("required") or []) if isinstance(rule, dict) else []
        for key, condition in when.items():
            if not isinstance(condition, dict):
                continue
            contains = condition.get("contains")
            contained: dict[str, Any] = contains if isinstance(contains, dict) else {}
            for name in then:
                if "const" in condition:
                    hints.setdefault(name, []).append(_("“%(field)s”选择“%(value)s”时必填",
                                                        field=labels.get(key, key), value=condition["const"]))
                elif "const" in contained:
                    hints.setdefault(name, []).append(_("“%(field)s”包含“%(value)s”时必填",
                                                        field=labels.get(key, key), value=contained["const"]))
    return hints


def _order(schema: dict[str, Any], ui_schema: dict[str, Any]) -> list[str]:
    properties = list((schema.get("properties") or {}).keys())
    wanted = [name for name in ui_schema.get("ui:order") or [] if name in properties]
    return wanted + [name for name in properties if name not in wanted]


def build_fields(schema: dict[str, Any] | None, ui_schema: dict[str, Any] | None, values: dict[str, Any],
                 problems: list[dict[str, Any]] | None = None, *,
                 choices: dict[str, list[tuple[str, str]]] | None = None) -> list[Field]:
    """The fields of a form, filled with ``values`` and the field messages of a failed submission. ``choices``
    offers (value, label) options for a free-text field the platform knows the values of (a county)."""
    schema, ui_schema = schema or {}, ui_schema or {}
    properties = schema.get("properties") or {}
    labels = {name: str(spec.get("title") or name) for name, spec in properties.items() if isinstance(spec, dict)}
    hints = _conditional_hints(schema, labels)
    required = set(schema.get("required") or [])
    errors: dict[str, list[str]] = {}
    for problem in problems or []:
        errors.setdefault(str(problem.get("field", "")), []).append(problem_text(problem))
    fields_ = []
    for name in _order(schema, ui_schema):
        spec = properties[name] if isinstance(properties[name], dict) else {}
        if "const" in spec and spec.get("default") == spec["const"]:
            continue  # a fixed value is not the user's to choose: the case gets it from the form's default
        ui_spec = ui_schema.get(name)
        ui: dict[str, Any] = ui_spec if isinstance(ui_spec, dict) else {}
        widget = "select" if choices and name in choices else _widget(spec, ui)
        enum = list(spec.get("enum") or (spec.get("items") or {}).get("enum") or [])
        options = choices[name] if choices and name in choices else [(value, str(value)) for value in enum]
        fields_.append(Field(name=name, label=labels[name], widget=widget, required=name in required,
                             help=str(ui.get("ui:help") or spec.get("description") or ""), options=options,
                             value=values.get(name), errors=errors.get(name, []), hints=hints.get(name, []),
                             attrs=_attrs(spec, widget)))
    return fields_


def form_errors(problems: list[dict[str, Any]], schema: dict[str, Any] | None) -> list[str]:
    """Messages that belong to no field of the form (shown above it)."""
    names = set(((schema or {}).get("properties") or {}).keys())
    return [problem_text(p) for p in problems if p.get("field") not in names]


def _number(raw: str, widget: str) -> int | float:
    if widget == "integer":
        return int(raw)
    number = float(raw)
    return int(number) if number.is_integer() and "." not in raw else number


def _read_file(storage: FileStorage | None, name: str) -> Upload | None:
    if storage is None or not storage.filename:
        return None
    return Upload(field=name, filename=storage.filename, content=storage.stream.read(MAX_BYTES + 1))


def read_submission(schema: dict[str, Any] | None, ui_schema: dict[str, Any] | None, form: MultiDict[str, str],
                    files: MultiDict[str, FileStorage]) -> tuple[dict[str, Any], list[Upload], list[dict[str, Any]]]:
    """(data, uploads, problems) from a submitted HTML form: empty fields are left out, numbers parsed,
    unchecked boxes false, and a document kept from a failed submission carried by its reference."""
    data: dict[str, Any] = {}
    uploads: list[Upload] = []
    problems: list[dict[str, Any]] = []
    for item in build_fields(schema, ui_schema, {}):
        name, widget = item.name, item.widget
        raw = (form.get(name) or "").strip()
        if widget == "file":
            upload = _read_file(files.get(name), name)
            if upload is not None:
                uploads.append(upload)
            elif parse_reference(form.get(name + KEPT)):
                data[name] = form.get(name + KEPT)
        elif widget == "checkbox":
            data[name] = name in form
        elif widget == "checkboxes":
            chosen = [value for value in form.getlist(name) if value]
            if chosen:
                data[name] = chosen
        elif widget in ("integer", "number") and raw:
            try:
                data[name] = _number(raw, widget)
            except ValueError:
                data[name] = raw
                problems.append({"field": name, "message": "not a number",
                                 "message_zh": "请输入整数" if widget == "integer" else "请输入数字"})
        elif raw:
            data[name] = raw
    return data, uploads, problems


NUMBER_MESSAGES = (lazy_gettext("请输入整数"), lazy_gettext("请输入数字"))
