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
    "IDLE_MINUTES": 5,  # a document page asks "still studying?" after this long without input
    "TIMEZONE": "Asia/Shanghai",
    "HOST": "127.0.0.1",
    "PORT": 5000,
    "CORS_ORIGINS": None,  # unset: same origin only; a list or "*" to widen
    "TOKEN_MAX_AGE_S": 30 * 24 * 3600,
    "ARGON2_TIME_COST": 3,  # argon2-cffi's defaults (RFC 9106 low-memory profile)
    "ARGON2_MEMORY_KIB": 65536,
    "ASYNC_MODE": None,  # unset: gevent when installed, else threading
    "AUTO_MIGRATE": True,
    "MEDIA_DIR": None,  # unset: instance/media
    "MAX_CONTENT_LENGTH": 2 * 1024**3,  # the largest request (a courseware video upload)
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "tracker" / "translations"),
    "LANGUAGES": ["zh_CN", "en"],
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
}
