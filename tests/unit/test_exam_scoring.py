"""The exam core: drawing papers, refusing answers that do not fit, scoring, deadlines."""

from __future__ import annotations

import random
from datetime import timedelta
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.conftest import T0
from tracker.core.exams import (
    MULTIPLE,
    QUESTION_KINDS,
    SINGLE,
    TRUE_FALSE,
    AnswerRefused,
    ExamTally,
    KeyedQuestion,
    Paper,
    PaperQuestion,
    Standing,
    check_answers,
    deadline_of,
    draw_paper,
    is_late,
    remaining_s,
    score,
    tally,
)


def question(qid: int, kind: str = SINGLE, correct: tuple[int, ...] = (0,), n: int = 4, points=1):
    """Question `qid` whose choices are qid*10 + 0..n-1; `correct` are indexes."""
    choices = tuple(qid * 10 + i for i in range(n))
    return KeyedQuestion(qid, kind, points, choices, frozenset(choices[i] for i in correct))


BANK = (
    question(1),
    question(2, MULTIPLE, (0, 2)),
    question(3, TRUE_FALSE, (1,), n=2),
    question(4, points=3),
)
KEY = MappingProxyType({q.id: q for q in BANK})
KINDS = MappingProxyType({q.id: q.kind for q in BANK})
PAPER = Paper(tuple(PaperQuestion(q.id, q.choice_ids) for q in BANK))


@st.composite
def banks(draw):
    size = draw(st.integers(1, 12))
    out = []
    for qid in range(1, size + 1):
        kind = draw(st.sampled_from(QUESTION_KINDS))
        n = 2 if kind == TRUE_FALSE else draw(st.integers(2, 8))
        if kind == MULTIPLE:
            correct = draw(st.sets(st.integers(0, n - 1), min_size=1))
        else:
            correct = {draw(st.integers(0, n - 1))}
        out.append(question(qid, kind, tuple(sorted(correct)), n, draw(st.integers(1, 5))))
    return tuple(out)


@settings(max_examples=150, deadline=None)
@given(banks(), st.integers(0, 2**32), st.none() | st.integers(1, 20))
def test_a_paper_is_drawn_from_the_bank_without_repeats(bank, seed, count):
    paper = draw_paper(bank, random.Random(seed), count)
    ids = paper.question_ids
    assert len(ids) == len(set(ids)) == min(count or len(bank), len(bank))
    by_id = {q.id: q for q in bank}
    for drawn in paper.questions:
        source = by_id[drawn.question_id]
        assert sorted(drawn.choice_ids) == sorted(source.choice_ids)
        if source.kind == TRUE_FALSE:
            assert drawn.choice_ids == source.choice_ids  # true first, always
    assert Paper.from_plain(paper.to_plain()) == paper


def test_papers_are_shuffled():
    bank = tuple(question(q) for q in range(1, 31))
    orders = {draw_paper(bank, random.Random(seed), None).question_ids for seed in range(5)}
    assert len(orders) == 5


@settings(max_examples=150, deadline=None)
@given(banks(), st.integers(0, 2**32), st.integers(1, 100), st.data())
def test_scores_stay_within_bounds_and_the_key_scores_full_marks(bank, seed, pass_mark, data):
    paper = draw_paper(bank, random.Random(seed), None)
    key = {q.id: q for q in bank}
    kinds = {q.id: q.kind for q in bank}
    perfect = score(paper, key, check_answers(paper, kinds, {q.id: q.correct for q in bank}), 100)
    assert perfect.earned == perfect.possible == sum(q.points for q in bank)
    assert perfect.passed
    assert (perfect.percent, perfect.wrong) == (100.0, ())
    answers = {}
    for drawn in paper.questions:
        many = kinds[drawn.question_id] == MULTIPLE
        picked = data.draw(st.sets(st.sampled_from(drawn.choice_ids), max_size=8 if many else 1))
        answers[drawn.question_id] = picked
    result = score(paper, key, check_answers(paper, kinds, answers), pass_mark)
    assert 0 <= result.earned <= result.possible
    assert result.passed == (result.earned * 100 >= pass_mark * result.possible)
    assert set(result.wrong) == {q for q, chosen in answers.items() if chosen != key[q].correct}


