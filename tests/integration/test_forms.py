"""Every HTML form: limits in the browser equal the server's models; a refused submit answers
400 with every problem beside its field, in the user's language, the typed values kept and
nothing saved."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from tests.integration.conftest import PASSWORD, count, user_id
from tracker.api.fields import IsoDate
from tracker.api.schemas_trainings import Email
from tracker.extensions import db
from tracker.models import (
    Courseware,
    Evaluation,
    Exam,
    ItemProgress,
    LearningRecord,
    Training,
    Unit,
    User,
)
from tracker.services.accounts import Username
from tracker.validation import problem
from tracker.web.fields import MODELS
from tracker.web.forms import LABELS

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
LIMITS = ("required", "minlength", "maxlength", "min", "max", "step", "pattern")


class Page(HTMLParser):
    """A page's form controls and field messages, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict[str, Any]] = []
        self.errors: dict[str, tuple[int, str]] = {}
        self._order = 0
        self._error: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._order += 1
        found = {k: (v if v is not None else "") for k, v in attrs}
        if tag in ("input", "textarea", "select"):
            self.controls.append({"tag": tag, "order": self._order, **found})
        if tag == "span" and "field-error" in found.get("class", "").split():
            self._error = found["id"]
            self.errors[self._error] = (self._order, "")

    def handle_data(self, data: str) -> None:
        if self._error is not None:
            order, text = self.errors[self._error]
            self.errors[self._error] = (order, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._error = None

    def control(self, id_: str) -> dict[str, Any]:
        """The control with this id."""
        [found] = [c for c in self.controls if c.get("id") == id_]
        return found

    def message_beside(self, id_: str) -> str:
        """The message the control points to, checked to follow it before any other control."""
        control = self.control(id_)
        assert control.get("aria-invalid") == "true", id_
        order, text = self.errors[control["aria-describedby"]]
        between = [c for c in self.controls if control["order"] < c["order"] < order]
        assert all(c.get("type") in ("number",) and c["id"].endswith("-min") for c in between), (
            f"{id_}: the message is not beside its field"
        )
        return text


def figure(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def expected_limits(model: str, key: str) -> dict[str, str]:
    """What the model's JSON schema asks of a field, as HTML attributes (written here apart
    from the helper, so that a mistake in either shows)."""
    schema = MODELS[model].model_json_schema()
    prop = schema["properties"][key]
    prop = next((b for b in prop.get("anyOf", [prop]) if b.get("type") != "null"), prop)
    found = {"required": ""} if key in schema.get("required", []) else {}
    names = {"minLength": "minlength", "maxLength": "maxlength", "pattern": "pattern"}
    found |= {html: str(prop[k]) for k, html in names.items() if k in prop}
    if prop.get("type") == "integer":
        found["step"] = "1"
    elif prop.get("type") == "number":
        found["step"] = figure(prop["multipleOf"]) if "multipleOf" in prop else "any"
    step = 0 if found.get("step", "any") == "any" else float(found["step"])
    if "minimum" in prop:
        found["min"] = figure(prop["minimum"])
    elif "exclusiveMinimum" in prop:
        found["min"] = figure(prop["exclusiveMinimum"] + step)
    if "maximum" in prop:
        found["max"] = figure(prop["maximum"])
    return found


def rendered_limits(control: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in control.items() if k in LIMITS}


@dataclass
class Form:
    """One form: where it is, its model's fields, and a submit with several mistakes."""

    name: str
    page: str  # the page's URL; {ids} filled in
    post: str
    model: str
    form: str = ""  # the form's key on a page with several
    fields: dict[str, str] = field(default_factory=dict)  # input name: model field
    hours: tuple[str, ...] = ()  # hours-and-minutes inputs
    bad: dict[str, str] = field(default_factory=dict)
    wrong: tuple[str, ...] = ()  # the fields the bad submit gets wrong
    message: tuple[str, str, str] = ("", "", "")  # (field, zh, en) of one expected message
    saved: Any = None  # the table that must not grow
    status: int = 400
    anonymous: bool = False
    method: str = "post"  # a search or filter is a GET form, sent in the query string

    def id(self, name: str) -> str:
        return f"f-{self.form}-{name}" if self.form else f"f-{name}"


LONG = "x" * 201
FORMS = [
    Form(
        "login",
        "/login",
        "/login",
        "login",
        fields={"username": "username", "password": "password"},
        bad={"username": "", "password": ""},
        wrong=("username", "password"),
        message=("username", "此项为必填项", "This field is required."),
        anonymous=True,
    ),
    Form(
        "new user",
        "/admin/users",
        "/admin/users",
        "user_new",
        "new",
        fields={"username": "username", "password": "password", "display_name": "display_name"},
        bad={"username": "bad name!", "password": "short", "display_name": "王" * 121},
        wrong=("username", "password", "display_name"),
        message=("password", "至少填写 8 个字符", "Use at least 8 characters."),
        saved=User,
    ),
    Form(
        "user edit",
        "/admin/users/{ann}",
        "/admin/users/{ann}",
        "user_edit",
        fields={"display_name": "display_name", "password": "password"},
        bad={"display_name": "王" * 121, "role": "king", "password": "short"},
        wrong=("display_name", "role", "password"),
        message=("role", "请从给出的选项中选择", "Choose one of the offered values."),
    ),
    Form(
        "new unit",
        "/admin/units",
        "/admin/units",
        "unit",
        "new",
        fields={"name": "name"},
        bad={"name": LONG},
        wrong=("name",),
        message=("name", "最多填写 200 个字符", "Use at most 200 characters."),
        saved=Unit,
    ),
    Form(
        "courseware",
        "/admin/courseware",
        "/admin/courseware",
        "courseware",
        fields={"title": "title", "description": "description", "source_url": "source_url"},
        hours=("hours_limit",),
        bad={"title": LONG, "kind": "film", "hours_limit_h": "1", "hours_limit_min": "75"},
        wrong=("title", "kind", "hours_limit", "source_url"),
        message=("hours_limit", "分钟请填 0 到 59", "minutes from 0 to 59"),
        saved=Courseware,
    ),
    Form(
        "training",
        "/trainings/new",
        "/trainings/new",
        "training",
        fields={
            n: n
            for n in ("title", "category", "organizer", "location", "days", "capacity", "email")
        },
        bad={
            "title": "",
            "category": "讲座",
            "organizer": "所",
            "location": "楼",
            "start_date": "2026-03-10",
            "end_date": "2026-03-09",
            "days": "0.3",
            "email": "not-an-address",
        },
        wrong=("title", "end_date", "days", "email"),
        message=("email", "请填写电子邮箱地址", "Enter an email address such as"),
        saved=Training,
    ),
    Form(
        "attendance",
        "/trainings/{training}/attendance",
        "/trainings/{training}/attendance",
        "attendance",
        "add",
        fields={"username": "username", "absent_fraction": "absent_fraction"},
        bad={"username": "", "absent_fraction": "2", "assessment": "maybe"},
        wrong=("username", "absent_fraction", "assessment"),
        message=("absent_fraction", "请填写不大于 1 的数", "Enter a number of at most 1."),
    ),
    Form(
        "external claim",
        "/learning/external?kind=external_training",
        "/learning/external",
        "record",
        fields={
            n: n for n in ("title", "organizer", "location", "content", "days", "absent_fraction")
        },
        hours=("hours",),
        bad={
            "kind": "external_training",
            "action": "submit",
            "title": "",
            "start_date": "2026-02-01",
            "end_date": "2026-02-02",
            "hours_h": "x",
            "days": "0.2",
            "absent_fraction": "3",
        },
        wrong=("title", "hours", "days", "absent_fraction"),
        message=("hours", "小时请填整数", "Enter whole hours"),
        saved=LearningRecord,
    ),
    Form(
        "review",
        "/learning/review",
        "/learning/review/{claim}",
        "review",
        "record-{claim}",
        fields={"note": "note"},
        hours=("hours",),
        bad={"decision": "reject", "note": ""},
        wrong=("note",),
        message=("note", "请填写不通过的理由", "Give the reason for the rejection."),
    ),
    Form(
        "exam",
        "/admin/exams",
        "/admin/exams",
        "exam",
        fields={
            n: n
            for n in ("title", "pass_mark", "time_limit_minutes", "max_attempts", "question_count")
        },
        hours=("hours",),
        bad={"title": "", "pass_mark": "101", "max_attempts": "0", "question_count": "x"},
        wrong=("title", "pass_mark", "max_attempts", "question_count", "subject"),
        message=("pass_mark", "请填写不大于 100 的数", "Enter a number of at most 100."),
        saved=Exam,
    ),
    Form(
        "question",
        "/admin/exams/{exam}",
        "/admin/exams/{exam}/questions",
        "question",
        "question",
        fields={"text": "text", "points": "points"},
        bad={"kind": "single", "text": "", "points": "0", "choice_A": "一", "choice_B": "二"},
        wrong=("text", "points"),
        message=("points", "请填写不小于 1 的数", "Enter a number of at least 1."),
    ),
    Form(
        "evaluation",
        "/courseware/{item}/evaluate",
        "/courseware/{item}/evaluate",
        "evaluation",
        fields={"comment": "comment"},
        bad={"comment": "好" * 2001},
        wrong=("comment",),
        message=("comment", "最多填写 2000 个字符", "Use at most 2000 characters."),
        saved=Evaluation,
    ),
    Form(
        "profile",
        "/settings",
        "/settings",
        "profile",
        "profile",
        fields={"display_name": "display_name"},
        bad={"display_name": "王" * 121, "language": "fr"},
        wrong=("display_name", "language"),
        message=("language", "请从给出的选项中选择", "Choose one of the offered values."),
    ),
    Form(
        "password",
        "/settings",
        "/settings/password",
        "password",
        "password",
        fields={
            "current_password": "current_password",
            "new_password": "new_password",
            "repeat_password": "new_password",
        },
        bad={"current_password": "", "new_password": "short", "repeat_password": "shirt"},
        wrong=("current_password", "new_password", "repeat_password"),
        message=("repeat_password", "两次输入的新密码不一致", "not the same"),
    ),
    Form(
        "certificates",
        "/admin/certificates",
        "/admin/certificates/yearly",
        "yearly",
        "yearly",
        fields={"year": "year"},
        bad={"unit_id": "", "year": "1999"},
        wrong=("unit_id", "year"),
        message=("year", "请填写不小于 2000 的数", "Enter a number of at least 2000."),
    ),
    Form(
        "report filter",
        "/admin/reports",
        "/admin/reports",
        "report",
        fields={"year": "year"},
        bad={"year": "2101"},
        wrong=("year",),
        message=("year", "请填写不大于 2100 的数", "Enter a number of at most 2100."),
        method="get",
    ),
    Form(
        "certificate lookup",
        "/verify",
        "/verify",
        "certificate_lookup",
        fields={"number": "number"},
        bad={"number": "EX2026-ABCD"},
        wrong=("number",),
        message=(
            "number",
            "请按证书上印的编号填写",
            "Enter the number as printed on the certificate",
        ),
        anonymous=True,
        method="get",
    ),
]


@pytest.fixture
def world(app, client, make_user, make_courseware, admin, auth_headers) -> dict[str, Any]:
    """An admin logged in on `client`; a learner with a pending claim; an item, a training, an
    exam and a unit to find the forms on."""
    ids: dict[str, Any] = {"ann": make_user("ann"), "item": make_courseware()}
    ann = auth_headers("ann")
    claim = {"kind": "self_study", "title": "读本", "start_date": "2026-02-01"}
    claim |= {"end_date": "2026-02-02", "hours": 3}
    ids["claim"] = client.post("/api/v1/records", json=claim, headers=ann).json["id"]
    training = {"title": "培训", "category": "讲座", "organizer": "所", "location": "楼"}
    training |= {"start_date": "2026-03-09", "end_date": "2026-03-10", "days": 2}
    ids["training"] = client.post("/api/v1/trainings", json=training, headers=admin).json["id"]
    exam = {"title": "考试", "subject": "public"}
    ids["exam"] = client.post("/api/v1/exams", json=exam, headers=admin).json["id"]
    ids["unit"] = client.post("/api/v1/units", json={"name": "所"}, headers=admin).json["id"]
    with app.app_context():  # root took the item, so may evaluate it
        done = ItemProgress(
            user_id=user_id(app, "root"), courseware_id=ids["item"], credited_ms=7_200_000
        )
        db.session.add(done)
        db.session.commit()
    login = client.post("/login", data={"username": "root", "password": PASSWORD})
    assert login.status_code == 302
    return ids


def _page(app: Any, client: Any, form: Form, ids: dict[str, Any], headers: dict[str, str]) -> Page:
    if form.anonymous:
        client = app.test_client()
    response = client.get(form.page.format(**ids), headers=headers)
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_limits_in_the_browser_equal_the_models(app, client, world, form):
    form.form = form.form.format(**world)
    page = _page(app, client, form, world, ZH)
    for name, key in form.fields.items():
        assert rendered_limits(page.control(form.id(name))) == expected_limits(form.model, key), (
            name
        )
    for name in form.hours:
        whole, minutes = page.control(form.id(name)), page.control(form.id(name) + "-min")
        limit = expected_limits(form.model, name)
        assert (whole["name"], minutes["name"]) == (f"{name}_h", f"{name}_min")
        assert whole["min"] == minutes["min"] == "0"
        assert int(whole["max"]) <= float(limit["max"])
        assert ("required" in whole) == ("required" in limit)
        assert (minutes["max"], minutes["step"], whole["step"]) == ("59", "1", "1")


def test_no_form_types_its_own_limits(app, client, world):
    """Every control with a limit got it from a model (its id is the helper's)."""
    for form in FORMS:
        page = _page(app, client, form, world, ZH)
        typed = [
            c
            for c in page.controls
            if rendered_limits(c).keys() - {"required"} and not c.get("id", "").startswith("f-")
        ]
        assert typed == [], form.page


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_a_refused_form_shows_every_problem_beside_its_field(app, client, world, form):
    form.form = form.form.format(**world)
    if form.anonymous:
        client = app.test_client()
    before = count(app, form.saved) if form.saved is not None else None
    for headers, expected in ((ZH, form.message[1]), (EN, form.message[2])):
        url, sent = form.post.format(**world), {"headers": headers}
        if form.method == "get":
            response = client.get(url, query_string=form.bad, **sent)
        else:
            response = client.post(url, data=form.bad, **sent)
        assert response.status_code == form.status
        text = response.get_data(as_text=True)
        assert 'role="alert"' in text
        page = Page(text)
        messages = {name: page.message_beside(form.id(name)) for name in form.wrong}
        assert expected in messages[form.message[0]]
        assert "String should" not in text
        assert "Input should" not in text
        for name, typed in form.bad.items():
            control = next((c for c in page.controls if c.get("id") == form.id(name)), None)
            if control is None or control["tag"] != "input" or control.get("type") == "password":
                continue
            assert control.get("value") == typed, name  # what was typed is kept
        for name, control in ((c.get("name"), c) for c in page.controls):
            if control.get("type") == "password":
                assert not control.get("value"), name  # passwords are never sent back
    if before is not None:
        assert count(app, form.saved) == before


TRAINING_FORM = {"title": "培训", "category": "讲座", "organizer": "所", "location": "楼"}
CLAIM_FORM = {"kind": "external_training", "action": "submit", "title": "会议"}
ONE_DAY = {"start_date": "2026-03-09", "end_date": "2026-03-09", "days": "1.5"}


@pytest.mark.parametrize(
    ("post", "typed", "wrong", "saved"),
    [
        ("/trainings/new", {**TRAINING_FORM, **ONE_DAY}, ("days",), Training),
        ("/trainings/new", {**TRAINING_FORM, **ONE_DAY, "title": ""}, ("title", "days"), Training),
        (
            "/learning/external",
            {**CLAIM_FORM, **ONE_DAY, "hours_h": "8", "hours_min": "0"},
            ("days",),
            LearningRecord,
        ),
        (
            "/learning/external",
            {**CLAIM_FORM, **ONE_DAY, "hours_h": "x"},
            ("hours", "days"),
            LearningRecord,
        ),
    ],
    ids=["training", "training and title", "claim", "claim and hours"],
)
def test_more_days_than_the_period_has_are_refused_beside_the_days(
    app, client, world, post, typed, wrong, saved
):
    before = count(app, saved)
    for headers, expected in (
        (ZH, "天数不能超过起止日期之间的天数。"),
        (EN, "The days cannot exceed the calendar days of the period."),
    ):
        response = client.post(post, data=typed, headers=headers)
        assert response.status_code == 400
        page = Page(response.get_data(as_text=True))
        messages = {name: page.message_beside(f"f-{name}") for name in wrong}
        assert expected in messages["days"]
        assert page.control("f-days")["value"] == typed["days"]
    assert count(app, saved) == before


class Every(BaseModel):
    """A field of each constraint kind the forms use."""

    text: Annotated[str, Field(min_length=3, max_length=5)]
    required: str
    email: Email
    username: Username
    count: Annotated[int, Field(ge=1, le=10)]
    share: Annotated[float, Field(gt=0, lt=1)]
    days: Annotated[float, Field(multiple_of=0.5)]
    quarter: Annotated[float, Field(multiple_of=0.25)]
    choice: Literal["a", "b"]
    day: IsoDate
    flag: bool
    whole: int
    number: float


BAD = {
    "text": ["ab", "abcdef"],
    "email": ["no-at-sign"],
    "username": ["bad name!"],
    "count": [0, 11, "x", 1.5],
    "share": [0, 1, "x"],
    "days": [0.3],
    "quarter": [0.3],
    "choice": ["c"],
    "day": ["01/02/2026", "2026-02-30"],
    "flag": ["maybe"],
    "whole": ["x"],
    "number": ["x"],
}
CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.parametrize(("field", "value"), [(f, v) for f, vs in BAD.items() for v in vs])
def test_every_constraint_kind_has_a_message_for_people(app, field, value):
    for language, cjk in (("zh-CN", True), ("en", False)):
        with app.test_request_context(headers={"Accept-Language": language}):
            with pytest.raises(ValidationError) as refused:
                Every.model_validate({field: value})
            [error] = [e for e in refused.value.errors() if e["loc"] == (field,)]
            message = problem(error)
            assert message != problem({**error, "type": "value_error"}), error["type"]
            assert bool(CJK.search(message)) == cjk, message
            assert "should" not in message
            assert "^" not in message


def test_a_file_over_the_limit_is_named_beside_the_file_input(make_app, database_url):
    app = make_app(database_url, UPLOAD_MAX_BYTES=256 * 1024)  # the file stays in memory
    client = app.test_client()
    from tracker.services.accounts import save_user

    with app.app_context():
        save_user("ann", PASSWORD, "learner")
    client.post("/login", data={"username": "ann", "password": PASSWORD})
    claim = {"kind": "self_study", "title": "读本", "start_date": "2026-02-01"}
    claim |= {"end_date": "2026-02-02", "hours_h": "3", "action": "submit"}
    big = (io.BytesIO(b"%PDF-" + b"x" * (256 * 1024)), "notes.pdf")
    response = client.post(
        "/learning/external",
        data={**claim, "file": big},
        headers=EN,
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    page = Page(response.get_data(as_text=True))
    assert "at most 0.25 MB" in page.message_beside("f-file")
    assert page.control("f-title")["value"] == "读本"
    assert page.control("f-hours")["value"] == "3"
    assert count(app, LearningRecord) == 0


def test_every_field_a_form_can_name_has_a_label():
    """A summary line names the field by its label, never by its code."""
    for name, model in MODELS.items():
        prefix = "participants_" if name == "participants" else ""
        assert [k for k in model.model_fields if f"{prefix}{k}" not in LABELS] == [], name


@pytest.mark.parametrize(
    ("path", "query", "name", "message"),
    [
        ("/verify", {"number": ""}, "number", "This field is required."),
        ("/verify", {"number": "x" * 65}, "number", "Use at most 64 characters."),
        ("/verify/EX2026-ABCD", {}, "number", "Enter the number as printed on the certificate"),
        ("/admin/reports", {"year": "soon"}, "year", "Enter a whole number."),
        ("/admin/reports", {"year": "1999", "unit_id": "{unit}"}, "year", "at least 2000"),
    ],
)
def test_a_refused_search_shows_why_beside_its_field_and_keeps_what_was_typed(
    client, world, path, query, name, message
):
    with_ids = {k: v.format(unit=world["unit"]) for k, v in query.items()}
    response = client.get(path, query_string=with_ids, headers=EN)
    assert response.status_code == 400
    page = Page(response.get_data(as_text=True))
    assert message in page.message_beside(f"f-{name}")
    assert page.control(f"f-{name}")["value"] == with_ids.get(name, path.rpartition("/")[2])
    assert "data-exams-taken" not in response.get_data(as_text=True)  # no report for a bad year


def test_a_report_export_of_a_bad_year_is_refused(client, world):
    response = client.get(f"/admin/reports/export.csv?unit_id={world['unit']}&year=1999")
    assert response.status_code == 400
