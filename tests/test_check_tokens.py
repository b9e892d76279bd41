"""How long a token has left, as `bot check` and `bot status` say it: from the network's own answer where it gives
one (Threads' debug_token: developers.facebook.com/documentation/threads/reference/debug), else counted from when
the bot first saw the token. The whole bot runs against the Threads fake (tests/fakes/threads.py); the expected
dates come from the fake's own issue time, never from today's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.threads import FakeThreads
from tests.feedgen import Item, rss
from tests.helpers import bot_env, run_bot

TOKEN = "THAAJx-check-long-lived-token-5521"
DAY = 86400


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        server.set("/feed.xml", rss([Item(1)]))
        yield server


def _env(tmp_path: Path, feeds: FeedServer, th: FakeThreads) -> dict[str, str]:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nmax_age_days = 36500\n'
                      "backfill = 1\n\n[platforms.threads]\n", encoding="utf-8")
    return bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config,
                   {"THREADS_ACCESS_TOKEN": TOKEN, "THREADS_API_URL": f"{th.url}/v1.0"})


def _bot(args: list[str], env: dict[str, str], cwd: Path) -> str:
    result = run_bot(args, env, cwd)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in output, output
    assert TOKEN not in output
    return result.stdout


def _said(th: FakeThreads) -> str:
    """The line Threads' answer makes: 60 days from when the fake issued the token, 20 days ago."""
    ends = int(th.issued_at(TOKEN)) + 60 * DAY
    left = (ends - time.time()) / DAY
    assert 39.9 < left <= 40.0
    return f"token: 40 days left (until {datetime.fromtimestamp(ends, UTC):%Y-%m-%d}, as Threads says)"


def test_check_and_status_count_from_what_threads_says(tmp_path: Path, feeds: FeedServer) -> None:
    with FakeThreads(token=TOKEN) as th:
        th.issued_ago(20 * DAY)  # deployed 20 days after it was made: first sight would say 60 days
        env = _env(tmp_path, feeds, th)
        out = _bot(["check"], env, tmp_path)
        assert f"threads: limits: 0 of 250 posts published through the API in the last 24 hours; {_said(th)}" \
            in out, out
        assert "check: all good" in out
        assert th.count("GET", "/v1.0/debug_token") == 1 and th.posts == []
        _bot(["run", "--once"], env, tmp_path)
        assert len(th.posts) == 1 and th.count("GET", "/v1.0/debug_token") == 2  # asked when first used
        assert f"  {_said(th)}" in _bot(["status"], env, tmp_path).splitlines()
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        _bot(["run", "--once"], env, tmp_path)
        assert len(th.posts) == 2 and th.count("GET", "/v1.0/debug_token") == 2  # said once: not asked again


def test_when_threads_does_not_say_the_days_are_counted_from_first_sight(tmp_path: Path, feeds: FeedServer) -> None:
    with FakeThreads(token=TOKEN, tester=False) as th:
        th.issued_ago(20 * DAY)
        env = _env(tmp_path, feeds, th)
        out = _bot(["check"], env, tmp_path)
        assert "; token: lasts 60 days from when it was made" in out and "check: all good" in out, out
        _bot(["run", "--once"], env, tmp_path)
        assert len(th.posts) == 1 and th.count("GET", "/v1.0/debug_token") == 2
        status = _bot(["status"], env, tmp_path)
        assert "  token: 60 days left (until " in status and "counted from when the bot first saw it)" in status
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        _bot(["run", "--once"], env, tmp_path)
        assert len(th.posts) == 2 and th.count("GET", "/v1.0/debug_token") == 2  # asked again a day later only


def test_check_on_linkedin_names_the_version_and_refuses_a_sunset_one(tmp_path: Path, feeds: FeedServer) -> None:
    """LinkedIn tells a token's end only to its app (token introspection takes the app's client id and secret,
    which an account does not have): check says how long a token lasts. A version LinkedIn has sunset (202511,
    on 2026-11-16: "Migrations") answers 426, which check reports with what to set."""
    from tests.fakes.linkedin import FakeLinkedIn

    token = "AQVx-check-linkedin-token-3390"
    with FakeLinkedIn(token=token, organization_id="5515715") as li:
        config = tmp_path / "bot.toml"
        table = f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n\n[platforms.linkedin]\n'
        config.write_text(table, encoding="utf-8")
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
            "LINKEDIN_ACCESS_TOKEN": token, "LINKEDIN_ORGANIZATION_ID": "5515715", "LINKEDIN_API_URL": li.url})
        result = run_bot(["check"], env, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert ("linkedin: limits: LinkedIn-Version 202608; token: lasts 60 days from when it was made"
                in result.stdout), result.stdout
        config.write_text(table + 'version = "202511"\n', encoding="utf-8")
        result = run_bot(["check"], env, tmp_path)
        assert result.returncode == 1 and token not in result.stdout + result.stderr
        assert "linkedin: FAILED: LinkedIn no longer serves API version 202511" in result.stdout, result.stdout
        assert 'set version = "YYYYMM" under [platforms.linkedin]' in result.stdout
        assert li.posts == []
