"""The `cards` filter: every body cell carries its column's heading for the phone layout, and
an empty one says so."""

from __future__ import annotations

import pytest

from tracker.web.tables import cards

TABLE = """<table class="list"><thead><tr>
<th>Title</th><th><a href="?s=1">Status</a></th><th></th></tr></thead>
<tbody><tr><td>Course</td><td class="x">approved</td><td><button>Open</button></td></tr>
<tr><td colspan="2">wide</td><td data-label="Own">kept</td></tr>
<tr><td>Other</td><td>
  </td><td></td></tr></tbody></table>"""


@pytest.mark.parametrize(
    "cell",
    [
        '<td data-label="Title">Course</td>',
        '<td data-label="Status" class="x">approved</td>',
        "<td><button>Open</button></td>",  # a column without a heading stays bare
        '<td data-label="Title" colspan="2">wide</td>',
        '<td data-label="Own">kept</td>',  # a label set by hand wins
        '<td data-label="Status" data-blank>\n  </td>',  # nothing in it: left out of the card
        "<td data-blank></td>",
    ],
)
def test_cells_carry_their_heading(cell: str) -> None:
    assert cell in cards(TABLE)


def test_headings_are_escaped_and_each_table_has_its_own() -> None:
    second = '<table><thead><tr><th>A &amp; "B"</th></tr></thead><tbody><tr><td>1</td></tr>'
    out = cards(TABLE + "\n" + second)
    assert '<td data-label="A &amp; &quot;B&quot;">1</td>' in out
    assert out.count('data-label="Title"') == 3
