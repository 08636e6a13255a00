"""The database schema (SQLAlchemy 2 typed mappings); changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns timezone-aware UTC on every backend (SQLite forgets offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """The Core table of a mapped class, for the hot paths written as plain statements."""
    return cast(Table, model.__table__)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(40), index=True)
    county: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A worker account's topics: the external tasks it may fetch, the messages and signals it may send.
    topics: Mapped[list[str] | None] = mapped_column(JSON)
    # Where notifications reach the person (engine/notify/), and which channels they chose per kind of message.
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20), index=True)
    notification_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class ProcessModel(Base):
    """One deployed version of a flow; its files are immutable once stored."""

    __tablename__ = "process_models"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_process_models_key_version"),
        Index("ix_process_models_key_hash", "key", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(80), default="")
    # "disk" (`onestop deploy`) or "platform" (the web designer, the API): a deployment from disk leaves a flow
    # alone whose newest version was made on the platform (engine/cases/deployment.py).
    source: Mapped[str] = mapped_column(String(20), default="platform", server_default="platform")
    # Deployed flows this version calls by callActivity: process id -> the model id it was linked to.
    links: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)

    files: Mapped[list[ProcessFile]] = relationship(
        back_populates="model", cascade="all, delete-orphan", order_by="ProcessFile.filename", lazy="select")


class ProcessFile(Base):
    __tablename__ = "process_files"
    __table_args__ = (UniqueConstraint("model_id", "filename", name="uq_process_files_model_filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    model: Mapped[ProcessModel] = relationship(back_populates="files")


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (
        Index("ix_process_instances_status_model", "status", "model_key"),
        Index("ix_process_instances_next_due_at", "next_due_at"),
        # The timer sweep: active cases in due order, so a sweep reads the due ones only (SQLite needs it).
        Index("ix_process_instances_status_next_due_at", "status", "next_due_at"),
        Index("ix_process_instances_business_key", "business_key"),
        Index("ix_process_instances_created_at", "created_at"),
        Index("ix_process_instances_county", "county"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_models.id"))
    model_key: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    business_key: Mapped[str | None] = mapped_column(String(120))
    county: Mapped[str | None] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    error_task: Mapped[str | None] = mapped_column(String(255))
    pending: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    # Since when the working-day deadlines have not run: set while the case is suspended (engine/cases/clock.py).
    clock_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 0 普通, 1 紧急, 2 特急 (engine/cases/priority.py); copied onto the case's task rows for the task lists.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": lock_version}


OPEN_TASK = text("state IN ('open', 'claimed')")


class HumanTask(Base):
    """The task-list projection: one row per user task a person must act on."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id", name="uq_human_tasks_instance_spiff_task"),
        Index("ix_human_tasks_department_state_due", "department", "state", "due_at"),
        Index("ix_human_tasks_department_county_state", "department", "county", "state"),
        Index("ix_human_tasks_assignee_state", "assignee", "state"),
        Index("ix_human_tasks_state_due", "state", "due_at"),
        Index("ix_human_tasks_instance", "instance_id"),
        Index("ix_human_tasks_state_ended", "state", "ended_at"),
        # The department task list: a department's (and county's) open tasks in due order, one page read.
        Index("ix_human_tasks_open_department_due", "department", "due_at", "id",
              sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK),
        Index("ix_human_tasks_open_department_county_due", "department", "county", "due_at", "id",
              sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK),
        # The task list sorted by priority: one due-ordered range per priority level (tasks/listing.py).
        Index("ix_human_tasks_open_department_priority_due", "department", "priority", "due_at", "id",
              sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    model_key: Mapped[str] = mapped_column(String(120))
    lane: Mapped[str | None] = mapped_column(String(120))
    department: Mapped[str | None] = mapped_column(String(40))
    county: Mapped[str | None] = mapped_column(String(40))
    assignee: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str] = mapped_column(String(20))
    process_id: Mapped[str | None] = mapped_column(String(120))  # the (sub)process holding the task
    form_file: Mapped[str | None] = mapped_column(String(255))
    ui_form_file: Mapped[str | None] = mapped_column(String(255))
    instructions: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(80))
    # Set while the task's deadline does not run (case suspended; materials out for correction): 已暂停计时.
    clock_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The case's priority (ProcessInstance.priority), kept here so a task list sorts and filters by it in SQL.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Comment(Base):
    """A remark on a case, or on one of its tasks (task_id), by someone who may see the case (tasks/comments.py)."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(Integer)
    author: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HistoryEntry(Base):
    """Append-only record of every action on a flow or an instance."""

    __tablename__ = "history"
    __table_args__ = (
        Index("ix_history_instance", "instance_id", "id"),
        Index("ix_history_action", "action"),
        Index("ix_history_flow_task_action", "model_key", "task_name", "action", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    model_key: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    task_id: Mapped[int | None] = mapped_column(Integer)
    task_name: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CalendarYear(Base):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    official: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(80), default="")


class CalendarDayRow(Base):
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(80), default="")


class Attachment(Base):
    """An uploaded document (ID copy, photo, approval form, certification proof), kept outside task data;
    task data holds only ``{"attachment_id", "filename"}``."""

    __tablename__ = "attachments"
    __table_args__ = (
        Index("ix_attachments_instance", "instance_id"),
        # An applicant's quota (tasks/attachments.py) summed from the index alone, never from rows and their bytes.
        Index("ix_attachments_uploader", "uploaded_by", "size"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(120), default="")
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentView(Base):
    """Who opened which document of a case, and when: the audit of access to applicants' papers. It keeps the
    document's id and name without a foreign key to it, so the record outlives a deleted document."""

    __tablename__ = "document_views"
    __table_args__ = (Index("ix_document_views_instance", "instance_id", "viewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    attachment_id: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    username: Mapped[str] = mapped_column(String(80))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignInThrottle(Base):
    """Failed sign-ins from one source address for one user name as typed — or, under the name ``*``, for every
    name — with when the next attempt may come (engine/people/throttle.py). Nothing here locks an account."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (
        UniqueConstraint("username", "source", name="uq_sign_in_throttles_username_source"),
        Index("ix_sign_in_throttles_last_failure", "last_failure_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SavedFilter(Base):
    """A task-list filter a user saved under a name (server-side, so it follows them between devices)."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("username", "name", name="uq_saved_filters_user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The integration tables (external tasks, event subscriptions, the outbox) live in their own module; importing it
# here puts them in Base.metadata wherever the schema is made or compared.
from engine.store import integration_tables as integration_tables  # noqa: E402

UNREAD = text("channel = 'in_app' AND read_at IS NULL")


class Notification(Base):
    """One message to one recipient over one channel, written in the transaction of the change that causes it (the
    outbox). In-app rows are delivered as they are written (the bell reads them); email, SMS and group-robot rows
    wait for the worker (engine/notify/delivery.py), which claims each before sending it, so none is sent twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient", "recipient", "channel", "id"),
        # The bell on every page: a person's unread count, read from this index alone.
        Index("ix_notifications_unread", "recipient", sqlite_where=UNREAD, postgresql_where=UNREAD),
        # The worker's claim: the due rows of the channels it can send (engine/notify/delivery.py).
        Index("ix_notifications_due", "state", "channel", "next_attempt_at"),
        Index("ix_notifications_channel_state", "channel", "state", "id"),
        Index("ix_notifications_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # in_app, email, sms, webhook
    recipient: Mapped[str] = mapped_column(String(80))  # a user name; a department code (webhook)
    address: Mapped[str | None] = mapped_column(String(254))  # a number from the case data, not an account's
    kind: Mapped[str] = mapped_column(String(40))  # the template
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10))  # pending, sending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    batch_id: Mapped[int | None] = mapped_column(Integer)  # the row whose message carried this one (a digest)
    resend_of: Mapped[int | None] = mapped_column(Integer)


class TaskNotice(Base):
    """A time-based notice sent for a task (deadline near, overdue) at one deadline: each is sent once."""

    __tablename__ = "task_notices"
    __table_args__ = (UniqueConstraint("task_id", "kind", "due_at", name="uq_task_notices_task_kind_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MobileVerification(Base):
    """A code sent by SMS to prove a mobile number (an applicant registering): kept hashed, expiring, with the
    wrong guesses counted (engine/people/registration.py)."""

    __tablename__ = "mobile_verifications"
    __table_args__ = (
        Index("ix_mobile_verifications_mobile", "mobile", "created_at"),
        Index("ix_mobile_verifications_source", "source", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(100))  # salt$sha256
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
class Revision(Base):
    """A counter that other processes compare with what they cached (engine/store/revisions.py): ``auth`` moves
    whenever a user or an API token changes (engine/people/tokens.py), so every server process drops its cached
    bearer tokens at once; ``flows`` with every new version of a flow (engine/cases/deployment.py)."""

    __tablename__ = "revisions"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)
