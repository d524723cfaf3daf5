"""Domain errors: a stable code for machines and a translated message for people."""

from __future__ import annotations

import math
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l

ERRORS: dict[str, tuple[int, Any]] = {
    "bad_payload": (400, _l("The request data is not valid.")),
    "bad_request": (400, _l("The request could not be understood.")),
    "unauthorized": (401, _l("Please log in first.")),
    "invalid_credentials": (401, _l("Wrong username or password.")),
    "signed_out": (
        401,
        _l("Your sign-in has ended (password or account changed, or logged out); log in again."),
    ),
    "too_many_attempts": (
        429,
        _l("Too many failed logins for this account or from this address; try again later."),
    ),
    "forbidden": (403, _l("You are not allowed to do this.")),
    "account_disabled": (403, _l("This account has been deactivated.")),
    "not_found": (404, _l("Not found.")),
    "method_not_allowed": (405, _l("This method is not allowed here.")),
    "courseware_not_found": (404, _l("This courseware does not exist or is not published.")),
    "session_not_found": (404, _l("This viewing session does not exist.")),
    "session_superseded": (
        409,
        _l("Another courseware was opened; this one is no longer being recorded."),
    ),
    "session_closed": (409, _l("This viewing session has been closed.")),
    "session_expired": (
        409,
        _l("No heartbeat arrived for too long; open the courseware again to continue."),
    ),
    "rate_limited": (429, _l("Too many messages in a short time; this one was not processed.")),
    "too_many_sockets": (429, _l("Too many open player connections for this account.")),
    "frame_too_large": (413, _l("This message is too large.")),
    "server_busy": (503, _l("The server is busy; the courseware will open in a moment.")),
    "database_unavailable": (
        503,
        _l("The database cannot be reached right now; recording goes on in a moment."),
    ),
    "unknown_unit": (400, _l("There is no such unit.")),
    "username_taken": (409, _l("This username is already taken.")),
    "user_not_found": (404, _l("There is no such user.")),
    "unit_not_found": (404, _l("There is no such unit.")),
    "unit_name_taken": (409, _l("A unit with this name already exists.")),
    "unit_cycle": (400, _l("A unit cannot be placed under itself.")),
    "cannot_change_self": (
        400,
        _l("You cannot deactivate yourself or take away your own admin role."),
    ),
    "bad_csv": (400, _l("The CSV file has errors; nothing was saved.")),
    "bad_media_type": (
        400,
        _l("Upload a video (MP4, WebM, OGV) or a PDF; export PowerPoint slides to PDF first."),
    ),
    "unknown_rule_set": (400, _l("There is no such rule set.")),
    "bad_period": (
        400,
        _l("Give the months as YYYY-MM, the first not after the last, at most 10 years."),
    ),
    "too_large": (413, _l("The request is too large.")),
    "unsupported_media_type": (415, _l("This kind of content is not accepted here.")),
    "too_many_requests": (429, _l("Too many requests in a short time; try again in a moment.")),
    "internal_error": (
        500,
        _l("Something went wrong on our side; nothing was changed. Please try again later."),
    ),
    "service_unavailable": (503, _l("The service is not available right now; try again soon.")),
    "training_not_found": (404, _l("This training does not exist.")),
    "record_not_found": (404, _l("This learning record does not exist.")),
    "flag_not_found": (404, _l("This flag does not exist.")),
    "flag_decided": (409, _l("This flag has already been decided.")),
    "own_flag": (403, _l("You cannot review a flag about yourself.")),
    "material_not_found": (404, _l("This training material does not exist.")),
    "evidence_not_found": (404, _l("This evidence file does not exist.")),
    "training_closed": (409, _l("This training is not open for enrolment.")),
    "training_full": (409, _l("This training is full.")),
    "own_record": (403, _l("You cannot review your own learning record.")),
    "record_already_reviewed": (
        409,
        _l("This record has already been reviewed with a different decision."),
    ),
    "record_not_pending": (409, _l("Evidence can only be added while the record is pending.")),
    "record_decided": (
        409,
        _l("This record has already been decided; only a pending record can be withdrawn."),
    ),
    "record_not_editable": (
        409,
        _l("Only a pending or rejected record can be changed."),
    ),
    "record_not_approved": (409, _l("Only an approved record can be revoked.")),
    "record_withdrawn": (409, _l("This record was withdrawn by its owner.")),
    "attendance_not_found": (
        404,
        _l("This person has no confirmed attendance on this training."),
    ),
    "wrong_password": (400, _l("The current password is not correct.")),
    "bad_file": (400, _l("This file is empty or of a type that is not accepted.")),
    "exam_not_found": (404, _l("This exam does not exist or is not published.")),
    "question_not_found": (404, _l("This question does not exist.")),
    "attempt_not_found": (404, _l("This exam attempt does not exist.")),
    "certificate_not_found": (404, _l("There is no certificate with this number.")),
    "exam_exists": (409, _l("This courseware item already has an exam.")),
    "exam_locked": (
        409,
        _l("People have already taken this exam: its questions can no longer be changed."),
    ),
    "exam_not_ready": (
        409,
        _l("An exam needs questions (at least as many as it draws) before it is published."),
    ),
    "exam_too_long": (400, _l("An exam can hold at most 200 questions.")),
    "bad_sheet": (400, _l("The question sheet has errors; nothing was saved.")),
    "exam_passed": (409, _l("You have already passed this exam.")),
    "no_attempts_left": (409, _l("You have used all attempts at this exam.")),
    "item_not_completed": (
        409,
        _l("This exam opens once the courseware item's hours are fully credited."),
    ),
    "attempt_closed": (409, _l("This attempt has already been handed in.")),
    "attempt_expired": (
        409,
        _l("Time is up: this attempt was handed in with the answers saved before the deadline."),
    ),
    "answer_refused": (400, _l("An answer does not fit the questions of this attempt.")),
    "certificate_revoked": (409, _l("This certificate has already been revoked.")),
    "notice_not_found": (404, _l("This notice does not exist.")),
    "not_taken": (403, _l("You can evaluate only what you have finished or attended.")),
    "outside_scope": (403, _l("This is outside the units you administer.")),
    "own_scope": (403, _l("You cannot change your own unit or role, nor the unit you administer.")),
    "organisation_only": (403, _l("Only the organisation's administrators may do this.")),
    "unit_required": (400, _l("Choose one of the units you administer.")),
}


class TrackerError(Exception):
    """An expected failure with a code from `ERRORS`."""

    def __init__(self, code: str, message: Any = None, details: Any = None) -> None:
        super().__init__(code)
        self.code = code
        self.status, default = ERRORS[code]
        self.message = message if message is not None else default
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The error body shared by HTTP responses and socket acks."""
        body: dict[str, Any] = {"error": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return body


class RetryLater(TrackerError):
    """A refusal that tells the caller when to try again."""

    def __init__(self, code: str, retry_after_s: float, message: Any = None) -> None:
        super().__init__(code, message)
        self.retry_after_s = retry_after_s

    def to_dict(self) -> dict[str, Any]:
        """The error body with the seconds to wait before retrying."""
        return {**super().to_dict(), "retry_after_s": self.retry_after_s}

    def headers(self) -> dict[str, str]:
        """HTTP's way of saying it: `Retry-After` in whole seconds."""
        return {"Retry-After": str(math.ceil(self.retry_after_s))}


def fail(code: str, message: Any = None, details: Any = None) -> NoReturn:
    """Raise the domain error `code`."""
    raise TrackerError(code, message, details)
