"""Reading uploaded CSV files (users, attendance, exam questions): one decoding, the delimiter
sniffed, numbered lines (named columns for `read_rows`), and every problem as a translated
detail of a `bad_csv` (or the caller's) error."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from tracker.errors import fail

DELIMITERS = ",;\t"


@dataclass(frozen=True)
class CsvRow:
    """One line below the header: its number in the file and its cells by column name."""

    line: int
    cells: dict[str, str]  # lower-case column name -> stripped text ("" when empty)


def decode_text(data: bytes) -> str | None:
    """Text as UTF-8 (with or without BOM) or, as Chinese spreadsheets save it, GB 18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def problem(line: int, text: str, field: str | None = None) -> dict[str, Any]:
    """A `bad_csv` detail: what is wrong on `line` (in `field`, if one column is at fault)."""
    return {"line": line, "problem": text} | ({"field": field} if field else {})


def _reader_of(data: bytes, code: str) -> tuple[io.StringIO, Any]:
    """The decoded text to read and its sniffed dialect; `code` if it is not text."""
    text = decode_text(data)
    if text is None:
        fail(code, details=[problem(1, _("The file is not readable text."))])
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    return io.StringIO(text), dialect


def lines(data: bytes, code: str = "bad_csv") -> Iterator[tuple[int, list[str]]]:
    """Each line of a CSV file: its number and its stripped cells. `code` (with the line) if
    the file is not text or a line is not valid CSV."""
    text, dialect = _reader_of(data, code)
    reader = csv.reader(text, dialect=dialect)
    try:
        for row in reader:
            yield reader.line_num, [cell.strip() for cell in row]
    except csv.Error:
        fail(code, details=[problem(reader.line_num, _("This line is not valid CSV."))])


def read_rows(data: bytes, required: Iterable[str], max_rows: int) -> list[CsvRow]:
    """The rows of a CSV file whose header names at least the `required` columns.

    `bad_csv` if the file is not text or not valid CSV, lacks a required column, has no rows
    or more than `max_rows` of them.
    """
    text, dialect = _reader_of(data, "bad_csv")
    reader = csv.DictReader(text, dialect=dialect)
    try:
        header = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [name for name in required if name not in header]
        if missing:
            columns = ", ".join(missing)
            message = _("The first line must name the columns %(columns)s.", columns=columns)
            fail("bad_csv", details=[problem(1, message)])
        rows = []
        for cells in reader:
            if len(rows) == max_rows:
                message = _("The file has too many lines.")
                fail("bad_csv", details=[problem(max_rows + 2, message)])
            rows.append(
                CsvRow(
                    reader.line_num,
                    {k.strip().lower(): (v or "").strip() for k, v in cells.items() if k},
                )
            )
    except csv.Error:
        fail("bad_csv", details=[problem(reader.line_num, _("This line is not valid CSV."))])
    if not rows:
        fail("bad_csv", details=[problem(2, _("The file has no lines below its header."))])
    return rows


def repeated(
    rows: Iterable[CsvRow], column: str, same: Callable[[str], str] = str
) -> list[dict[str, Any]]:
    """A problem for each line that repeats an earlier line's `column` (compared as `same`
    makes them: a username's key, say)."""
    seen: set[str] = set()
    found = []
    for row in rows:
        value = row.cells.get(column, "")
        if value and same(value) in seen:
            found.append(problem(row.line, _("%(value)s appears twice.", value=value), column))
        seen.add(same(value))
    return found
