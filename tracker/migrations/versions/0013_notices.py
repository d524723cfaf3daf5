"""in-app notices

Revision ID: 0013_notices
Revises: 0012_corrections
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.models.base import UTCDateTime

revision = "0013_notices"
down_revision = "0012_corrections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("once_key", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_notices_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        sa.UniqueConstraint("user_id", "once_key", name="uq_notices_user_id"),
    )
    op.create_index("ix_notices_user_read", "notices", ["user_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_user_read", table_name="notices")
    op.drop_table("notices")
