"""Demo data: a unit tree, users and two courseware items with media made on the spot, and
a year of history (sessions, trainings with attendance, claims in every state) written
through the same services the live product uses."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from tracker import clock
from tracker.auth import Principal
from tracker.errors import TrackerError
from tracker.extensions import db
from tracker.models import Courseware, WatchSession
from tracker.services import player, records, trainings, transaction
from tracker.services.accounts import ensure_unit, save_user, user_named
from tracker.services.heartbeats import BeatIn, BeatRequest, credit_batch

DEMO_PASSWORD = "demo12345"
VIDEO = "demo-video.webm"
DOCUMENT = "demo-slides.pdf"


def seed_demo(history: bool = True) -> list[str]:
    """Create the demo data if missing (with a year of history unless `history` is false);
    returns lines describing what is there."""
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
        *([_seed_history()] if history else []),
    ]


# --- a year of history ----------------------------------------------------------------------

# Courseware that only the history uses: longer reading than the two short demo items.
HISTORY_ITEMS = (
    ("新时代科技伦理治理（往期课程）", 1.5),
    ("科研项目经费管理实务（往期课程）", 1.0),
)
LEARNERS = (
    # username, unit, parent unit, display name
    ("wang", "近代物理研究所", "兰州分院", "王芳"),
    ("zhao", "化学物理研究所", "兰州分院", "赵磊"),
)

# Who read what on which of the history's days (an index), for how many minutes; the item
# is an index into HISTORY_ITEMS or the kind of one of the two short demo items.
SESSIONS = (
    (0, "zhang", 0, 40),
    (1, "wang", 0, 35),
    (2, "zhang", 1, 30),
    (3, "zhao", 1, 25),
    (4, "zhang", 0, 45),
    (6, "wang", 1, 30),
    (7, "zhang", "video", 4),
    (8, "zhang", "document", 7),
    (9, "zhao", 0, 20),
    (10, "zhang", 1, 20),
)
# Trainings held on a day of the history: title, days, attendance (absence, assessment).
# Zhao's absence of a quarter earns nothing: the demo shows why.
TRAININGS = (
    (2, "科研项目档案归档专题培训", 2, {"zhang": (0.0, "passed"), "wang": (0.1, "passed")}),
    (6, "实验室安全管理培训班", 1, {"zhang": (0.0, "passed"), "zhao": (0.25, "passed")}),
)
# A training ahead of today, open for enrolment: title, how far ahead, days.
UPCOMING = ("学术不端行为防范专题讲座", timedelta(days=14), 0.5)
# Claims in every state: the claim, then what became of it.
CLAIMS: tuple[tuple[int, str, dict[str, object], tuple[object, ...]], ...] = (
    (
        3,
        "zhang",
        {
            "kind": "external_training",
            "title": "干部教育培训工作条例培训",
            "hours": 6,
            "location": "丹东",
            "organizer": "中国科学院干部教育培训中心",
            "content": "条例解读与案例研讨",
        },
        ("approve", None, ""),
    ),
    (
        5,
        "zhang",
        {"kind": "self_study", "title": "档案管理读本（自学）", "hours": 8},
        ("reject", None, "请补充学习笔记或结业证明后重新提交。"),
    ),
    (
        8,
        "zhang",
        {"kind": "external_online", "title": "网络安全意识在线课程", "hours": 2},
        ("withdraw",),
    ),
    (
        4,
        "wang",
        {"kind": "self_study", "title": "量子信息科普读本（自学）", "hours": 4},
        ("revoke", "同一学习内容已在培训中登记，不重复计入。"),
    ),
    (
        9,
        "wang",
        {"kind": "external_online", "title": "科技写作在线课程", "hours": 3},
        ("approve", 2.5, "按课程证书所载学时核定。"),
    ),
    (
        11,
        "zhang",
        {
            "kind": "external_training",
            "title": "数据安全与个人信息保护研讨班",
            "hours": 4,
            "location": "北京",
            "organizer": "中国科学院计算机网络信息中心",
        },
        (),
    ),
    (11, "zhao", {"kind": "self_study", "title": "化学实验室安全手册", "hours": 2}, ()),
)


class _SteppingClock:
    """A server clock the seeding moves through the past, so history lands on its days."""

    def __init__(self, start: datetime) -> None:
        self.instant = start

    def __call__(self) -> datetime:
        return self.instant

    def at(self, day: date, hour: int, minute: int = 0) -> None:
        """Move to `hour`:`minute` of `day` in the organisation's time zone."""
        local = datetime.combine(day, time(hour, minute), clock.timezone())
        self.instant = local.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        """Move forward by `seconds`."""
        self.instant += timedelta(seconds=seconds)


@contextmanager
def _past() -> Iterator[_SteppingClock]:
    """Swap the app's clock for a stepping one while the history is written."""
    extensions = current_app.extensions
    real = extensions["tracker.clock"]
    stepping = _SteppingClock(real())
    extensions["tracker.clock"] = stepping
    try:
        yield stepping
    finally:
        extensions["tracker.clock"] = real


def _principal(username: str) -> Principal:
    """The demo user `username`, acting as if signed in."""
    user = user_named(username)
    assert user is not None  # created by the seeding just before
    return Principal.of(user)


