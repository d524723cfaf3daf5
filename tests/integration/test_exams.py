"""Exams over the API: authoring, attempts against the server's clock, scoring, refusals."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.conftest import assert_error, count, user_id
from tracker.extensions import db
from tracker.models import Certificate, ExamAttempt, ExamQuestion, ItemProgress, User
from tracker.services.exams.results import exam_results

QUESTIONS = [
    {
        "kind": "single",
        "text": "Which body sets the yearly target?",
        "choices": [
            {"text": "The HR bureau", "correct": True},
            {"text": "The canteen"},
            {"text": "Nobody"},
        ],
    },
    {
        "kind": "multiple",
        "text": "Which kinds count toward the target?",
        "points": 2,
        "choices": [
            {"text": "Online", "correct": True},
            {"text": "Offline training", "correct": True},
            {"text": "Lunch"},
        ],
    },
    {"kind": "true_false", "text": "One day of training is 8 hours.", "answer": True},
]


def make_exam(client, admin, item=None, **settings):
    """An exam with the three questions above; published unless told otherwise."""
    publish = settings.pop("published", True)
    body = {"title": "Integrity exam", "pass_mark": 60, "max_attempts": 3, **settings}
    body |= {"courseware_id": item} if item else {"subject": "public", "hours": 2}
    response = client.post("/api/v1/exams", json=body, headers=admin)
    assert response.status_code == 201, response.json
    exam = response.json
    for question in QUESTIONS:
        added = client.post(f"/api/v1/exams/{exam['id']}/questions", json=question, headers=admin)
        assert added.status_code == 201, added.json
    if publish:
        published = client.patch(
            f"/api/v1/exams/{exam['id']}", json={"published": True}, headers=admin
        )
        assert published.status_code == 200, published.json
    return exam["id"]


def key_of(client, admin, exam_id):
    """{question text: [correct choice ids]} as admins see the bank."""
    bank = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    return {q["text"]: [c["id"] for c in q["choices"] if c["correct"]] for q in bank}


def answers(attempt, key, right=True):
    """Answers to every question of the attempt: the key's, or a wrong choice."""
    out = {}
    for q in attempt["questions"]:
        correct = key[q["text"]]
        wrong = [c["id"] for c in q["choices"] if c["id"] not in correct][:1]
        out[str(q["question_id"])] = correct if right else wrong
    return out


def start(client, headers, exam_id):
    response = client.post(f"/api/v1/exams/{exam_id}/attempts", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_a_learner_passes_and_earns_a_certificate(client, admin, learner, make_courseware):
    item = make_courseware(hours_limit=1.5, title="Research integrity")
    exam_id = make_exam(client, admin, item, time_limit_minutes=30)
    key = key_of(client, admin, exam_id)
    listed = client.get("/api/v1/exams", headers=learner).json
    assert [(e["id"], e["can_start"], e["courseware_title"]) for e in listed] == [
        (exam_id, True, "Research integrity")
    ]
    attempt = start(client, learner, exam_id)
    raw = json.dumps(attempt)
    assert "correct" not in raw
    assert "answer" not in raw  # the key never leaves the server
    assert attempt["status"] == "open"
    assert attempt["remaining_s"] == 30 * 60
    assert {q["text"] for q in attempt["questions"]} == set(key)
    true_false = next(q for q in attempt["questions"] if q["kind"] == "true_false")
    assert [c["text"] for c in true_false["choices"]] == ["对", "错"]  # in the reader's language
    submitted = client.post(
        f"/api/v1/attempts/{attempt['id']}/submit",
        json={"answers": answers(attempt, key)},
        headers=learner,
    )
    assert submitted.status_code == 200, submitted.json
    result = submitted.json
    assert result["status"] == "submitted"
    assert result["result"] == {"earned": 4, "possible": 4, "percent": 100.0, "passed": True}
    assert result["mistakes_shown"] is True
    assert all(q["wrong"] is False for q in result["questions"])
    assert result["certificate"].startswith("EX2026-")
    again = client.post(f"/api/v1/attempts/{attempt['id']}/submit", json={}, headers=learner)
    assert_error(again, 409, "attempt_closed")
    assert_error(
        client.post(f"/api/v1/exams/{exam_id}/attempts", headers=learner), 409, "exam_passed"
    )
    mine = client.get(f"/api/v1/exams/{exam_id}", headers=learner).json
    assert (mine["passed"], mine["attempts_used"], mine["certificate"]) == (
        True,
        1,
        result["certificate"],
    )


def test_the_deadline_is_the_servers_and_saved_answers_count(client, admin, learner, clock):
    exam_id = make_exam(client, admin, time_limit_minutes=1, pass_mark=50)
    key = key_of(client, admin, exam_id)
    attempt = start(client, learner, exam_id)
    right = answers(attempt, key)
    first = attempt["questions"][0]["question_id"]
    saved = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers",
        json={"answers": {str(first): right[str(first)]}},
        headers=learner,
    )
    assert saved.status_code == 200, saved.json
    clock.advance(30)
    # A reload finds the same paper, the saved answer, and the server's remaining time.
    again = start(client, learner, exam_id)
    assert again["id"] == attempt["id"]
    assert [q["question_id"] for q in again["questions"]] == [
        q["question_id"] for q in attempt["questions"]
    ]
    assert sorted(again["questions"][0]["chosen"]) == sorted(right[str(first)])  # paper order
    assert again["remaining_s"] == 30
    clock.advance(30)
    assert client.get(f"/api/v1/attempts/{attempt['id']}", headers=learner).json["status"] == "open"
    clock.advance(0.5)
    late = client.post(
        f"/api/v1/attempts/{attempt['id']}/submit", json={"answers": right}, headers=learner
    )
    assert_error(late, 409, "attempt_expired")
    result = client.get(f"/api/v1/attempts/{attempt['id']}", headers=learner).json
    assert result["status"] == "expired"
    earned = 2 if attempt["questions"][0]["kind"] == "multiple" else 1
    assert result["result"]["earned"] == earned  # only what was saved in time
    assert result["remaining_s"] is None


