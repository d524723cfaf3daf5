"""Error responses: JSON `{"error", "message"}` for the API, pages for the browser."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from tracker.db import unavailable
from tracker.errors import RetryLater, TrackerError
from tracker.extensions import db
from tracker.validation import invalid

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def _respond(error: TrackerError) -> Any:
    headers = error.headers() if isinstance(error, RetryLater) else {}
    if request.path.startswith("/api/"):
        return error.to_dict(), error.status, headers
    return render_template("error.html", error=error), error.status, headers


def register_error_handlers(app: Flask) -> None:
    """Install the handlers that turn every failure into a clear, translated answer."""

    @app.errorhandler(TrackerError)
    def _tracker_error(error: TrackerError) -> Any:
        return _respond(error)

    @app.errorhandler(ValidationError)
    def _invalid(error: ValidationError) -> Any:
        return _respond(invalid(error))

    @app.errorhandler(DBAPIError)
    def _database(error: DBAPIError) -> Any:
        outage = unavailable(error)
        if outage is None:
            raise error  # a bug: Flask's 500, with its traceback in the log
        app.logger.warning("database unavailable: %s", error.__class__.__name__)
        return _respond(outage)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        status = error.code or 500
        code = _HTTP_CODES.get(status) or ("bad_request" if status < 500 else "internal_error")
        answer = TrackerError(code)
        answer.status = status  # the generic words of its class, under the status it has
        try:
            if status >= 500:
                # An unexpected failure (logged by Flask): the page must not need what failed.
                db.session.rollback()
            return _respond(answer)
        except Exception:  # the error page itself failed: answer plainly
            app.logger.exception("the error page could not be rendered")
            return str(answer.message), status, {"Content-Type": "text/plain; charset=utf-8"}
