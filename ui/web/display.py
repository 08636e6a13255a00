"""How values read on screen: dates as people in China write them, working-day countdowns, names of departments
and counties, state labels, and a flow's instructions rendered safely over the case data."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask import Flask, url_for
from flask_babel import get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from tasks.attachments import parse_reference

from .work import calendar, now, platform

STATE_LABELS = {"open": lazy_gettext("待认领"), "claimed": lazy_gettext("办理中"),
                "completed": lazy_gettext("已办结"), "cancelled": lazy_gettext("已取消")}
STATUS_LABELS = {"active": lazy_gettext("办理中"), "suspended": lazy_gettext("已暂停"),
                 "completed": lazy_gettext("已办结"), "cancelled": lazy_gettext("已撤销"),
                 "error": lazy_gettext("异常待处理")}
ACTION_LABELS = {"start": lazy_gettext("提交申请"), "complete": lazy_gettext("办理"), "claim": lazy_gettext("认领"),
                 "release": lazy_gettext("退回待认领"), "handover": lazy_gettext("转交"),
                 "timer_fired": lazy_gettext("定时事件"), "completed": lazy_gettext("办结"),
                 "error": lazy_gettext("系统异常"), "retry": lazy_gettext("重新处理"),
                 "suspend": lazy_gettext("暂停"), "resume": lazy_gettext("恢复"), "cancel": lazy_gettext("撤销"),
                 "calendar_fallback": lazy_gettext("工作日历提示"), "urge": lazy_gettext("催办"),
                 "comment": lazy_gettext("意见"),
                 "priority": lazy_gettext("设置优先级"), "withdraw": lazy_gettext("申请人撤回"),
                 "move_token": lazy_gettext("移动环节")}
PRIORITY_LABELS = {"normal": lazy_gettext("普通"), "urgent": lazy_gettext("紧急"), "critical": lazy_gettext("特急")}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _moment(value: datetime | str | None) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def when(value: datetime | str | None) -> str:
    """2026年10月10日 18:00 (in the platform's time zone); 10 Oct 2026 18:00 in English."""
    moment = _moment(value)
    if moment is None:
        return ""
    local = moment.astimezone(platform().settings.tz)
    if is_english():
        return local.strftime("%d %b %Y %H:%M")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def day(value: date | datetime | str | None) -> str:
    if isinstance(value, str):
        value = date.fromisoformat(value) if _ISO_DAY.match(value) else None
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(platform().settings.tz).date()
    return value.strftime("%d %b %Y") if is_english() else f"{value.year}年{value.month}月{value.day}日"


def week_label(week_start: date | str) -> str:
    """A week as people read it: 12月第1周 (the month holding its Thursday, as ISO weeks count years)."""
    monday = date.fromisoformat(week_start) if isinstance(week_start, str) else week_start
    thursday = monday + timedelta(days=3)
    number = (thursday.day - 1) // 7 + 1
    if is_english():
        return f"{thursday:%b} week {number}"
    return f"{thursday.month}月第{number}周"


def week_range(week_start: date | str) -> str:
    """The week's days: 11.30–12.06 (30 Nov – 6 Dec in English)."""
    monday = date.fromisoformat(week_start) if isinstance(week_start, str) else week_start
    sunday = monday + timedelta(days=6)
    if is_english():
        return f"{monday.day} {monday:%b} – {sunday.day} {sunday:%b}"
    return f"{monday:%m.%d}–{sunday:%m.%d}"


def countdown(value: datetime | str | None) -> dict[str, str] | None:
    """The deadline in working days on the official calendar: 剩余 N 个工作日 / 今日到期 / 已超期 N 个工作日."""
    due_at = _moment(value)
    working = calendar()
    if due_at is None or working is None:
        return None
    current = now()
    if due_at > current:
        left = working.working_days_between(current, due_at)
        if left <= 0:
            local = due_at.astimezone(platform().settings.tz)
            return {"text": _("今日 %(time)s 到期", time=f"{local:%H:%M}"), "level": "today"}
        text = ngettext("剩余 %(num)d 个工作日", "剩余 %(num)d 个工作日", left)
        return {"text": text, "level": "soon" if left <= 1 else "ok"}
    late = working.working_days_between(due_at, current)
    if late <= 0:
        return {"text": _("已超期"), "level": "overdue"}
    return {"text": ngettext("已超期 %(num)d 个工作日", "已超期 %(num)d 个工作日", late), "level": "overdue"}


def department_name(code: str | None, county: str | None = None) -> str:
    """The department's one name (organisation.yaml `name`), the same on every screen; a county window with its
    county. A task without a department is the applicant's own: it reads 申请人, never as a department."""
    organisation = platform().organisation
    if code is None:
        return _("申请人")
    name = organisation.department_name(code)
    if county:
        return f"{county_name(county)} · {name}"
    return name


def city_text(what: str) -> str:
    """The served city's platform name or sponsor line (organisation.yaml `city`), in the UI's language."""
    city = platform().organisation.city
    english = getattr(city, f"{what}_en", "") if is_english() else ""
    return english or getattr(city, what, "") or ""


def county_name(code: str | None) -> str:
    county = platform().organisation.counties.get(code or "")
    return county.name if county else (code or "")


def plain(value: Any) -> str:
    """A case-data value as text: lists joined with 、, yes/no for booleans, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list | tuple):
        return "、".join(plain(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{plain(v)}" for k, v in value.items())
    return str(value)


def data_value(value: Any, documents: set[int] | None = None) -> Markup:
    """A submitted value for a page: a document reference of this case becomes its download link."""
    reference = parse_reference(value)
    if reference is not None and documents is not None and reference[0] in documents:
        href = url_for("portal.download", attachment_id=reference[0])
        return Markup('<a class="doc-link" href="{}">{}</a>').format(href, reference[1])
    if isinstance(value, str) and _ISO_DAY.match(value):
        try:
            return escape(day(value))
        except ValueError:
            return escape(value)
    return escape(plain(value))


def _finalize(value: Any) -> Markup:
    # Every printed value is escaped here, once: `|safe` or an `{% autoescape false %}` block changes nothing.
    return escape(plain(value))


def _tolerant(show: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that shows nothing for a value it cannot take (``| length`` of a number), instead of failing the
    page: a diagram's instructions cannot know every value the case data will hold."""
    @functools.wraps(show)  # keeps Jinja's pass_context/pass_environment marks
    def shown(*args: Any, **kwargs: Any) -> Any:
        try:
            return show(*args, **kwargs)
        except (TypeError, ValueError, ArithmeticError, AttributeError, LookupError):
            return ""
    return shown


_SANDBOX = SandboxedEnvironment(autoescape=True, finalize=_finalize)
_SANDBOX.filters = {name: _tolerant(show) for name, show in _SANDBOX.filters.items()}


def instructions(text: str | None, data: dict[str, Any]) -> Markup:
    """A flow's ``{{ name }}`` instructions over the case data, in a sandbox; the diagram's own text is escaped
    too, so neither the designer's text nor the case data can put markup on the page."""
    if not text:
        return Markup("")
    try:
        source = "".join(str(escape(value)) if kind == "data" else value for _line, kind, value in _SANDBOX.lex(text))
        rendered = _SANDBOX.from_string(source).render(data)
    except TemplateError:
        rendered = str(escape(text))
    return Markup(rendered.replace("\n", "<br>"))  # noqa: S704 — the text and every value were escaped above


def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(size // 1024, 1)} KB"


def register_display(app: Flask) -> None:
    app.jinja_env.filters.update(when=when, day=day, plain=plain, file_size=file_size, week_label=week_label,
                                 week_range=week_range)
    app.jinja_env.globals.update(
        countdown=countdown, department_name=department_name, county_name=county_name, data_value=data_value,
        city_text=city_text,
        instructions=instructions, STATE_LABELS=STATE_LABELS, STATUS_LABELS=STATUS_LABELS,
        ACTION_LABELS=ACTION_LABELS, PRIORITY_LABELS=PRIORITY_LABELS, is_english=is_english)
