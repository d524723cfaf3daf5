"""The indexed client manager keeps exactly the rooms python-socketio's own manager keeps."""

from __future__ import annotations

import random

import pytest
import socketio

from tracker.live.rooms import IndexedManager

NS = "/player"


def _replay(manager: socketio.Manager, steps: list[tuple[str, str, str | None]]) -> None:
    for action, sid, room in steps:
        if action == "connect":
            manager.basic_enter_room(sid, NS, None, eio_sid=f"eio-{sid}")
            manager.basic_enter_room(sid, NS, sid)
        elif action == "enter":
            manager.basic_enter_room(sid, NS, room)
        elif action == "leave":
            manager.basic_leave_room(sid, NS, room)
        elif action == "close":
            manager.basic_close_room(room, NS)
        else:
            manager.basic_disconnect(sid, NS)


def _random_steps(seed: int) -> list[tuple[str, str, str | None]]:
    pick = random.Random(seed)
    connected: list[str] = []
    steps: list[tuple[str, str, str | None]] = []
    for n in range(400):
        action = pick.choice(["connect", "enter", "enter", "leave", "close", "disconnect"])
        if action == "connect" or not connected:
            connected.append(f"s{n}")
            steps.append(("connect", f"s{n}", None))
            continue
        sid, room = pick.choice(connected), f"room{pick.randrange(8)}"
        if action == "disconnect":
            connected.remove(sid)
        steps.append((action, sid, room))
    return steps


@pytest.mark.parametrize("seed", range(6))
def test_same_rooms_as_upstream(seed: int) -> None:
    steps = _random_steps(seed)
    ours, theirs = IndexedManager(), socketio.Manager()
    _replay(ours, steps)
    _replay(theirs, steps)
    assert ours.rooms == theirs.rooms
    for sid in {sid for _a, sid, _r in steps}:
        assert sorted(map(str, ours.get_rooms(sid, NS))) == sorted(
            map(str, theirs.get_rooms(sid, NS))
        )


def test_disconnect_leaves_every_room_of_that_socket_only() -> None:
    manager = IndexedManager()
    _replay(
        manager,
        [
            ("connect", "a", None),
            ("connect", "b", None),
            ("enter", "a", "user:1"),
            ("enter", "b", "user:1"),
            ("enter", "a", "session:x"),
            ("disconnect", "a", None),
        ],
    )
    assert manager.get_rooms("a", NS) == []
    assert sorted(manager.get_rooms("b", NS)) == ["b", "user:1"]
    assert set(manager.rooms[NS]) == {None, "b", "user:1"}
