"""Documents uploaded with a task's form: size and type checked (by content, not by name), stored outside the
task data, and served only to those who may see the case.

The form field's value in task data is a reference string, ``"附件#<id> <filename>"`` — still a string, so the
flows' JSON Schemas (which take file names as strings, e.g. a photo name ending in .jpg) validate it as before.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from engine.bpmn.forms import validate_form_data
from engine.cases.instances import can_view, get_visible
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import Attachment, DocumentView, ProcessInstance
from engine.store.uow import UnitOfWork

from .service import OPEN, get_task

__all__ = ["MAX_BYTES", "StoredSubmission", "SubmissionRejected", "Upload", "attachment_content", "case_attachments",
           "discard", "document_views", "open_document", "parse_reference", "reference", "sniff",
           "store_submission"]

MAX_BYTES = 10 * 1024 * 1024
# (content type, leading bytes, file name extensions): PDF, JPEG and PNG only.
KINDS = (
    ("application/pdf", b"%PDF-", (".pdf",)),
    ("image/jpeg", b"\xff\xd8\xff", (".jpg", ".jpeg")),
    ("image/png", b"\x89PNG\r\n\x1a\n", (".png",)),
)
REFERENCE = re.compile(r"^附件#(\d+) (.+)$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"<>|:*?\\/]')


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content: bytes


class SubmissionRejected(InvalidInput):
    """The form failed its checks; documents that passed theirs are stored and referenced in ``data``."""

    def __init__(self, message: str, *, details: list[Any], data: dict[str, Any]) -> None:
        super().__init__(message, details=details)
        self.data = data


def reference(attachment_id: int, filename: str) -> str:
    return f"附件#{attachment_id} {filename}"


def parse_reference(value: Any) -> tuple[int, str] | None:
    """(attachment id, file name) if ``value`` is an attachment reference."""
    match = REFERENCE.match(value) if isinstance(value, str) else None
    return (int(match.group(1)), match.group(2)) if match else None


def sniff(content: bytes) -> str | None:
    """The content type the bytes really are (PDF, JPEG or PNG), whatever the file is called."""
    return next((kind for kind, magic, _ext in KINDS if content.startswith(magic)), None)


def _problem(field: str, message: str, message_zh: str) -> dict[str, str]:
    return {"field": field, "message": message, "message_zh": message_zh}


def _checked_name(upload: Upload) -> tuple[str, str]:
    """(content type, safe file name) of an upload, or InvalidInput saying what is wrong with it."""
    if not upload.content:
        raise InvalidInput("the file is empty", details=[_problem(upload.field, "empty file", "文件为空，请重新选择")])
    if len(upload.content) > MAX_BYTES:
        raise InvalidInput("the file is larger than 10 MB",
                           details=[_problem(upload.field, "larger than 10 MB", "文件超过10MB，请压缩后重新上传")])
    kind = sniff(upload.content)
    if kind is None:
        raise InvalidInput("only PDF, JPEG and PNG files are accepted", details=[
            _problem(upload.field, "not a PDF, JPEG or PNG file", "只接受PDF、JPG、PNG格式的文件")])
    extensions = next(ext for k, _magic, ext in KINDS if k == kind)
    name = _UNSAFE.sub("", upload.filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "附件"
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in {e for _k, _m, exts in KINDS for e in exts}:
        if f".{suffix.lower()}" not in extensions:
            raise InvalidInput("the file's name does not match its content", details=[
                _problem(upload.field, f"the content is {kind}", "文件扩展名与文件内容不符，请检查后重新上传")])
    else:
        stem, suffix = name, extensions[0][1:]
    return kind, f"{stem[:100]}.{suffix}"


def _may_submit(task: dict[str, Any], actor: Actor) -> None:
    if not task["may_act"]:
        raise PermissionDenied("this task belongs to another department or county")
    if task["state"] not in OPEN:
        raise Conflict(f"the task is {task['state']}, no longer open")
    if task["state"] == "claimed" and task["assignee"] != actor.username:
        raise Conflict(f"the task is held by {task['assignee']}: claim it only after they release it")


def _store(task: dict[str, Any], upload: Upload, *, actor: Actor, uow: UnitOfWork, now: datetime) -> str:
    kind, filename = _checked_name(upload)
    row = Attachment(instance_id=task["instance_id"], task_id=task["id"], field=upload.field, filename=filename,
                     content_type=kind, size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
                     content=upload.content, uploaded_by=actor.username, uploaded_at=now)
    uow.session.add(row)
    uow.flush()
    return reference(row.id, filename)


def _foreign_references(data: dict[str, Any], instance_id: int, uow: UnitOfWork) -> list[dict[str, Any]]:
    """A kept reference must name a document of this case: a form cannot point at another case's files."""
    wanted = {key: ref[0] for key, value in data.items() if (ref := parse_reference(value)) is not None}
    if not wanted:
        return []
    own = set(uow.session.scalars(select(Attachment.id).where(Attachment.id.in_(wanted.values()),
                                                              Attachment.instance_id == instance_id)))
    return [_problem(key, "not a document of this case", "附件无效，请重新上传")
            for key, attachment_id in wanted.items() if attachment_id not in own]


