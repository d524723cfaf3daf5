"""browser logins are kept server-side, so that logging out ends them

Revision ID: 0006_sign_ins
Revises: 0006_usernames
Create Date: 2026-12-02 10:10:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.models.base import UTCDateTime

revision = "0006_sign_ins"
down_revision = "0006_usernames"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
    )
    op.create_index(op.f("ix_sign_ins_user_id"), "sign_ins", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_ins_user_id"), table_name="sign_ins")
    op.drop_table("sign_ins")
