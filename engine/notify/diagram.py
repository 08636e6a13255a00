"""Notifications a diagram sends, collected where the diagram runs (the engine's child process) and handed back as
plain data in the run's result; the server writes them to the outbox in the run's transaction.

An element names a template with SpiffArena's extension properties::

    <spiffworkflow:property name="notificationTemplate" value="decision" />
    <spiffworkflow:property name="notificationRecipients" value="['applicant', 'mobile:' + contact_phone]" />

A throw event, send task, end event or any other step the engine runs sends it when the token passes; a user task
when it arrives (e.g. 补正申请材料 tells the applicant what is missing). ``notificationRecipients`` is an
expression over the case data giving one text or a list of them — ``applicant`` (who started the case),
``department:CODE``, ``mobile:NUMBER`` or a user name — and defaults to ``applicant``. The message is
``notificationMessage`` (a template over the case data), else the element's ``instructionsForEndUser`` (what the
case page shows). ``notificationCondition``, an expression, sends it only when it holds."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import EngineError

TEMPLATE_PROPERTY = "notificationTemplate"
RECIPIENTS_PROPERTY = "notificationRecipients"
MESSAGE_PROPERTY = "notificationMessage"  # what it says (a template over the data); else the instructions
CONDITION_PROPERTY = "notificationCondition"  # an expression: sent only when it holds
#: Notifications one run may send (a loop that sends at each round stops with an error naming the element).
MAX_NOTICES_PER_RUN = 50
#: Recipients one element may name, and the length of its rendered message.
MAX_RECIPIENTS_PER_NOTICE = 20
MAX_MESSAGE_CHARS = 1_000

_TEXT = SandboxedEnvironment(autoescape=False, finalize=lambda value: "" if value is None else value)


def _properties(spec: Any) -> dict[str, str]:
    extensions = getattr(spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"{spec.name} ({name})" if name else str(spec.name)


def message_of(spec: Any, data: dict[str, Any]) -> str:
    """The element's notificationMessage (else its instructions) rendered over the data, plain text, bounded."""
    text = str(_properties(spec).get(MESSAGE_PROPERTY) or
               (getattr(spec, "extensions", None) or {}).get("instructionsForEndUser") or "")
    if not text:
        return ""
    try:
        rendered = _TEXT.from_string(text).render(data)
    except TemplateError:
        rendered = text
    rendered = rendered.strip()
    return rendered if len(rendered) <= MAX_MESSAGE_CHARS else rendered[: MAX_MESSAGE_CHARS - 1] + "…"


def recipients_of(task: Any, expression: str) -> list[str]:
    """The recipients an element's expression names, checked."""
    if not expression.strip():
        return ["applicant"]
    value = task.workflow.script_engine.evaluate(task, expression)
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or not all(isinstance(item, str) for item in values):
        raise EngineError(f"{RECIPIENTS_PROPERTY} of {_label(task.task_spec)} gave {type(value).__name__}: it must "
                          "give a text or a list of texts (applicant, department:CODE, mobile:NUMBER or a user "
                          "name)", task=_label(task.task_spec))
    if len(values) > MAX_RECIPIENTS_PER_NOTICE:
        raise EngineError(f"{_label(task.task_spec)} names {len(values)} recipients, more than "
                          f"{MAX_RECIPIENTS_PER_NOTICE}", task=_label(task.task_spec))
    return [item.strip()[:120] for item in values if item.strip()]


def notice_of(task: Any, *, arriving: bool) -> dict[str, Any] | None:
    """The notification ``task``'s element sends, or None when it names no template."""
    spec = task.task_spec
    properties = _properties(spec)
    template = str(properties.get(TEMPLATE_PROPERTY) or "").strip()
    if not template:
        return None
    condition = str(properties.get(CONDITION_PROPERTY) or "").strip()
    if condition and not task.workflow.script_engine.evaluate(task, condition):
        return None
    return {"template": template, "to": recipients_of(task, str(properties.get(RECIPIENTS_PROPERTY) or "")),
            "message": message_of(spec, dict(task.data)), "title": getattr(spec, "bpmn_name", None) or spec.name,
            "element": spec.name, "task": str(task.id) if arriving else None, "to_task": arriving}


def collect_passed(task: Any) -> None:
    """Called after the engine ran a step (``did_complete_task``): keep the notice it sends, if any."""
    engine = task.workflow.script_engine
    sent = getattr(engine, "notifications", None)
    if sent is None:
        return
    notice = notice_of(task, arriving=False)
    if notice is None:
        return
    if len(sent) >= MAX_NOTICES_PER_RUN:
        raise EngineError(f"{_label(task.task_spec)}: more than {MAX_NOTICES_PER_RUN} notifications in one run (the "
                          "limit): does a loop send one at each round?", task=_label(task.task_spec))
    sent.append(notice)


def arriving_notices(tasks: list[Any]) -> list[dict[str, Any]]:
    """The notices of READY user tasks that name a template (the server keeps those of tasks that just arrived)."""
    notices = []
    for task in tasks:
        notice = notice_of(task, arriving=True)
        if notice is not None:
            notices.append(notice)
    return notices[:MAX_NOTICES_PER_RUN]
