"""The HTTP JSON API: authentication, roles, courseware, users, errors, OpenAPI."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

from tests.integration.conftest import PASSWORD, assert_error, count, token_for
from tests.integration.test_records import BASE as RECORD_BASE
from tests.integration.test_trainings import BASE as TRAINING_BASE
from tracker.models import Courseware, LearningRecord, User

# --- authentication -------------------------------------------------------------------------


def test_token_names_the_user(client, make_user):
    user_id = make_user("ann", role="leader")
    response = client.post("/api/v1/auth/token", json={"username": "ann", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json["user"]["id"] == user_id
    assert {k: response.json["user"][k] for k in ("username", "role")} == {
        "username": "ann",
        "role": "leader",
    }
    assert response.json["token"]


@pytest.mark.parametrize(
    "credentials",
    [{"username": "ann", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}],
)
def test_wrong_credentials_are_401(client, make_user, credentials):
    make_user("ann")
    assert_error(client.post("/api/v1/auth/token", json=credentials), 401, "invalid_credentials")


@pytest.mark.parametrize(
    "body", [None, "text", [], {}, {"username": "ann"}, {"username": 5, "password": "x"}]
)
def test_malformed_token_request_is_400(client, body):
    response = (
        client.post("/api/v1/auth/token", json=body)
        if body is not None
        else client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    )
    assert_error(response, 400, "bad_payload")


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YTpi"}]
)
def test_calls_without_a_valid_token_are_401(client, headers):
    assert_error(client.get("/api/v1/courseware", headers=headers), 401, "unauthorized")


RECORD = {
    "kind": "self_study",
    "title": "t",
    "start_date": "2026-02-05",
    "end_date": "2026-02-05",
    "hours": 1,
}


def _signed_in(client, cookie: str | None, bearer: str | None) -> dict[str, str]:
    """Log `cookie` in on the client's cookie jar; the headers naming `bearer` by its token."""
    headers = {"Authorization": f"Bearer {token_for(client, bearer)}"} if bearer else {}
    if cookie:
        response = client.post("/login", data={"username": cookie, "password": PASSWORD})
        assert response.status_code == 302
    return headers


@pytest.mark.parametrize(
    ("cookie", "bearer", "caller"),
    [("ann", None, "ann"), (None, "bob", "bob"), ("ann", "bob", "bob")],
    ids=["cookie only", "bearer only", "bearer beside a cookie"],
)
def test_a_bearer_token_decides_who_calls(app, client, make_user, cookie, bearer, caller):
    users = {"ann": make_user("ann"), "bob": make_user("bob")}
    headers = _signed_in(client, cookie, bearer)
    assert client.get("/api/v1/me", headers=headers).json["username"] == caller
    created = client.post("/api/v1/records", json=RECORD, headers=headers)
    assert created.status_code == 201, created.json
    assert count(app, LearningRecord, LearningRecord.user_id == users[caller]) == 1


def _revoked(client) -> str:
    token = token_for(client, "bob")
    change = {"current_password": PASSWORD, "new_password": "a brand new pw 7"}
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/me/password", json=change, headers=headers).status_code == 204
    return f"Bearer {token}"


@pytest.mark.parametrize(
    "authorization",
    [lambda client: "Bearer nope", lambda client: "Bearer ", _revoked],
    ids=["malformed", "blank", "revoked"],
)
def test_a_bad_bearer_token_is_401_though_a_cookie_is_valid(client, make_user, authorization):
    make_user("ann")
    make_user("bob")
    headers = {"Authorization": authorization(client)}
    _signed_in(client, "ann", None)
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")
    assert client.get("/api/v1/me").json["username"] == "ann"


def test_another_authorization_scheme_leaves_the_cookie_to_decide(client, make_user):
    make_user("ann")
    _signed_in(client, "ann", None)
    response = client.get("/api/v1/me", headers={"Authorization": "Basic YTpi"})
    assert response.json["username"] == "ann"


