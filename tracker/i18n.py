"""Choosing the language of every page, message and error."""

from __future__ import annotations

from flask import current_app, request, session


def select_locale() -> str:
    """The user's chosen language, else the browser's best match, else Chinese."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]
