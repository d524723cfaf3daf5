"""Human labels of archive terms, in the current language (shared by pages and exports)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.formatting import duration, on_one_line
from tracker.services.rules import rule_sets


def kind_label(kind: str) -> str:
    """The name of a kind of learning."""
    return {
        "online": _("Online (this site)"),
        "external_online": _("External online"),
        "offline": _("Offline training"),
        "self_study": _("On-the-job self-study"),
    }.get(kind, kind)


def subject_label(subject: str | None) -> str:
    """The name of a subject."""
    return {"public": _("Public subject"), "professional": _("Professional subject")}.get(
        subject or "", ""
    )


def joined(names: Iterable[str]) -> str:
    """Names listed in the current language ("a, b" / "a、b")."""
    return _(", ").join(names)


def rule_set_name(rule_set_id: str) -> str:
    """The title of a rule set, shown to people instead of its internal id."""
    found = rule_sets().get(rule_set_id)
    return found.title if found is not None else rule_set_id


def hours(seconds: float, missing: bool = False) -> str:
    """A duration in seconds as hours and minutes (`missing`: time still missing of a goal)."""
    return duration(seconds * 1000, missing=missing)


def page_hours(seconds: float, missing: bool = False) -> str:
    """`hours` as pages show it, on one line."""
    return on_one_line(seconds * 1000, missing=missing)


def cap_reason(cap: dict) -> str:
    """Why part of a kind does not count: the cap of its group."""
    kinds = joined(kind_label(k) for k in cap["kinds"])
    return _("%(kinds)s count at most %(cap)s a year", kinds=kinds, cap=hours(cap["cap_s"]))


def banner(doc: dict, figure: Callable[..., str] = hours) -> str:
    """ "In 2026 you have completed 54 h 10 min; 45 h 50 min more reach the 100 h target",
    and under subject minimums each subject's figures: never "reached" while one is short."""
    period = doc["from"][:4] if doc["from"][:4] == doc["to"][:4] else f"{doc['from']}–{doc['to']}"
    figures = {
        "period": period,
        "done": figure(doc["effective_s"]),
        "target": figure(doc["target_s"]),
    }
    if doc["remaining_s"] > 0:
        text = _(
            "In %(period)s you have completed %(done)s; %(left)s more reach the %(target)s target.",
            left=figure(doc["remaining_s"], missing=True),
            **figures,
        )
    elif not doc["compliant"]:
        text = _(
            "In %(period)s you have completed %(done)s of the %(target)s target, but a subject is "
            "still short of its minimum.",
            **figures,
        )
    else:
        text = _(
            "In %(period)s you have completed %(done)s and reached the %(target)s target.",
            **figures,
        )
    subjects = subject_figures(doc, figure)
    return f"{text} {subjects}" if subjects else text


def subject_figures(doc: dict, figure: Callable[..., str] = hours) -> str:
    """Each subject with a minimum: its effective time and what it still misses."""
    parts = []
    for subject, missing_s in doc.get("subject_shortfalls_s", {}).items():
        done = figure(doc["by_subject"].get(subject, {}).get("effective_s", 0))
        label = subject_label(subject)
        if missing_s > 0:
            parts.append(
                _(
                    "%(subject)s: %(done)s, %(missing)s missing",
                    subject=label,
                    done=done,
                    missing=figure(missing_s, missing=True),
                )
            )
        else:
            parts.append(_("%(subject)s: %(done)s, minimum met", subject=label, done=done))
    return _("; ").join(parts)


def shortfalls(missing: dict) -> str:
    """The subjects still short of their minimum and by how much (empty if none is)."""
    return _("; ").join(
        f"{subject_label(subject)} {hours(seconds, missing=True)}"
        for subject, seconds in missing.items()
        if seconds > 0
    )


def exams_line(tally: dict) -> str:
    """ "2 exams, 1 passed, pass rate 50.0 %", as the source archive counts them."""
    return ngettext(
        "%(num)d exam, %(passed)d passed, pass rate %(rate)s %%",
        "%(num)d exams, %(passed)d passed, pass rate %(rate)s %%",
        tally["taken"],
        passed=tally["passed"],
        rate=f"{tally['pass_rate']:.1f}",
    )


def awaiting_exam_reason() -> str:
    """Why an item's time does not count yet under a rule set that requires its exam."""
    return _("Counts once its exam is passed (in the same year)")


def exam_outcome(exam: dict) -> str:
    """Passed or not passed."""
    return _("passed") if exam["passed"] else _("not passed")
