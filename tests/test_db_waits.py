"""A Postgres that makes the bot wait, or goes away under it: `bot run --once` gives one line and exits 1 within
a bounded time, and a database failure during a poll is reported as one, not as a failed feed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from bot.errors import StoreError
from bot.store import open_store
from bot.store.base import PlatformState
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import start_bot, wait_until
from tests.helpers import bot_env, fake_x, run_bot


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/feed.xml", rss([Item(1)]))
        yield server


def _config(tmp_path: Path, feeds: FeedServer) -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n[platforms.twitter]\n',
                    encoding="utf-8")
    return path


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bot: "), stderr
    return lines[0]


def test_a_lock_held_by_another_session_ends_the_run_in_one_line(tmp_path: Path, pg_url: str,
                                                                 feeds: FeedServer) -> None:
    store = open_store(pg_url)
    store.save_platform_state(PlatformState("twitter"))
    store.close()
    # With credentials: an account without them leaves its posts queued and never claims (bot.delivery.awaiting).
    with fake_x() as x, psycopg.connect(pg_url) as holder:  # a session that took the claim lock and sits on it
        env = bot_env(x.url, None, pg_url, _config(tmp_path, feeds), {"BOT_DB_LOCK_TIMEOUT_SECONDS": "2"})
        holder.execute("SELECT platform FROM platforms WHERE platform = 'twitter' FOR UPDATE")
        start = time.monotonic()
        result = run_bot(["run", "--once"], env, tmp_path, timeout=90)
        took = time.monotonic() - start
        holder.rollback()
    line = _one_line(result.stderr)
    assert result.returncode == 1, result.stdout + result.stderr
    assert line.startswith("bot: Postgres: waited 2 s for a lock held by another session"), line
    assert took < 2 + 20, "bounded by the lock timeout (plus start-up on a loaded machine)"


def test_lock_timeout_is_raised_by_the_store_itself(pg_url: str) -> None:
    waiting = open_store(pg_url, lock_timeout=0.5)
    try:
        with psycopg.connect(pg_url) as holder:
            holder.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            start = time.monotonic()
            with pytest.raises(StoreError, match=r"^Postgres: waited 0.5 s for a lock held by another session"):
                waiting.queue_counts()
            assert time.monotonic() - start < 5
        assert waiting.queue_counts() == {}, "the next call works once the lock is gone"
    finally:
        waiting.close()


@pytest.mark.parametrize("how", ["connection killed", "schema dropped"])
def test_database_gone_mid_poll_is_a_database_error(tmp_path: Path, pg_url: str, feeds: FeedServer,
                                                    how: str) -> None:
    name = f"bot-test-{uuid.uuid4().hex[:8]}"
    url = f"{pg_url}&application_name={name}"
    feeds.stall("/feed.xml", 3.0)  # the database goes away while the bot is reading the feed
    log = tmp_path / "run.log"
    env = bot_env(None, None, url, _config(tmp_path, feeds))
    proc = start_bot(["run", "--once"], env, tmp_path, log)
    try:
        assert wait_until(lambda: feeds.hits("/feed.xml") == 1, timeout=30, step=0.02), log.read_text()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            if how == "connection killed":
                killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = %s", (name,)).fetchall()
                assert killed == [(True,)]
            else:
                schema = parse_qs(urlsplit(pg_url).query)["options"][0].removeprefix("-csearch_path=")
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
                admin.execute(f"CREATE SCHEMA {schema}")  # empty, as the fixture expects to drop it
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert code == 1, output
    lines = [line for line in output.splitlines() if line.startswith("bot: ")]
    assert len(lines) == 1, output
    expected = "bot: Postgres failed: " if how == "connection killed" else "bot: Postgres: the bot's tables are gone"
    assert lines[0].startswith(expected), output
    assert "feed(s) failed" not in output and "unexpected error" not in output, "no feed is reported failed"
    assert "Traceback" not in output


def test_the_worker_logs_a_database_failure_and_its_next_round_goes_on(tmp_path: Path, pg_url: str,
                                                                       feeds: FeedServer,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    from bot.app import Bot
    from bot.config import load_config
    from bot.worker import Worker

    name = f"bot-test-{uuid.uuid4().hex[:8]}"
    config = load_config(str(_config(tmp_path, feeds)), environ={"DATABASE_URL": f"{pg_url}&application_name={name}"})
    bot = Bot(config, dry_run=True)
    try:
        worker = Worker(bot, dry_run=True)
        worker.build_scheduler()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                          (name,))
        url = feeds.url_for("/feed.xml")
        worker._poll_job(url)  # the connection is gone: one line, no exception out of the job
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert len(errors) == 1 and "feed news: not read, the database failed" in errors[0], errors
        assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]
        worker._poll_job(url)  # the next round reconnects and reads the feed
        state = bot.store.feed_state(url)
        assert state is not None and state.baseline_done and state.failures == 0
    finally:
        bot.close()


def test_sqlite_lock_wait_is_bounded_too(sqlite_url: str) -> None:
    import sqlite3

    waiting = open_store(sqlite_url, lock_timeout=0.5)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process writing, and taking its time
        start = time.monotonic()
        with pytest.raises(StoreError, match="database is locked"):
            waiting.requeue_failed(0.0)
        assert 0.4 < time.monotonic() - start < 5
        holder.execute("ROLLBACK")
        assert waiting.requeue_failed(0.0) == 0
    finally:
        holder.close()
        waiting.close()


@pytest.mark.parametrize("value", ["soon", "0", "-3", "nan", "inf"])
def test_a_bad_lock_timeout_is_one_clear_config_error(value: str) -> None:
    from bot.config import read_environment
    from bot.errors import ConfigError

    wrong = f"BOT_DB_LOCK_TIMEOUT_SECONDS='{value}' is not a number of seconds from more than 0"
    with pytest.raises(ConfigError, match=wrong):
        read_environment({"BOT_DB_LOCK_TIMEOUT_SECONDS": value})
    assert read_environment({"BOT_DB_LOCK_TIMEOUT_SECONDS": "2.5"}).db_lock_timeout == 2.5
    assert read_environment({}).db_lock_timeout is None
