"""A task's JSON Schema (and optional UI schema) as HTML form fields, and a submitted HTML form back as data.

Widgets: text, textarea (``ui:widget: textarea`` or a long ``maxLength``), number/integer, enum as radio (up to
four choices, or ``ui:widget: radio``) or select, a list of choices as checkboxes, boolean as a checkbox, date
(``format: date``) and file upload (``ui:widget: file`` in the UI schema: the value becomes a document reference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import FileStorage, MultiDict

from engine.bpmn.forms import DOCUMENT_FORMATS, accepted_formats
from tasks.attachments import MAX_BYTES, Upload, parse_reference

FILE_WIDGETS = ("file", "attachment")
# What a file field offers in the browser's chooser, per document format (engine.bpmn.forms.DOCUMENT_FORMATS).
ACCEPT = {"PDF": ".pdf,application/pdf", "JPG": ".jpg,.jpeg,image/jpeg", "PNG": ".png,image/png"}
ALL_FORMATS = [name for name, _endings in DOCUMENT_FORMATS]
MAX_TYPED_NUMBER = 2**53 - 1  # what a number field takes (as the API's JSON: ui/strict_json.MAX_JSON_NUMBER)
KEPT = "__kept"  # suffix of the hidden field that keeps an uploaded document across a failed submission
# engine.bpmn.forms and tasks/attachments give these Chinese field messages (some as templates with parameters);
# listed so the English catalogue translates them.
ENGINE_MESSAGES = (lazy_gettext("必填"), lazy_gettext("类型不正确"), lazy_gettext("不在可选范围内"),
                   lazy_gettext("小于允许的最小值"), lazy_gettext("大于允许的最大值"), lazy_gettext("内容太短"),
                   lazy_gettext("内容太长"), lazy_gettext("格式不正确"), lazy_gettext("不是此表单的字段"),
                   lazy_gettext("不符合要求"), lazy_gettext("文件为空，请重新选择"),
                   lazy_gettext("文件超过10MB，请压缩后重新上传"), lazy_gettext("只接受%(formats)s格式的文件"),
                   lazy_gettext("文件扩展名与文件内容不符（文件内容为%(format)s），请检查后重新上传"),
                   lazy_gettext("附件无效，请重新上传"), lazy_gettext("请选择本部门的同事"),
                   lazy_gettext("请填写1至40个字的名称"), lazy_gettext("请选择县市区"),
                   lazy_gettext("不是本市的县市区"), lazy_gettext("分页参数无效"),
                   lazy_gettext("应为%(formats)s格式的文件"), lazy_gettext("格式不正确，应如：%(example)s"),
                   lazy_gettext("填写的内容过多（超过%(max)s项）"), lazy_gettext("项数过多（最多%(max)s项）"),
                   lazy_gettext("字段过多（最多%(max)s个）"), lazy_gettext("内容太长（最多%(max)s字）"),
                   lazy_gettext("层级过深"), lazy_gettext("含有无法识别的字符"), lazy_gettext("请输入有效的数字"),
                   lazy_gettext("选择或填写的项数太少"), lazy_gettext("选择或填写的项数太多"),
                   lazy_gettext("有重复的项"), lazy_gettext("应为日期，如 2026-10-01"),
                   lazy_gettext("应为日期和时间，如 2026-10-01T09:00:00+08:00"),
                   lazy_gettext("应为时间，如 09:00:00+08:00"),
                   lazy_gettext("应为电子邮箱地址，如 zhangsan@example.com"),
                   lazy_gettext("应为完整的网址，如 https://www.example.com/"),
                   lazy_gettext("应为IPv4地址，如 192.168.1.1"),
                   lazy_gettext("此案件的材料已达上限（最多%(documents)s份、合计%(megabytes)sMB），请联系窗口工作人员"),
                   lazy_gettext("您上传的材料合计将超过%(megabytes)sMB的上限，请联系窗口工作人员"),
                   lazy_gettext("提交未成功，所选文件未保存，请重新选择"),
                   lazy_gettext("请求中含有无法识别的字符或过长的内容"),
                   lazy_gettext("表单定义有误，无法校验，请联系流程设计人员"))


def format_list(items: list[Any]) -> str:
    """甲、乙 in Chinese, "A, B" in English."""
    return str(_("、")).join(str(item) for item in items)


def problem_text(problem: dict[str, Any], default: str = "不符合要求") -> str:
    """A problem's message in the reader's language (the services and engine.bpmn.forms give it in Chinese; a
    message with parameters comes with its template, ``message_key``, translated here)."""
    template, params = problem.get("message_key"), problem.get("params")
    if isinstance(template, str) and isinstance(params, dict):
        return _(template, **{k: format_list(v) if isinstance(v, list) else v for k, v in params.items()})
    message = str(problem.get("message_zh") or default)
    return _(message)


def formats_help(formats: list[str]) -> str:
    """The help under a file field: the formats it takes, and the size."""
    if len(formats) == 1:
        return _("%(format)s 格式，不超过 10MB。", format=formats[0])
    return _("%(formats)s 或 %(last)s 格式，不超过 10MB。", formats=format_list(formats[:-1]), last=formats[-1])


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
    file_help: str = ""  # a file field's formats and size


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
        attrs["accept"] = ",".join(ACCEPT[name] for name in accepted_formats(spec) or ALL_FORMATS)
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
                             attrs=_attrs(spec, widget),
                             file_help=formats_help(accepted_formats(spec) or ALL_FORMATS) if widget == "file"
                             else ""))
    return fields_


def form_errors(problems: list[dict[str, Any]], schema: dict[str, Any] | None) -> list[str]:
    """Messages that belong to no field of the form (shown above it)."""
    names = set(((schema or {}).get("properties") or {}).keys())
    return [problem_text(p) for p in problems if p.get("field") not in names]


def _number(raw: str, widget: str) -> int | float:
    """A typed number; ValueError for what is not one the platform keeps (NaN, infinities, beyond 2**53)."""
    if len(raw) > 40:
        raise ValueError(raw)
    number: int | float = int(raw) if widget == "integer" else float(raw)
    if not math.isfinite(number) or abs(number) > MAX_TYPED_NUMBER:
        raise ValueError(raw)
    if isinstance(number, float) and number.is_integer() and "." not in raw and "e" not in raw.lower():
        return int(number)
    return number


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
