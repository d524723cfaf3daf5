"""flags for review, time taken back from the archive, where and how sessions were watched

Revision ID: 0007_flags
Revises: 0006_sign_ins
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.models.base import UTCDateTime

revision = "0007_flags"
down_revision = "0006_sign_ins"
branch_labels = None
depends_on = None

SESSION_COLUMNS = (
    ("client_address", sa.String(64)),
    ("device_id", sa.String(64)),
    ("beats", sa.Integer()),
    ("gap_sum_ms", sa.BigInteger()),
    ("gap_square_sum", sa.BigInteger()),
    ("streak_ms", sa.BigInteger()),
    ("longest_live_ms", sa.BigInteger()),
    ("breaks", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("watch_sessions") as batch:
        for name, type_ in SESSION_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figure_ms", sa.BigInteger(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("deducted_ms", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status in ('open', 'dismissed', 'deducted')", name=op.f("ck_flags_status")
        ),
        sa.CheckConstraint(
            "deducted_ms is null or deducted_ms > 0", name=op.f("ck_flags_deducted_positive")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_flags_user_id_users")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_flags_reviewer_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flags")),
        sa.UniqueConstraint("user_id", "rule", "key", name=op.f("uq_flags_user_id")),
    )
    op.create_index("ix_flags_status_year", "flags", ["status", "year"])
    op.create_index("ix_flags_user_year", "flags", ["user_id", "year"])
    op.create_table(
        "taken_back",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(16), nullable=True),
        sa.Column("ms", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("against", sa.String(500), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("ms > 0", name=op.f("ck_taken_back_ms_positive")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_taken_back_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["flags.id"], name=op.f("fk_taken_back_flag_id_flags")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taken_back")),
    )
    op.create_index("ix_taken_back_year_user", "taken_back", ["year", "user_id"])
    op.create_index(op.f("ix_taken_back_flag_id"), "taken_back", ["flag_id"])


def downgrade() -> None:
    op.drop_table("taken_back")
    op.drop_table("flags")
    with op.batch_alter_table("watch_sessions") as batch:
        for name, _ in reversed(SESSION_COLUMNS):
            batch.drop_column(name)
