"""The stopped clock: when a case's working-day deadlines stopped running (suspended, or materials out for
correction), and which open tasks show 已暂停计时.

Revision ID: 0005
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instances") as batch:
        batch.add_column(sa.Column("clock_stopped_at", engine.store.models.UTCDateTime(timezone=True),
                                   nullable=True))
    with op.batch_alter_table("human_tasks") as batch:
        batch.add_column(sa.Column("clock_stopped_at", engine.store.models.UTCDateTime(timezone=True),
                                   nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("human_tasks") as batch:
        batch.drop_column("clock_stopped_at")
    with op.batch_alter_table("process_instances") as batch:
        batch.drop_column("clock_stopped_at")
