"""Alerts (issue 12): a Slack-compatible JSON POST once per event, against a local HTTP receiver; a failing
webhook never stops posting."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from bot import alerts
from bot.config import Environment, Secret, parse_config
from bot.store import Store
from bot.store.base import FeedState, NewDelivery
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot

NOW = 1_800_000_000.0


class Receiver:
    """A webhook endpoint on 127.0.0.1: records each JSON body; answers `status` (a queue of them)."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                assert self.headers.get("Content-Type") == "application/json"
                outer.bodies.append(body)
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secretpart"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def texts(self) -> list[str]:
        return [b["text"] for b in self.bodies]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _config(url: str | None) -> Any:
    env = Environment(alert_webhook=Secret(url) if url else None)
    return parse_config('[[feeds]]\nurl = "https://news.example.org/feed"\nname = "news"\n'
                        "[platforms.twitter]\nreview = true\n", None, env)


def _held(n: int) -> NewDelivery:
    return NewDelivery(article_key=f"k{n}", platform="twitter", feed_url="https://news.example.org/feed",
                       article_url=f"https://news.example.org/{n}", title=f"Story {n}", text=f"Story {n}", link=None,
                       hashtags=(), image_url=None, image_alt=None, thread=(), published_at=NOW, due_at=NOW,
                       review_until=NOW + 3600)


def test_each_event_is_sent_once_and_again_only_after_it_ended(store: Store, receiver: Receiver) -> None:
    config = _config(receiver.url)
    pstate = store.platform_state("twitter")
    store.save_platform_state(replace(pstate, paused_reason="the access token was revoked (401)", paused_at=NOW))
    assert alerts.check(config, store, NOW) == 1
    assert alerts.check(config, store, NOW + 60) == 0, "once per event, however many rounds"
    assert receiver.texts == ["bot: twitter is PAUSED and posts nothing until a human fixes it: the access token "
                              "was revoked (401)"]
    store.save_platform_state(replace(pstate, paused_reason=None))
    alerts.check(config, store, NOW + 120)
    assert store.alerts() == [], "the pause is over"
    store.save_platform_state(replace(pstate, paused_reason="permission lost", paused_at=NOW + 180))
    assert alerts.check(config, store, NOW + 180) == 1 and "permission lost" in receiver.texts[-1]

    store.record_articles([], [_held(1), _held(2)], NOW)
    alerts.check(config, store, NOW + 200)
    assert receiver.texts[-1] == "bot: 2 post(s) wait for review on twitter (`bot queue`, or the editors' page)"
    assert len(receiver.bodies) == 3 and all(set(b) == {"text"} for b in receiver.bodies)


def test_a_feed_alerts_once_it_has_failed_for_an_hour(store: Store, receiver: Receiver) -> None:
    config = _config(receiver.url)
    store.save_feed_state(FeedState(url="https://news.example.org/feed", failures=2, last_error="HTTP 503"))
    assert alerts.check(config, store, NOW) == 0
    assert alerts.check(config, store, NOW + 3599) == 0 and receiver.bodies == []
    assert alerts.check(config, store, NOW + 3600) == 1
    assert receiver.texts == ["bot: feed news has been failing for an hour or more (2 tries): HTTP 503"]
    store.save_feed_state(FeedState(url="https://news.example.org/feed", failures=0))
    alerts.check(config, store, NOW + 4000)
    assert store.alerts() == []


def test_a_failing_webhook_is_retried_never_raises_and_shows_no_secret(store: Store, receiver: Receiver) -> None:
    config = _config(receiver.url)
    store.record_articles([], [_held(1)], NOW)
    receiver.statuses = [500]
    assert alerts.check(config, store, NOW) == 0
    (alert,) = store.alerts()
    assert alert.sent_at is None and alert.last_error == "HTTP 500" and "secretpart" not in str(alert)
    assert alerts.check(config, store, NOW + 60) == 1 and len(receiver.bodies) == 2
    gone = _config("http://127.0.0.1:9/hooks/secretpart")  # nothing listens there
    store.save_platform_state(replace(store.platform_state("twitter"), paused_reason="401"))
    assert alerts.check(gone, store, NOW + 120) == 0
    errors = [a.last_error for a in store.alerts() if a.key == "paused:twitter"]
    assert errors == ["ConnectionError"]


def test_without_a_webhook_the_page_still_lists_them(store: Store) -> None:
    store.record_articles([], [_held(1)], NOW)
    assert alerts.check(_config(None), store, NOW) == 0
    assert [a.key for a in store.alerts()] == ["review:twitter"]


def test_a_paused_account_alerts_from_a_real_run_and_a_dead_hook_does_not_stop_posting(
        tmp_path: Path, receiver: Receiver) -> None:
    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n")
        db = f"sqlite:///{tmp_path / 's.db'}"
        dead = bot_env(x.url, None, db, config, {"BOT_ALERT_WEBHOOK": "http://127.0.0.1:9/hook"})
        first = run_bot(["run", "--once"], dead, tmp_path)
        assert first.returncode == 0, first.stderr
        assert len(x.tweets) == 1, "the webhook is down; posting goes on"
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        x.fail(401, times=50, endpoint="*")
        env = bot_env(x.url, None, db, config, {"BOT_ALERT_WEBHOOK": receiver.url})
        run_bot(["run", "--once"], env, tmp_path)
        run_bot(["run", "--once"], env, tmp_path)
        assert len(receiver.bodies) == 1 and "twitter is PAUSED" in receiver.texts[0]


