"""Every message the code can show has a Chinese translation; English carries no CJK marks."""

from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Message
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


# Full-width and CJK punctuation (，。：；、（）「」【】《》！？ and the like): Chinese text only.
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]")


def _texts(message: Message) -> list[str]:
    ids = message.id if isinstance(message.id, tuple) else (message.id,)
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return [text for text in (*ids, *strings) if text]


@pytest.mark.parametrize("catalogue", ["messages.pot", "en/LC_MESSAGES/messages.po"])
def test_english_carries_no_chinese_punctuation(catalogue: str) -> None:
    with (PROJECT_ROOT / "tracker/translations" / catalogue).open("rb") as handle:
        catalog = read_po(handle)
    wrong = [
        text for message in catalog for text in _texts(message) if CJK_PUNCTUATION.search(text)
    ]
    assert wrong == []


def test_english_answers_use_english_separators() -> None:
    from babel.support import Translations

    english = Translations.load(PROJECT_ROOT / "tracker/translations", ["en"])
    chinese = Translations.load(PROJECT_ROOT / "tracker/translations", ["zh_Hans_CN"])
    assert [english.gettext(s) for s in (", ", "; ")] == [", ", "; "]
    assert [chinese.gettext(s) for s in (", ", "; ")] == ["、", "；"]
