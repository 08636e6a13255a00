"""Where each version of a flow was deployed from: the files on disk (`onestop deploy`) or the platform (the web
designer or the API), so a deployment from disk never supersedes a newer version made on the platform.

Revision ID: 0006
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_models") as batch:
        batch.add_column(sa.Column("source", sa.String(length=20), nullable=False, server_default="platform"))
    # Versions deployed before the column existed: the command line deployed as "cli:<user>".
    op.execute("UPDATE process_models SET source = 'disk' WHERE deployed_by LIKE 'cli:%'")


def downgrade() -> None:
    with op.batch_alter_table("process_models") as batch:
        batch.drop_column("source")
