"""Configuration defaults; `TRACKER_*` environment variables override them."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, object] = {
    "SECRET_KEY": None,  # unset: a random key is kept in the instance folder
    "DATABASE_URL": None,  # unset: SQLite file in the instance folder
    "REDIS_URL": None,  # unset: in-process live store, single process only
    "REDIS_PREFIX": "tracker",  # keys and the Socket.IO channel live under this prefix
    "RULE_SET": "cas-2016",
    "RULES_DIR": str(PROJECT_ROOT / "rules"),
    "HEARTBEAT_INTERVAL_S": 15,
    # Fair shares of a server process (see docs/protocol.md, "Limits"): player events per
    # second and burst per socket and per user, sockets per user, and the largest event.
    "SOCKET_EVENTS_PER_S": 5,
    "SOCKET_EVENT_BURST": 20,
    "USER_EVENTS_PER_S": 10,
    "USER_EVENT_BURST": 40,
    "SOCKETS_PER_USER": 8,
    "SOCKET_MAX_EVENT_BYTES": 1024,
    "SOCKET_MAX_FRAME_BYTES": 1024**2,
    # Group commit of heartbeats (docs/operations.md, "Load"): the most per batch, the most of
    # one user per batch, and how long the first waits for company (with thousands of
    # players at 15 s, 20 ms fills batches: less CPU per beat and a shorter tail of acks).
    "CREDIT_BATCH_SIZE": 200,
    "CREDIT_BATCH_PER_USER": 4,
    "CREDIT_GATHER_MS": 20,
    # Opens that run their transaction at once per process; more wait their turn without a
    # database connection, so that a crowd arriving never takes every connection from the
    # batches that credit the sessions already live.
    "OPENS_AT_ONCE": 4,
    # Overload: busy while heartbeats wait longer than BUSY_WAIT_MS for their batch (on
    # average over recent batches), and BUSY_HOLD_S after (default one interval); then players
    # are asked to beat BUSY_STRETCH times less often and new opens are refused with a hint
    # to retry after BUSY_RETRY_S to twice that.
    "BUSY_WAIT_MS": 250,
    "BUSY_HOLD_S": None,
    "BUSY_STRETCH": 2,
    "BUSY_RETRY_S": 5,
    "IDLE_MINUTES": 5,  # a document page asks "still studying?" after this long without input
    # From this day of each year (MM-DD), `notices send-reminders` tells people still behind
    # their target, at most once a month; REMINDER_BATCH people are checked per transaction.
    "REMINDERS_FROM": "10-01",
    "REMINDER_BATCH": 500,
    "TIMEZONE": "Asia/Shanghai",
    # The TrueType CJK font embedded in PDFs (Debian fonts-wqy-microhei, installed by
    # scripts/setup-fonts); missing, PDFs fall back to a non-embedded font (docs/archive.md).
    "PDF_FONT": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "CORS_ORIGINS": None,  # unset: same origin only; a list or "*" to widen
    "TOKEN_MAX_AGE_S": 30 * 24 * 3600,
    # Failed logins allowed in a moving window, per account and per client address (beyond:
    # 429 with Retry-After). Successful logins are never counted (docs/operations.md).
    "LOGIN_FAILURES_PER_ACCOUNT": "10 per 15 minutes",
    "LOGIN_FAILURES_PER_ADDRESS": "100 per 15 minutes",
    # How many proxies in front of the app set X-Forwarded-For/-Proto (nginx: 1). The client
    # address the login throttle counts by is taken from them; 0 trusts no such header.
    "TRUSTED_PROXIES": 0,
    # Argon2id: argon2-cffi's time and memory cost (RFC 9106's low-memory profile) in one
    # lane, as OWASP recommends; a hash then takes one thread, and one hash at a time leaves
    # the event loop a core of its own during a storm of logins (docs/benchmarks.md).
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    "ARGON2_PARALLELISM": 1,
    "HASHING_THREADS": 1,  # hashes at once per process (more wait their turn, off the loop)
    "HASHING_NICE": 0,  # how much lower the hashing threads' priority is (Linux nice, 0..19)
    "ASYNC_MODE": None,  # unset: gevent when installed, else threading
    "AUTO_MIGRATE": True,
    "MEDIA_DIR": None,  # unset: instance/media
    # Request bodies (docs/operations.md, "Security"): every route takes at most
    # MAX_CONTENT_LENGTH; routes that receive files take their file's limit on top.
    "MAX_CONTENT_LENGTH": 1024**2,
    "UPLOAD_MAX_BYTES": 10 * 1024**2,  # evidence, training materials, CSV/XLSX imports
    "MEDIA_MAX_BYTES": 2 * 1024**3,  # a courseware video or PDF
    "JSON_MAX_DEPTH": 32,  # lists and objects in a JSON body
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "tracker" / "translations"),
    "LANGUAGES": ["zh_CN", "en"],
    # Cookies and headers (docs/operations.md, "Security"). SECURE_COOKIES unset: cookies are
    # `Secure` when PREFERRED_URL_SCHEME is https.
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SECURE_COOKIES": None,
    "PREFERRED_URL_SCHEME": "http",
    # Scripts, styles, workers and data only from this site: no inline script or style, no
    # eval (WebAssembly may compile: PDF.js decodes some images with it); courseware media
    # may also come from another https site. No site may frame the pages.
    "CONTENT_SECURITY_POLICY": (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
        "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' blob: https:; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "REFERRER_POLICY": "same-origin",
}

# Settings that must be whole numbers within bounds; a bad one stops the start, with why.
WHOLE_NUMBERS = {
    "REMINDER_BATCH": (1, 10_000),
    "HASHING_THREADS": (1, 64),
    "OPENS_AT_ONCE": (1, 64),
    "ARGON2_PARALLELISM": (1, 16),
    "HASHING_NICE": (0, 19),
}