def test_an_attempt_left_open_past_its_deadline_is_handed_in(app, client, admin, learner, clock):
    exam_id = make_exam(client, admin, time_limit_minutes=1)
    attempt = start(client, learner, exam_id)
    clock.advance(3600)
    with app.app_context():
        results = exam_results(User.id == user_id(app, "ann"), [2026])
    assert [(r.exam_id, r.attempts, r.passed, r.subject) for r in results] == [
        (exam_id, 1, False, "public")
    ]
    assert count(app, ExamAttempt, ExamAttempt.status == "expired") == 1
    mine = client.get(f"/api/v1/exams/{exam_id}", headers=learner).json
    assert (mine["open_attempt_id"], mine["last_attempt_id"]) == (None, attempt["id"])


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("other question", "question_not_in_attempt"),
        ("other choice", "choice_not_in_question"),
        ("two for single", "one_choice_only"),
    ],
)
def test_answers_that_do_not_fit_the_attempt_are_refused(client, admin, learner, answer, problem):
    exam_id = make_exam(client, admin, question_count=2)
    attempt = start(client, learner, exam_id)
    bank = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    drawn = {q["question_id"] for q in attempt["questions"]}
    left_out = next(q for q in bank if q["id"] not in drawn)
    first, second = attempt["questions"]
    body = {
        "other question": {str(left_out["id"]): [left_out["choices"][0]["id"]]},
        "other choice": {str(first["question_id"]): [second["choices"][0]["id"]]},
        "two for single": {
            str(q["question_id"]): [c["id"] for c in q["choices"][:2]]
            for q in attempt["questions"]
            if q["kind"] != "multiple"
        },
    }[answer]
    for verb, path in (("put", "answers"), ("post", "submit")):
        response = getattr(client, verb)(
            f"/api/v1/attempts/{attempt['id']}/{path}", json={"answers": body}, headers=learner
        )
        assert_error(response, 400, "answer_refused")
        assert response.json["details"][0]["question_id"] in {int(k) for k in body}
    state = client.get(f"/api/v1/attempts/{attempt['id']}", headers=learner).json
    assert state["status"] == "open"
    assert all(q["chosen"] == [] for q in state["questions"])


