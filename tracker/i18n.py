"""Choosing the language of every page, message and error."""

from __future__ import annotations

import os

from flask import current_app, has_request_context, request, session

from tracker.auth import current_principal


def select_locale() -> str:
    """The language chosen in this browser, else the user's preferred one (settings), else the
    browser's best match, else Chinese; on the command line the environment's language
    (`LC_ALL`, `LC_MESSAGES`, `LANG`), else Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        wanted = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
        code = (wanted or "").split(".")[0]
        return next(
            (lang for lang in languages if code and code.startswith(lang[:2])), languages[0]
        )
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    principal = current_principal()
    if principal is not None and principal.language in languages:
        return principal.language
    return request.accept_languages.best_match(languages) or languages[0]