@dataclass(frozen=True)
class StoredSubmission:
    """A form that passed its checks: its data, with references to the documents stored for it."""

    task_id: int
    data: dict[str, Any]
    attachment_ids: list[int]


def store_submission(task_id: int, data: dict[str, Any], uploads: list[Upload], *, actor: Actor,
                     uow: UnitOfWork, now: datetime) -> StoredSubmission:
    """Store the form's documents and put their references into ``data`` — the first of a submission's two
    units of work; the second completes the task (:func:`tasks.service.complete_task`, in a unit that may run
    the case's diagram) and, if that fails, :func:`discard` takes the documents away again.

    When the form fails its checks, SubmissionRejected carries every problem and the data with the references
    of the documents that were stored, so the person need not upload them again."""
    task = get_task(task_id, actor=actor, uow=uow)
    _may_submit(task, actor)
    schema = task["form_schema"] or {}
    data = dict(data)
    problems: list[dict[str, Any]] = []
    stored: list[int] = []
    for upload in uploads:
        if upload.field not in (schema.get("properties") or {}):
            problems.append(_problem(upload.field, "not a field of this form", "不是此表单的字段"))
            continue
        try:
            data[upload.field] = _store(task, upload, actor=actor, uow=uow, now=now)
            stored.append(parse_reference(data[upload.field])[0])  # type: ignore[index]
        except InvalidInput as error:
            problems += error.details
            data.pop(upload.field, None)
    problems += _foreign_references(data, task["instance_id"], uow)
    try:
        validate_form_data(schema, data)
    except InvalidInput as error:
        failed = {p["field"] for p in problems}
        problems += [d for d in error.details if d.get("field") not in failed]
    if problems:
        raise SubmissionRejected("the data does not satisfy the task's form", details=problems, data=data)
    return StoredSubmission(task_id, data, stored)


def discard(submission: StoredSubmission, *, uow: UnitOfWork) -> None:
    """Take away the documents stored for a submission whose task could not be completed."""
    if submission.attachment_ids:
        uow.begin_write()
        uow.session.execute(delete(Attachment).where(Attachment.id.in_(submission.attachment_ids)))


def case_attachments(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """The documents of a case the actor may see, oldest first (without their content)."""
    get_visible(instance_id, actor=actor, uow=uow)
    rows = uow.session.execute(
        select(Attachment.id, Attachment.task_id, Attachment.field, Attachment.filename, Attachment.content_type,
               Attachment.size, Attachment.uploaded_by, Attachment.uploaded_at)
        .where(Attachment.instance_id == instance_id).order_by(Attachment.id)).all()
    return [dict(row._mapping) for row in rows]


def attachment_content(attachment_id: int, *, actor: Actor, uow: UnitOfWork) -> tuple[dict[str, Any], bytes]:
    """(details, bytes) of a document, for someone allowed to see its case; NotFound for anyone else."""
    row = uow.session.get(Attachment, attachment_id)
    instance = uow.session.get(ProcessInstance, row.instance_id) if row is not None and row.instance_id else None
    if row is None or instance is None or not can_view(actor, instance, uow):
        raise NotFound(f"no attachment {attachment_id}")
    # The type is read again from the bytes: whatever a row says, only a PDF, JPEG or PNG goes out as one.
    content_type = sniff(row.content) or "application/octet-stream"
    return {"id": row.id, "filename": row.filename, "content_type": content_type, "size": row.size,
            "instance_id": row.instance_id}, row.content


def open_document(attachment_id: int, *, actor: Actor, uow: UnitOfWork, now: datetime) -> tuple[dict[str, Any], bytes]:
    """A document for someone allowed to see its case, the opening recorded (who, when, which document)."""
    details, content = attachment_content(attachment_id, actor=actor, uow=uow)
    uow.session.add(DocumentView(instance_id=details["instance_id"], attachment_id=attachment_id,
                                 filename=details["filename"], username=actor.username, viewed_at=now))
    return details, content


def document_views(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every opening of the case's documents, oldest first: for administrators only."""
    if not actor.is_admin:
        raise PermissionDenied("only administrators see who opened a case's documents")
    get_visible(instance_id, actor=actor, uow=uow)
    rows = uow.session.scalars(select(DocumentView).where(DocumentView.instance_id == instance_id)
                               .order_by(DocumentView.viewed_at, DocumentView.id)).all()
    return [{"attachment_id": r.attachment_id, "filename": r.filename, "username": r.username,
             "viewed_at": r.viewed_at.isoformat()} for r in rows]
