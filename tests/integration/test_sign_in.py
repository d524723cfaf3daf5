"""Sign-ins end when the password or the account changes: tokens, cookies and live sockets."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.integration.conftest import INTERVAL_S, PASSWORD, Clock, Player, token_for
from tracker.extensions import db, socketio
from tracker.live.fanout import sign_in_room, user_room
from tracker.models import SignIn
from tracker.services.accounts import save_user

NEW_PASSWORD = "a brand new pw 7"


def _patch(client: FlaskClient, admin: dict, user_id: int, **fields: object) -> None:
    response = client.patch(f"/api/v1/users/{user_id}", json=fields, headers=admin)
    assert response.status_code == 200, response.json


def _import(client: FlaskClient, admin: dict, text: str) -> None:
    response = client.post(
        "/api/v1/users/import", data=text.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 200, response.json


def _admin_form(app: Flask, user_id: int, **fields: str) -> None:
    browser = app.test_client()
    assert browser.post("/login", data={"username": "root", "password": PASSWORD}).status_code
    form = {"role": "learner", "active": "on", **fields}
    response = browser.post(f"/admin/users/{user_id}", data=form)
    assert response.status_code == 302, response.text


def _cli(app: Flask, _user_id: int) -> None:
    result = app.test_cli_runner().invoke(
        args=["create-user", "ann", "--password", NEW_PASSWORD, "--role", "learner"]
    )
    assert result.exit_code == 0, result.output


def _own(client: FlaskClient) -> None:
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    headers = {"Authorization": f"Bearer {token_for(client, 'ann')}"}
    response = client.post("/api/v1/me/password", json=body, headers=headers)
    assert response.status_code == 204, response.json


# Each way an admin (or the command line, or the user) changes what signs a user in, and what
# the session ended for says.
CHANGES: dict[str, tuple[Callable[..., None], str]] = {
    "api password": (
        lambda app, client, admin, uid: _patch(client, admin, uid, password=NEW_PASSWORD),
        "signed_out",
    ),
    "admin form password": (
        lambda app, client, admin, uid: _admin_form(app, uid, password=NEW_PASSWORD),
        "signed_out",
    ),
    "csv password": (
        lambda app, client, admin, uid: _import(
            client, admin, f"username,password,role\nann,{NEW_PASSWORD},learner\n"
        ),
        "signed_out",
    ),
    "csv status": (
        lambda app, client, admin, uid: _import(
            client, admin, "username,role,active\nann,learner,false\n"
        ),
        "account_disabled",
    ),
    "deactivate": (
        lambda app, client, admin, uid: _patch(client, admin, uid, active=False),
        "account_disabled",
    ),
    "deactivate then reactivate": (
        lambda app, client, admin, uid: (
            _patch(client, admin, uid, active=False),
            _patch(client, admin, uid, active=True),
        ),
        "account_disabled",
    ),
    "command line": (lambda app, client, admin, uid: _cli(app, uid), "signed_out"),
    "own password": (lambda app, client, admin, uid: _own(client), "signed_out"),
}


@pytest.fixture
def ann(make_user: Callable[..., int]) -> int:
    return make_user("ann")


def _ended(session_id: str | None, reason: str) -> dict:
    return {
        "name": "session_ended",
        "namespace": "/player",
        "args": [{"session_id": session_id, "reason": reason}],
    }


def _watching(connect: Callable[[str], Player], clock: Clock, item: int) -> Player:
    player = connect("ann")
    assert player.open(item)["ok"]
    assert player.beat()["ok"]
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == INTERVAL_S
    player.received()
    return player


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_password_or_account_ends_every_sign_in_at_once(
    app, client, admin, ann, make_courseware, connect, clock, change
):
    make_, reason = CHANGES[change]
    item = make_courseware()
    token = {"Authorization": f"Bearer {token_for(client, 'ann')}"}
    browser = app.test_client()
    browser.post("/login", data={"username": "ann", "password": PASSWORD, "remember": "on"})
    assert browser.get("/").status_code == 200
    player = _watching(connect, clock, item)
    idle = connect("ann")  # connected, nothing open

    make_(app, client, admin, ann)

    session_id = player.session_id
    assert player.received() == [_ended(session_id, reason), _ended(None, reason)]
    assert idle.received() == [_ended(None, reason)]
    assert not player.connected
    assert not idle.connected
    assert client.get("/api/v1/me", headers=token).status_code == 401
    assert browser.get("/").status_code == 302  # the cookie session (and "remember me") ended
    again = socketio.test_client(app, namespace="/player", flask_test_client=browser)
    assert not again.is_connected("/player")


def test_a_socket_the_news_missed_can_neither_open_nor_earn(
    app, client, admin, ann, make_courseware, connect, clock
):
    """Should the fan-out not reach a socket (a lost message), its next event is refused."""
    item = make_courseware()
    player = _watching(connect, clock, item)
    with app.app_context():
        app.extensions["tracker.live_store"].take_sockets(user_room(ann))  # news misses it
        save_user("ann", NEW_PASSWORD, "learner")
    assert player.connected
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["error"] == "signed_out"
    refused = player.open(item)
    assert refused["ok"] is False
    assert refused["error"] == "signed_out"
    mine = client.post("/api/v1/auth/token", json={"username": "ann", "password": NEW_PASSWORD})
    archive = client.get(
        "/api/v1/archive", headers={"Authorization": f"Bearer {mine.json['token']}"}
    )
    assert archive.json["by_kind"]["online"]["raw_s"] == INTERVAL_S


def test_saving_the_same_password_again_ends_nothing(app, ann, make_courseware, connect, clock):
    player = _watching(connect, clock, make_courseware())
    with app.app_context():
        save_user("ann", PASSWORD, "learner")
    assert player.connected
    assert player.received() == []
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == INTERVAL_S


def test_a_role_change_keeps_the_sign_in(app, client, admin, ann, make_courseware, connect, clock):
    player = _watching(connect, clock, make_courseware())
    _patch(client, admin, ann, role="leader", display_name="Ann")
    assert player.connected
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == INTERVAL_S


# --- logging out ----------------------------------------------------------------------------


def _browser(app: Flask, remember: bool = False) -> FlaskClient:
    browser = app.test_client()
    form = {"username": "ann", "password": PASSWORD} | ({"remember": "on"} if remember else {})
    assert browser.post("/login", data=form).status_code == 302
    assert browser.get("/").status_code == 200
    return browser


def _replay(app: Flask, browser: FlaskClient, cookie: str) -> FlaskClient:
    """A new browser holding only `cookie`, as `browser` had it."""
    stolen = browser.get_cookie(cookie)
    assert stolen is not None
    replayed = app.test_client()
    replayed.set_cookie(cookie, stolen.value)
    return replayed


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_cookie_kept_from_before_logout_no_longer_works(app, ann, cookie):
    browser = _browser(app, remember=True)
    before = _replay(app, browser, cookie)
    assert before.get("/").status_code == 200  # the copy works while the login lasts
    assert browser.post("/logout").status_code == 302
    assert browser.get("/").status_code == 302
    assert before.get("/").status_code == 302


def test_logging_out_ends_only_that_login(app, client, ann):
    token = {"Authorization": f"Bearer {token_for(client, 'ann')}"}
    laptop, phone = _browser(app), _browser(app, remember=True)
    laptop.post("/logout")
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 200
    assert client.get("/api/v1/me", headers=token).status_code == 200


def test_logging_out_ends_the_player_sockets_of_that_login(app, ann, make_courseware, clock):
    item = make_courseware()
    laptop, phone = _browser(app), _browser(app)
    on_laptop = Player(socketio.test_client(app, namespace="/player", flask_test_client=laptop))
    on_phone = Player(socketio.test_client(app, namespace="/player", flask_test_client=phone))
    assert on_laptop.connected
    assert on_phone.connected
    assert on_laptop.open(item)["ok"]
    laptop.post("/logout")
    assert on_laptop.received() == [_ended(None, "logged_out")]
    assert not on_laptop.connected
    assert on_phone.connected
    assert on_phone.received() == []
    assert on_phone.open(item)["ok"]
    again = socketio.test_client(app, namespace="/player", flask_test_client=laptop)
    assert not again.is_connected("/player")
    on_phone.socket.disconnect(namespace="/player")


def test_a_socket_of_a_login_that_ended_cannot_open(app, ann, make_courseware):
    item = make_courseware()
    laptop = _browser(app)
    player = Player(socketio.test_client(app, namespace="/player", flask_test_client=laptop))
    with app.app_context():
        (login,) = db.session.scalars(select(SignIn.id).where(SignIn.user_id == ann))
        app.extensions["tracker.live_store"].take_sockets(sign_in_room(login))  # news misses it
    laptop.post("/logout")
    assert player.connected
    refused = player.open(item)
    assert refused["ok"] is False
    assert refused["error"] == "signed_out"
    player.socket.disconnect(namespace="/player")


def test_a_cookie_from_before_logins_were_kept_is_not_honoured(app, ann):
    browser = app.test_client()
    with browser.session_transaction() as session:
        session["_user_id"] = f"{ann}:0"  # what a login wrote before: user and token version
        session["_fresh"] = True
    assert browser.get("/").status_code == 302
