"""Comments on cases and tasks, and a priority (普通/紧急/特急) on cases and their task rows.

Revision ID: 0009
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN_TASK = sa.text("state IN ('open', 'claimed')")


def upgrade() -> None:
    with op.batch_alter_table("process_instances") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("human_tasks") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_human_tasks_open_department_priority_due", "human_tasks",
                    ["department", "priority", "due_at", "id"], sqlite_where=OPEN_TASK, postgresql_where=OPEN_TASK)
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instances.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", engine.store.models.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_comments_instance", "comments", ["instance_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_comments_instance", table_name="comments")
    op.drop_table("comments")
    op.drop_index("ix_human_tasks_open_department_priority_due", table_name="human_tasks")
    with op.batch_alter_table("human_tasks") as batch:
        batch.drop_column("priority")
    with op.batch_alter_table("process_instances") as batch:
        batch.drop_column("priority")
