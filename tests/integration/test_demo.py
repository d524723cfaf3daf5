"""The demo's year of history: written through the live services, shown everywhere, seeded once."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from tracker.demo import DEMO_PASSWORD
from tracker.extensions import db
from tracker.models import (
    AuditEntry,
    ItemProgress,
    LearningRecord,
    Notice,
    OnlineYearTotal,
    SessionCredit,
    Training,
    TrainingParticipant,
    Unit,
    WatchSession,
)


@pytest.fixture
def seeded(make_app, database_url, shared_media):
    app = make_app(database_url, MEDIA_DIR=str(shared_media))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def headers_of(client, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def counts(app) -> dict[str, int]:
    models = (
        WatchSession,
        SessionCredit,
        ItemProgress,
        OnlineYearTotal,
        Training,
        TrainingParticipant,
        Unit,
        LearningRecord,
        Notice,
        AuditEntry,
    )
    with app.app_context():
        return {
            m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models
        }


def test_the_history_shows_in_the_archive_the_review_queue_and_the_pages(seeded):
    """Zhang's archive has online, training and approved external time; claims in every state
    await or passed review; each page shows its part of the history."""
    client = seeded.test_client()
    doc = client.get("/api/v1/archive", headers=headers_of(client, "zhang")).json
    effective = Counter()
    for item in doc["items"]:
        effective[(item["source"], item["record_kind"])] += item["effective_s"]
    assert effective[("courseware", None)] > 3600
    assert effective[("training", None)] > 0
    assert effective[("record", "external_training")] > 0
    admin = headers_of(client, "admin")
    listed = client.get("/api/v1/records", headers=admin).json
    states = Counter(record["status"] for record in listed)
    assert set(states) == {"pending", "approved", "rejected", "withdrawn", "revoked"}
    assert states["pending"] >= 1
    rejected = next(r for r in listed if r["status"] == "rejected")
    assert rejected["note"]
    assert pages_missing(seeded) == []


def test_running_totals_agree_with_the_ledger(seeded):
    with seeded.app_context():
        ledger_years = {
            (user, year): (raw, effective)
            for user, year, raw, effective in db.session.execute(
                select(
                    SessionCredit.user_id,
                    SessionCredit.year,
                    func.sum(SessionCredit.raw_ms),
                    func.sum(SessionCredit.effective_ms),
                ).group_by(SessionCredit.user_id, SessionCredit.year)
            )
        }
        years = {
            (row.user_id, row.year): (row.raw_ms, row.effective_ms)
            for row in db.session.scalars(select(OnlineYearTotal))
        }
        ledger_items = {
            (user, item): raw
            for user, item, raw in db.session.execute(
                select(
                    SessionCredit.user_id,
                    SessionCredit.courseware_id,
                    func.sum(SessionCredit.raw_ms),
                ).group_by(SessionCredit.user_id, SessionCredit.courseware_id)
            )
        }
        progress = {
            (row.user_id, row.courseware_id): row.credited_ms
            for row in db.session.scalars(select(ItemProgress))
        }
        sessions = db.session.scalars(select(WatchSession)).all()
    assert len(years) >= 3
    assert years == ledger_years
    assert progress == ledger_items
    assert {s.end_reason for s in sessions} == {"closed"}


def test_a_second_seed_changes_nothing(seeded):
    before = counts(seeded)
    assert before["watch_sessions"] > 0
    assert before["training_participants"] > 0
    result = seeded.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert counts(seeded) == before


PAGES = [
    ("zhang", "/archive", "科研项目档案归档专题培训"),
    ("zhang", "/archive", "干部教育培训工作条例培训"),
    ("zhang", "/learning/external", "请补充学习笔记或结业证明后重新提交。"),
    ("zhang", "/notices", "实验室安全管理培训班"),
    ("admin", "/learning/review", "数据安全与个人信息保护研讨班"),
    ("admin", "/admin/reports?unit_id={branch}", "王芳"),
    ("admin", "/admin/reports?unit_id={branch}", "赵磊"),
    ("admin", "/trainings", "实验室安全管理培训班"),
    ("zhang", "/trainings", "学术不端行为防范专题讲座"),
]


def pages_missing(seeded) -> list[tuple[str, str, str]]:
    """The (user, page, text) of PAGES that the page does not show."""
    with seeded.app_context():
        branch = db.session.scalar(select(Unit.id).where(Unit.name == "兰州分院"))
    missing = []
    for username, path, shown in PAGES:
        client = seeded.test_client()
        login = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert login.status_code == 302
        page = client.get(path.format(branch=branch))
        assert page.status_code == 200, path
        if shown not in page.get_data(as_text=True):
            missing.append((username, path, shown))
    return missing