@pytest.mark.parametrize(
    ("answers", "earned", "wrong"),
    [
        ({}, 0, (1, 2, 3, 4)),
        ({1: {10}, 2: {20, 22}, 3: {31}, 4: {40}}, 6, ()),
        ({2: {20}}, 0, (1, 2, 3, 4)),  # part of a multiple choice earns nothing
        ({2: {20, 21, 22}}, 0, (1, 2, 3, 4)),  # nor does one choice too many
        ({4: {40}, 3: {30}}, 3, (1, 2, 3)),
    ],
)
def test_scoring_is_all_or_nothing_per_question(answers, earned, wrong):
    result = score(PAPER, KEY, check_answers(PAPER, KINDS, answers), 60)
    assert (result.earned, result.possible, result.wrong) == (earned, 6, wrong)
    assert [m.answered for m in result.marks] == [q in answers for q in (1, 2, 3, 4)]


@pytest.mark.parametrize(
    ("earned", "pass_mark", "passed"),
    [(3, 50, True), (2, 50, False), (6, 100, True), (5, 84, False), (5, 83, True)],
)
def test_the_pass_mark_is_compared_exactly(earned, pass_mark, passed):
    answers = {4: {40}} if earned >= 3 else {}
    answers |= {1: {10}, 2: {20, 22}, 3: {31}} if earned == 6 else {}
    answers |= {1: {10}, 3: {31}} if earned == 5 else {}
    answers |= {1: {10}, 3: {31}} if earned == 2 else {}
    result = score(PAPER, KEY, check_answers(PAPER, KINDS, answers), pass_mark)
    assert (result.earned, result.passed) == (earned, passed)


def test_an_empty_paper_never_passes():
    result = score(Paper(()), KEY, {}, 1)
    assert (result.percent, result.passed) == (0.0, False)


@pytest.mark.parametrize(
    ("answers", "code", "where"),
    [
        ({99: {10}}, "question_not_in_attempt", 99),
        ({1: {20}}, "choice_not_in_question", 1),
        ({1: {10, 11}}, "one_choice_only", 1),
        ({3: {30, 31}}, "one_choice_only", 3),
        ({2: {20, 99}}, "choice_not_in_question", 2),
    ],
)
def test_answers_that_do_not_fit_the_paper_are_refused(answers, code, where):
    with pytest.raises(AnswerRefused) as refused:
        check_answers(PAPER, KINDS, answers)
    assert (refused.value.code, refused.value.question_id) == (code, where)


def test_questions_of_the_bank_left_off_the_paper_are_refused():
    paper = Paper(PAPER.questions[:2])
    with pytest.raises(AnswerRefused, match="question_not_in_attempt"):
        check_answers(paper, KINDS, {4: {40}})


def test_the_deadline_is_kept_to_the_second():
    deadline = deadline_of(T0, 600)
    assert deadline == T0 + timedelta(minutes=10)
    assert not is_late(deadline, deadline)
    assert is_late(deadline + timedelta(milliseconds=1), deadline)
    assert remaining_s(T0 + timedelta(seconds=590), deadline) == 10
    assert remaining_s(T0 + timedelta(hours=1), deadline) == 0
    assert deadline_of(T0, None) is None
    assert not is_late(T0 + timedelta(days=999), None)
    assert remaining_s(T0, None) is None


@pytest.mark.parametrize(
    ("standing", "refusal", "reveals"),
    [
        (Standing(0, 3, False, False, False, False), None, False),
        (Standing(1, 3, True, False, False, False), "exam_passed", True),
        (Standing(3, 3, False, False, False, False), "no_attempts_left", True),
        (Standing(0, 3, False, False, True, False), "item_not_completed", False),
        (Standing(0, 3, False, False, True, True), None, False),
        (Standing(3, 3, False, True, False, False), None, False),  # the open one resumes
    ],
)
def test_who_may_start_an_attempt_and_see_mistakes(standing, refusal, reveals):
    assert standing.refusal == refusal
    assert standing.reveals_mistakes == reveals


@pytest.mark.parametrize(
    ("passed", "taken", "count", "rate"),
    [
        ([], 0, 0, 0.0),
        ([False], 1, 0, 0.0),
        ([True, False, True], 3, 2, 66.67),
        ([True], 1, 1, 100.0),
    ],
)
def test_the_pass_rate_is_per_exam_taken(passed, taken, count, rate):
    result = tally(passed)
    assert (result.taken, result.passed, result.pass_rate) == (taken, count, rate)
    assert result + ExamTally(1, 1) == ExamTally(taken + 1, count + 1)
