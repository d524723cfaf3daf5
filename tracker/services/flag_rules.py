"""The flag rules' names for people, alike in the review queue, the audit log and the notices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Apart from services/flags.py: the flag scan sends notices, and the notices name the rules.
RULE_TITLES = {
    "long_day": _l("Long day of watching"),
    "night": _l("Watching through the night"),
    "robotic": _l("Machine-like regularity"),
    "shared_client": _l("Several accounts on one device at once"),
    "live_during_training": _l("Watching during a training"),
    "overlapping_claims": _l("Claims for the same days"),
    "year_end_burst": _l("Year-end burst"),
}


def rule_title(rule: str) -> str:
    """A flag rule's name in the current language."""
    return str(RULE_TITLES.get(rule, rule))