def test_mistakes_show_after_the_last_attempt_only(client, admin, learner):
    exam_id = make_exam(client, admin, max_attempts=2)
    key = key_of(client, admin, exam_id)
    for number in (1, 2):
        attempt = start(client, learner, exam_id)
        assert attempt["number"] == number
        result = client.post(
            f"/api/v1/attempts/{attempt['id']}/submit",
            json={"answers": answers(attempt, key, right=False)},
            headers=learner,
        ).json
        assert result["result"]["passed"] is False
        assert result["mistakes_shown"] is (number == 2)
        shown = [q["wrong"] for q in result["questions"]]
        assert shown == ([True, True, True] if number == 2 else [None, None, None])
    first = client.get(f"/api/v1/attempts/{attempt['id'] - 1}", headers=learner).json
    assert first["mistakes_shown"] is True
    response = client.post(f"/api/v1/exams/{exam_id}/attempts", headers=learner)
    assert_error(response, 409, "no_attempts_left")


def test_an_exam_may_wait_for_the_items_hours(app, client, admin, learner, make_courseware):
    item = make_courseware(hours_limit=0.5)
    exam_id = make_exam(client, admin, item, requires_completion=True)
    response = client.post(f"/api/v1/exams/{exam_id}/attempts", headers=learner)
    assert_error(response, 409, "item_not_completed")
    assert client.get(f"/api/v1/exams/{exam_id}", headers=learner).json["refusal"] == (
        "item_not_completed"
    )
    with app.app_context():
        db.session.add(
            ItemProgress(user_id=user_id(app, "ann"), courseware_id=item, credited_ms=1_799_999)
        )
        db.session.commit()
    assert_error(
        client.post(f"/api/v1/exams/{exam_id}/attempts", headers=learner), 409, "item_not_completed"
    )
    with app.app_context():
        db.session.get(ItemProgress, (user_id(app, "ann"), item)).credited_ms = 1_800_000
        db.session.commit()
    assert start(client, learner, exam_id)["number"] == 1


def test_attempts_are_private_and_the_bank_locks(client, admin, learner, make_user, auth_headers):
    exam_id = make_exam(client, admin)
    attempt = start(client, learner, exam_id)
    make_user("bob")
    bob = auth_headers("bob")
    for verb, path, body in (
        ("get", "", None),
        ("put", "/answers", {"answers": {}}),
        ("post", "/submit", {"answers": {}}),
    ):
        response = getattr(client, verb)(
            f"/api/v1/attempts/{attempt['id']}{path}", json=body, headers=bob
        )
        assert_error(response, 404, "attempt_not_found")
    response = client.post(f"/api/v1/exams/{exam_id}/questions", json=QUESTIONS[2], headers=admin)
    assert_error(response, 409, "exam_locked")
    question = attempt["questions"][0]["question_id"]
    response = client.delete(f"/api/v1/exams/{exam_id}/questions/{question}", headers=admin)
    assert_error(response, 409, "exam_locked")
    rows = client.get(f"/api/v1/exams/{exam_id}/attempts", headers=admin).json
    assert [(r["username"], r["status"]) for r in rows] == [("ann", "open")]
    assert_error(
        client.get(f"/api/v1/exams/{exam_id}/questions", headers=learner), 403, "forbidden"
    )


def test_authoring_rules(client, admin, learner, make_courseware):
    item = make_courseware()
    exam_id = make_exam(client, admin, item, published=False)
    assert_error(client.get(f"/api/v1/exams/{exam_id}", headers=learner), 404, "exam_not_found")
    response = client.post(
        "/api/v1/exams", json={"title": "Again", "courseware_id": item}, headers=admin
    )
    assert_error(response, 409, "exam_exists")
    response = client.patch(
        f"/api/v1/exams/{exam_id}", json={"question_count": 4, "published": True}, headers=admin
    )
    assert_error(response, 409, "exam_not_ready")
    empty = client.post("/api/v1/exams", json={"title": "E", "subject": "public"}, headers=admin)
    response = client.patch(
        f"/api/v1/exams/{empty.json['id']}", json={"published": True}, headers=admin
    )
    assert_error(response, 409, "exam_not_ready")
    bank = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    changed = client.put(
        f"/api/v1/exams/{exam_id}/questions/{bank[2]['id']}",
        json={"kind": "true_false", "text": "Half a day is 4 hours.", "answer": False},
        headers=admin,
    )
    assert changed.status_code == 200, changed.json
    assert (changed.json["id"], changed.json["answer"]) == (bank[2]["id"], False)
    deleted = client.delete(f"/api/v1/exams/{exam_id}/questions/{bank[0]['id']}", headers=admin)
    assert deleted.status_code == 204
    assert len(client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json) == 2


