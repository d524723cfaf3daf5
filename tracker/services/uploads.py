"""Uploaded files: type and size checks, storage under generated names, safe download."""

# Files live in `MEDIA_DIR/uploads/<folder>/<random hex>.<ext>`. The client's file name is
# kept for display and as the download name only; it never becomes part of a path. The type
# is decided by the file's extension AND its first bytes, never by the client's content type.

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from uuid import uuid4

from flask import current_app, send_from_directory
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.security import safe_join

from tracker.errors import fail
from tracker.services.csvfile import decode_text

_PDF, _ZIP, _OLE = (b"%PDF-",), (b"PK\x03\x04",), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
# extension: (content type, accepted leading bytes; None means "plain text")
FILE_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    "pdf": ("application/pdf", _PDF),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "doc": ("application/msword", _OLE),
    "xls": ("application/vnd.ms-excel", _OLE),
    "ppt": ("application/vnd.ms-powerpoint", _OLE),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _ZIP,
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        _ZIP,
    ),
    "odt": ("application/vnd.oasis.opendocument.text", _ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _ZIP),
    "odp": ("application/vnd.oasis.opendocument.presentation", _ZIP),
    "csv": ("text/csv", None),
    "txt": ("text/plain", None),
}
DOCUMENTS = frozenset(FILE_TYPES) - {"csv", "txt"}
MATERIALS = frozenset(FILE_TYPES)
CSV = frozenset({"csv", "txt"})

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass(frozen=True)
class Upload:
    """A checked upload, held in memory (it is size-limited)."""

    filename: str
    extension: str
    content_type: str
    data: bytes

    @property
    def size(self) -> int:
        """Its length in bytes."""
        return len(self.data)


def max_bytes() -> int:
    """The largest upload accepted."""
    return int(current_app.config["UPLOAD_MAX_BYTES"])


def display_name(filename: str | None) -> str:
    """The client's file name, reduced to something harmless to show."""
    name = _UNSAFE.sub("_", (filename or "").replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return (name or "upload")[-200:]


def _looks_like(data: bytes, magic: tuple[bytes, ...] | None) -> bool:
    if magic is not None:
        return data.startswith(magic) and (magic != (b"RIFF",) or data[8:12] == b"WEBP")
    if b"\x00" in data:
        return False
    return decode_text(data) is not None


def read_upload(file: FileStorage | None, allowed: frozenset[str]) -> Upload:
    """Check an uploaded file: present, not empty, not too large, of an allowed type."""
    if file is None or not file.filename:
        fail("bad_file", _("Attach the file to upload."))
    return checked_upload(file.filename, file.stream, allowed)


def checked_upload(filename: str, stream: BinaryIO, allowed: frozenset[str]) -> Upload:
    """The upload read from `stream`, checked as `read_upload` checks a file."""
    name = display_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = max_bytes()
    data = stream.read(limit + 1)
    if len(data) > limit:
        fail("too_large")
    if not data or extension not in allowed:
        fail("bad_file")
    content_type, magic = FILE_TYPES[extension]
    if not _looks_like(data, magic):
        fail("bad_file")
    return Upload(name, extension, content_type, data)


def _media_root() -> Path:
    return Path(current_app.config["MEDIA_DIR"])


UPLOADS = "uploads"  # the folder under MEDIA_DIR that only permission-checked routes serve


def is_upload(name: str) -> bool:
    """Whether the media path `name` leads into the uploads folder, however it is spelled
    (`./uploads`, `a/../uploads`, `//uploads`, a symbolic link)."""
    root = _media_root().resolve()
    path = safe_join(str(root), name)
    if path is None:
        return True  # leaves the media folder: refused like an upload
    target, uploads = Path(path).resolve(), root / UPLOADS
    return target == uploads or uploads in target.parents


@contextmanager
def stored(upload: Upload, folder: str) -> Iterator[str]:
    """Write `upload` under a generated name; the file is removed if the block fails."""
    relative = f"{UPLOADS}/{folder}/{uuid4().hex}.{upload.extension}"
    path = _media_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(upload.data)
    try:
        yield relative
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def send_stored(relative: str, filename: str, content_type: str) -> Any:
    """A download response for a stored file, under its original name."""
    return send_from_directory(
        _media_root(),
        relative,
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
    )
