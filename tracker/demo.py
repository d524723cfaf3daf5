"""Demo data: a unit tree, users and two courseware items with media made on the spot."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import Courseware
from tracker.services import transaction
from tracker.services.accounts import ensure_unit, save_user

DEMO_PASSWORD = "demo12345"
VIDEO = "demo-video.webm"
DOCUMENT = "demo-slides.pdf"


def seed_demo() -> list[str]:
    """Create the demo data if missing; returns lines describing what is there."""
    media = Path(current_app.config["MEDIA_DIR"])
    media.mkdir(parents=True, exist_ok=True)
    with transaction():
        branch = ensure_unit("兰州分院")
        institute = ensure_unit("近代物理研究所", parent=branch)
        ensure_unit("信息中心", parent=institute)
    for username, role, name in (
        ("admin", "admin", "管理员"),
        ("zhang", "learner", "张伟"),
        ("li", "leader", "李娜"),
    ):
        save_user(username, DEMO_PASSWORD, role, "信息中心", name)
    video_note = _make_video(media / VIDEO)
    _make_pdf(media / DOCUMENT)
    with transaction():
        for title, kind, hours, source in (
            ("科研诚信与学术规范（演示视频）", "video", 0.05, f"/media/{VIDEO}"),
            ("继续教育学时登记办法（演示文档）", "document", 0.1, f"/media/{DOCUMENT}"),
        ):
            if db.session.scalar(select(Courseware.id).where(Courseware.title == title)) is None:
                db.session.add(
                    Courseware(
                        title=title,
                        kind=kind,
                        hours_limit=hours,
                        source_url=source,
                        subject="public",
                        published=True,
                        description="",
                    )
                )
    return [
        f"demo users: admin, zhang (learner), li (leader); password: {DEMO_PASSWORD}",
        f"demo courseware: video ({VIDEO}, limit 3 min), document ({DOCUMENT}, limit 6 min)",
        *([video_note] if video_note else []),
    ]


def _make_video(path: Path) -> str | None:
    """A 5-minute test-pattern WebM made with the ffmpeg that imageio-ffmpeg ships."""
    if path.exists():
        return None
    try:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return "imageio-ffmpeg is not installed: the demo video is missing"
    subprocess.run(
        [
            ffmpeg,
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=640x360:rate=15:duration=300",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=330:duration=300",
            "-c:v",
            "libvpx",
            "-b:v",
            "120k",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-c:a",
            "libvorbis",
            "-shortest",
            str(path),
        ],
        check=True,
    )
    return None


def _make_pdf(path: Path, pages: int = 5) -> None:
    """A small multi-page PDF written by hand (the format is plain text at heart)."""
    if path.exists():
        return
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for number in range(1, pages + 1):
        content = (
            f"BT /F1 28 Tf 72 700 Td (Continuing education - slide {number} of {pages}) Tj "
            f"0 -48 Td /F1 16 Tf (Demo document for the learning-time tracker.) Tj ET"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content}\nendstream")
        content_id = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 842 595] "
            f"/Contents {content_id} 0 R /Resources << /Font << /F1 {{font}} 0 R >> >> >>"
        )
        kids.append(len(objects))
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    font_id = len(objects)
    objects = [o.replace("{font}", str(font_id)) for o in objects]
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {pages} >>"
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{index} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    path.write_bytes(bytes(out))
