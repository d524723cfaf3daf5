"""Tables that read on a phone: each cell carries its column's heading as `data-label`, and
a cell with nothing in it `data-blank` (left out of the card).

Wrap a table in `{% filter cards %}…{% endfilter %}`; below the phone breakpoint app.css shows
each row as a card whose cells are labelled by these headings.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Any

from markupsafe import Markup


class _Cells(HTMLParser):
    """Finds each head cell's text and where each body cell's start tag ends."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[str] = []
        self.inserts: list[tuple[tuple[int, int], str]] = []  # where "<td" is, what to add
        self._in_head = False
        self._heading: list[str] | None = None
        self._column = 0
        self._cell: list[Any] | None = None  # [where, label, holds something]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self._cell is not None:
            self._cell[2] = True  # a link, a control, a badge: the cell is not blank
        if tag == "thead":
            self._in_head, self.headings = True, []
        elif tag == "tr":
            self._column = 0
        elif tag == "th" and self._in_head:
            self._heading = []
        elif tag == "td" and "data-label" not in found:
            label = (
                self.headings[self._column] if self._column < len(self.headings) else ""
            ).strip()
            span = found.get("colspan") or "1"
            self._column += int(span) if span.isdigit() else 1
            self._cell = [self.getpos(), label, False]
        elif tag == "td":
            self._column += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            where, label, filled = self._cell
            added = f' data-label="{escape(label)}"' if label else ""
            if added or not filled:
                self.inserts.append((where, added + ("" if filled else " data-blank")))
            self._cell = None
        if tag == "thead":
            self._in_head = False
        elif tag == "th" and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None and data.strip():
            self._cell[2] = True


def cards(html: str) -> Markup:
    """`html` (one or more rendered tables) with `data-label` set on every body cell under a
    heading and `data-blank` on the empty ones."""
    text = str(html)
    parser = _Cells()
    parser.feed(text)
    parser.close()
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out, done = [], 0
    for (line, column), added in parser.inserts:
        at = starts[line - 1] + column + len("<td")
        out += [text[done:at], added]
        done = at
    out.append(text[done:])
    return Markup("".join(out))