BAD_INPUT = [
    ("/exams", {"title": "No subject"}),
    ("/exams", {"title": "T", "subject": "public", "pass_mark": 0}),
    ("/exams", {"title": "T", "subject": "public", "pass_mark": 101}),
    ("/exams", {"title": "T", "subject": "public", "max_attempts": 21}),
    ("/exams", {"title": "T", "subject": "public", "time_limit_minutes": 601}),
    ("/exams", {"title": "T", "subject": "public", "requires_completion": True}),
    ("/exams", {"title": "x" * 201, "subject": "public"}),
    ("/exams", {"title": "T", "subject": "public", "courseware_id": 2**31}),
    ("/exams/{exam}/questions", {"kind": "single", "text": "Q", "choices": [{"text": "a"}]}),
    (
        "/exams/{exam}/questions",
        {"kind": "single", "text": "Q", "choices": [{"text": "a", "correct": True}] * 2},
    ),
    (
        "/exams/{exam}/questions",
        {"kind": "multiple", "text": "Q", "choices": [{"text": "a"}] * 3},
    ),
    (
        "/exams/{exam}/questions",
        {"kind": "multiple", "text": "Q", "choices": [{"text": "a", "correct": True}] * 9},
    ),
    ("/exams/{exam}/questions", {"kind": "true_false", "text": "Q"}),
    ("/exams/{exam}/questions", {"kind": "true_false", "text": "x" * 2001, "answer": True}),
]


def test_bad_exam_input_is_refused(client, admin):
    """One app for all the cases: each is refused and changes nothing."""
    exam_id = make_exam(client, admin, published=False)
    before = client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json
    exams = len(client.get("/api/v1/exams/all", headers=admin).json)
    for path, body in BAD_INPUT:
        response = client.post("/api/v1" + path.format(exam=exam_id), json=body, headers=admin)
        assert_error(response, 400, "bad_payload")
    assert client.get(f"/api/v1/exams/{exam_id}/questions", headers=admin).json == before
    assert len(client.get("/api/v1/exams/all", headers=admin).json) == exams


def test_bounds_on_ids_and_answers(client, admin, learner):
    exam_id = make_exam(client, admin)
    attempt = start(client, learner, exam_id)
    assert_error(client.get(f"/api/v1/exams/{2**31}", headers=learner), 404, "not_found")
    assert_error(client.get(f"/api/v1/attempts/{2**40}", headers=learner), 404, "not_found")
    too_many = {str(i): [] for i in range(1, 202)}
    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": too_many}, headers=learner
    )
    assert_error(response, 400, "bad_payload")
    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers",
        json={"answers": {"1": list(range(1, 10))}},
        headers=learner,
    )
    assert_error(response, 400, "bad_payload")
    response = client.put(
        f"/api/v1/attempts/{attempt['id']}/answers", json={"answers": {"x": [1]}}, headers=learner
    )
    assert_error(response, 400, "bad_payload")


def test_the_exams_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"post", "get"} <= set(paths["/exams/{exam_id}/attempts"])
    submit = paths["/attempts/{attempt_id}/submit"]["post"]
    assert "409" in submit["responses"]
    assert "attempt_expired" in submit["responses"]["409"]["description"]


def test_question_count_draws_from_the_bank(app, client, admin, learner):
    exam_id = make_exam(client, admin, question_count=2)
    attempt = start(client, learner, exam_id)
    assert len(attempt["questions"]) == 2
    assert count(app, ExamQuestion) == 3


def test_racing_starts_and_hand_ins_make_one_attempt_and_one_score(app, client, admin, learner):
    """Two tabs press "begin" together, then "hand in" together: one attempt, scored once."""
    exam_id = make_exam(client, admin)
    key = key_of(client, admin, exam_id)

    def together(call):
        with ThreadPoolExecutor(max_workers=2) as pool:
            return [f.result() for f in [pool.submit(call) for _ in range(2)]]

    started = together(
        lambda: app.test_client().post(f"/api/v1/exams/{exam_id}/attempts", headers=learner)
    )
    assert [r.status_code for r in started] == [200, 200]
    assert started[0].json["id"] == started[1].json["id"]
    attempt = started[0].json
    body = {"answers": answers(attempt, key)}
    handed = together(
        lambda: app.test_client().post(
            f"/api/v1/attempts/{attempt['id']}/submit", json=body, headers=learner
        )
    )
    assert sorted(r.status_code for r in handed) == [200, 409]
    assert count(app, ExamAttempt) == 1
    assert count(app, Certificate) == 1
