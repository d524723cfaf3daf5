"""The yearly archive: caps per calendar year, chronological allocation, subjects, previews."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.config import PROJECT_ROOT
from tracker.core.archive import (
    NOT_PASSED,
    CapUse,
    Entry,
    KindTotal,
    YearTotals,
    chronological,
    preview_claim,
    summarize_year,
    total_year,
)
from tracker.core.compliance import subject_shortfalls
from tracker.core.rules import KINDS, SUBJECTS, hours_to_ms
from tracker.rulesets import load_rule_sets

H = hours_to_ms(1)
RULES = load_rule_sets(PROJECT_ROOT / "rules")
CAS = RULES["cas-2016"]
CZ = RULES["changzhou-2011"]


def day(month: int, dom: int = 1, year: int = 2016) -> date:
    return date(year, month, dom)


def test_the_2016_archive_of_the_employee_guide() -> None:
    """The employee guide's 2016 archive: 92 h 10 min recorded, 54 h 10 min effective."""
    entries = [
        Entry("online", day(3), 10 * 60_000),
        Entry("offline", day(5, 7), 44 * H),
        Entry("self_study", day(6), 48 * H),
    ]
    archive = summarize_year(entries, 2016, CAS)
    assert archive.raw_ms == 92 * H + 10 * 60_000
    assert archive.effective_ms == 54 * H + 10 * 60_000
    assert archive.by_kind["self_study"].effective_ms == 10 * H
    assert archive.by_kind["offline"].effective_ms == 44 * H
    cut = {cap.name: cap.cut_ms for cap in archive.caps}
    assert cut == {"online": 0, "self_study": 38 * H}
    assert archive.cap_for("self_study").reached
    assert not archive.cap_for("external_online").reached


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param(
            [Entry("online", day(1), 30 * H), Entry("external_online", day(2), 30 * H)],
            {"online": 30 * H, "external_online": 20 * H},
            id="earlier online fills the cap first",
        ),
        pytest.param(
            [Entry("online", day(2), 30 * H), Entry("external_online", day(1), 30 * H)],
            {"online": 20 * H, "external_online": 30 * H},
            id="earlier external online fills the cap first",
        ),
        pytest.param(
            [Entry("external_online", day(1), 40 * H), Entry("online", day(1), 40 * H)],
            {"online": 40 * H, "external_online": 10 * H},
            id="same day: online before external online",
        ),
        pytest.param(
            [Entry("self_study", day(1), 6 * H), Entry("self_study", day(2), 6 * H)],
            {"self_study": 10 * H},
            id="self-study at most 10 h",
        ),
        pytest.param(
            [Entry("offline", day(1), 300 * H)],
            {"offline": 300 * H},
            id="offline has no cap",
        ),
        pytest.param(
            [Entry("self_study", day(1), 48 * H), Entry("online", day(2), 60 * H)],
            {"self_study": 10 * H, "online": 50 * H},
            id="caps are independent",
        ),
    ],
)
def test_caps_are_filled_chronologically(entries: list[Entry], expected: dict[str, int]) -> None:
    archive = summarize_year(entries, 2016, CAS)
    assert {k: t.effective_ms for k, t in archive.by_kind.items() if t.count} == expected


def test_entries_of_other_years_are_ignored() -> None:
    entries = [Entry("self_study", date(2015, 12, 31), 10 * H), Entry("self_study", day(1), 4 * H)]
    archive = summarize_year(entries, 2016, CAS)
    assert archive.by_kind["self_study"] == KindTotal(4 * H, 4 * H, 1)
    assert archive.year == 2016
    assert archive.rule_set_id == "cas-2016"


