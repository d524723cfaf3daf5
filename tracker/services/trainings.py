"""Training projects: filing, listing, enrolment, attendance (one by one or from CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, extract, func, or_, select

from tracker.auth import Principal
from tracker.core.rules import MS_PER_HOUR, RuleSet, hours_to_ms
from tracker.errors import fail
from tracker.extensions import db
from tracker.models import Training, TrainingMaterial, TrainingParticipant, User
from tracker.services import transaction
from tracker.services.audit import log_action
from tracker.services.rules import rule_set_for, rule_sets
from tracker.services.uploads import Upload, decode_text, stored

PARTICIPANT_CATEGORIES = ("management", "support", "staff", "research", "external")
FILING_MATERIALS = ("notice", "schedule", "sign_in")
MAX_CSV_LINES = 5000
_MONEY = ("budget", "actual_spend")
_ASSESSMENTS = {
    "passed": "passed",
    "pass": "passed",
    "合格": "passed",
    "通过": "passed",
    "failed": "failed",
    "fail": "failed",
    "不合格": "failed",
    "未通过": "failed",
}


def _now() -> datetime:
    return current_app.extensions["tracker.clock"]()


def today() -> date:
    """Today in the organisation's time zone."""
    return _now().astimezone(current_app.extensions["tracker.timezone"]).date()


def _hours(ms: int) -> float:
    return round(ms / MS_PER_HOUR, 4)


