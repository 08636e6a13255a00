"""The wording of every notification: one template per kind, Chinese first and English too, kept as YAML in the
city package (``processes/<city>/notifications/<kind>.yaml``) over the platform's defaults
(engine/notify/default_templates.yaml), rendered in a Jinja sandbox.

A template file::

    channels: [email]          # the channels besides in-app a person gets unless they chose otherwise
    batch: true                # several of this kind for one person in one sweep go out as one message
    zh: {subject: "…", body: "…", sms: "…"}
    en: {subject: "…", body: "…", sms: "…"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from jinja2 import ChainableUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import InvalidInput

DEFAULTS = Path(__file__).with_name("default_templates.yaml")
LANGUAGES = ("zh", "en")
CHANNELS = ("email", "sms")  # what a person may choose besides in-app (always on) and the department's robot
PARTS = ("subject", "body", "sms")
#: Bounds of a rendered message: a subject line, an email body, an SMS (five long-message segments of 67
#: characters) and a group-robot message (WeCom and DingTalk take 2,048 bytes of text).
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 4_000
MAX_SMS_CHARS = 300
MAX_WEBHOOK_BYTES = 2_000
MAX_TEMPLATE_CHARS = 8_000  # one part of a template file
LIMITS = {"subject": MAX_SUBJECT_CHARS, "body": MAX_BODY_CHARS, "sms": MAX_SMS_CHARS}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    sms: str

    def webhook_text(self) -> str:
        """Subject and body for a group robot, cut to what it accepts."""
        return clip_bytes(f"{self.subject}\n{self.body}".strip(), MAX_WEBHOOK_BYTES)


@dataclass(frozen=True)
class Template:
    kind: str
    parts: dict[str, dict[str, str]]  # language -> subject/body/sms
    channels: tuple[str, ...] = ()
    batch: bool = False
    title: dict[str, str] = field(default_factory=dict)  # what the kind is called on the settings page
    source: str = ""


def clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def clip_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _finalize(value: Any) -> Any:
    return "" if value is None else value


_ENV = SandboxedEnvironment(autoescape=False, undefined=ChainableUndefined, finalize=_finalize,
                            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


def when_text(value: Any, tz: ZoneInfo, language: str) -> str:
    """An ISO moment as people read it: 2026年10月10日 18:00 (10 Oct 2026 18:00 in English)."""
    try:
        moment = datetime.fromisoformat(str(value)).astimezone(tz)
    except (TypeError, ValueError):
        return ""
    if language == "en":
        return moment.strftime("%d %b %Y %H:%M")
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


class TemplateBook:
    """Every kind's template: the platform's defaults, with the city package's files over them."""

    def __init__(self, templates: dict[str, Template]) -> None:
        self.templates = templates

    @classmethod
    def load(cls, folder: Path | None) -> TemplateBook:
        templates = {kind: template for kind, template in _read_defaults().items()}
        if folder is not None and folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                template = read_template(path)
                templates[template.kind] = template
        return cls(templates)

    def get(self, kind: str) -> Template:
        return self.templates.get(kind) or self.templates["generic"]

    def kinds(self) -> list[str]:
        """The kinds a person chooses channels for (not the digest, the fallback or registration codes)."""
        return [kind for kind in self.templates if kind not in ("generic", "digest", "verification_code")]

    def render(self, kind: str, params: dict[str, Any], *, language: str, tz: ZoneInfo) -> Message:
        template = self.get(kind)
        parts = template.parts.get(language) or template.parts["zh"]
        values = dict(params)
        values.setdefault("due_text", when_text(params.get("due_at"), tz, language) if params.get("due_at") else "")
        rendered = {}
        for part in PARTS:
            source = parts.get(part) or parts.get("subject", "")
            try:
                rendered[part] = clip(_ENV.from_string(source).render(values), LIMITS[part])
            except TemplateError as error:  # checked when loaded; a value that breaks a filter still reads
                rendered[part] = clip(f"{kind}: {error}", LIMITS[part])
        return Message(rendered["subject"], rendered["body"], rendered["sms"])


def _read_defaults() -> dict[str, Template]:
    raw = yaml.safe_load(DEFAULTS.read_text(encoding="utf-8"))
    return {kind: _template(kind, entry, str(DEFAULTS)) for kind, entry in raw.items()}


def read_template(path: Path) -> Template:
    """One template file; InvalidInput with ``{file, line, message}`` details when it will not do."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        line = getattr(getattr(error, "problem_mark", None), "line", -1) + 1
        raise InvalidInput(f"{path}: cannot read the template", details=[
            {"file": str(path), "line": line, "message": f"not readable YAML: {error}"}]) from error
    if not isinstance(raw, dict):
        raise InvalidInput(f"{path}: a template is a mapping", details=[
            {"file": str(path), "line": 1, "message": "a mapping with zh: and en: (subject, body, sms)"}])
    return _template(str(raw.get("kind") or path.stem), raw, str(path))


def _template(kind: str, raw: dict[str, Any], source: str) -> Template:
    problems = check_template(raw, source)
    if problems:
        raise InvalidInput(f"{source}: the template {kind} will not do", details=problems)
    parts = {language: {part: str(raw[language].get(part) or "") for part in PARTS} for language in LANGUAGES}
    channels = tuple(channel for channel in raw.get("channels") or () if channel in CHANNELS)
    title = {language: str((raw.get("title") or {}).get(language) or kind) for language in LANGUAGES} \
        if isinstance(raw.get("title"), dict) else {"zh": str(raw.get("title") or kind), "en": kind}
    return Template(kind, parts, channels, bool(raw.get("batch")), title, source)


def check_template(raw: dict[str, Any], source: str) -> list[dict[str, Any]]:
    """What is wrong with a template's text: both languages with a subject and a body, known channels, and every
    part a template the sandbox compiles, within bounds."""
    problems = []

    def problem(message: str) -> None:
        problems.append({"file": source, "line": 0, "message": message})

    for channel in raw.get("channels") or ():
        if channel not in CHANNELS:
            problem(f"channels: {channel!r} is not one of {', '.join(CHANNELS)}")
    for language in LANGUAGES:
        parts = raw.get(language)
        if not isinstance(parts, dict):
            problem(f"{language}: missing (every template has zh: and en: with subject and body)")
            continue
        for part in ("subject", "body"):
            if not str(parts.get(part) or "").strip():
                problem(f"{language}.{part}: missing")
        for part in PARTS:
            text = str(parts.get(part) or "")
            if len(text) > MAX_TEMPLATE_CHARS:
                problem(f"{language}.{part}: longer than {MAX_TEMPLATE_CHARS} characters")
                continue
            try:
                _ENV.parse(text)
            except TemplateError as error:
                problem(f"{language}.{part}: {error}")
    return problems
