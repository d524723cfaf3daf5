"""tracker: an online learning-time tracker for continuing-education hours."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from tracker.config import DEFAULTS, PROJECT_ROOT, WHOLE_NUMBERS
from tracker.security import BoundedJSONProvider


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then `TRACKER_*` environment variables, then `config`."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        static_folder=str(PROJECT_ROOT / "static"),
        template_folder="templates",
    )
    app.config.from_mapping(DEFAULTS)
    app.json = BoundedJSONProvider(app)
    # JSON answers keep their keys sorted, as Flask does by default: the same data always gives
    # the same bytes (docs/protocol.md, conventions).
    app.json.sort_keys = True  # type: ignore[attr-defined]
    app.config.from_prefixed_env("TRACKER")
    if config is not None:
        app.config.from_mapping(config)
    _derive_settings(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # The scheme only: the client's address has one reader for HTTP and sockets alike
        # (`tracker.proxies.client_address`).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=0, x_proto=proxies)  # type: ignore[method-assign]
    _init_extensions(app)
    _register_blueprints(app)
    if app.config["AUTO_MIGRATE"]:
        from tracker.db import upgrade_schema

        upgrade_schema(app)
    return app


def _derive_settings(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        app.config["SECRET_KEY"] = key_file.read_text().strip()
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
        f"sqlite:///{instance / 'tracker.db'}"
    )
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    app.config["MEDIA_DIR"] = app.config["MEDIA_DIR"] or str(instance / "media")
    secure = app.config["SECURE_COOKIES"]
    if secure is None:
        secure = app.config["PREFERRED_URL_SCHEME"] == "https"
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = bool(secure)
    interval = app.config["HEARTBEAT_INTERVAL_S"]
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
        raise ValueError(
            f"TRACKER_HEARTBEAT_INTERVAL_S must be a positive number, not {interval!r}"
        )
    from tracker.services.reminders import reminders_from

    reminders_from(app.config["REMINDERS_FROM"], 2026)  # a bad day stops the start, with why
    for name, (low, high) in WHOLE_NUMBERS.items():
        value = app.config[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"TRACKER_{name} must be a whole number {low}..{high}, not {value!r}")


def _init_extensions(app: Flask) -> None:
    import threading

    from argon2 import PasswordHasher

    from tracker.db import tune_engine
    from tracker.extensions import babel, db, login_manager, migrate, socketio
    from tracker.i18n import select_locale
    from tracker.live.limits import EventLimiter, Limits
    from tracker.live.load import BusyPolicy, LoadGauge
    from tracker.live.rooms import IndexedManager, IndexedRedisManager, RoomIndex
    from tracker.live.store import InProcessLiveStore, RedisLiveStore
    from tracker.models import utcnow
    from tracker.rulesets import load_rule_sets
    from tracker.sockets import codec
    from tracker.throttle import LoginThrottle

    rule_sets = load_rule_sets(Path(app.config["RULES_DIR"]))
    if app.config["RULE_SET"] not in rule_sets:
        raise ValueError(
            f"TRACKER_RULE_SET={app.config['RULE_SET']!r} is not one of {sorted(rule_sets)}"
        )
    app.extensions["tracker.rule_sets"] = rule_sets
    app.extensions["tracker.timezone"] = ZoneInfo(app.config["TIMEZONE"])
    app.extensions["tracker.clock"] = utcnow
    config = app.config
    hold_s = config["BUSY_HOLD_S"] or float(config["HEARTBEAT_INTERVAL_S"])
    app.extensions["tracker.load"] = LoadGauge(
        BusyPolicy(
            wait_s=float(config["BUSY_WAIT_MS"]) / 1000,
            hold_s=float(hold_s),
            stretch=float(config["BUSY_STRETCH"]),
            retry_s=float(config["BUSY_RETRY_S"]),
        )
    )
    app.extensions["tracker.limiter"] = EventLimiter(
        Limits(
            socket_rate=float(app.config["SOCKET_EVENTS_PER_S"]),
            socket_burst=float(app.config["SOCKET_EVENT_BURST"]),
            user_rate=float(app.config["USER_EVENTS_PER_S"]),
            user_burst=float(app.config["USER_EVENT_BURST"]),
            sockets_per_user=int(app.config["SOCKETS_PER_USER"]),
        ),
        # The server's clock, so that tests which drive it drive the buckets too.
        clock=lambda: app.extensions["tracker.clock"]().timestamp(),
    )
    # Turns taken at once per process (greenlets waiting under gevent, which patched
    # threading before the app was made): player opens and password hashes.
    app.extensions["tracker.open_turns"] = threading.BoundedSemaphore(config["OPENS_AT_ONCE"])
    app.extensions["tracker.hashing_turns"] = threading.BoundedSemaphore(config["HASHING_THREADS"])
    app.extensions["tracker.login_throttle"] = LoginThrottle(
        str(config["LOGIN_FAILURES_PER_ACCOUNT"]),
        str(config["LOGIN_FAILURES_PER_ADDRESS"]),
        config["REDIS_URL"] or "memory://",
        key_prefix=f"{config['REDIS_PREFIX']}:throttle",
    )
    app.extensions["tracker.password_hasher"] = PasswordHasher(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_KIB"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )

    db.init_app(app)
    with app.app_context():
        tune_engine(db.engine)
    migrate.init_app(
        app, db, directory=str(PROJECT_ROOT / "tracker" / "migrations"), render_as_batch=True
    )
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "web.login"

    redis_url = app.config["REDIS_URL"]
    if redis_url:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # Presence is best-effort: fail fast rather than stall a heartbeat while Redis is away.
        client = redis.Redis.from_url(
            redis_url, socket_timeout=2, socket_connect_timeout=2, retry=Retry(NoBackoff(), 1)
        )
        app.extensions["tracker.redis"] = client
        app.extensions["tracker.live_store"] = RedisLiveStore(
            client, prefix=f"{app.config['REDIS_PREFIX']}:live:"
        )
        # Rooms and emits shared by every process through Redis.
        rooms: RoomIndex = IndexedRedisManager(
            redis_url, channel=f"{app.config['REDIS_PREFIX']}:socketio"
        )
    else:
        app.extensions["tracker.live_store"] = InProcessLiveStore()
        rooms = IndexedManager()
    socketio.init_app(
        app,
        client_manager=rooms,
        async_mode=app.config["ASYNC_MODE"],
        cors_allowed_origins=app.config["CORS_ORIGINS"],
        # Frames up to this size get an error ack from the handler (SOCKET_MAX_EVENT_BYTES);
        # only larger ones are dropped by the transport, with the connection.
        max_http_buffer_size=int(app.config["SOCKET_MAX_FRAME_BYTES"]),
        # One socket's events are handled in order in its own task, never side by side:
        # fair turns between sockets (sockets/player.py, `trigger_event`).
        async_handlers=False,
        json=codec,
        logger=False,
        engineio_logger=False,
    )


def _register_blueprints(app: Flask) -> None:
    from flask_babel import get_locale

    from tracker import cli, web, wire
    from tracker.api import bp as api
    from tracker.api.fields import IdConverter
    from tracker.errors_http import register_error_handlers
    from tracker.exports import labels
    from tracker.extensions import socketio
    from tracker.formatting import clock, day, duration_patterns, on_one_line
    from tracker.security import (
        install_body_limits,
        install_origin_check,
        install_security_headers,
        install_text_check,
    )
    from tracker.sockets.player import PlayerNamespace
    from tracker.sockets.sessions import SocketAwareSessionInterface
    from tracker.web.tables import cards

    app.add_template_filter(on_one_line, "duration")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(day, "day")
    app.add_template_global(duration_patterns, "duration_patterns")
    app.add_template_filter(cards, "cards")
    app.add_template_global(get_locale, "get_locale")
    app.add_template_filter(labels.page_hours, "hours")
    app.add_template_filter(partial(labels.page_hours, missing=True), "remaining")
    app.add_template_filter(wire.seconds, "seconds")
    app.add_template_filter(wire.hours, "in_hours")
    app.add_template_global(labels.kind_label, "kind_label")
    app.add_template_global(labels.subject_label, "subject_label")
    app.add_template_global(labels.cap_reason, "cap_reason")
    app.add_template_global(labels.shortfalls, "subject_shortfalls")
    app.add_template_global(partial(labels.banner, figure=labels.page_hours), "archive_banner")
    app.add_template_global(labels.exams_line, "exams_line")
    app.add_template_global(labels.awaiting_exam_reason, "awaiting_exam_reason")
    app.add_template_global(labels.exam_outcome, "exam_outcome")
    app.add_template_global(labels.rule_set_name, "rule_set_name")
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.register_blueprint(api)
    app.register_blueprint(web.bp)
    register_error_handlers(app)
    install_origin_check(app)
    install_body_limits(app)
    install_security_headers(app)
    install_text_check(app)
    cli.register(app)
    app.session_interface = SocketAwareSessionInterface()
    socketio.on_namespace(PlayerNamespace("/player"))