@dataclass(frozen=True)
class FilingView:
    """Whether a training's materials were filed in time."""

    due: date | None
    filed_at: datetime | None
    missing: tuple[str, ...]
    overdue: bool

    def public(self) -> dict[str, Any]:
        """As the API shows it."""
        return {
            "due": self.due,
            "filed": self.filed_at is not None,
            "filed_at": self.filed_at,
            "missing": list(self.missing),
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class TrainingView:
    """A training as shown to one caller (with their own enrolment)."""

    id: int
    title: str
    category: str
    type: str
    organizer: str
    location: str
    start_date: date
    end_date: date
    days: float
    hours_ms: int
    rule_set: str
    subject: str | None
    enrolment_open: bool
    enrolled: int
    capacity: int | None
    form: dict[str, Any]
    filing: FilingView
    my_status: str | None = None
    my_credited_ms: int | None = None

    @property
    def hours(self) -> float:
        """The training's hours under its organiser's rule set."""
        return _hours(self.hours_ms)

    @property
    def status(self) -> str:
        """open, full (capacity reached) or closed (enrolment closed by an admin)."""
        if not self.enrolment_open:
            return "closed"
        if self.capacity is not None and self.enrolled >= self.capacity:
            return "full"
        return "open"

    def public(self, admin: bool = False) -> dict[str, Any]:
        """As the API shows it; budget, spend and filing state are for admins."""
        form = dict(self.form)
        if not admin:
            form.update(budget=None, actual_spend=None)
        return {
            **{k: getattr(self, k) for k in _PUBLIC_FIELDS},
            **form,
            "hours": self.hours,
            "status": self.status,
            "filing": self.filing.public() if admin else None,
            "my_credited_hours": (
                None if self.my_credited_ms is None else _hours(self.my_credited_ms)
            ),
        }


_PUBLIC_FIELDS = [
    "id",
    "title",
    "category",
    "type",
    "organizer",
    "location",
    "start_date",
    "end_date",
    "days",
    "rule_set",
    "subject",
    "enrolment_open",
    "enrolled",
    "capacity",
    "my_status",
]
_FORM_FIELDS = ["audience", "purpose", "content", "department", "contact", "email", "phone"]


@dataclass(frozen=True)
class AttendanceView:
    """One person on a training."""

    training_id: int
    user_id: int
    username: str
    display_name: str
    status: str
    absent_fraction: float | None
    assessment: str | None
    credited_ms: int
    confirmed_at: datetime | None

    def public(self) -> dict[str, Any]:
        """As the API shows it."""
        return {
            "training_id": self.training_id,
            "user_id": self.user_id,
            "username": self.username,
            "display_name": self.display_name,
            "status": self.status,
            "absent_fraction": self.absent_fraction,
            "assessment": self.assessment,
            "credited_hours": _hours(self.credited_ms),
            "credited_s": self.credited_ms / 1000,
            "confirmed_at": self.confirmed_at,
        }


@dataclass(frozen=True)
class MaterialView:
    """A filed document of a training."""

    id: int
    training_id: int
    kind: str
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    stored_name: str = field(repr=False, default="")

    def public(self) -> dict[str, Any]:
        """As the API shows it."""
        return {
            "id": self.id,
            "training_id": self.training_id,
            "kind": self.kind,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "uploaded_at": self.uploaded_at,
        }


# --- reading --------------------------------------------------------------------------------


def _filing(training: Training, kinds: set[str]) -> FilingView:
    rules = rule_sets().get(training.rule_set_id)
    deadline = rules.filing_deadline_days if rules else None
    due = training.end_date + timedelta(days=deadline) if deadline is not None else None
    missing = tuple(kind for kind in FILING_MATERIALS if kind not in kinds)
    overdue = due is not None and training.filed_at is None and today() > due
    return FilingView(due, training.filed_at, missing, overdue)


def _form(training: Training) -> dict[str, Any]:
    counts = {c: getattr(training, f"participants_{c}") for c in PARTICIPANT_CATEGORIES}
    return {
        **{name: getattr(training, name) for name in _FORM_FIELDS},
        **{name: _float(getattr(training, name)) for name in _MONEY},
        "participants": counts if any(v is not None for v in counts.values()) else None,
    }


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _view(
    training: Training,
    enrolled: int,
    kinds: set[str],
    mine: TrainingParticipant | None = None,
) -> TrainingView:
    return TrainingView(
        id=training.id,
        title=training.title,
        category=training.category,
        type=training.training_type,
        organizer=training.organizer,
        location=training.location,
        start_date=training.start_date,
        end_date=training.end_date,
        days=float(training.days),
        hours_ms=training.hours_ms,
        rule_set=training.rule_set_id,
        subject=training.subject,
        enrolment_open=training.enrolment_open,
        enrolled=enrolled,
        capacity=training.capacity,
        form=_form(training),
        filing=_filing(training, kinds),
        my_status=mine.status if mine else None,
        my_credited_ms=mine.credited_ms if mine and mine.status == "confirmed" else None,
    )


def _views(trainings: list[Training], user_id: int) -> list[TrainingView]:
    ids = [t.id for t in trainings]
    if not ids:
        return []
    counts = dict(
        db.session.execute(
            select(TrainingParticipant.training_id, func.count())
            .where(TrainingParticipant.training_id.in_(ids))
            .group_by(TrainingParticipant.training_id)
        ).all()
    )
    mine = {
        p.training_id: p
        for p in db.session.scalars(
            select(TrainingParticipant).where(
                TrainingParticipant.training_id.in_(ids), TrainingParticipant.user_id == user_id
            )
        )
    }
    kinds: dict[int, set[str]] = {}
    for training_id, kind in db.session.execute(
        select(TrainingMaterial.training_id, TrainingMaterial.kind).where(
            TrainingMaterial.training_id.in_(ids)
        )
    ):
        kinds.setdefault(training_id, set()).add(kind)
    return [
        _view(t, counts.get(t.id, 0), kinds.get(t.id, set()), mine.get(t.id)) for t in trainings
    ]


def _filtered(query: Select[Any], filters: dict[str, Any], unit_id: int | None) -> Select[Any]:
    if filters.get("category"):
        query = query.where(Training.category == filters["category"])
    if filters.get("type"):
        query = query.where(Training.training_type == filters["type"])
    if filters.get("year"):
        year = filters["year"]
        query = query.where(
            extract("year", Training.start_date) <= year,
            extract("year", Training.end_date) >= year,
        )
    if filters.get("q"):
        query = query.where(Training.title.contains(filters["q"], autoescape=True))
    own = Training.unit_id.is_(None) if unit_id is None else Training.unit_id == unit_id
    if filters.get("source") == "own":
        query = query.where(own)
    elif filters.get("source") == "other":
        query = query.where(~own if unit_id is None else or_(~own, Training.unit_id.is_(None)))
    return query


def list_trainings(principal: Principal, filters: dict[str, Any]) -> list[TrainingView]:
    """Trainings matching seed 001's filters, newest first."""
    unit_id = db.session.scalar(select(User.unit_id).where(User.id == principal.id))
    query = _filtered(select(Training), filters, unit_id)
    trainings = list(db.session.scalars(query.order_by(Training.start_date.desc(), Training.id)))
    views = _views(trainings, principal.id)
    if filters.get("open") is not None:
        views = [v for v in views if (v.status == "open") == filters["open"]]
    if filters.get("overdue") is not None:
        views = [v for v in views if v.filing.overdue == filters["overdue"]]
    return views


def get_training(principal: Principal, training_id: int) -> TrainingView:
    """One training with the caller's enrolment; `training_not_found` if missing."""
    return _views([_training(training_id)], principal.id)[0]


def categories() -> list[str]:
    """The categories in use, for the list filter."""
    return list(
        db.session.scalars(select(Training.category).distinct().order_by(Training.category))
    )


def _training(training_id: int, lock: bool = False) -> Training:
    query = select(Training).where(Training.id == training_id)
    training = db.session.scalar(query.with_for_update() if lock else query)
    if training is None:
        fail("training_not_found")
    return training


# --- filing ---------------------------------------------------------------------------------


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    columns = {k: v for k, v in fields.items() if k not in ("participants", "type")}
    if "type" in fields:
        columns["training_type"] = fields["type"]
    if "participants" in fields:
        counts = fields["participants"] or {}
        for category in PARTICIPANT_CATEGORIES:
            columns[f"participants_{category}"] = counts.get(category)
    for name in (*_MONEY, "days"):
        if columns.get(name) is not None:
            columns[name] = Decimal(str(columns[name]))
    return columns


def _hours_ms(rules: RuleSet, days: Decimal | float) -> int:
    return hours_to_ms(rules.training_hours(float(days)))


def create_training(principal: Principal, fields: dict[str, Any]) -> TrainingView:
    """File a training; its hours are its days under the creating admin's rule set."""
    with transaction():
        admin = db.session.get(User, principal.id)
        rules = rule_set_for(admin)
        columns = _columns(fields)
        training = Training(
            **columns,
            hours_ms=_hours_ms(rules, columns["days"]),
            rule_set_id=rules.id,
            unit_id=admin.unit_id,
            created_by=admin.id,
            created_at=_now(),
            updated_at=_now(),
        )
        db.session.add(training)
        db.session.flush()
        log_action(principal.id, "training.create", "training", training.id, new=_snapshot(fields))
        return _view(training, 0, set())


def update_training(principal: Principal, training_id: int, fields: dict[str, Any]) -> TrainingView:
    """Change a training; new days re-credit everyone already confirmed."""
    with transaction():
        training = _training(training_id, lock=True)
        columns = _columns(fields)
        old = {k: _plain(getattr(training, k)) for k in columns}
        for name, value in columns.items():
            setattr(training, name, value)
        if training.end_date < training.start_date:
            fail("bad_payload", _("The end date must not be before the start date."))
        if "days" in columns and old["days"] != float(columns["days"]):
            rules = rule_sets()[training.rule_set_id]
            training.hours_ms = _hours_ms(rules, training.days)
            _recredit(training)
        training.updated_at = _now()
        new = {k: _plain(getattr(training, k)) for k in columns}
        changed = [k for k in columns if old[k] != new[k]]
        if changed:
            old, new = {k: old[k] for k in changed}, {k: new[k] for k in changed}
            log_action(principal.id, "training.update", "training", training.id, old=old, new=new)
        db.session.flush()
    return get_training(principal, training_id)


def _recredit(training: Training) -> None:
    for participant in db.session.scalars(
        select(TrainingParticipant).where(
            TrainingParticipant.training_id == training.id,
            TrainingParticipant.status == "confirmed",
        )
    ):
        user = db.session.get(User, participant.user_id)
        participant.credited_ms = _credit(
            training, user, participant.absent_fraction or 0.0, participant.assessment
        )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _snapshot(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in fields.items()}


# --- enrolment and attendance ---------------------------------------------------------------


def enrol(principal: Principal, training_id: int) -> str:
    """Enrol the caller (seed 001: the enrolment is approved at once); idempotent."""
    with transaction():
        training = _training(training_id, lock=True)
        mine = db.session.get(TrainingParticipant, (training_id, principal.id))
        if mine is not None:
            return mine.status
        if not training.enrolment_open:
            fail("training_closed")
        taken = db.session.scalar(
            select(func.count()).where(TrainingParticipant.training_id == training_id)
        )
        if training.capacity is not None and taken >= training.capacity:
            fail("training_full")
        db.session.add(
            TrainingParticipant(
                training_id=training_id,
                user_id=principal.id,
                status="approved",
                enrolled_at=_now(),
                credited_ms=0,
            )
        )
        return "approved"


def _credit(training: Training, user: User, absent_fraction: float, assessment: str | None) -> int:
    rules = rule_set_for(user)
    hours = rules.training_hours(float(training.days))
    return rules.offline_credit_ms(hours, absent_fraction, assessment != "failed")


def _confirm(
    principal: Principal, training: Training, user: User, absent_fraction: float, assessment: str
) -> TrainingParticipant:
    participant = db.session.get(TrainingParticipant, (training.id, user.id))
    if participant is None:
        participant = TrainingParticipant(training_id=training.id, user_id=user.id, credited_ms=0)
        db.session.add(participant)
    old = _attendance_state(participant)
    participant.status = "confirmed"
    participant.absent_fraction = absent_fraction
    participant.assessment = assessment
    participant.credited_ms = _credit(training, user, absent_fraction, assessment)
    new = _attendance_state(participant)
    if old != new:
        participant.confirmed_by = principal.id
        participant.confirmed_at = _now()
        log_action(
            principal.id,
            "attendance.confirm",
            "training",
            training.id,
            user_id=user.id,
            old=old,
            new=new,
        )
    return participant


def _attendance_state(participant: TrainingParticipant) -> dict[str, Any] | None:
    if participant.status != "confirmed":
        return None
    return {
        "absent_fraction": participant.absent_fraction,
        "assessment": participant.assessment,
        "credited_ms": participant.credited_ms,
    }


def confirm_attendance(
    principal: Principal, training_id: int, user_id: int, absent_fraction: float, assessment: str
) -> AttendanceView:
    """Confirm one person's attendance; their own rule set decides the credit."""
    with transaction():
        training = _training(training_id, lock=True)
        user = db.session.get(User, user_id)
        if user is None:
            fail("user_not_found")
        participant = _confirm(principal, training, user, absent_fraction, assessment)
        db.session.flush()
        return _attendance_view(participant, user)


def _attendance_view(participant: TrainingParticipant, user: User) -> AttendanceView:
    return AttendanceView(
        training_id=participant.training_id,
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        status=participant.status,
        absent_fraction=participant.absent_fraction,
        assessment=participant.assessment,
        credited_ms=participant.credited_ms,
        confirmed_at=participant.confirmed_at,
    )


def user_named(username: str) -> int:
    """The id of the user called `username`; `user_not_found` if there is none."""
    user_id = db.session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        fail("user_not_found")
    return user_id


def attendance(training_id: int) -> list[AttendanceView]:
    """Everyone enrolled on or confirmed for a training, by username."""
    _training(training_id)
    rows = db.session.execute(
        select(TrainingParticipant, User)
        .join(User, User.id == TrainingParticipant.user_id)
        .where(TrainingParticipant.training_id == training_id)
        .order_by(User.username)
    )
    return [_attendance_view(participant, user) for participant, user in rows]


# --- attendance from CSV --------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLine:
    """One valid line of an attendance file."""

    line: int
    username: str
    absent_fraction: float
    assessment: str


def _fraction(text: str) -> float | None:
    text = text.strip()
    try:
        if not text:
            return 0.0
        if text.endswith("%"):
            value = float(text[:-1]) / 100
        elif "/" in text:
            top, bottom = text.split("/", 1)
            value = float(top) / float(bottom)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value if 0 <= value <= 1 else None


def _rows(data: bytes) -> list[tuple[int, dict[str, str]]]:
    text = decode_text(data)
    if text is None:
        fail("bad_csv", details=[{"line": 1, "problem": _("The file is not readable text.")}])
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not reader.fieldnames or "username" not in [h.strip().lower() for h in reader.fieldnames]:
        fail(
            "bad_csv",
            details=[{"line": 1, "problem": _("The first line must name the column username.")}],
        )
    return [
        (reader.line_num, {k.strip().lower(): (v or "").strip() for k, v in row.items() if k})
        for row in reader
    ]


def _parse_line(number: int, row: dict[str, str]) -> tuple[CsvLine | None, list[str]]:
    problems = []
    username = row.get("username", "")
    if not username:
        problems.append(_("The username is missing."))
    fraction = _fraction(row.get("absent_fraction", ""))
    if fraction is None:
        problems.append(
            _(
                "The absence “%(value)s” is not a fraction between 0 and 1.",
                value=row.get("absent_fraction", ""),
            )
        )
    raw_assessment = row.get("assessment", "") or "passed"
    assessment = _ASSESSMENTS.get(raw_assessment.lower())
    if assessment is None:
        problems.append(
            _("The assessment “%(value)s” must be passed or failed.", value=raw_assessment)
        )
    if problems:
        return None, problems
    return CsvLine(number, username, fraction or 0.0, assessment or "passed"), []


def parse_attendance_csv(data: bytes) -> list[CsvLine]:
    """The lines of an attendance file; `bad_csv` with every line's problems if any."""
    rows = _rows(data)
    if not rows:
        fail("bad_csv", details=[{"line": 2, "problem": _("The file has no attendees.")}])
    if len(rows) > MAX_CSV_LINES:
        fail(
            "bad_csv",
            details=[{"line": MAX_CSV_LINES + 2, "problem": _("The file has too many lines.")}],
        )
    lines, errors, seen = [], [], set()
    for number, row in rows:
        line, problems = _parse_line(number, row)
        if line is not None and line.username in seen:
            problems = [_("%(username)s appears twice.", username=line.username)]
        errors += [{"line": number, "problem": p} for p in problems]
        if line is not None and not problems:
            seen.add(line.username)
            lines.append(line)
    if errors:
        fail("bad_csv", details=errors)
    return lines


def _users_by_name(lines: list[CsvLine]) -> dict[str, User]:
    names = [line.username for line in lines]
    users = {
        u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))
    }
    unknown = [
        {"line": line.line, "problem": _("There is no user %(username)s.", username=line.username)}
        for line in lines
        if line.username not in users
    ]
    if unknown:
        fail("bad_csv", details=unknown)
    return users


