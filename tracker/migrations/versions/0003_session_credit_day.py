"""session credits carry the day they are dated by; index them year first

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 21:30:00

"""
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

from tracker.core.calendar import credit_day
from tracker.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

credits = sa.table(
    "session_credits",
    sa.column("session_id", sa.String),
    sa.column("year", sa.Integer),
    sa.column("day", sa.Date),
)
sessions = sa.table(
    "watch_sessions", sa.column("id", sa.String), sa.column("opened_at", UTCDateTime)
)


def upgrade():
    with op.batch_alter_table("session_credits") as batch_op:
        batch_op.add_column(sa.Column("day", sa.Date(), nullable=True))
    _date_existing_credits(current_app.config["TIMEZONE"])
    with op.batch_alter_table("session_credits") as batch_op:
        batch_op.alter_column("day", existing_type=sa.Date(), nullable=False)
        batch_op.drop_index("ix_session_credits_user_year")
        batch_op.create_index("ix_session_credits_year_user", ["year", "user_id"], unique=False)


def _date_existing_credits(timezone: str) -> None:
    """day = `credit_day`: the session's local opening day, or 1 January of a later year."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(
            sa.text(
                "UPDATE session_credits c SET day = greatest("
                "(s.opened_at AT TIME ZONE :tz)::date, make_date(c.year, 1, 1)) "
                "FROM watch_sessions s WHERE s.id = c.session_id"
            ),
            {"tz": timezone},
        )
        return
    tz = ZoneInfo(timezone)
    rows = bind.execute(
        sa.select(credits.c.session_id, credits.c.year, sessions.c.opened_at).join(
            sessions, sessions.c.id == credits.c.session_id
        )
    ).all()
    updates = [
        {"s": session_id, "y": year, "d": credit_day(opened_at, year, tz)}
        for session_id, year, opened_at in rows
    ]
    if updates:
        bind.execute(
            credits.update()
            .where(credits.c.session_id == sa.bindparam("s"), credits.c.year == sa.bindparam("y"))
            .values(day=sa.bindparam("d")),
            updates,
        )


def downgrade():
    with op.batch_alter_table("session_credits") as batch_op:
        batch_op.drop_index("ix_session_credits_year_user")
        batch_op.create_index("ix_session_credits_user_year", ["user_id", "year"], unique=False)
        batch_op.drop_column("day")