@pytest.mark.parametrize(
    ("origin", "status"), [("http://evil.example", 403), ("http://localhost", 201)]
)
@pytest.mark.parametrize(("cookie", "bearer"), [("ann", None), (None, "ann"), ("ann", "ann")])
def test_writes_from_other_sites_are_refused_however_the_caller_signed_in(
    app, client, make_user, cookie, bearer, origin, status
):
    make_user("ann")
    headers = {**_signed_in(client, cookie, bearer), "Origin": origin}
    response = client.post("/api/v1/records", json=RECORD, headers=headers)
    assert response.status_code == status, response.json
    assert count(app, LearningRecord) == (status == 201)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/users", {"username": "x", "password": "long enough", "role": "admin"}),
        ("post", "/api/v1/courseware", {"title": "t", "kind": "video", "hours_limit": 1}),
        ("patch", "/api/v1/courseware/1", {"hours_limit": 1}),
    ],
)
def test_admin_calls_are_403_for_learners(app, client, learner, method, path, body):
    before = (count(app, User), count(app, Courseware))
    assert_error(getattr(client, method)(path, json=body, headers=learner), 403, "forbidden")
    assert (count(app, User), count(app, Courseware)) == before


def test_unknown_api_path_is_json_404(client):
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_errors_speak_the_callers_language(client, app):
    english = client.get("/api/v1/courseware", headers={"Accept-Language": "en"})
    chinese = client.get("/api/v1/courseware", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert english.json["message"] == "Please log in first."
    assert chinese.json["message"] == "请先登录。"


# --- users ----------------------------------------------------------------------------------


def test_admin_creates_a_user_who_can_log_in(client, admin):
    body = {
        "username": "wang",
        "password": "long enough",
        "display_name": "王芳",
        "role": "leader",
        "unit": "信息中心",
    }
    response = client.post("/api/v1/users", json=body, headers=admin)
    assert response.status_code == 201
    assert response.json["id"] > 0
    assert response.json["unit"] == "信息中心"
    token = client.post("/api/v1/auth/token", json={"username": "wang", "password": "long enough"})
    assert token.json["user"]["role"] == "leader"


def test_duplicate_username_is_409(app, client, admin):
    body = {"username": "root", "password": "long enough", "role": "learner"}
    assert_error(client.post("/api/v1/users", json=body, headers=admin), 409, "username_taken")
    assert count(app, User) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"username": "x", "password": "short", "role": "learner"},
        {"username": "x", "password": "long enough", "role": "king"},
        {"username": "has space", "password": "long enough"},
        {"username": "", "password": "long enough"},
        {"username": "x", "password": "long enough", "extra": 1},
    ],
)
def test_bad_user_is_400_and_not_saved(app, client, admin, body):
    assert_error(client.post("/api/v1/users", json=body, headers=admin), 400, "bad_payload")
    assert count(app, User) == 1


# --- courseware -----------------------------------------------------------------------------


def test_admin_creates_and_everyone_lists_courseware(client, admin, learner):
    body = {"title": "科研诚信", "kind": "document", "hours_limit": 2.5}
    created = client.post("/api/v1/courseware", json=body, headers=admin)
    assert created.status_code == 201
    assert {k: created.json[k] for k in ("title", "kind", "hours_limit")} == body
    listed = client.get("/api/v1/courseware", headers=learner)
    assert listed.status_code == 200
    assert [{k: i[k] for k in ("id", "title", "kind", "hours_limit")} for i in listed.json] == [
        {"id": created.json["id"], **body}
    ]


def test_unpublished_courseware_is_hidden_from_learners(client, admin, learner):
    body = {"title": "Draft", "kind": "video", "hours_limit": 1, "published": False}
    item = client.post("/api/v1/courseware", json=body, headers=admin).json["id"]
    assert client.get("/api/v1/courseware", headers=learner).json == []
    assert_error(
        client.get(f"/api/v1/courseware/{item}", headers=learner), 404, "courseware_not_found"
    )
    assert client.get(f"/api/v1/courseware/{item}", headers=admin).status_code == 200


