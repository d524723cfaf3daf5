"""corrections: withdrawn and revoked records, voided attendance, an external training's days,
absence and assessment, and each user's preferred language

Revision ID: 0012_corrections
Revises: 0005_session_interval
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012_corrections"
down_revision = "0005_session_interval"
branch_labels = None
depends_on = None

RECORD_STATUSES_BEFORE = "status in ('pending', 'approved', 'rejected')"
RECORD_STATUSES = "status in ('pending', 'approved', 'rejected', 'withdrawn', 'revoked')"
ATTENDANCE_BEFORE = "status in ('approved', 'confirmed')"
ATTENDANCE = "status in ('approved', 'confirmed', 'voided')"
ABSENCE = "absent_fraction is null or (absent_fraction >= 0 and absent_fraction <= 1)"


def upgrade() -> None:
    with op.batch_alter_table("learning_records") as batch:
        batch.drop_constraint(op.f("ck_learning_records_status"), type_="check")
        batch.create_check_constraint(op.f("ck_learning_records_status"), RECORD_STATUSES)
        batch.add_column(sa.Column("days", sa.Numeric(6, 1), nullable=True))
        batch.add_column(sa.Column("absent_fraction", sa.Float(), nullable=True))
        batch.add_column(sa.Column("assessment", sa.String(16), nullable=True))
        batch.create_check_constraint(op.f("ck_learning_records_absent_fraction"), ABSENCE)
    with op.batch_alter_table("training_participants") as batch:
        batch.drop_constraint(op.f("ck_training_participants_status"), type_="check")
        batch.create_check_constraint(op.f("ck_training_participants_status"), ATTENDANCE)
        batch.add_column(sa.Column("voided_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=False, server_default=""))
        batch.create_foreign_key(
            op.f("fk_training_participants_voided_by_users"), "users", ["voided_by"], ["id"]
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
    op.execute("delete from training_participants where status = 'voided'")
    with op.batch_alter_table("training_participants") as batch:
        batch.drop_constraint(op.f("fk_training_participants_voided_by_users"), type_="foreignkey")
        batch.drop_column("void_reason")
        batch.drop_column("voided_at")
        batch.drop_column("voided_by")
        batch.drop_constraint(op.f("ck_training_participants_status"), type_="check")
        batch.create_check_constraint(op.f("ck_training_participants_status"), ATTENDANCE_BEFORE)
    op.execute("update learning_records set status = 'rejected' where status = 'withdrawn'")
    op.execute("update learning_records set status = 'rejected' where status = 'revoked'")
    with op.batch_alter_table("learning_records") as batch:
        batch.drop_constraint(op.f("ck_learning_records_absent_fraction"), type_="check")
        batch.drop_column("assessment")
        batch.drop_column("absent_fraction")
        batch.drop_column("days")
        batch.drop_constraint(op.f("ck_learning_records_status"), type_="check")
        batch.create_check_constraint(op.f("ck_learning_records_status"), RECORD_STATUSES_BEFORE)
