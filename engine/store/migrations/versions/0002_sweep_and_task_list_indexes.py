"""Indexes for the timer sweep and the department task list at scale.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('open', 'claimed')")


def upgrade() -> None:
    op.create_index("ix_process_instances_status_next_due_at", "process_instances", ["status", "next_due_at"])
    op.create_index("ix_human_tasks_open_department_due", "human_tasks", ["department", "due_at", "id"],
                    sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index("ix_human_tasks_open_department_county_due", "human_tasks",
                    ["department", "county", "due_at", "id"], sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_human_tasks_open_department_county_due", "human_tasks")
    op.drop_index("ix_human_tasks_open_department_due", "human_tasks")
    op.drop_index("ix_process_instances_status_next_due_at", "process_instances")