def test_no_caps_under_changzhou_and_subjects_are_measured() -> None:
    entries = [
        Entry("online", day(1), 60 * H, subject="public"),
        Entry("offline", day(2), 12 * H, subject="professional"),
        Entry("self_study", day(3), 20 * H),
    ]
    archive = summarize_year(entries, 2016, CZ)
    assert archive.effective_ms == 92 * H
    assert dict(archive.by_subject) == {"public": 60 * H, "professional": 12 * H}
    assert dict(subject_shortfalls(archive.by_subject, CZ)) == {"public": 0, "professional": 36 * H}
    assert archive.caps == ()


def test_subjects_count_only_their_effective_part() -> None:
    entries = [Entry("self_study", day(1), 30 * H, subject="public")]
    archive = summarize_year(entries, 2016, CAS)
    assert archive.by_subject["public"] == 10 * H
    assert dict(subject_shortfalls(archive.by_subject, CAS)) == {}


def test_items_keep_their_reference_and_effective_part() -> None:
    entries = [
        Entry("self_study", day(2), 8 * H, ref="b"),
        Entry("self_study", day(1), 8 * H, ref="a"),
    ]
    items = summarize_year(entries, 2016, CAS).items
    assert [(i.entry.ref, i.effective_ms) for i in items] == [("a", 8 * H), ("b", 2 * H)]


@pytest.mark.parametrize(
    ("existing", "kind", "claim_h", "counted_h", "room_h"),
    [
        pytest.param([], "self_study", 12, 10, 10, id="self-study claim above the cap"),
        pytest.param([Entry("self_study", day(1), 4 * H)], "self_study", 8, 6, 6, id="partly"),
        pytest.param([Entry("online", day(1), 50 * H)], "external_online", 3, 0, 0, id="full"),
        pytest.param([Entry("online", day(1), 45 * H)], "external_online", 8, 5, 5, id="shared"),
        pytest.param([Entry("self_study", day(1), 40 * H)], "offline", 8, 8, None, id="no cap"),
        pytest.param(
            [Entry("self_study", day(9), 8 * H)], "self_study", 8, 2, 2, id="earlier claim"
        ),
        pytest.param(
            [Entry("self_study", date(2015, 5, 1), 10 * H)], "self_study", 8, 8, 10, id="last year"
        ),
    ],
)
def test_preview_of_a_claim(existing, kind, claim_h, counted_h, room_h) -> None:
    preview = preview_claim(existing, CAS, kind, claim_h * H, day(6))
    assert preview.counted_ms == counted_h * H
    assert preview.not_counted_ms == (claim_h - counted_h) * H
    assert (preview.cap.room_ms if preview.cap else None) == (
        room_h * H if room_h is not None else None
    )


@pytest.mark.parametrize("count", [summarize_year, total_year])
def test_an_unknown_kind_is_refused(count) -> None:
    with pytest.raises(ValueError, match=r"kind"):
        count([Entry("online", day(1), H), Entry("telepathy", day(1), H)], 2016, CAS)


@pytest.mark.parametrize(
    ("entries", "raw_h", "effective_h"),
    [
        pytest.param(
            [Entry("offline", day(3), 10 * H), Entry("offline", day(1), -4 * H)],
            6,
            6,
            id="uncapped: taken back in full, whatever its day",
        ),
        pytest.param(
            [Entry("online", day(1), 60 * H), Entry("online", day(2), -5 * H)],
            55,
            50,
            id="above the cap: nothing effective is taken",
        ),
        pytest.param(
            [Entry("online", day(1), 52 * H), Entry("online", day(2), -5 * H)],
            47,
            47,
            id="across the cap: only what falls below it",
        ),
        pytest.param(
            [
                Entry("online", day(1), 30 * H),
                Entry("external_online", day(2), 30 * H),
                Entry("external_online", day(12), -20 * H),
            ],
            40,
            40,
            id="a cap group is taken back as a whole",
        ),
        pytest.param(
            [Entry("self_study", day(1), 2 * H), Entry("self_study", day(2), -5 * H)],
            0,
            0,
            id="never below nothing",
        ),
    ],
)
def test_negative_entries_take_back_what_would_no_longer_count(entries, raw_h, effective_h) -> None:
    archive = summarize_year(entries, 2016, CAS)
    assert (archive.raw_ms, archive.effective_ms) == (raw_h * H, effective_h * H)
    assert total_year(entries, 2016, CAS).effective_ms == effective_h * H
    assert sum(item.effective_ms for item in archive.items) == effective_h * H
    assert sum(t.count for t in archive.by_kind.values()) == sum(e.raw_ms > 0 for e in entries)


