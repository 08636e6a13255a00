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

from sqlalchemy import delete, func, select

from engine.bpmn.forms import DOCUMENT_FORMATS, accepted_formats, field_problem, validate_form_data
from engine.cases.instances import can_view, get_visible
from engine.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.store.models import Attachment, DocumentView, HumanTask, ProcessInstance
from engine.store.uow import UnitOfWork

from .service import OPEN, get_task

__all__ = ["MAX_APPLICANT_BYTES", "MAX_BYTES", "MAX_CASE_BYTES", "MAX_CASE_DOCUMENTS", "StoredSubmission",
           "SubmissionRejected", "Upload", "attachment_content", "case_attachments", "discard", "document_views",
           "open_document", "parse_reference", "reference", "sniff", "store_submission"]

#: One document.
MAX_BYTES = 10 * 1024 * 1024
#: Documents one case holds, and their total size; versions a later submission replaced count too (they are
#: kept for the record).
MAX_CASE_DOCUMENTS = 50
MAX_CASE_BYTES = 100 * 1024 * 1024
#: The total size of the documents one applicant has uploaded, over all their cases.
MAX_APPLICANT_BYTES = 300 * 1024 * 1024
# (content type, leading bytes, document format): PDF, JPEG and PNG only (engine.bpmn.forms.DOCUMENT_FORMATS).
KINDS = (
    ("application/pdf", b"%PDF-", "PDF"),
    ("image/jpeg", b"\xff\xd8\xff", "JPG"),
    ("image/png", b"\x89PNG\r\n\x1a\n", "PNG"),
)
ENDINGS = dict(DOCUMENT_FORMATS)  # format -> file name endings
ALL_FORMATS = [name for name, _endings in DOCUMENT_FORMATS]
REFERENCE = re.compile(r"^附件#(\d+) (.+)$")
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"<>|:*?\\/]')
# The id a document about to be stored stands under while its form is checked: as many digits as a real one
# may have, so a rule on the reference's length judges it as it will judge the real reference.
_PENDING_ID = 999_999_999


@dataclass(frozen=True)
class Upload:
    field: str
    filename: str
    content: bytes


class SubmissionRejected(InvalidInput):
    """The form failed its checks; nothing was stored, and ``data`` is what was sent but the new documents."""

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
    return next((kind for kind, magic, _format in KINDS if content.startswith(magic)), None)


def _wrong_format(field: str, formats: list[str]) -> InvalidInput:
    return InvalidInput(f"only {', '.join(formats)} files are accepted here", details=[field_problem(
        field, f"not a {' or '.join(formats)} file", "只接受%(formats)s格式的文件", formats=formats)])


