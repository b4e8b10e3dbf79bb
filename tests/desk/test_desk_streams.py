"""The seat page's live stream is bounded: a user's pages beyond their share get 429, pages
beyond the engine's total 503 (both before anything streams, saying why), a closed page gives
its place back, and a page that stops reading is let go instead of buffered for."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from callcenter.desk import seat, streams
from tests.api.conftest import LiveEngine
from tests.casework.api_client import PASSWORD


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveEngine]:
    monkeypatch.setattr(streams, "MAX_STREAMS", 5)
    monkeypatch.setattr(streams, "MAX_STREAMS_PER_USER", 3)
    live = LiveEngine(tmp_path)
    try:
        for name in ("agent1", "agent2"):
            live.engine.casework.accounts.add_user(name, "agent", PASSWORD)
        yield live
    finally:
        live.close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)


def signed_in(live: LiveEngine, user: str, agent_id: str) -> httpx.Client:
    """A desk session of ``user`` driving seat ``agent_id``."""
    client = httpx.Client(base_url=live.api.url, timeout=10)
    login = client.get("/desk/login")
    reply = client.post("/desk/login", data={"username": user, "password": PASSWORD,
                                             "csrf": _csrf(login.text), "next": "/desk/seat"})
    assert reply.status_code == 303, reply.text
    csrf = _csrf(client.get("/desk/seat").text)
    reply = client.post("/desk/seat/pick", data={"seat": agent_id, "csrf": csrf})
    assert reply.status_code == 303, reply.text
    return client


def open_stream(client: httpx.Client) -> httpx.Response:
    return client.send(client.build_request("GET", "/desk/seat/events"), stream=True)


def test_streams_beyond_a_users_share_or_the_engines_total_are_refused(engine):
    first, second = signed_in(engine, "agent1", "1001"), signed_in(engine, "agent2", "1002")
    opened, reading = [], []  # an iterator dropped closes its response: they are kept
    try:
        for _ in range(3):
            opened.append(open_stream(first))
            assert opened[-1].status_code == 200
            reading.append(opened[-1].iter_lines())
            assert next(reading[-1]).startswith("data: ")  # streaming
        refused = first.get("/desk/seat/events")
        assert refused.status_code == 429 and "at most 3 live pages per user" in refused.text
        assert refused.headers["retry-after"]
        for _ in range(2):  # another user has their own share, up to the engine's total
            opened.append(open_stream(second))
            assert opened[-1].status_code == 200
        refused = second.get("/desk/seat/events")
        assert refused.status_code == 503 and "at most 5 live pages" in refused.text
        opened.pop(0).close()  # a page closes: its place is given back (once the server sees it)
        deadline = time.monotonic() + 10
        while True:
            reply = open_stream(second)
            if reply.status_code == 200 or time.monotonic() > deadline:
                break
            reply.close()
            time.sleep(0.02)
        opened.append(reply)
        assert reply.status_code == 200
    finally:
        for stream in opened:
            stream.close()
        first.close()
        second.close()


def test_a_page_that_stops_reading_is_let_go(engine):
    async def scenario() -> list[str]:
        feed = seat.SeatFeed(engine.engine)
        stream = feed.stream("1001")
        first = await stream.__anext__()  # the seat's state; then the page stops reading
        for n in range(streams.MAX_QUEUED + 10):
            feed.push("1001", f'{{"n": {n}}}')
        (queue,) = feed.watchers["1001"]
        assert queue.qsize() <= 1  # nothing piled up for it
        rest = [chunk async for chunk in stream]
        assert "1001" not in feed.watchers  # forgotten once ended
        return [first, *rest]

    chunks = engine.run(scenario())
    assert chunks[0].startswith("data: ") and len(chunks) == 1


def test_open_streams_do_not_use_up_the_apis_requests(tmp_path, monkeypatch):
    """The API answers 503 beyond a few requests in progress; open desk streams (bounded by
    their own limits) are not among them, or a few pages would lock everyone out."""
    from callcenter.api import server

    monkeypatch.setattr(server, "MAX_CONNECTIONS", 2)
    monkeypatch.setattr(streams, "MAX_STREAMS", 8)
    live = LiveEngine(tmp_path)
    clients, opened = [], []
    try:
        for name, seat_id in (("agent1", "1001"), ("agent2", "1002")):
            live.engine.casework.accounts.add_user(name, "agent", PASSWORD)
            clients.append(signed_in(live, name, seat_id))
        for client in clients:
            for _ in range(3):
                opened.append(open_stream(client))
                assert opened[-1].status_code == 200
        assert all(client.get("/desk/seat").status_code == 200 for client in clients)
    finally:
        for stream in opened:
            stream.close()
        for client in clients:
            client.close()
        live.close()
