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
    for username, role, unit, name in (
        ("admin", "admin", None, "管理员"),  # without a unit: the organisation's admin
        ("zhang", "learner", "信息中心", "张伟"),
        ("li", "leader", "信息中心", "李娜"),
    ):
        save_user(username, DEMO_PASSWORD, role, unit, name)
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


def _make_video(path: Path, seconds: int = 300) -> str | None:
    """A 5-minute WebM lecture stand-in (title, running clock, progress bar, a soft chime)."""
    if path.exists():
        return None
    try:
        import imageio_ffmpeg

        ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        return "imageio-ffmpeg is not installed: the demo video is missing"
    import tempfile

    # The first font found draws the text; only a CJK font can draw the Chinese title.
    cjk_fonts = (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:/Windows/Fonts/msyh.ttc",
    )
    latin_fonts = (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Helvetica.ttc",
        "C:/Windows/Fonts/arial.ttf",
    )
    fonts = [(Path(f), True) for f in cjk_fonts] + [(Path(f), False) for f in latin_fonts]
    font, cjk = next(((f, c) for f, c in fonts if f.is_file()), (None, False))

    def option(value: Path) -> str:
        # ffmpeg filter arguments escape ':' and '\\'; the quotes guard the filtergraph.
        return "'" + value.as_posix().replace("\\", "\\\\").replace(":", "\\:") + "'"

    with tempfile.TemporaryDirectory() as tmp:
        lines = [
            *([("科研诚信与学术规范", 34, "white", "(w-tw)/2", "64")] if cjk else []),
            ("Research integrity - demo courseware", 20, "white@0.85", "(w-tw)/2", "116"),
            ("%{pts:gmtime:0:%M\\:%S}", 72, "white", "(w-tw)/2", "160"),
            ("Part %{eif:floor(t/60)+1:d} of 5", 18, "white@0.8", "w-tw-24", "h-44"),
        ]
        draw = []
        for index, (text, size, colour, x, y) in enumerate(lines if font else []):
            text_file = Path(tmp) / f"line{index}.txt"
            text_file.write_text(text, encoding="utf-8")
            draw.append(
                f"drawtext=fontfile={option(font)}:textfile={option(text_file)}"
                f":fontsize={size}:fontcolor={colour}:x={x}:y={y}"
            )
        background = "color=c=0x0e4a8a:" if font else "testsrc2="  # testsrc2 moves: no text needed
        graph = ",".join([f"[0][1]overlay=x='-W+W*t/{seconds}':y=H-h", *draw]) + "[v]"
        partial = path.with_name(f".{path.name}.part")
        subprocess.run(
            [
                ffmpeg,
                *("-hide_banner", "-loglevel", "error", "-y"),
                *("-f", "lavfi", "-i", f"{background}s=640x360:r=6:d={seconds}"),
                *("-f", "lavfi", "-i", f"color=c=white:s=640x8:r=6:d={seconds}"),
                # A soft chime every ten seconds, so that playing is audible too.
                *(
                    "-f",
                    "lavfi",
                    "-i",
                    f"aevalsrc='0.12*sin(2*PI*660*t)*exp(-5*mod(t,10))':s=24000:d={seconds}",
                ),
                *("-filter_complex", graph, "-map", "[v]", "-map", "2"),
                *("-c:v", "libvpx-vp9", "-b:v", "120k", "-deadline", "realtime"),
                *("-cpu-used", "8", "-row-mt", "1", "-c:a", "libopus", "-b:a", "32k"),
                *("-f", "webm", str(partial)),
            ],
            check=True,
        )
        partial.replace(path)
    return None


def _make_pdf(path: Path, pages: int = 5) -> None:
    """A small multi-page PDF written by hand (the format is plain text at heart)."""
    if path.exists():
        return
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for number in range(1, pages + 1):
        content = (
            f"BT /F1 28 Tf 72 480 Td (Continuing education - slide {number} of {pages}) Tj "
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
