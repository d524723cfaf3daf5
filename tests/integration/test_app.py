"""The app factory, configuration from the environment, the CLI and the browser pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, count
from tracker import create_app
from tracker.extensions import db
from tracker.models import User, WatchSession
from tracker.rulesets import RuleSetError


def test_environment_overrides_defaults_and_test_config_overrides_both(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_HEARTBEAT_INTERVAL_S", "1")
    monkeypatch.setenv("TRACKER_RULE_SET", "changzhou-2011")
    app = create_app(
        {
            "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
            "RULE_SET": "cas-2016",
        }
    )
    assert app.config["HEARTBEAT_INTERVAL_S"] == 1
    assert app.config["RULE_SET"] == "cas-2016"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"RULE_SET": "nowhere-1999"}, "TRACKER_RULE_SET='nowhere-1999' is not one of"),
        ({"HEARTBEAT_INTERVAL_S": 0}, "TRACKER_HEARTBEAT_INTERVAL_S must be a positive number"),
        ({"HEARTBEAT_INTERVAL_S": "soon"}, "TRACKER_HEARTBEAT_INTERVAL_S must be a positive"),
        ({"HASHING_THREADS": 0}, "TRACKER_HASHING_THREADS must be a whole number 1..64"),
        ({"HASHING_THREADS": "two"}, "TRACKER_HASHING_THREADS must be a whole number 1..64"),
        ({"HASHING_NICE": 20}, "TRACKER_HASHING_NICE must be a whole number 0..19"),
        ({"OPENS_AT_ONCE": 0}, "TRACKER_OPENS_AT_ONCE must be a whole number 1..64"),
        ({"ARGON2_PARALLELISM": 0}, "TRACKER_ARGON2_PARALLELISM must be a whole number 1..16"),
        ({"ARGON2_PARALLELISM": "4"}, "TRACKER_ARGON2_PARALLELISM must be a whole number 1..16"),
        ({"HASHING_NICE": -5}, "TRACKER_HASHING_NICE must be a whole number 0..19"),
    ],
)
def test_bad_configuration_stops_start_up_with_a_clear_message(tmp_path, config, message):
    with pytest.raises(ValueError, match=message):
        create_app({"SECRET_KEY": "k", "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}", **config})


def test_bad_rule_file_stops_start_up(tmp_path):
    (tmp_path / "bad.toml").write_text("id = 'bad'\n", encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"bad\.toml: title: Field required"):
        create_app(
            {
                "SECRET_KEY": "k",
                "RULES_DIR": str(tmp_path),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
            }
        )


def test_create_user_command_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(
        args=[
            "create-user",
            "wang",
            "--password",
            "pw-one-1",
            "--role",
            "admin",
            "--unit",
            "信息中心",
        ]
    )
    assert first.exit_code == 0, first.output
    second = runner.invoke(
        args=["create-user", "wang", "--password", "pw-two-2", "--role", "leader"]
    )
    assert second.exit_code == 0, second.output
    with app.app_context():
        users = db.session.scalars(select(User).where(User.username == "wang")).all()
        assert [(u.role, u.unit.name) for u in users] == [("leader", "信息中心")]
    client = app.test_client()
    old = client.post("/api/v1/auth/token", json={"username": "wang", "password": "pw-one-1"})
    new = client.post("/api/v1/auth/token", json={"username": "wang", "password": "pw-two-2"})
    assert (old.status_code, new.status_code) == (401, 200)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "x", "--password", "p", "--role", "king"], "Invalid value for '--role'"),
        (["create-user", "x", "--password", ""], "must not be empty"),
    ],
)
def test_create_user_command_rejects_bad_input(app, args, message):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username == "x")) is None


def test_seed_demo_is_idempotent(make_app, database_url, shared_media):
    app = make_app(database_url, MEDIA_DIR=str(shared_media))
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["seed-demo", "--no-history"])
        assert result.exit_code == 0, result.output
    assert "demo12345" in result.output
    assert count(app, WatchSession) == 0  # without the history
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "zhang", "password": "demo12345"})
    headers = {"Authorization": f"Bearer {token.json['token']}"}
    items = client.get("/api/v1/courseware", headers=headers).json
    assert sorted(i["kind"] for i in items) == ["document", "video"]
    for item in items:
        media = client.get(item["source_url"], headers=headers)
        assert media.status_code == 200
        assert len(media.data) > 1000
        media.close()


# --- pages ----------------------------------------------------------------------------------


def test_pages_need_login_and_login_leads_home(client, make_user, make_courseware):
    make_user("ann")
    make_courseware(title="科研诚信")
    assert client.get("/").status_code == 302
    failed = client.post(
        "/login", data={"username": "ann", "password": "nope"}, headers={"Accept-Language": "zh-CN"}
    )
    assert failed.status_code == 401
    assert "用户名或密码错误" in failed.text
    ok = client.post("/login?next=//evil.example/x", data={"username": "ann", "password": PASSWORD})
    assert ok.status_code == 302
    assert ok.headers["Location"] == "/"
    home = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert home.status_code == 200
    assert "科研诚信" in home.text
    assert "0\xa0小时\xa000\xa0分" in home.text  # a figure on one line


def test_language_choice_sticks(client, make_user):
    make_user("ann")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    client.get("/lang/en")
    assert "Courseware" in client.get("/", headers={"Accept-Language": "zh-CN"}).text
    client.get("/lang/zh_CN")
    assert "课件" in client.get("/").text


def test_unknown_page_is_a_translated_404(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "未找到" in response.text


def _failing_app(make_app, database_url):
    """An app with a web page that fails unexpectedly, answered as in production."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken", "broken", broken)
    return app


