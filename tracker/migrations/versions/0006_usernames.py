"""usernames are unique ignoring case and width: a normalised key per user

Revision ID: 0006_usernames
Revises: 0013_notices
Create Date: 2026-12-02 10:00:00

"""

import sqlalchemy as sa
from alembic import op

from tracker.services.accounts import username_key

revision = "0006_usernames"
down_revision = "0013_notices"
branch_labels = None
depends_on = None

users = sa.table(
    "users", sa.column("id", sa.Integer), sa.column("username"), sa.column("username_key")
)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.username)).all()
    # Checked before anything changes: SQLite cannot take back a column once added.
    names: dict[str, list[str]] = {}
    for _id, username in rows:
        names.setdefault(username_key(username), []).append(username)
    clashes = sorted(sorted(group) for group in names.values() if len(group) > 1)
    if clashes:
        raise RuntimeError(
            "0006_usernames: these users' names differ only in case or width, and would be "
            "one username from now on; rename all but one of each group (nothing was changed): "
            + "; ".join(" = ".join(group) for group in clashes)
        )
    # Not null from the start, with a placeholder default, and a unique index rather than a
    # constraint: on SQLite anything else means rebuilding `users`, which every table refers to.
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("username_key", sa.String(length=255), nullable=False, server_default="")
        )
    if rows:
        bind.execute(
            users.update()
            .where(users.c.id == sa.bindparam("user_id"))
            .values(username_key=sa.bindparam("key")),
            [{"user_id": user_id, "key": username_key(name)} for user_id, name in rows],
        )
    if bind.dialect.name != "sqlite":  # there it would rebuild the table; the app sets it anyway
        op.alter_column("users", "username_key", server_default=None)
    op.create_index("ix_users_username_key", "users", ["username_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_users_username_key", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("username_key")
