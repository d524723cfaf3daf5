"""Choosing the language of every page, message and error."""

from __future__ import annotations

from flask import current_app, request, session

from tracker.auth import current_principal


def select_locale() -> str:
    """The language chosen in this browser, else the user's preferred one (settings), else the
    browser's best match, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    principal = current_principal()
    if principal is not None and principal.language in languages:
        return principal.language
    return request.accept_languages.best_match(languages) or languages[0]
