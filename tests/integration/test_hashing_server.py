"""Password hashing runs off the gevent loop and never hangs a real server's other work."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from servers import PASSWORD, Processes, api, login, site

NEW_USERS = 6


def test_users_created_and_logging_in_while_a_player_beats(tmp_path) -> None:
    """Concurrent user creation (Argon2 at production cost, in gevent's thread pool, inside
    the transaction) while another user's heartbeats are booked: all succeed.

    Waiting for SQLite's write lock inside sqlite3's C code froze the event loop, so the
    greenlet holding the lock never got its hash back: the first attempt hung here.
    """
    with Processes() as processes, site(processes, f"sqlite:///{tmp_path / 'hash.db'}", ["S"]) as s:
        server = s.servers[0]
        admin, _ = login(server.url, "admin")
        player = s.connect(server.url, s.learner_token, "player")
        assert player.open(s.items[0])["ok"]

        def create(n: int) -> tuple[int, object]:
            body = {"username": f"new{n}", "password": PASSWORD}
            return api(server.url, "POST", "/users", body, admin)

        with ThreadPoolExecutor(NEW_USERS) as pool:
            created = pool.map(create, range(NEW_USERS))
            acks = player.play(4, period=0.25)  # every one must be ok (asserted inside)
            statuses = [status for status, _ in created]
        assert statuses == [201] * NEW_USERS
        assert len(acks) == 4
        with ThreadPoolExecutor(3) as pool:
            tokens = list(pool.map(lambda n: login(server.url, f"new{n}")[0], range(3)))
        assert all(tokens)
