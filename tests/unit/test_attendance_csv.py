"""Reading attendance files (and CSV files in general) without an app."""

from __future__ import annotations

import pytest

from tracker.errors import TrackerError
from tracker.services.csvfile import read_rows
from tracker.services.trainings.attendance_csv import (
    MAX_LINES,
    AttendanceLine,
    fraction,
    parse_attendance,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("", 0.0), ("0", 0.0), ("0.25", 0.25), ("20%", 0.2), ("1/5", 0.2), (" 1 ", 1.0)],
)
def test_an_absence_may_be_written_as_a_share_a_percentage_or_a_fraction(text, value) -> None:
    assert fraction(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["x", "1.5", "-0.1", "120%", "1/0", "a/b"])
def test_what_is_not_a_share_between_0_and_1_is_refused(text) -> None:
    assert fraction(text) is None


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_spreadsheet_files_are_read(encoding, delimiter) -> None:
    text = delimiter.join(["Username ", "absent_fraction", "Assessment"]) + "\r\n"
    text += delimiter.join(["张伟", "10%", "不合格"]) + "\r\n"
    text += delimiter.join(["ann", "", ""]) + "\r\n"
    assert parse_attendance(text.encode(encoding)) == [
        AttendanceLine(2, "张伟", 0.1, "failed"),
        AttendanceLine(3, "ann", 0.0, "passed"),
    ]


def problems(data: bytes) -> list[tuple[int, str | None]]:
    with pytest.raises(TrackerError) as raised:
        parse_attendance(data)
    assert raised.value.code == "bad_csv"
    assert all(detail["problem"] for detail in raised.value.details)
    return [(d["line"], d.get("field")) for d in raised.value.details]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("username,absent_fraction\nann,1.5\nbob,x\n", [(2, None), (3, None)]),
        ("username,assessment\nann,excellent\n", [(2, None)]),
        ("username\nann\nann\n", [(3, "username")]),
        ("username\n\n,\n", [(3, None)]),  # a blank line is skipped, but counted
        ("name,hours\nann,8\n", [(1, None)]),
        ("username\n", [(2, None)]),
    ],
)
def test_every_bad_line_is_named(text, expected) -> None:
    assert problems(text.encode()) == expected


def test_a_file_that_is_not_text_is_refused() -> None:
    assert problems(b"\xff\xfe\x00\x81") == [(1, None)]


def test_the_number_of_lines_is_bounded() -> None:
    text = "username\n" + "".join(f"u{n}\n" for n in range(MAX_LINES + 1))
    assert problems(text.encode()) == [(MAX_LINES + 2, None)]
    assert len(read_rows(text.encode(), ["username"], MAX_LINES + 1)) == MAX_LINES + 1
