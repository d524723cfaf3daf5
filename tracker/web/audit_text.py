"""How each kind of audit entry reads: one sentence in the reader's language, with links.

The one home of these sentences: `WORDS` and `SPECIAL` give each action its wording; an action
in neither reads as "<who> made a change to <what>".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from tracker.formatting import duration
from tracker.services.audit import AuditLine, Person
from tracker.web.flags import flag_rule_title

# The fields an update names, in people's words; a field not listed counts as "other details".
FIELDS = {
    "title": _l("Title"),
    "name": _l("Name"),
    "display_name": _l("Name"),
    "username": _l("Username"),
    "role": _l("Role"),
    "unit": _l("Unit"),
    "unit_id": _l("Unit"),
    "parent_id": _l("Parent"),
    "rule_set": _l("Rule set"),
    "active": _l("Active"),
    "kind": _l("Kind"),
    "description": _l("Description"),
    "hours_limit": _l("Limit"),
    "published": _l("Published"),
    "status": _l("Status"),
    "approved_ms": _l("Approved"),
    "claimed_ms": _l("Hours"),
    "hours_ms": _l("Hours"),
    "note": _l("Reviewer's note"),
    "organizer": _l("Organiser"),
    "location": _l("Location"),
    "content": _l("Content"),
    "subject": _l("Subject"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "days": _l("Days"),
    "absent_fraction": _l("Absence"),
    "assessment": _l("Assessment"),
    "category": _l("Category"),
    "training_type": _l("Type"),
    "capacity": _l("Capacity"),
    "enrolment_open": _l("Open for enrolment"),
    "pass_mark": _l("Pass mark"),
    "time_limit_s": _l("Time limit"),
    "max_attempts": _l("Attempts"),
    "paper_size": _l("Questions"),
    "budget": _l("Budget"),
    "purpose": _l("Purpose"),
    "phone": _l("Phone"),
}
# Fields whose values say little in a sentence (ids, long texts): named without their values.
WITHOUT_VALUES = {"unit_id", "parent_id", "description", "content", "purpose", "note"}
LONGEST = 40  # characters of a value shown before it is cut


def sentence(line: AuditLine) -> Markup:
    """The entry as one sentence, names and titles linked where the reader may open them."""
    action, parts = line.entry.action, _parts(line)
    if action in SPECIAL:
        return SPECIAL[action](line, parts)
    if action in WORDS:
        return _say(str(WORDS[action]), parts)
    return _fallback(line, parts)


def _say(text: str, parts: dict[str, Any]) -> Markup:
    return Markup(text) % parts


def _parts(line: AuditLine) -> dict[str, Any]:
    detail = line.entry.detail
    new = detail.get("new") if isinstance(detail.get("new"), dict) else {}
    return {
        "actor": _person(line.actor) if line.actor else _("The system"),
        "person": _person(line.person) if line.person else "—",
        "target": _target(line),
        "changes": _changes(detail),
        "hours": duration(
            new.get("approved_ms", new.get("credited_ms", detail.get("deducted_ms"))) or 0
        ),
        "note": _text(detail.get("note", new.get("note"))),
        "reason": _text(detail.get("reason")),
        "number": detail.get("number") or line.target,
        "filename": detail.get("filename") or "—",
        "num": int(detail.get("added") or 0) or len(detail.get("numbers") or []),
        "year": detail.get("year", "—"),
        "created": int(detail.get("created") or 0),
        "updated": int(detail.get("updated") or 0),
    }


def _person(person: Person) -> Markup:
    if not person.name:
        return Markup(escape(_("a person outside your units")))
    if person.id is None:
        return Markup(escape(person.name))
    return _link(url_for("web.admin_user", user_id=person.id), person.name)


def _link(href: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(href, text)


def _target(line: AuditLine) -> Markup:
    entry = line.entry
    if not entry.target_id.isdigit():
        return Markup("")
    number = int(entry.target_id)
    title = line.target or f"#{number}"
    if entry.target_type == "flag":
        title = flag_rule_title(line.target) if line.target else title
    where = {
        "record": lambda: url_for("web.review_queue", status=line.state) + f"#record-{number}",
        "flag": lambda: url_for("web.flag_queue", status=line.state) + f"#flag-{number}",
        "training": lambda: url_for("web.training_page", training_id=number),
        "courseware": lambda: url_for("web.admin_courseware_item", courseware_id=number),
        "unit": lambda: url_for("web.admin_units") + f"#unit-{number}",
        "exam": lambda: url_for("web.admin_exam", exam_id=number),
        "certificate": lambda: url_for("web.verify_page", number=line.target),
        "user": lambda: url_for("web.admin_user", user_id=number),
    }.get(entry.target_type)
    if where is None or not line.target:
        return Markup(escape(title))
    return _link(where(), title)


def _text(value: Any) -> str:
    return str(value).strip() or "—" if value is not None else "—"


def _value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field.endswith("_ms"):
        return duration(value)
    if field == "time_limit_s":
        return duration(value * 1000)
    if field == "hours_limit":
        return duration(value * 3_600_000)
    if field == "role":
        roles = {"learner": _("Learner"), "leader": _("Leader"), "admin": _("Administrator")}
        return roles.get(value, str(value))
    text = str(value)
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"


def _changes(detail: dict[str, Any]) -> Markup:
    """ "Role: Learner → Leader; Unit" from an entry's before and after."""
    new = detail.get("new") if isinstance(detail.get("new"), dict) else {}
    old = detail.get("old") if isinstance(detail.get("old"), dict) else {}
    said: list[str] = []
    others = False
    for field, after in new.items():
        label = FIELDS.get(field)
        if field == "password":
            said.append(_("password changed"))
        elif label is None:
            others = True
        elif field in WITHOUT_VALUES:
            said.append(str(label))
        elif field in old:
            before = _value(field, old[field])
            said.append(
                _("%(field)s: %(old)s → %(new)s", field=label, old=before, new=_value(field, after))
            )
        else:
            said.append(_("%(field)s: %(new)s", field=label, new=_value(field, after)))
    if others:
        said.append(_("other details"))
    return Markup(escape(_("; ").join(said) or "—"))


