"""A table of revision counters: ``auth`` moves with every change to users and API tokens, so cached bearer
tokens are checked against one indexed read and a revocation takes effect at once in every process.

Revision ID: 0010
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revisions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute("INSERT INTO revisions (name, value) VALUES ('auth', 0)")


def downgrade() -> None:
    op.drop_table("revisions")
