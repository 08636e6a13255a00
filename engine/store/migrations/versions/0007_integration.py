"""Talking to other systems: jobs for external workers (service tasks), what each case waits for (message and
signal subscriptions), the outbox of messages and signals cases threw with their deliveries, and the topics of
worker accounts.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TIME = engine.store.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("topics", sa.JSON(), nullable=True))
    op.create_table(
        "external_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("model_key", sa.String(length=120), nullable=False),
        sa.Column("element", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("result_variable", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=True),
        sa.Column("initial_retries", sa.Integer(), nullable=True),
        sa.Column("worker_id", sa.String(length=120), nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("lock_expires_at", _TIME, nullable=True),
        sa.Column("available_at", _TIME, nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("lock_expiries", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("ended_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("instance_id", "spiff_task_id", name="uq_external_tasks_instance_spiff_task"),
    )
    open_job = sa.text("state IN ('waiting', 'locked')")
    op.create_index("ix_external_tasks_open_topic_available", "external_tasks", ["topic", "available_at", "id"],
                    sqlite_where=open_job, postgresql_where=open_job)
    op.create_index("ix_external_tasks_topic_state", "external_tasks", ["topic", "state"])
    op.create_index("ix_external_tasks_instance", "external_tasks", ["instance_id"])
    op.create_table(
        "event_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("element", sa.String(length=255), nullable=False),
        sa.Column("correlation_key", sa.String(length=255), nullable=True),
        sa.Column("correlation", sa.JSON(), nullable=True),
        sa.Column("correlation_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["instance_id"], ["process_instances.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_subscriptions_kind_name_hash", "event_subscriptions",
                    ["kind", "name", "correlation_hash"])
    op.create_index("ix_event_subscriptions_instance", "event_subscriptions", ["instance_id"])
    op.create_table(
        "event_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_instance_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("correlations", sa.JSON(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("delivered_at", _TIME, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reached", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["source_instance_id"], ["process_instances.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    undelivered = sa.text("delivered_at IS NULL")
    op.create_index("ix_event_outbox_undelivered", "event_outbox", ["id"], sqlite_where=undelivered,
                    postgresql_where=undelivered)
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=160), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("delivered_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(["outbox_id"], ["event_outbox.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("outbox_id", "target", name="uq_event_deliveries_outbox_target"),
    )


def downgrade() -> None:
    op.drop_table("event_deliveries")
    op.drop_index("ix_event_outbox_undelivered", table_name="event_outbox")
    op.drop_table("event_outbox")
    op.drop_index("ix_event_subscriptions_instance", table_name="event_subscriptions")
    op.drop_index("ix_event_subscriptions_kind_name_hash", table_name="event_subscriptions")
    op.drop_table("event_subscriptions")
    op.drop_index("ix_external_tasks_instance", table_name="external_tasks")
    op.drop_index("ix_external_tasks_topic_state", table_name="external_tasks")
    op.drop_index("ix_external_tasks_open_topic_available", table_name="external_tasks")
    op.drop_table("external_tasks")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("topics")
