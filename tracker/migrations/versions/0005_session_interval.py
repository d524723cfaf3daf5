"""watch sessions keep the heartbeat interval their player was last asked for

Revision ID: 0005_session_interval
Revises: 0004_exams
Create Date: 2026-12-02 05:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0005_session_interval"
down_revision = "0004_exams"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("watch_sessions") as batch:
        batch.add_column(sa.Column("interval_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("watch_sessions") as batch:
        batch.drop_column("interval_ms")