# --- properties -----------------------------------------------------------------------------

entries_strategy = st.lists(
    st.builds(
        Entry,
        kind=st.sampled_from(KINDS),
        day=st.dates(min_value=date(2015, 12, 1), max_value=date(2017, 1, 31)),
        raw_ms=st.integers(min_value=0, max_value=80 * H),
        subject=st.sampled_from((None, *SUBJECTS)),
        exam_passed_on=st.sampled_from((None, NOT_PASSED, date(2016, 6, 1), date(2017, 1, 2))),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(entries=entries_strategy, rules=st.sampled_from((CAS, CZ)))
def test_effective_never_exceeds_raw_or_caps(entries: list[Entry], rules) -> None:
    archive = summarize_year(entries, 2016, rules)
    for item in archive.items:
        assert 0 <= item.effective_ms <= item.entry.raw_ms
    for total in archive.by_kind.values():
        assert 0 <= total.effective_ms <= total.raw_ms
    for cap in archive.caps:
        assert cap.effective_ms <= cap.cap_ms
        assert cap.effective_ms == min(cap.cap_ms, cap.raw_ms)
    assert archive.effective_ms <= archive.raw_ms
    assert archive.raw_ms == sum(e.raw_ms for e in entries if e.day.year == 2016)
    assert sum(archive.by_subject.values()) <= archive.effective_ms


@settings(max_examples=100, deadline=None)
@given(entries=entries_strategy, seed=st.integers(0, 2**16))
def test_input_order_does_not_matter(entries: list[Entry], seed: int) -> None:
    # Same-day entries decide which subject and month a cap cuts: even those must not depend on
    # the order the ledger's rows came in (one person's archive and a unit report read them
    # with different plans).
    shuffled = list(entries)
    random.Random(seed).shuffle(shuffled)
    before, after = summarize_year(entries, 2016, CAS), summarize_year(shuffled, 2016, CAS)
    assert after == before


@settings(max_examples=100, deadline=None)
@given(entries=entries_strategy, rules=st.sampled_from((CAS, CZ)))
def test_totals_are_the_archive_without_its_items(entries: list[Entry], rules) -> None:
    archive, totals = summarize_year(entries, 2016, rules), total_year(entries, 2016, rules)
    assert totals == YearTotals(**{k: v for k, v in vars(archive).items() if k != "items"})
    by_month = [0] * 12
    for item in archive.items:
        by_month[item.entry.day.month - 1] += item.effective_ms
    assert totals.by_month == tuple(by_month)
    assert sum(totals.by_month) == totals.effective_ms


def test_months_show_where_the_cap_cut() -> None:
    entries = [
        Entry("online", day(3), 45 * H),
        Entry("online", day(5), 10 * H),
        Entry("online", day(9), 10 * H),
        Entry("offline", day(9), 8 * H),
    ]
    by_month = total_year(entries, 2016, CAS).by_month
    assert by_month == (0, 0, 45 * H, 0, 5 * H, 0, 0, 0, 8 * H, 0, 0, 0)


@settings(max_examples=100, deadline=None)
@given(
    entries=entries_strategy,
    kind=st.sampled_from(KINDS),
    raw_ms=st.integers(min_value=0, max_value=80 * H),
    on=st.dates(min_value=date(2016, 1, 1), max_value=date(2016, 12, 31)),
)
def test_preview_counts_what_the_archive_then_gains(entries, kind, raw_ms, on) -> None:
    preview = preview_claim(entries, CAS, kind, raw_ms, on)
    assert 0 <= preview.counted_ms <= raw_ms
    after = summarize_year([*entries, Entry(kind, on, raw_ms)], 2016, CAS)
    assert after.effective_ms == summarize_year(entries, 2016, CAS).effective_ms + (
        preview.counted_ms
    )
    if preview.cap is not None:
        assert preview.counted_ms == min(raw_ms, max(0, preview.cap.cap_ms - preview.cap.raw_ms))


def test_entries_of_one_day_and_kind_are_ordered_by_their_own_values() -> None:
    first, second = Entry("offline", day(1), H, ref="1"), Entry("offline", day(1), H, ref="2")
    public = Entry("offline", day(1), 2 * H, subject="public", ref="0")
    assert chronological([second, public, first]) == [first, second, public]
    assert chronological([public, first, second]) == [first, second, public]


# --- changzhou-2011: a public subject's online item counts once its exam is passed --------------


def public_online(passed_on: date | None, hours: int = 10) -> Entry:
    return Entry("online", day(3), hours * H, "public", "online:item", passed_on)


@pytest.mark.parametrize(
    ("passed_on", "rules", "effective_h", "awaiting_h"),
    [
        pytest.param(day(4), CZ, 10, 0, id="passed after watching, same year"),
        pytest.param(day(1), CZ, 10, 0, id="passed before watching"),
        pytest.param(day(12, 31), CZ, 10, 0, id="passed on the last day of the year"),
        pytest.param(NOT_PASSED, CZ, 0, 10, id="not passed"),
        pytest.param(date(2017, 1, 1), CZ, 0, 10, id="passed only the next year"),
        pytest.param(None, CZ, 10, 0, id="no exam"),
        pytest.param(NOT_PASSED, CAS, 10, 0, id="other rule set"),
    ],
)
def test_a_public_item_counts_once_its_exam_is_passed(
    passed_on, rules, effective_h, awaiting_h
) -> None:
    archive = summarize_year([public_online(passed_on)], 2016, rules)
    assert archive.raw_ms == 10 * H
    assert archive.effective_ms == archive.by_subject["public"] == effective_h * H
    assert archive.awaiting_exam_ms == awaiting_h * H
    assert archive.items[0].awaiting_exam is (awaiting_h > 0)
    assert total_year([public_online(passed_on)], 2016, rules).awaiting_exam_ms == awaiting_h * H


def test_only_the_subjects_the_rule_set_names_wait_for_their_exam() -> None:
    professional = Entry("online", day(3), 5 * H, "professional", "online:other", NOT_PASSED)
    archive = summarize_year([public_online(NOT_PASSED), professional], 2016, CZ)
    assert dict(archive.by_subject) == {"public": 0, "professional": 5 * H}
    assert archive.awaiting_exam_ms == 10 * H
    assert subject_shortfalls(archive.by_subject, CZ)["public"] == 24 * H


def test_time_waiting_for_its_exam_leaves_the_cap_to_the_rest() -> None:
    gated = replace(CAS, exam_required_subjects=frozenset({"public"}))
    entries = [public_online(NOT_PASSED, hours=45), Entry("online", day(4), 30 * H)]
    archive = summarize_year(entries, 2016, gated)
    assert archive.effective_ms == 30 * H
    assert archive.cap_for("online").room_ms == 20 * H
    assert archive.awaiting_exam_ms == 45 * H


@pytest.mark.parametrize("used_ms", [0, 1, 30 * H - 100, 50 * H - 1, 50 * H, 60 * H])
def test_a_caps_room_is_exact(used_ms) -> None:
    cap = CapUse("online", frozenset({"online"}), 50 * H, used_ms, min(used_ms, 50 * H))
    assert cap.room_ms == max(0, 50 * H - used_ms)