def import_attendance(principal: Principal, training_id: int, data: bytes) -> list[AttendanceView]:
    """Confirm every line of an attendance file, or none of them."""
    with transaction():
        training = _training(training_id, lock=True)
        lines = parse_attendance_csv(data)
        users = _users_by_name(lines)
        confirmed = [
            (
                _confirm(
                    principal,
                    training,
                    users[line.username],
                    line.absent_fraction,
                    line.assessment,
                ),
                users[line.username],
            )
            for line in lines
        ]
        db.session.flush()
        return [_attendance_view(participant, user) for participant, user in confirmed]


def attendance_template(training_id: int) -> str:
    """A CSV to fill in: everyone enrolled, present and passed by default."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["username", "display_name", "absent_fraction", "assessment"])
    for person in attendance(training_id):
        writer.writerow(
            [
                person.username,
                person.display_name,
                person.absent_fraction if person.absent_fraction is not None else 0,
                person.assessment or "passed",
            ]
        )
    return out.getvalue()


# --- materials ------------------------------------------------------------------------------


def _material_view(material: TrainingMaterial) -> MaterialView:
    return MaterialView(
        id=material.id,
        training_id=material.training_id,
        kind=material.kind,
        filename=material.filename,
        content_type=material.content_type,
        size=material.size,
        uploaded_at=material.uploaded_at,
        stored_name=material.stored_name,
    )


def add_material(principal: Principal, training_id: int, kind: str, upload: Upload) -> MaterialView:
    """File a document; the filing is complete once notice, schedule and sign-in are in."""
    with stored(upload, f"trainings/{training_id}") as relative, transaction():
        training = _training(training_id, lock=True)
        material = TrainingMaterial(
            training_id=training.id,
            kind=kind,
            filename=upload.filename,
            stored_name=relative,
            content_type=upload.content_type,
            size=upload.size,
            uploaded_by=principal.id,
            uploaded_at=_now(),
        )
        db.session.add(material)
        db.session.flush()
        if training.filed_at is None and not _missing_materials(training.id):
            training.filed_at = _now()
        log_action(
            principal.id,
            "training.material",
            "training",
            training.id,
            material_id=material.id,
            kind=kind,
            filename=upload.filename,
        )
        return _material_view(material)


def _missing_materials(training_id: int) -> set[str]:
    present = set(
        db.session.scalars(
            select(TrainingMaterial.kind).where(TrainingMaterial.training_id == training_id)
        )
    )
    return set(FILING_MATERIALS) - present


def list_materials(training_id: int) -> list[MaterialView]:
    """A training's documents, oldest first."""
    _training(training_id)
    return [
        _material_view(m)
        for m in db.session.scalars(
            select(TrainingMaterial)
            .where(TrainingMaterial.training_id == training_id)
            .order_by(TrainingMaterial.id)
        )
    ]


def get_material(training_id: int, material_id: int) -> MaterialView:
    """One document of a training."""
    _training(training_id)
    material = db.session.get(TrainingMaterial, material_id)
    if material is None or material.training_id != training_id:
        fail("material_not_found")
    return _material_view(material)