def _fallback(line: AuditLine, parts: dict[str, Any]) -> Markup:
    return _say(_("%(actor)s made a change to %(target)s"), parts)


def _questions(line: AuditLine, parts: dict[str, Any]) -> Markup:
    if line.entry.detail.get("replaced"):
        text = _("%(actor)s replaced the questions of the exam “%(target)s”: %(num)d new")
        return _say(text, parts)
    return _say(str(WORDS["exam.questions"]), parts)


def _exam_question(line: AuditLine, parts: dict[str, Any]) -> Markup:
    if "deleted" in line.entry.detail:
        return _say(_("%(actor)s removed a question from the exam “%(target)s”"), parts)
    return _say(_("%(actor)s edited a question of the exam “%(target)s”"), parts)


def _password(line: AuditLine, parts: dict[str, Any]) -> Markup:
    if line.actor and line.person and line.actor.id == line.person.id:
        return _say(_("%(actor)s changed their own password"), parts)
    return _say(_("%(actor)s changed the password of %(person)s"), parts)


# The wording of each action that needs nothing but the parts (`_parts`).
WORDS = {
    "user.create": _l("%(actor)s created the account of %(target)s"),
    "user.update": _l("%(actor)s changed the account of %(target)s: %(changes)s"),
    "user.profile": _l("%(actor)s changed their own profile: %(changes)s"),
    "record.approve": _l("%(actor)s approved %(person)s's claim “%(target)s”: %(hours)s"),
    "record.reject": _l("%(actor)s rejected %(person)s's claim “%(target)s”: %(note)s"),
    "record.revoke": _l(
        "%(actor)s revoked the approval of %(person)s's claim “%(target)s”: %(reason)s"
    ),
    "record.withdraw": _l("%(actor)s withdrew their claim “%(target)s”"),
    "record.update": _l("%(actor)s changed their claim “%(target)s”: %(changes)s"),
    "record.resubmit": _l(
        "%(actor)s changed and resubmitted their rejected claim “%(target)s”: %(changes)s"
    ),
    "flag.dismiss": _l("%(actor)s dismissed the flag “%(target)s” about %(person)s: %(note)s"),
    "flag.deduct": _l(
        "%(actor)s deducted %(hours)s from %(person)s for the flag “%(target)s”: %(note)s"
    ),
    "courseware.create": _l("%(actor)s added the courseware “%(target)s”"),
    "courseware.update": _l("%(actor)s changed the courseware “%(target)s”: %(changes)s"),
    "unit.create": _l("%(actor)s created the unit “%(target)s”"),
    "unit.update": _l("%(actor)s changed the unit “%(target)s”: %(changes)s"),
    "exam.create": _l("%(actor)s created the exam “%(target)s”"),
    "exam.update": _l("%(actor)s changed the exam “%(target)s”: %(changes)s"),
    "exam.questions": _l("%(actor)s added questions to the exam “%(target)s”: %(num)d"),
    "training.create": _l("%(actor)s created the training “%(target)s”"),
    "training.update": _l("%(actor)s changed the training “%(target)s”: %(changes)s"),
    "training.material": _l("%(actor)s uploaded “%(filename)s” to the training “%(target)s”"),
    "attendance.confirm": _l(
        "%(actor)s confirmed the attendance of %(person)s at “%(target)s”: %(hours)s"
    ),
    "attendance.void": _l(
        "%(actor)s voided the attendance of %(person)s at “%(target)s”: %(reason)s"
    ),
    "certificate.issue": _l("Certificate %(number)s was issued to %(person)s"),
    "certificate.issue_yearly": _l(
        "%(actor)s issued the yearly certificates of %(year)s in “%(target)s”: %(num)d"
    ),
    "user.import": _l(
        "%(actor)s imported users from a file: %(created)d added, %(updated)d changed"
    ),
    "certificate.revoke": _l(
        "%(actor)s revoked the certificate %(number)s of %(person)s: %(reason)s"
    ),
}
# Actions whose wording depends on the entry (counts, who did it to whom).
SPECIAL: dict[str, Callable[[AuditLine, dict[str, Any]], Markup]] = {
    "exam.questions": _questions,
    "user.password": _password,
    "exam.question": _exam_question,
}
SENTENCES = frozenset(WORDS) | frozenset(SPECIAL)  # every action that has its own wording