@pytest.mark.parametrize(
    ("method", "path", "status", "language", "words"),
    [
        ("get", "/no/such/page", 404, "zh-CN", "未找到"),
        ("get", "/no/such/page", 404, "en", "Not found."),
        ("put", "/login", 405, "zh-CN", "不支持该请求方法"),
        ("put", "/login", 405, "en", "This method is not allowed here."),
        ("get", "/broken", 500, "zh-CN", "服务器出了问题"),
        ("get", "/broken", 500, "en", "Something went wrong on our side"),
    ],
)
def test_error_pages_are_styled_and_translated(
    make_app, database_url, method, path, status, language, words
):
    client = _failing_app(make_app, database_url).test_client()
    response = getattr(client, method)(path, headers={"Accept-Language": language})
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert words in response.text
    assert 'class="card narrow error-page"' in response.text
    assert "app.css" in response.text
    assert "Werkzeug" not in response.text
    assert "Internal Server Error" not in response.text


def test_api_errors_stay_json(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.json["error"] == "method_not_allowed"


def test_unexpected_api_failure_is_json_500(make_app, database_url):
    app = _failing_app(make_app, database_url)

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/api/v1/broken", "api_broken", broken)
    response = app.test_client().get("/api/v1/broken")
    assert response.status_code == 500
    assert response.json["error"] == "internal_error"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Referer": "http://evil.example/page"}, 403),
        ({"Origin": "http://localhost"}, 302),
        ({"Referer": "http://localhost/login"}, 302),
        ({}, 302),
    ],
)
def test_forms_posted_from_other_sites_are_refused(client, make_user, headers, status):
    make_user("ann")
    response = client.post(
        "/login", data={"username": "ann", "password": PASSWORD}, headers=headers
    )
    assert response.status_code == status


def test_configured_origins_may_post(make_app, database_url, make_user):
    app = make_app(database_url, CORS_ORIGINS=["https://portal.example"])
    with app.app_context():
        from tracker.services.accounts import save_user

        save_user("ann", PASSWORD, "learner")
    response = app.test_client().post(
        "/api/v1/auth/token",
        json={"username": "ann", "password": PASSWORD},
        headers={"Origin": "https://portal.example"},
    )
    assert response.status_code == 200


def test_oversized_request_is_a_clear_413(make_app, database_url):
    app = make_app(database_url, MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post(
        "/api/v1/auth/token", data="x" * 4096, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json["error"] == "too_large"


def test_uploads_are_not_served_as_plain_media(app, client, make_user, tmp_path):
    make_user("ann")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    secret = tmp_path / "media" / "uploads" / "evidence" / "abc.pdf"
    secret.parent.mkdir(parents=True)
    secret.write_bytes(b"%PDF-1.4 private")
    assert client.get("/media/uploads/evidence/abc.pdf").status_code == 404


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-CN", "请先登录再查看此页面。"), ("en", "Please log in to see this page.")],
)
def test_login_redirect_message_is_in_the_page_language(client, language, words):
    page = client.get("/archive", headers={"Accept-Language": language}, follow_redirects=True)
    assert page.request.path == "/login"
    assert words in page.text
    assert "Please log in to access" not in page.text


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("path", ["/settings", "/archive"])
def test_learners_see_the_rule_set_by_name_not_its_code(client, make_user, language, path):
    make_user("ann")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    page = client.get(path, headers={"Accept-Language": language})
    assert page.status_code == 200
    assert "中国科学院继续教育学时登记办法（2016）" in page.text
    assert "cas-2016" not in page.text


def test_the_unit_form_names_a_unit_not_a_person(client, make_user):
    make_user("root", role="admin")
    client.post("/login", data={"username": "root", "password": PASSWORD})
    page = client.get("/admin/units", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "单位名称" in page.text
    assert "姓名" not in page.text


@pytest.mark.parametrize(
    ("role", "unit", "next_", "home"),
    [
        ("admin", None, None, "/admin"),
        ("admin", "Lab", None, "/admin"),  # a unit's admin too
        ("admin", None, "/archive", "/archive"),
        ("leader", None, None, "/"),
        ("learner", None, None, "/"),
    ],
)
def test_each_role_lands_on_its_home(client, make_user, role, unit, next_, home):
    make_user("pat", role=role, unit=unit)
    query = {"next": next_} if next_ else {}
    response = client.post(
        "/login", query_string=query, data={"username": "pat", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_flash_messages_are_announced(client, make_user):
    hint = client.get("/archive", follow_redirects=True)
    assert '<p class="flash message" role="status">' in hint.text
    make_user("ann")
    failed = client.post("/login", data={"username": "ann", "password": "wrong"})
    assert '<div class="problems" role="alert" id="problems">' in failed.text
