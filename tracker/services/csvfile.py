"""Reading uploaded CSV files (users, attendance): one decoding, the delimiter sniffed, named
columns, numbered lines, and every problem as a translated `bad_csv` detail."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
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


def read_rows(data: bytes, required: Iterable[str], max_rows: int) -> list[CsvRow]:
    """The rows of a CSV file whose header names at least the `required` columns.

    `bad_csv` if the file is not text, lacks a required column, has no rows or more than
    `max_rows` of them.
    """
    text = decode_text(data)
    if text is None:
        fail("bad_csv", details=[problem(1, _("The file is not readable text."))])
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        columns = ", ".join(missing)
        message = _("The first line must name the columns %(columns)s.", columns=columns)
        fail("bad_csv", details=[problem(1, message)])
    rows = []
    for cells in reader:
        if len(rows) == max_rows:
            fail("bad_csv", details=[problem(max_rows + 2, _("The file has too many lines."))])
        rows.append(
            CsvRow(
                reader.line_num,
                {k.strip().lower(): (v or "").strip() for k, v in cells.items() if k},
            )
        )
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
