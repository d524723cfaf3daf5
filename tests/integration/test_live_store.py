"""`LiveSessionStore` in process and in a real Redis behave alike."""

from __future__ import annotations

import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tracker.live.store import InProcessLiveStore, Presence, RedisLiveStore


@pytest.fixture(params=["in-process", "redis"])
def store(request):
    if request.param == "in-process":
        yield InProcessLiveStore()
        return
    client = redis.Redis.from_url(request.getfixturevalue("redis_url"))
    yield RedisLiveStore(client, prefix=f"{request.getfixturevalue('redis_prefix')}:live:")
    client.close()


def presence(session_id: str, seen_at: float = 1.0) -> Presence:
    return Presence(session_id, user_id=7, courseware_id=3, status="recording", seen_at=seen_at)


def test_touch_lists_and_drop_forgets(store):
    store.touch(presence("b" * 32, seen_at=2.0), ttl_s=30)
    store.touch(presence("a" * 32, seen_at=1.0), ttl_s=30)
    assert [p.session_id for p in store.watching()] == ["a" * 32, "b" * 32]
    store.touch(presence("a" * 32, seen_at=3.0), ttl_s=30)
    assert [p.session_id for p in store.watching()] == ["b" * 32, "a" * 32]
    store.drop("b" * 32)
    assert store.watching() == [presence("a" * 32, seen_at=3.0)]
    store.drop()  # dropping nothing is harmless


def test_entries_expire_when_heartbeats_stop(store):
    store.touch(presence("c" * 32), ttl_s=0.2)
    store.touch(presence("d" * 32), ttl_s=30)
    time.sleep(0.4)
    assert [p.session_id for p in store.watching()] == ["d" * 32]


def test_redis_outage_does_not_break_writes_but_is_reported_on_reads(caplog):
    nothing_there = "redis://127.0.0.1:1/0"
    client = redis.Redis.from_url(nothing_there, retry=Retry(NoBackoff(), 1))
    store = RedisLiveStore(client, prefix="tracker-test-down:live:")
    store.touch(presence("e" * 32), ttl_s=30)
    store.drop("e" * 32)
    assert "Redis unavailable" in caplog.text
    with pytest.raises(redis.ConnectionError):
        store.watching()
    client.close()
