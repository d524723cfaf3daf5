"""Every message the code can show has a Chinese translation."""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tracker.config import PROJECT_ROOT

KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}


def extracted_msgids() -> set[str]:
    method_map = [("tracker/**.py", "python"), ("tracker/templates/**.html", "jinja2")]
    found = extract_from_dir(PROJECT_ROOT, method_map=method_map, keywords=KEYWORDS)
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def test_every_message_has_a_chinese_translation() -> None:
    path = PROJECT_ROOT / "tracker/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    # A plural message has a tuple of ids (singular, plural) and of strings (one per form).
    translated = {
        m.id if isinstance(m.id, str) else m.id[0]
        for m in catalog
        if m.id and m.string and all(m.string) and not m.fuzzy
    }
    assert extracted_msgids() - translated == set()