def _checked_name(upload: Upload, formats: list[str]) -> tuple[str, str]:
    """(content type, safe file name) of an upload for a field taking ``formats``, or InvalidInput saying what is
    wrong with it."""
    if not upload.content:
        raise InvalidInput("the file is empty", details=[field_problem(upload.field, "empty file",
                                                                       "文件为空，请重新选择")])
    if len(upload.content) > MAX_BYTES:
        raise InvalidInput("the file is larger than 10 MB", details=[
            field_problem(upload.field, "larger than 10 MB", "文件超过10MB，请压缩后重新上传")])
    kind = sniff(upload.content)
    document_format = next((name for k, _magic, name in KINDS if k == kind), None)
    if document_format is None or document_format not in formats:
        raise _wrong_format(upload.field, formats)
    endings = ENDINGS[document_format]
    name = _UNSAFE.sub("", upload.filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or "附件"
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in {e for all_endings in ENDINGS.values() for e in all_endings}:
        if f".{suffix.lower()}" not in endings:
            raise InvalidInput("the file's name does not match its content", details=[field_problem(
                upload.field, f"the content is {document_format}",
                "文件扩展名与文件内容不符（文件内容为%(format)s），请检查后重新上传", format=document_format)])
    else:
        stem, suffix = name, endings[0][1:]
    return str(kind), f"{stem[:100]}.{suffix}"


def _may_submit(task: dict[str, Any], actor: Actor) -> None:
    if not task["may_act"]:
        raise PermissionDenied("this task belongs to another department or county")
    if task["state"] not in OPEN:
        raise Conflict(f"the task is {task['state']}, no longer open")
    if task["state"] == "claimed" and task["assignee"] != actor.username:
        raise Conflict(f"the task is held by {task['assignee']}: claim it only after they release it")


def _store(task: dict[str, Any], upload: Upload, kind: str, filename: str, *, actor: Actor, uow: UnitOfWork,
           now: datetime) -> str:
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
    return [field_problem(key, "not a document of this case", "附件无效，请重新上传")
            for key, attachment_id in wanted.items() if attachment_id not in own]


def _quota_problems(task: dict[str, Any], uploads: list[Upload], actor: Actor,
                    uow: UnitOfWork) -> list[dict[str, Any]]:
    """The case's quota (MAX_CASE_DOCUMENTS, MAX_CASE_BYTES) and, for an applicant, theirs (MAX_APPLICANT_BYTES),
    with these uploads added."""
    if not uploads:
        return []
    adding, field = sum(len(u.content) for u in uploads), uploads[0].field
    count, size = uow.session.execute(select(func.count(), func.coalesce(func.sum(Attachment.size), 0))
                                      .where(Attachment.instance_id == task["instance_id"])).one()
    problems = []
    if count + len(uploads) > MAX_CASE_DOCUMENTS or size + adding > MAX_CASE_BYTES:
        problems.append(field_problem(
            field, f"the case would hold more than {MAX_CASE_DOCUMENTS} documents or "
                   f"{MAX_CASE_BYTES // 2**20} MB; ask the service window",
            "此案件的材料已达上限（最多%(documents)s份、合计%(megabytes)sMB），请联系窗口工作人员",
            documents=MAX_CASE_DOCUMENTS, megabytes=MAX_CASE_BYTES // 2**20))
    if actor.role == "applicant":
        mine = uow.session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                                  .where(Attachment.uploaded_by == actor.username)) or 0
        if mine + adding > MAX_APPLICANT_BYTES:
            problems.append(field_problem(
                field, f"your documents would exceed {MAX_APPLICANT_BYTES // 2**20} MB in all; ask the service window",
                "您上传的材料合计将超过%(megabytes)sMB的上限，请联系窗口工作人员",
                megabytes=MAX_APPLICANT_BYTES // 2**20))
    return problems


@dataclass(frozen=True)
class StoredSubmission:
    """A form that passed its checks: its data, with references to the documents stored for it."""

    task_id: int
    data: dict[str, Any]
    attachment_ids: list[int]


def store_submission(task_id: int, data: dict[str, Any], uploads: list[Upload], *, actor: Actor,
                     uow: UnitOfWork, now: datetime) -> StoredSubmission:
    """Check the form with its documents and, only when everything passes, store the documents and put their
    references into ``data`` — the first of a submission's two units of work; the second completes the task
    (:func:`tasks.service.complete_task`, in a unit that may run the case's diagram) and, if that fails,
    :func:`discard` takes the documents away again.

    When anything fails, nothing is stored: SubmissionRejected carries every problem, and the data without the
    new documents (each of their fields says to choose the file again)."""
    task = get_task(task_id, actor=actor, uow=uow)
    _may_submit(task, actor)
    schema = task["form_schema"] or {}
    properties = schema.get("properties") or {}
    data = dict(data)
    problems: list[dict[str, Any]] = []
    checked: list[tuple[Upload, str, str]] = []
    for upload in uploads:
        if upload.field not in properties:
            problems.append(field_problem(upload.field, "not a field of this form", "不是此表单的字段"))
            continue
        try:
            kind, filename = _checked_name(upload, accepted_formats(properties[upload.field]) or ALL_FORMATS)
        except InvalidInput as error:
            problems += error.details
            data.pop(upload.field, None)
            continue
        checked.append((upload, kind, filename))
        data[upload.field] = reference(_PENDING_ID, filename)
    uploading = {upload.field for upload, _kind, _name in checked}
    problems += _quota_problems(task, [upload for upload, _kind, _name in checked], actor, uow)
    problems += _foreign_references({k: v for k, v in data.items() if k not in uploading}, task["instance_id"], uow)
    try:
        validate_form_data(schema, data)
    except InvalidInput as error:
        failed = {p["field"] for p in problems}
        problems += [d for d in error.details if d.get("field") not in failed]
    if problems:
        failed = {p["field"] for p in problems}
        problems += [field_problem(name, "not stored: choose the file again", "提交未成功，所选文件未保存，请重新选择")
                     for name in sorted(uploading - failed)]
        raise SubmissionRejected("the data does not satisfy the task's form", details=problems,
                                 data={k: v for k, v in data.items() if k not in uploading})
    stored = []
    for upload, kind, filename in checked:
        data[upload.field] = _store(task, upload, kind, filename, actor=actor, uow=uow, now=now)
        stored.append(parse_reference(data[upload.field])[0])  # type: ignore[index]
    return StoredSubmission(task_id, data, stored)


def discard(submission: StoredSubmission, *, uow: UnitOfWork) -> None:
    """Take away the documents stored for a submission whose task could not be completed."""
    if submission.attachment_ids:
        uow.begin_write()
        uow.session.execute(delete(Attachment).where(Attachment.id.in_(submission.attachment_ids)))


def case_attachments(instance_id: int, *, actor: Actor, uow: UnitOfWork,
                     include_replaced: bool = False) -> list[dict[str, Any]]:
    """The documents of a case the actor may see, oldest first (without their content). A document is
    ``replaced`` when a later one was uploaded for the same field of the same (sub)process — the corrected
    photo after a return for correction: the list of the case's materials shows the current ones only, unless
    ``include_replaced`` (their references in earlier steps still open them)."""
    get_visible(instance_id, actor=actor, uow=uow)
    rows = uow.session.execute(
        select(Attachment.id, Attachment.task_id, Attachment.field, Attachment.filename, Attachment.content_type,
               Attachment.size, Attachment.uploaded_by, Attachment.uploaded_at, HumanTask.process_id)
        .outerjoin(HumanTask, HumanTask.id == Attachment.task_id)
        .where(Attachment.instance_id == instance_id).order_by(Attachment.id)).all()
    latest = {(row.process_id, row.field): row.id for row in rows}
    documents = []
    for row in rows:
        document = {k: v for k, v in row._mapping.items() if k != "process_id"}
        document["replaced"] = latest[(row.process_id, row.field)] != row.id
        if include_replaced or not document["replaced"]:
            documents.append(document)
    return documents


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
