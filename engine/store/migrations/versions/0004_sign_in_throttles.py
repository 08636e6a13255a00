"""Sign-in throttled per user name and source address (no account lock-out), and the index an applicant's upload
quota is summed from.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import engine.store.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", engine.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failure_at", engine.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", engine.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "source", name="uq_sign_in_throttles_username_source"),
    )
    op.create_index("ix_sign_in_throttles_last_failure", "sign_in_throttles", ["last_failure_at"])
    op.create_index("ix_attachments_uploader", "attachments", ["uploaded_by", "size"])


def downgrade() -> None:
    op.drop_index("ix_attachments_uploader", "attachments")
    op.drop_index("ix_sign_in_throttles_last_failure", "sign_in_throttles")
    op.drop_table("sign_in_throttles")
