"""One's own account: the password (old tokens and other sessions end), display name and
preferred language, over the API and on the settings page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.integration.conftest import PASSWORD, assert_error, count
from tracker.extensions import db
from tracker.models import AuditEntry

NEW = "a much better one"


def change(client, headers, current=PASSWORD, new=NEW):
    body = {"current_password": current, "new_password": new}
    return client.post("/api/v1/me/password", json=body, headers=headers)


def token(client, password):
    body = {"username": "ann", "password": password}
    return client.post("/api/v1/auth/token", json=body)


def login(client, password=PASSWORD) -> None:
    response = client.post("/login", data={"username": "ann", "password": password})
    assert response.status_code == 302


def logged_in(client) -> bool:
    return client.get("/settings").status_code == 200


def test_a_new_password_ends_every_token_issued_before(app, client, learner):
    response = change(client, learner)
    assert response.status_code == 204
    assert_error(client.get("/api/v1/me", headers=learner), 401, "unauthorized")
    assert_error(token(client, PASSWORD), 401, "invalid_credentials")
    fresh = token(client, NEW).json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.json["username"] == "ann"
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.password"))
        assert entry.detail == {"new": {"password": "changed"}}
        assert NEW not in str(entry.detail)


def test_a_wrong_current_password_changes_nothing(app, client, learner):
    assert_error(change(client, learner, current="not it at all"), 400, "wrong_password")
    assert client.get("/api/v1/me", headers=learner).status_code == 200
    assert token(client, PASSWORD).status_code == 200
    assert_error(token(client, NEW), 401, "invalid_credentials")
    assert count(app, AuditEntry) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD, "new_password": "x" * 201},
        {"current_password": PASSWORD},
        {"new_password": NEW},
        {"current_password": "", "new_password": NEW},
        {"current_password": PASSWORD, "new_password": 12345678},
        {"current_password": PASSWORD, "new_password": NEW, "user_id": 1},
    ],
    ids=repr,
)
def test_a_bad_password_change_is_400_and_changes_nothing(client, learner, body):
    response = client.post("/api/v1/me/password", json=body, headers=learner)
    assert_error(response, 400, "bad_payload")
    assert client.get("/api/v1/me", headers=learner).status_code == 200
    assert token(client, PASSWORD).status_code == 200


def test_the_same_password_again_is_no_change(client, learner):
    assert change(client, learner, new=PASSWORD).status_code == 204
    assert client.get("/api/v1/me", headers=learner).status_code == 200


def test_a_password_change_needs_a_login(client):
    assert_error(change(client, {}), 401, "unauthorized")


def test_the_browser_that_changes_stays_logged_in_and_others_end(app, learner):
    here, elsewhere = app.test_client(), app.test_client()
    login(here)
    login(elsewhere)
    page = here.post(
        "/settings/password",
        data={"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW},
    )
    assert page.status_code == 302
    assert logged_in(here)
    assert not logged_in(elsewhere)
    assert_error(elsewhere.get("/api/v1/me"), 401, "unauthorized")


def test_the_api_called_from_the_browser_keeps_that_session(app, learner):
    here, elsewhere = app.test_client(), app.test_client()
    login(here)
    login(elsewhere)
    assert change(here, {}).status_code == 204
    assert here.get("/api/v1/me").json["username"] == "ann"
    assert not logged_in(elsewhere)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (
            {"current_password": "wrong one!", "new_password": NEW, "repeat_password": NEW},
            "The current password is not correct.",
        ),
        (
            {"current_password": PASSWORD, "new_password": NEW, "repeat_password": NEW + "!"},
            "The two new passwords are not the same.",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
            "New password: Use at least 8 characters.",
        ),
    ],
)
def test_the_settings_page_explains_a_refused_password(app, client, learner, form, message):
    login(client)
    page = client.post("/settings/password", data=form, headers={"Accept-Language": "en"})
    assert page.status_code == 400
    assert message in page.get_data(as_text=True)
    assert token(client, PASSWORD).status_code == 200


# --- display name and language --------------------------------------------------------------


def test_display_name_and_language_are_ones_own_to_change(app, client, learner):
    response = client.patch(
        "/api/v1/me", json={"display_name": "安娜", "language": "en"}, headers=learner
    )
    assert response.status_code == 200, response.json
    assert (response.json["display_name"], response.json["language"]) == ("安娜", "en")
    assert client.get("/api/v1/me", headers=learner).json["language"] == "en"
    cleared = client.patch("/api/v1/me", json={"language": None}, headers=learner)
    assert (cleared.json["display_name"], cleared.json["language"]) == ("安娜", None)
    with app.app_context():
        log = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.profile"))
        assert [e.detail["new"] for e in log] == [
            {"display_name": "安娜", "language": "en"},
            {"language": None},
        ]


@pytest.mark.parametrize(
    "body",
    [
        {"language": "fr"},
        {"display_name": None},
        {"display_name": "x" * 121},
        {"role": "admin"},
        {"unit_id": 1},
    ],
    ids=repr,
)
def test_a_bad_profile_change_is_400_and_changes_nothing(app, client, learner, body):
    assert_error(client.patch("/api/v1/me", json=body, headers=learner), 400, "bad_payload")
    me = client.get("/api/v1/me", headers=learner).json
    assert (me["role"], me["language"], me["display_name"]) == ("learner", None, "")
    assert count(app, AuditEntry) == 0


def test_the_preferred_language_wins_over_the_browsers(client, learner):
    missing = "/api/v1/records/999"
    chinese = {"Accept-Language": "zh-CN", **learner}
    assert client.get(missing, headers=chinese).json["message"] == "该学习记录不存在。"
    client.patch("/api/v1/me", json={"language": "en"}, headers=learner)
    assert client.get(missing, headers=chinese).json["message"] == (
        "This learning record does not exist."
    )


def test_the_settings_page_saves_name_and_language(client, learner):
    login(client)
    page = client.get("/settings", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200
    assert "修改密码" in page.get_data(as_text=True)
    saved = client.post("/settings", data={"display_name": "安娜", "language": "en"})
    assert saved.status_code == 302
    page = client.get("/settings", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Change password" in page
    assert "安娜" in page
    refused = client.post("/settings", data={"display_name": "x" * 121, "language": "en"})
    assert refused.status_code == 400


def test_the_header_links_to_the_settings(client, learner):
    login(client)
    assert 'href="/settings"' in client.get("/").get_data(as_text=True)


def test_the_openapi_document_describes_corrections_and_the_own_account(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    expected = {
        ("/me/password", "post"): {"204", "400", "401"},
        ("/me", "patch"): {"200", "400", "401"},
        ("/records/{record_id}", "patch"): {"200", "400", "401", "404", "409"},
        ("/records/{record_id}/withdraw", "post"): {"200", "401", "404", "409"},
        ("/records/{record_id}/revoke", "post"): {"200", "400", "401", "403", "404", "409"},
        ("/trainings/{training_id}/attendance/{user_id}", "delete"): {
            "200",
            "400",
            "401",
            "403",
            "404",
        },
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), path  # (+ 413, 503, ...)
