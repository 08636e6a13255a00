"""Notifications: users' contact details and channel choices, the outbox of messages (in-app, email, SMS, group
robot), the time-based notices sent once per task and deadline, and the SMS codes that prove a mobile number.

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNREAD = sa.text("channel = 'in_app' AND read_at IS NULL")


def _moment(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, engine.store.models.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("mobile", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("notification_settings", sa.JSON(), nullable=True))
    op.create_index("ix_users_mobile", "users", ["mobile"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        _moment("created_at", nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("next_attempt_at"),
        _moment("claimed_at"),
        _moment("sent_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        _moment("read_at"),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("resend_of", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notifications_recipient", "notifications", ["recipient", "channel", "id"])
    op.create_index("ix_notifications_unread", "notifications", ["recipient"], sqlite_where=UNREAD,
                    postgresql_where=UNREAD)
    op.create_index("ix_notifications_due", "notifications", ["state", "channel", "next_attempt_at"])
    op.create_index("ix_notifications_channel_state", "notifications", ["channel", "state", "id"])
    op.create_index("ix_notifications_instance", "notifications", ["instance_id"])
    op.create_table(
        "task_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        _moment("due_at", nullable=False),
        _moment("created_at", nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["human_tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "kind", "due_at", name="uq_task_notices_task_kind_due"),
    )
    op.create_table(
        "mobile_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=100), nullable=False),
        _moment("created_at", nullable=False),
        _moment("expires_at", nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("used_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mobile_verifications_mobile", "mobile_verifications", ["mobile", "created_at"])
    op.create_index("ix_mobile_verifications_source", "mobile_verifications", ["source", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_mobile_verifications_source", "mobile_verifications")
    op.drop_index("ix_mobile_verifications_mobile", "mobile_verifications")
    op.drop_table("mobile_verifications")
    op.drop_table("task_notices")
    for name in ("ix_notifications_instance", "ix_notifications_channel_state", "ix_notifications_due",
                 "ix_notifications_unread", "ix_notifications_recipient"):
        op.drop_index(name, "notifications")
    op.drop_table("notifications")
    op.drop_index("ix_users_mobile", "users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notification_settings")
        batch.drop_column("mobile")
        batch.drop_column("email")
