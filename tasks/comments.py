"""Comments on a case and on its tasks: a thread on the case page and the task page, kept in the case history,
read by everyone who may see the case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.cases.instances import get_visible
from engine.errors import Conflict, InvalidInput, NotFound
from engine.people.identity import Actor
from engine.store.history import add_history
from engine.store.models import Comment, HumanTask
from engine.store.uow import UnitOfWork

#: Characters of one comment.
MAX_COMMENT_CHARS = 2000
#: Comments one case may hold (a thread people read, not a chat log); the next one is refused with 409.
MAX_COMMENTS_PER_CASE = 500
_CONTROL = {chr(c) for c in range(32)} - {"\n", "\t"}


def _text(body: Any) -> str:
    text = body.strip() if isinstance(body, str) else ""
    if not text or len(text) > MAX_COMMENT_CHARS or any(c in _CONTROL for c in text):
        raise InvalidInput(f"a comment is text of 1 to {MAX_COMMENT_CHARS} characters",
                           details=[{"field": "text", "message": f"1 to {MAX_COMMENT_CHARS} characters",
                                     "message_zh": f"请填写意见内容（不超过{MAX_COMMENT_CHARS}字）"}])
    return text


def comment_view(comment: Comment, task_titles: dict[int, str] | None = None) -> dict[str, Any]:
    return {"id": comment.id, "instance_id": comment.instance_id, "task_id": comment.task_id,
            "task_title": (task_titles or {}).get(comment.task_id or 0), "author": comment.author,
            "text": comment.body, "created_at": comment.created_at.isoformat()}


def add_comment(instance_id: int, body: Any, *, task_id: int | None = None, actor: Actor, uow: UnitOfWork,
                now: datetime) -> dict[str, Any]:
    """A comment on the case (or on one of its tasks) by someone who may see it; also a line of its history."""
    text = _text(body)
    row = get_visible(instance_id, actor=actor, uow=uow)
    task_name = None
    if task_id is not None:
        task = uow.session.get(HumanTask, task_id)
        if task is None or task.instance_id != row.id:
            raise NotFound(f"no task {task_id} in case {instance_id}")
        task_name = task.name
    count = uow.session.scalar(select(func.count()).select_from(Comment).where(Comment.instance_id == row.id)) or 0
    if count >= MAX_COMMENTS_PER_CASE:
        raise Conflict(f"the case holds {MAX_COMMENTS_PER_CASE} comments, the most one case keeps",
                       details=[{"message_zh": f"此案件的意见已达上限（{MAX_COMMENTS_PER_CASE}条）"}])
    comment = Comment(instance_id=row.id, task_id=task_id, author=actor.username, body=text, created_at=now)
    uow.session.add(comment)
    uow.flush()
    add_history(uow, instance_id=row.id, model_key=row.model_key, action="comment", actor=actor.username, now=now,
                task_id=task_id, task_name=task_name, details={"comment_id": comment.id, "note": text})
    return comment_view(comment)


def case_comments(instance_id: int, *, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """The case's comments, oldest first, each with the title of the task it is about."""
    row = get_visible(instance_id, actor=actor, uow=uow)
    comments = uow.session.scalars(select(Comment).where(Comment.instance_id == row.id).order_by(Comment.id)
                                   .limit(MAX_COMMENTS_PER_CASE)).all()
    ids = {c.task_id for c in comments if c.task_id is not None}
    titles = dict(uow.session.execute(select(HumanTask.id, HumanTask.title).where(HumanTask.id.in_(ids))).all()) \
        if ids else {}
    return [comment_view(c, titles) for c in comments]


def task_comments(task_id: int, *, actor: Actor, uow: UnitOfWork) -> list[dict[str, Any]]:
    """The comments about one task (for the API's task resource)."""
    task = uow.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return [c for c in case_comments(task.instance_id, actor=actor, uow=uow) if c["task_id"] == task_id]


def comment_on_task(task_id: int, body: Any, *, actor: Actor, uow: UnitOfWork, now: datetime) -> dict[str, Any]:
    task = uow.session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"no task {task_id}")
    return add_comment(task.instance_id, body, task_id=task_id, actor=actor, uow=uow, now=now)
