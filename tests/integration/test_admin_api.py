"""Admin API: managing users and units, CSV import, deactivation, the live view and usage."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.conftest import INTERVAL_S, PASSWORD
from tracker.extensions import db
from tracker.models import Unit, User


def users_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_list_search_and_page_users(client, admin, make_user):
    for name in ("wang.fang", "wang.wei", "li.na"):
        make_user(name, unit="信息中心")
    page = client.get("/api/v1/users?q=wang&limit=1", headers=admin).json
    assert page["total"] == 2
    assert [u["username"] for u in page["items"]] == ["wang.fang"]
    second = client.get("/api/v1/users?q=wang&limit=1&offset=1", headers=admin).json
    assert [u["username"] for u in second["items"]] == ["wang.wei"]
    assert second["items"][0]["unit"] == "信息中心"
    bad = client.get("/api/v1/users?limit=0", headers=admin)
    assert bad.status_code == 400


def test_patch_user(client, admin, make_user):
    user_id = make_user("ann")
    response = client.patch(
        f"/api/v1/users/{user_id}", json={"display_name": "安", "role": "leader"}, headers=admin
    )
    assert response.status_code == 200
    assert (response.json["display_name"], response.json["role"]) == ("安", "leader")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"role": "king"}, 400, "bad_payload"),
        ({"active": None}, 400, "bad_payload"),
        ({"password": "short"}, 400, "bad_payload"),
        ({"unit_id": 999}, 400, "unknown_unit"),
    ],
)
def test_bad_user_patch_changes_nothing(client, admin, make_user, body, status, code):
    user_id = make_user("ann")
    before = client.get(f"/api/v1/users/{user_id}", headers=admin).json
    response = client.patch(f"/api/v1/users/{user_id}", json=body, headers=admin)
    assert response.status_code == status
    assert response.json["error"] == code
    assert client.get(f"/api/v1/users/{user_id}", headers=admin).json == before


@pytest.mark.parametrize("body", [{"active": False}, {"role": "learner"}])
def test_admin_cannot_lock_themselves_out(client, admin, body):
    me = client.get("/api/v1/me", headers=admin).json
    response = client.patch(f"/api/v1/users/{me['id']}", json=body, headers=admin)
    assert response.status_code == 400
    assert response.json["error"] == "cannot_change_self"


def test_unknown_user_is_404(client, admin):
    assert client.get("/api/v1/users/4242", headers=admin).json["error"] == "user_not_found"


def test_deactivation_stops_credit_at_once(
    client, admin, make_user, make_courseware, connect, clock, auth_headers
):
    user_id = make_user("ann")
    item = make_courseware()
    learner = auth_headers("ann")
    player = connect("ann")
    player.open(item)
    player.beat()
    clock.advance(INTERVAL_S)
    assert player.beat(advance=INTERVAL_S)["delta_s"] == INTERVAL_S
    player.received()
    response = client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin)
    assert response.json["active"] is False
    assert player.received() == [
        {
            "name": "session_ended",
            "namespace": "/player",
            "args": [{"session_id": player.session_id, "reason": "account_disabled"}],
        },
        {
            "name": "session_ended",
            "namespace": "/player",
            "args": [{"session_id": None, "reason": "account_disabled"}],
        },
    ]
    assert not player.connected
    assert client.get("/api/v1/me", headers=learner).status_code == 401
    login = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD})
    assert login.json["error"] == "account_disabled"


# --- CSV import -----------------------------------------------------------------------------

GOOD_CSV = "username,password,display_name,role,unit\nwang,pass-word-1,王芳,learner,信息中心\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_import_users_in_any_common_encoding(app, client, admin, encoding):
    response = client.post(
        "/api/v1/users/import",
        data=GOOD_CSV.encode(encoding),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.json
    assert response.json == {"created": 1, "updated": 0}
    wang = client.get("/api/v1/users?q=wang", headers=admin).json["items"][0]
    assert (wang["display_name"], wang["unit"]) == ("王芳", "信息中心")


def test_import_updates_existing_users_as_a_multipart_upload(client, admin, make_user):
    make_user("ann")
    csv = "username,password,display_name,role,unit\nann,,Ann,leader,\nbo,pass-word-2,,,\n"
    response = client.post(
        "/api/v1/users/import",
        data={"file": (__import__("io").BytesIO(csv.encode()), "users.csv")},
        headers=admin,
        content_type="multipart/form-data",
    )
    assert response.json == {"created": 1, "updated": 1}
    ann = client.get("/api/v1/users?q=ann", headers=admin).json["items"][0]
    assert ann["role"] == "leader"
    token = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD})
    assert token.status_code == 200  # an empty password keeps the old one


def test_a_new_password_from_an_import_ends_the_old_tokens(client, admin, make_user):
    make_user("ann")
    old = {"Authorization": f"Bearer {_token(client, 'ann')}"}
    same = "username,password,role\nann," + PASSWORD + ",learner\n"
    for text, still_valid in (
        (same, True),
        ("username,password,role\nann,pass-word-9,learner\n", False),
    ):
        response = client.post(
            "/api/v1/users/import",
            data=text.encode(),
            headers={**admin, "Content-Type": "text/csv"},
        )
        assert response.json == {"created": 0, "updated": 1}
        assert (client.get("/api/v1/me", headers=old).status_code == 200) is still_valid


@pytest.mark.parametrize(
    ("csv", "problems"),
    [
        ("name,pw\nx,y\n", [(1, None)]),
        ("username,role\n", [(2, None)]),
        (
            "username,password,role\nok,pass-word-1,learner\nbad name,pass-word-1,learner\n",
            [(3, "username")],
        ),
        ("username,password,role\nnew,,learner\n", [(2, "password")]),
        ("username,password,role\nx,pass-word-1,king\n", [(2, "role")]),
        (
            "username,password,role\nx,pass-word-1,learner\nx,pass-word-1,learner\n",
            [(3, "username")],
        ),
    ],
)
def test_bad_csv_imports_nothing_and_names_the_lines(app, client, admin, csv, problems):
    before = users_count(app)
    response = client.post(
        "/api/v1/users/import", data=csv.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert response.status_code == 400
    assert response.json["error"] == "bad_csv"
    found = [(d["line"], d.get("field")) for d in response.json["details"]]
    assert found == problems
    assert users_count(app) == before


def test_import_without_a_file_is_400(client, admin):
    assert client.post("/api/v1/users/import", headers=admin).json["error"] == "bad_file"


# --- units ----------------------------------------------------------------------------------


def test_unit_tree_and_rule_sets(app, client, admin, make_user):
    branch = client.post("/api/v1/units", json={"name": "常州市"}, headers=admin).json
    institute = client.post(
        "/api/v1/units",
        json={"name": "常州研究院", "parent_id": branch["id"], "rule_set": "changzhou-2011"},
        headers=admin,
    ).json
    dept = client.post(
        "/api/v1/units", json={"name": "一室", "parent_id": institute["id"]}, headers=admin
    ).json
    assert dept["depth"] == 2
    make_user("chen", unit="一室")
    chen = client.get("/api/v1/users?q=chen", headers=admin).json["items"][0]
    headers = {"Authorization": f"Bearer {_token(client, 'chen')}"}
    assert client.get("/api/v1/me", headers=headers).json["rule_set"] == "changzhou-2011"
    assert chen["unit_id"] == dept["id"]
    tree = client.get("/api/v1/units", headers=admin).json
    assert [(u["name"], u["depth"]) for u in tree] == [
        ("常州市", 0),
        ("常州研究院", 1),
        ("一室", 2),
    ]
    assert tree[2]["members"] == 1


def _token(client, username: str) -> str:
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
    ).json["token"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "A"}, "unit_name_taken"),
        ({"name": "C", "parent_id": 999}, "unit_not_found"),
        ({"name": "C", "rule_set": "nope"}, "unknown_rule_set"),
        ({"name": ""}, "bad_payload"),
    ],
)
def test_bad_unit_is_refused(app, client, admin, body, code):
    client.post("/api/v1/units", json={"name": "A"}, headers=admin)
    assert client.post("/api/v1/units", json=body, headers=admin).json["error"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Unit)) == 1


def test_unit_cannot_move_under_itself(client, admin):
    top = client.post("/api/v1/units", json={"name": "A"}, headers=admin).json
    child = client.post(
        "/api/v1/units", json={"name": "B", "parent_id": top["id"]}, headers=admin
    ).json
    response = client.patch(
        f"/api/v1/units/{top['id']}", json={"parent_id": child["id"]}, headers=admin
    )
    assert response.json["error"] == "unit_cycle"


# --- console --------------------------------------------------------------------------------


def test_live_view_and_usage(client, admin, make_user, make_courseware, connect, clock):
    make_user("ann")
    item = make_courseware(title="科研诚信", hours_limit=0.01)
    player = connect("ann")
    player.open(item)
    player.beat()
    for _ in range(4):
        clock.advance(INTERVAL_S)
        player.beat(advance=INTERVAL_S)
    live = client.get("/api/v1/live", headers=admin).json
    assert [(r["username"], r["title"], r["status"]) for r in live] == [
        ("ann", "科研诚信", "item_cap_reached")
    ]
    usage = client.get("/api/v1/stats/courseware", headers=admin).json
    assert usage == [
        {
            "courseware_id": item,
            "title": "科研诚信",
            "kind": "video",
            "hours_limit": 0.01,
            "viewers": 1,
            "completed": 1,
            "sessions": 1,
            "credited_s": 36.0,
            "watching_now": 1,
        }
    ]


def test_audit_log_records_who_changed_what(client, admin, make_user):
    item = client.post(
        "/api/v1/courseware", json={"title": "t", "kind": "video", "hours_limit": 2}, headers=admin
    ).json
    client.patch(f"/api/v1/courseware/{item['id']}", json={"hours_limit": 1.5}, headers=admin)
    client.patch(f"/api/v1/courseware/{item['id']}", json={"hours_limit": 1.5}, headers=admin)
    user_id = make_user("ann")
    client.patch(f"/api/v1/users/{user_id}", json={"active": False}, headers=admin)
    log = client.get("/api/v1/audit", headers=admin).json
    assert [(e["action"], e["actor"]) for e in log["items"]] == [
        ("user.update", "root"),
        ("courseware.update", "root"),
        ("courseware.create", "root"),
    ]
    limit_change = log["items"][1]["detail"]
    assert limit_change == {"old": {"hours_limit": 2.0}, "new": {"hours_limit": 1.5}}
    assert log["items"][0]["detail"]["new"] == {"active": False}
    only_courseware = client.get("/api/v1/audit?target_type=courseware", headers=admin).json
    assert only_courseware["total"] == 2
