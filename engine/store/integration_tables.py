"""The tables of the platform's dealings with other systems: jobs for external workers, what each case waits for
(messages, signals), and the messages and signals cases threw, until they are delivered (engine/integration/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, UTCDateTime

OPEN_JOB = text("state IN ('waiting', 'locked')")
UNDELIVERED = text("delivered_at IS NULL")


class ExternalTask(Base):
    """A job for an external worker: a service task that waits for the outside system its topic names.

    ``state``: ``waiting`` (to fetch once ``available_at`` has come), ``locked`` (a worker holds it until
    ``lock_expires_at``; expired, any worker may take it), ``failed`` (no retries left: the case is in error
    until an administrator retries it), ``completed``, ``cancelled`` (the case went on without it)."""

    __tablename__ = "external_tasks"
    __table_args__ = (
        UniqueConstraint("instance_id", "spiff_task_id", name="uq_external_tasks_instance_spiff_task"),
        # fetch-and-lock: per topic, the open jobs in the order they became available
        Index("ix_external_tasks_open_topic_available", "topic", "available_at", "id",
              sqlite_where=OPEN_JOB, postgresql_where=OPEN_JOB),
        Index("ix_external_tasks_topic_state", "topic", "state"),
        Index("ix_external_tasks_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    model_key: Mapped[str] = mapped_column(String(120))
    element: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    topic: Mapped[str] = mapped_column(String(120))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_variable: Mapped[str] = mapped_column(String(120))
    state: Mapped[str] = mapped_column(String(20))
    retries: Mapped[int | None] = mapped_column(Integer)  # as the worker last reported (None: not yet)
    initial_retries: Mapped[int | None] = mapped_column(Integer)  # the diagram's spiffworkflow:retry, if any
    worker_id: Mapped[str | None] = mapped_column(String(120))
    locked_by: Mapped[str | None] = mapped_column(String(80))  # the worker account that holds the lock
    lock_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lock_expiries: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EventSubscription(Base):
    """A message or signal a case waits for now, with the correlation values a message must carry to reach it
    (None: any). Rewritten from each run's result, so delivery finds its cases by index, never by loading them."""

    __tablename__ = "event_subscriptions"
    __table_args__ = (
        Index("ix_event_subscriptions_kind_name_hash", "kind", "name", "correlation_hash"),
        Index("ix_event_subscriptions_instance", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # message, signal
    name: Mapped[str] = mapped_column(String(255))
    element: Mapped[str] = mapped_column(String(255))
    correlation_key: Mapped[str | None] = mapped_column(String(255))
    correlation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    correlation_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxEvent(Base):
    """A message or signal a case threw out of itself, written with the case and delivered after the commit (by
    the request that threw it, else by the sweep): at least once, and once per waiting case (EventDelivery)."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        Index("ix_event_outbox_undelivered", "id", sqlite_where=UNDELIVERED, postgresql_where=UNDELIVERED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(255))
    payload: Mapped[Any] = mapped_column(JSON)
    correlations: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reached: Mapped[list[int]] = mapped_column(JSON, default=list)  # the cases it reached (or started)
    last_error: Mapped[str | None] = mapped_column(Text)


class EventDelivery(Base):
    """That an outbox event reached one case (``case:ID``) or started one (``start:FLOW``): written with that case,
    so a delivery retried after a crash never reaches the same case twice."""

    __tablename__ = "event_deliveries"
    __table_args__ = (UniqueConstraint("outbox_id", "target", name="uq_event_deliveries_outbox_target"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("event_outbox.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(160))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
