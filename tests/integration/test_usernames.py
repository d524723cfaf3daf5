"""Usernames are one name whatever their case or width, and only from a safe alphabet."""

from __future__ import annotations

import pytest

from tests.integration.conftest import PASSWORD, assert_error, count
from tracker.models import User

# Each is `admin1` to a person reading it.
SAME_AS_ADMIN1 = ["ADMIN1", "Admin1", "ａｄｍｉｎ１", "ＡＤＭＩＮ１"]
# Look-alikes from other scripts, and characters that have no place in a name.
REFUSED = ["аdmin1", "admіn1", "αdmin1", "admin 1", "admin/1", "ad\u200bmin1", "🙂"]


@pytest.fixture
def admin1(make_user):
    return make_user("admin1")


@pytest.mark.parametrize("name", SAME_AS_ADMIN1)
def test_a_name_differing_in_case_or_width_is_taken(app, client, admin, admin1, name):
    body = {"username": name, "password": PASSWORD}
    assert_error(client.post("/api/v1/users", json=body, headers=admin), 409, "username_taken")
    assert count(app, User) == 2


@pytest.mark.parametrize("name", SAME_AS_ADMIN1)
def test_logging_in_ignores_case_and_width(client, admin1, name):
    response = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.json
    assert response.json["user"]["id"] == admin1
    assert response.json["user"]["username"] == "admin1"


@pytest.mark.parametrize("name", REFUSED)
def test_look_alikes_and_odd_characters_are_refused_everywhere(app, client, admin, name):
    body = {"username": name, "password": PASSWORD}
    response = client.post("/api/v1/users", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert response.json["details"][0]["field"] == "username"
    csv = f"username,password,role\n{name},{PASSWORD},learner\n"
    response = client.post(
        "/api/v1/users/import",
        data=csv.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert_error(response, 400, "bad_csv")
    assert response.json["details"][0]["line"] == 2
    for lang, says in (("en_US.UTF-8", "letters a-z"), ("zh_CN.UTF-8", "用户名")):
        cli = app.test_cli_runner().invoke(
            args=["create-user", name, "--password", PASSWORD, "--role", "learner"],
            env={"LANG": lang, "LC_ALL": "", "LC_MESSAGES": ""},
        )
        assert cli.exit_code == 1
        assert says in cli.output
    assert count(app, User) == 1


@pytest.mark.parametrize("name", ["zhang.san", "li_4@cas", "wang-fang", "张三", "Zhang.San"])
def test_ordinary_names_are_accepted_as_written(app, client, admin, name):
    body = {"username": name, "password": PASSWORD}
    created = client.post("/api/v1/users", json=body, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["username"] == name
    token = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert token.status_code == 200


def test_full_width_letters_are_kept_as_ascii(client, admin):
    body = {"username": "ｗａｎｇ", "password": PASSWORD}
    assert client.post("/api/v1/users", json=body, headers=admin).json["username"] == "wang"


def test_the_command_line_updates_the_user_of_any_spelling(app, admin1):
    cli = app.test_cli_runner().invoke(
        args=["create-user", "ＡＤＭＩＮ１", "--password", PASSWORD, "--role", "leader"]
    )
    assert cli.exit_code == 0, cli.output
    assert f"id {admin1}," in cli.output
    assert count(app, User) == 1


def test_an_import_naming_one_user_twice_saves_nothing(app, client, admin):
    csv = f"username,password,role\nAnn,{PASSWORD},learner\nａｎｎ,{PASSWORD},leader\n"
    response = client.post(
        "/api/v1/users/import", data=csv.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert_error(response, 400, "bad_csv")
    assert [d["line"] for d in response.json["details"]] == [3]
    assert count(app, User) == 1


def test_an_import_updates_the_user_of_any_spelling(app, client, admin, admin1):
    csv = "username,role\nADMIN1,leader\n"
    response = client.post(
        "/api/v1/users/import", data=csv.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.json == {"created": 0, "updated": 1}
    assert client.get(f"/api/v1/users/{admin1}", headers=admin).json["role"] == "leader"
