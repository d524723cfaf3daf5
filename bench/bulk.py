"""Benchmark data in seconds: thousands of learners written straight into the database.

Creating learners over the API hashes each password at production cost (a tenth of a second
of CPU each, so an hour for 5,000 viewers at 15 s). Benchmark learners share one password,
so its hash is made once, at production cost, and written into every row; tokens are signed
with the server's secret key exactly as `POST /auth/token` signs them. Production hashing is
untouched: this runs only here, against the benchmark's own fresh database.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

PASSWORD = "bench-password-0"


def provision(env: dict[str, str], viewers: int, workdir: Path) -> tuple[int, list[str]]:
    """One published video and `viewers` learners in the server's database; their tokens."""
    from tracker import create_app
    from tracker.auth import Principal, issue_token
    from tracker.extensions import db
    from tracker.models import User, utcnow
    from tracker.services.accounts import hash_password
    from tracker.services.courseware import create_courseware

    app = create_app(
        {
            "DATABASE_URL": env["TRACKER_DATABASE_URL"],
            "SECRET_KEY": env["TRACKER_SECRET_KEY"],
            "REDIS_URL": None,
            "AUTO_MIGRATE": False,  # the server has migrated the schema
            "ASYNC_MODE": "threading",
            "MEDIA_DIR": str(workdir / "media"),
        }
    )
    with app.app_context():
        shared_hash = hash_password(PASSWORD)
        names = [f"bench-{n:05d}" for n in range(viewers)]
        now = utcnow()
        db.session.execute(
            sa.insert(User),
            [
                {
                    "username": name,
                    "username_key": name,
                    "password_hash": shared_hash,
                    "display_name": name,
                    "role": "learner",
                    "active": True,
                    "token_version": 0,
                    "created_at": now,
                }
                for name in names
            ],
        )
        db.session.commit()
        ids = dict(db.session.execute(sa.select(User.username, User.id)).tuples().all())
        fields = {"title": "Benchmark video", "kind": "video", "hours_limit": 1000}
        courseware_id = create_courseware(fields).id
        tokens = [issue_token(Principal(ids[n], n, "learner", n, 0)) for n in names]
        db.session.remove()
        db.engine.dispose()
    return courseware_id, tokens
