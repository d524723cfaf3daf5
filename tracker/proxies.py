"""The client's address: the one reader for HTTP requests and Socket.IO events alike."""

from __future__ import annotations

from flask import current_app, request

ADDRESS_MAX = 64  # the longest address kept (an IPv6 address with a zone fits)


def client_address() -> str | None:
    """The peer's address, or behind `TRUSTED_PROXIES` proxies the address the outermost of
    them saw (X-Forwarded-For, counted from the right; fewer entries than proxies: the peer)."""
    # Not werkzeug's ProxyFix (which serves only the scheme here): Socket.IO answers its events
    # before the HTTP middleware sees them, and both must agree on who the client is.
    environ = request.environ
    peer = environ.get("REMOTE_ADDR")
    proxies = int(current_app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        forwarded = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= proxies and forwarded[-proxies]:
            peer = forwarded[-proxies]
    return peer[:ADDRESS_MAX] if peer else None