def _days_back(today: date, count: int) -> list[date]:
    """`count` days spread from January to a few days before `today`, oldest first.

    The last days leave room for the reviews that follow a claim, so nothing lies ahead of
    the real clock; in a year's first weeks the history reaches back into December.
    """
    last = today - timedelta(days=3)
    first = min(date(today.year, 1, 1), last - timedelta(days=36))
    span = (last - first).days
    return [first + timedelta(days=span * (i + 1) // count) for i in range(count)]


def _history_items() -> list[int]:
    """The ids of the history's courseware, created if missing."""
    with transaction():
        ids = []
        for title, hours in HISTORY_ITEMS:
            found = db.session.scalar(select(Courseware.id).where(Courseware.title == title))
            if found is None:
                item = Courseware(
                    title=title,
                    kind="document",
                    hours_limit=hours,
                    source_url=f"/media/{DOCUMENT}",
                    subject="public",
                    published=True,
                    description="",
                )
                db.session.add(item)
                db.session.flush()
                found = item.id
            ids.append(found)
        return ids


def _watch(now: _SteppingClock, who: Principal, courseware_id: int, minutes: int) -> None:
    """One player session of `minutes`, opened, beaten and closed as the player would."""
    opened = player.open_session(who, courseware_id, None)
    interval_s = opened.heartbeat_interval_s
    beats = max(int(minutes * 60 // interval_s), 1)
    kind = db.session.scalar(select(Courseware.kind).where(Courseware.id == courseware_id))
    position = 0.0

    def beat(seq: int) -> BeatIn:
        return BeatIn(opened.session_id, seq, "playing", True, position)

    requests = []
    for seq in range(1, beats):
        now.advance(interval_s)
        position += interval_s if kind == "video" else 0.0
        requests.append(
            BeatRequest(
                who.id,
                opened.session_id,
                beat(seq),
                None,
                False,
                now(),
                round(interval_s * 1000),
                token_version=who.token_version,
            )
        )
    # The beats of one session in one transaction: the live path's writer, batched.
    with transaction():
        outcomes = credit_batch(requests, round(interval_s * 1000))
    refused = [o for o in outcomes if isinstance(o, TrackerError)]
    if refused:
        raise refused[0]
    now.advance(interval_s)
    position += interval_s if kind == "video" else 0.0
    player.close_session(who, opened.session_id, beat(beats), None)


def _file_training(admin: Principal, title: str, day: date, days: float) -> int:
    """File a training held from `day` for `days` days; its id."""
    fields = {
        "title": title,
        "category": "专项技术短期培训班",
        "organizer": "兰州分院人事教育处",
        "location": "兰州分院学术报告厅",
        "start_date": day,
        "end_date": day + timedelta(days=max(round(days), 1) - 1),
        "days": days,
    }
    return trainings.create_training(admin, fields).id


def _training(
    now: _SteppingClock, day: date, title: str, days: float, outcomes: dict[str, tuple]
) -> None:
    """A training held on `day`, filed the week before, attendance confirmed after it."""
    admin = _principal("admin")
    now.at(day - timedelta(days=7), 10)
    training_id = _file_training(admin, title, day, days)
    for username in outcomes:
        now.advance(600)
        trainings.enrol(_principal(username), training_id)
    now.at(day + timedelta(days=max(round(days), 1)), 9)
    for username, (absent, assessment) in outcomes.items():
        now.advance(60)
        user_id = _principal(username).id
        trainings.confirm_attendance(admin, training_id, user_id, absent, assessment)


def _claim(
    now: _SteppingClock, day: date, username: str, fields: dict, outcome: tuple[object, ...]
) -> None:
    """A claim filed the evening after `day`, then decided (or withdrawn) a day later."""
    who, admin = _principal(username), _principal("admin")
    now.at(day + timedelta(days=1), 20)
    record_id = records.create_record(who, {"start_date": day, "end_date": day, **fields}).id
    now.advance(86_400)
    match outcome:
        case ("withdraw",):
            records.withdraw_record(who, record_id)
        case ("revoke", str(reason)):
            records.review_record(admin, record_id, "approve", None, "")
            now.advance(86_400)
            records.revoke_record(admin, record_id, reason)
        case (str(decision), hours, str(note)):
            records.review_record(admin, record_id, decision, hours, note)


def _seed_history() -> str:
    """Sessions, trainings and claims over this year's past months; once only."""
    zhang = user_named("zhang")
    if zhang is not None and db.session.scalar(
        select(WatchSession.id).where(WatchSession.user_id == zhang.id).limit(1)
    ):
        return "demo history: already there"
    for username, unit, parent, name in LEARNERS:
        with transaction():
            ensure_unit(unit, parent=ensure_unit(parent))
        save_user(username, DEMO_PASSWORD, "learner", unit, name)
    items: dict[object, int] = dict(enumerate(_history_items()))
    for kind in ("video", "document"):
        items[kind] = db.session.scalar(
            select(Courseware.id).where(Courseware.kind == kind).order_by(Courseware.id)
        )
    with _past() as now:
        days = _days_back(clock.today(), 12)
        steps: list[tuple[date, Callable[[], None]]] = []
        for index, username, item, minutes in SESSIONS:
            day = days[index]

            def session(day: date = day, who: str = username, item=item, minutes=minutes) -> None:
                now.at(day, 19, minutes)  # an evening's reading
                _watch(now, _principal(who), items[item], minutes)

            steps.append((day, session))
        for index, title, held, outcomes in TRAININGS:
            steps.append((days[index], partial(_training, now, days[index], title, held, outcomes)))
        for index, username, fields, outcome in CLAIMS:
            steps.append(
                (days[index], partial(_claim, now, days[index], username, fields, outcome))
            )
        # In the order of the days, as the year happened.
        for _day, step in sorted(steps, key=lambda s: s[0]):
            step()
    # One training still ahead, open for enrolment.
    title, ahead, days_held = UPCOMING
    _file_training(_principal("admin"), title, clock.today() + ahead, days_held)
    return "demo history: sessions, trainings and claims of this year for zhang, wang and zhao"


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