class Trickle:
    """A webhook that reads the request, then answers one byte every `every` seconds (for up to 30 s): each
    read gets a byte long before any read timeout, so only a deadline on the whole call ends it."""

    def __init__(self, every: float = 0.2) -> None:
        import socketserver

        outer = self
        self.requests = 0

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                length = 0
                while (line := self.rfile.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.rfile.read(length)
                outer.requests += 1
                # A status line, then a header that never ends: one byte at a time.
                answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * int(30 / every)
                for i in range(len(answer)):
                    try:
                        self.wfile.write(answer[i:i + 1])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(every)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/secretpart"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_trickling_webhook_is_cut_at_its_deadline() -> None:
    trickle = Trickle()
    try:
        answer: list[str | None] = []
        started = time.monotonic()
        caller = threading.Thread(target=lambda: answer.append(alerts.post(trickle.url, "bot: x", deadline=1.0)),
                                  daemon=True)
        caller.start()
        caller.join(10)
        took = time.monotonic() - started
        assert answer == ["no answer within 1 s"], "the deadline bounds the whole call, not each read"
        assert took < 3, took
    finally:
        trickle.close()


def test_a_trickling_webhook_does_not_hold_posting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Alerts go out on their own thread after the round: two rounds post on time while the webhook trickles
    (before, the first round held the delivery lock until the webhook was done)."""
    from bot.app import Bot
    from bot.config import read_environment
    from tests.helpers import account_env

    monkeypatch.setattr(alerts, "DEADLINE", 3.0)
    trickle = Trickle()
    with fake_x() as x:
        env = read_environment({**account_env("twitter", "twitter", x.url), "BOT_ALERT_WEBHOOK": trickle.url,
                                "DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}", "BOT_LOOKUP_LAG_SECONDS": "0"})
        config = parse_config('[[feeds]]\nurl = "https://news.example.org/feed"\nname = "news"\n'
                              "[platforms.twitter]\nimage = false\n", None, env)
        bot = Bot(config)
        try:
            now = time.time()
            waiting = replace(_held(1), published_at=now, due_at=now, review_until=now + 3600)
            bot.store.record_articles([], [waiting, _queued(2, now)], now)  # one for review: an alert is due
            for n in (2, 3):
                if n == 3:
                    bot.store.record_articles([], [_queued(3, now)], now)
                done: list[Any] = []
                started = time.monotonic()
                rounds = threading.Thread(target=lambda done=done: done.append(bot.deliver()), daemon=True)
                rounds.start()
                rounds.join(20)
                assert done and time.monotonic() - started < 2, "posting waits for no webhook"
                assert len(x.tweets) == n - 1
            assert trickle.requests == 1
        finally:
            started = time.monotonic()
            bot.close()
            trickle.close()
        assert time.monotonic() - started < 3.0 + 3, "closing waits for the alert's deadline at most"
    (alert,) = open_store_for(tmp_path).alerts()
    assert alert.key == "review:twitter" and alert.last_error == "no answer within 3 s"


def _queued(n: int, now: float) -> NewDelivery:
    return replace(_held(n), article_key=f"q{n}", text=f"Queued story {n}", published_at=now, due_at=now,
                   review_until=None)


def open_store_for(tmp_path: Path) -> Store:
    from bot.store import open_store

    return open_store(f"sqlite:///{tmp_path / 's.db'}")


def test_what_is_due_in_one_round_goes_as_one_message(store: Store, receiver: Receiver) -> None:
    """150 feeds failing for an hour were 150 webhook posts in one round: now one message, listing 20."""
    feeds = "".join(f'[[feeds]]\nurl = "https://site{n}.example.org/feed"\nname = "site{n}"\n' for n in range(150))
    config = parse_config(feeds + "[platforms.twitter]\n", None, Environment(alert_webhook=Secret(receiver.url)))
    store.save_feed_states([FeedState(url=f"https://site{n}.example.org/feed", failures=3, last_error="HTTP 503")
                            for n in range(150)])
    assert alerts.check(config, store, NOW) == 0
    assert alerts.check(config, store, NOW + 3600) == 150
    assert len(receiver.bodies) == 1
    lines = receiver.texts[0].split("\n")
    assert lines[0] == "bot: 150 alerts" and len(lines) == 1 + 20 + 1
    assert lines[1].startswith("- feed site") and "has been failing for an hour or more (3 tries)" in lines[1]
    assert lines[-1] == "- and 130 more (`bot status`, or the editors' page)"
    assert alerts.check(config, store, NOW + 3700) == 0, "each once"


def test_an_https_webhook_is_verified(tmp_path: Path) -> None:
    """TLS to the webhook is verified (with the CA bundle requests uses): a self-signed hook is refused, said so."""
    import socket
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass  # the client hangs up at the certificate: that is the point
        finally:
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    try:
        answer = alerts.post(f"https://127.0.0.1:{port}/hooks/secretpart", "bot: x", deadline=5.0)
    finally:
        listener.close()
    assert answer is not None and answer.startswith("TLS: ") and "CERTIFICATE_VERIFY_FAILED" in answer, answer