@pytest.mark.parametrize(
    "hours_limit", [0, -1, "2", None, True, "abc", [], 1e9, float("inf")], ids=repr
)
def test_hours_limit_must_be_a_positive_number(app, client, admin, hours_limit):
    body = {"title": "t", "kind": "video", "hours_limit": hours_limit}
    if hours_limit == float("inf"):
        response = client.post(
            "/api/v1/courseware",
            data='{"title": "t", "kind": "video", "hours_limit": Infinity}',
            content_type="application/json",
            headers=admin,
        )
    else:
        response = client.post("/api/v1/courseware", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert count(app, Courseware) == 0


@pytest.mark.parametrize(
    "body", [{"hours_limit": 0}, {"hours_limit": None}, {"title": None}, {"kind": "audio"}]
)
def test_bad_patch_is_400_and_changes_nothing(client, admin, body):
    item = client.post(
        "/api/v1/courseware", json={"title": "t", "kind": "video", "hours_limit": 2}, headers=admin
    ).json
    response = client.patch(f"/api/v1/courseware/{item['id']}", json=body, headers=admin)
    assert_error(response, 400, "bad_payload")
    assert client.get(f"/api/v1/courseware/{item['id']}", headers=admin).json == item


def test_patch_changes_the_limit(client, admin):
    item = client.post(
        "/api/v1/courseware", json={"title": "t", "kind": "video", "hours_limit": 2}, headers=admin
    ).json
    response = client.patch(
        f"/api/v1/courseware/{item['id']}", json={"hours_limit": 0.75}, headers=admin
    )
    assert response.status_code == 200
    assert response.json["hours_limit"] == 0.75


def test_patch_of_missing_courseware_is_404(client, admin):
    assert_error(
        client.patch("/api/v1/courseware/77", json={"hours_limit": 1}, headers=admin),
        404,
        "courseware_not_found",
    )


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_document_is_valid_and_complete(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    api_rules = {r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1/")}
    documented = {"/api/v1" + re.sub(r"\{(\w+)\}", r"<int:\1>", path) for path in spec["paths"]}
    assert documented == api_rules


def test_every_documented_endpoint_answers(app, client, admin):
    client.post(
        "/api/v1/courseware", json={"title": "t", "kind": "video", "hours_limit": 1}, headers=admin
    )
    spec = client.get("/api/v1/openapi.json").json
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            url = "/api/v1" + re.sub(r"\{\w+\}", "1", path)
            response = client.open(url, method=method.upper(), headers=admin, json={})
            documented = set(operation["responses"])
            assert str(response.status_code) in documented, (method, path, response.json)


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/records/{record_id}/evidence", {"file"}),
        ("/trainings/{training_id}/attendance/csv", {"file"}),
        ("/trainings/{training_id}/materials", {"kind", "file"}),
        ("/users/import", {"file"}),
    ],
)
def test_uploads_declare_their_multipart_bodies(client, path, fields):
    operation = client.get("/api/v1/openapi.json").json["paths"][path]["post"]
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert set(schema["properties"]) == set(schema["required"]) == fields
    assert schema["properties"]["file"] == {"type": "string", "format": "binary"}
    assert {"400", "413"} <= set(operation["responses"])  # bad_file, too_large


def test_json_answers_have_their_keys_sorted(client, admin):
    """Deliberately (app.json.sort_keys): the same data always gives the same bytes."""
    body = client.get("/api/v1/me", headers=admin).get_data(as_text=True)
    keys = [key for key, _ in json.loads(body, object_pairs_hook=list)]
    assert keys == sorted(keys)
    assert keys == ["display_name", "id", "language", "role", "rule_set", "unit", "username"]


# --- refusals across fields -----------------------------------------------------------------

# The field, and the problem in Chinese and in English.
END_BEFORE_START = (
    "end_date",
    "结束日期不能早于开始日期。",
    "The end date must not be before the start date.",
)
DAYS_BEYOND = (
    "days",
    "天数不能超过起止日期之间的天数。",
    "The days cannot exceed the calendar days of the period.",
)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize("edit", [False, True], ids=["new", "edit"])  # the model, the service
@pytest.mark.parametrize(
    ("kind", "changes", "where"),
    [
        ("records", {"end_date": "2026-02-04"}, END_BEFORE_START),
        ("records", {"days": 3.5}, DAYS_BEYOND),
        ("trainings", {"end_date": "2026-03-08"}, END_BEFORE_START),
        ("trainings", {"days": 2.5}, DAYS_BEYOND),
    ],
)
def test_a_refusal_across_fields_names_its_field(
    client, admin, kind, changes, where, edit, language
):
    base = {"records": RECORD_BASE, "trainings": TRAINING_BASE}[kind]
    headers = {**admin, "Accept-Language": language}
    if edit:
        created = client.post(f"/api/v1/{kind}", json=base, headers=headers).json
        url = f"/api/v1/{kind}/{created['id']}"
        response = client.patch(url, json=changes, headers=headers)
        assert client.get(url, headers=headers).json == created
    else:
        response = client.post(f"/api/v1/{kind}", json={**base, **changes}, headers=headers)
        assert client.get(f"/api/v1/{kind}", headers=headers).json in ([], {"items": []})
    assert_error(response, 400, "bad_payload")
    field, zh, en = where
    problem = zh if language == "zh-CN" else en
    assert response.json["details"] == [{"field": field, "problem": problem}]
