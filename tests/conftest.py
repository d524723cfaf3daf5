"""Shared test helpers: real PostgreSQL and Redis, required under CI."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import redis
import sqlalchemy as sa

IN_CI = os.environ.get("CI", "").lower() == "true"


def service_unavailable(reason: str) -> None:
    """Fail under CI (a missing service must not pass silently), skip elsewhere."""
    if IN_CI:
        pytest.fail(f"CI needs this service: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server the integration tests use."""
    url = os.environ.get("TRACKER_TEST_DATABASE_URL")
    if not url:
        service_unavailable("TRACKER_TEST_DATABASE_URL is not set")
    try:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
    except sa.exc.OperationalError as exc:
        service_unavailable(f"PostgreSQL at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, private schema, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{sep}options={quote(f'-csearch_path={schema}')}"
    with engine.begin() as connection:
        connection.execute(sa.text(f'drop schema "{schema}" cascade'))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server the integration tests use."""
    url = os.environ.get("TRACKER_TEST_REDIS_URL")
    if not url:
        service_unavailable("TRACKER_TEST_REDIS_URL is not set")
    try:
        client = redis.Redis.from_url(url)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A private key prefix (and Socket.IO channel) in the test Redis, cleaned afterwards."""
    prefix = f"tracker-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()
