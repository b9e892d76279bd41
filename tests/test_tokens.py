"""Tokens that expire (bot.tokens): a Threads token renewed before its end and used after a restart, sealed in the
store; without BOT_SECRET_KEY (and on LinkedIn, which the bot cannot renew) warnings 14, 3 and 1 days ahead.
Time is an input: the keeper's clock is injected, and the whole bot runs once more with its clock moved ahead
(tests/tools/clock-ahead)."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot import alerts
from bot.config import Config, parse_config, read_environment
from bot.errors import ConfigError
from bot.models import Draft
from bot.networks.linkedin import TOKEN_LIFE as LINKEDIN_LIFE
from bot.networks.threads import TOKEN_LIFE as THREADS_LIFE
from bot.platforms.threads import ThreadsPlatform
from bot.store.base import Store
from bot.tokens import DAY, TokenKeeper, describe, read
from tests.fakes.feed_server import FeedServer
from tests.fakes.threads import FakeThreads
from tests.feedgen import Item, rss
from tests.helpers import bot_env, clock_ahead_tool, run_bot

TOKEN = "THAAJx-deployed-long-lived-token-4417"
KEY = Fernet.generate_key().decode()
T0 = 1_900_000_000.0  # any moment: nothing here reads today's date


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def th() -> Iterator[FakeThreads]:
    with FakeThreads(token=TOKEN, min_refresh_age=0, refresh_revokes_old=True) as server:
        yield server


def _platform(th: FakeThreads, store: Store, clock: Clock, key: str | None = KEY) -> ThreadsPlatform:
    keeper = TokenKeeper("threads", THREADS_LIFE, TOKEN, store, key, clock=clock)
    return ThreadsPlatform(TOKEN, f"{th.url}/v1.0", keeper=keeper, clock=clock)


def _draft(n: int) -> Draft:
    link = f"https://news.example.org/{n}"
    return Draft(platform="threads", article_key=f"k{n}", text=f"Story {n} {link}", link=link)


def _config(key: str | None = None, network: str = "threads") -> Config:
    env = {"BOT_SECRET_KEY": key} if key else {}
    return parse_config(f'[[feeds]]\nurl = "https://example.org/feed"\n[platforms.{network}]\n', None,
                        read_environment(env))


def test_a_token_is_renewed_once_a_day_old_and_the_renewed_one_is_used_after_a_restart(
        store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock).publish(_draft(1))
    assert th.refreshes == 0  # a token just seen is not a day old
    clock.now += 1.5 * DAY
    _platform(th, store, clock).publish(_draft(2))
    assert th.refreshes == 1 and th.token != TOKEN  # renewed; the fake now refuses the deployed one
    record = read(store, "threads")
    assert record is not None and record.said and record.renewed_at == clock.now
    assert record.expires_at == clock.now + 5183944
    raw = store.load_session("token:threads") or ""
    assert th.token not in raw and TOKEN not in raw  # sealed: never in clear in the database
    clock.now += 2 * DAY  # a restart: a new platform from the environment's (now revoked) token
    _platform(th, store, clock).publish(_draft(3))
    assert [p["link_attachment_url"] for p in th.posts] == [f"https://news.example.org/{n}" for n in (1, 2, 3)]
    assert th.refreshes == 1  # renewed a week after the last renewal, not at every post
    clock.now += 6 * DAY
    _platform(th, store, clock).publish(_draft(4))
    assert th.refreshes == 2


def test_a_renewed_token_without_its_key_falls_back_to_the_deployed_one(store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock).publish(_draft(1))
    clock.now += 2 * DAY
    th.refresh_revokes_old = False
    _platform(th, store, clock).publish(_draft(2))
    other = Fernet.generate_key().decode()
    keeper = TokenKeeper("threads", THREADS_LIFE, TOKEN, store, other, clock=clock)
    assert keeper.token() == TOKEN  # unreadable with another key: the deployed token, and a warning


def test_without_a_key_nothing_is_renewed_and_warnings_come_14_3_and_1_days_ahead(
        store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock, key=None).publish(_draft(1))
    config = _config()
    said: dict[float, set[str]] = {}
    for day in (30, 45.5, 46.5, 56.5, 57.5, 58.5, 59.5, 60.5):
        clock.now = T0 + day * DAY
        _platform(th, store, clock, key=None).publish(_draft(int(day * 10)))
        said[day] = set(alerts.conditions(config, store, clock.now))
    assert th.refreshes == 0
    assert said[30] == said[45.5] == set()
    assert said[46.5] == said[56.5] == {"token:threads:14"}
    assert said[57.5] == said[58.5] == {"token:threads:3"}
    assert said[59.5] == said[60.5] == {"token:threads:1"}
    text, _ = alerts.conditions(config, store, T0 + 57.5 * DAY)["token:threads:3"]
    assert "expires in 3 day(s)" in text and "BOT_SECRET_KEY" in text and "THREADS_ACCESS_TOKEN" in text


def test_each_warning_is_sent_once(store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock, key=None).publish(_draft(1))
    config = _config()
    for day in (46.5, 47.5):
        alerts.check(config, store, T0 + day * DAY)
    assert [a.key for a in store.alerts()] == ["token:threads:14"]
    alerts.check(config, store, T0 + 57.5 * DAY)
    assert [a.key for a in store.alerts()] == ["token:threads:3"]


def test_a_failed_renewal_is_an_alert_and_the_post_still_goes(store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock).publish(_draft(1))
    clock.now += 2 * DAY
    th.fail(status=500, endpoint="GET /refresh_access_token")
    _platform(th, store, clock).publish(_draft(2))
    assert len(th.posts) == 2 and th.refreshes == 0
    found = alerts.conditions(_config(KEY), store, clock.now)
    assert "Service temporarily unavailable" in found["token-renewal:threads"][0]
    clock.now += 1
    _platform(th, store, clock).publish(_draft(3))  # the next try renews, and the alert is over
    assert th.refreshes == 1 and "token-renewal:threads" not in alerts.conditions(
        _config(KEY), store, clock.now)


def test_linkedin_is_counted_and_warned_never_renewed(store: Store) -> None:
    clock = Clock()
    keeper = TokenKeeper("linkedin", LINKEDIN_LIFE, "AQV-token-1", store, KEY, clock=clock)
    keeper.record()
    clock.now += 50 * DAY
    assert not keeper.due()
    found = alerts.conditions(_config(KEY, "linkedin"), store, clock.now)
    assert set(found) == {"token:linkedin:14"} and "LINKEDIN_ACCESS_TOKEN" in found["token:linkedin:14"][0]
    assert "BOT_SECRET_KEY" not in found["token:linkedin:14"][0]  # a key would not help: say only what does
    # A new token deployed starts the count again.
    fresh = TokenKeeper("linkedin", LINKEDIN_LIFE, "AQV-token-2", store, KEY, clock=clock)
    fresh.record()
    assert alerts.conditions(_config(KEY, "linkedin"), store, clock.now) == {}


def test_the_networks_word_replaces_the_count_from_first_sight(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    """The keeper asks (bot.platforms.expiry: Threads' debug_token) when a token is first used; a network that
    does not answer is asked again a day later, never at every post, and never stops one."""
    caplog.set_level(logging.INFO, logger="bot.tokens")
    clock = Clock()
    answers: list[object] = [RuntimeError("debug_token: not a tester of the app"), (T0 + 40 * DAY, "Threads")]
    asked: list[str] = []

    def ask(token: str) -> tuple[float, str] | None:
        asked.append(token)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    def keeper() -> TokenKeeper:
        return TokenKeeper("threads", THREADS_LIFE, TOKEN, store, None, clock=clock, ask=ask)

    record = keeper().record()
    assert record is not None and not record.said and record.expires_at == T0 + 60 * DAY and asked == [TOKEN]
    assert "did not say when the access token ends (debug_token: not a tester" in caplog.text
    clock.now += DAY / 2
    assert keeper().record() == record  # asked within the day: not again
    assert len(asked) == 1
    clock.now += DAY / 2
    record = keeper().record()
    assert record is not None and record.said and record.expires_at == T0 + 40 * DAY and len(asked) == 2
    assert describe(record, THREADS_LIFE, T0 + DAY) == "token: 39 days left (until 2030-04-26, as Threads says)"
    clock.now += 30 * DAY
    assert keeper().record() == record and len(asked) == 2  # said: never asked again for this token
    assert set(alerts.conditions(_config(), store, clock.now)) == {"token:threads:14"}  # 9 days left, not 29


def test_an_answer_never_overwrites_a_renewal_made_while_it_was_asked(store: Store, th: FakeThreads) -> None:
    clock = Clock()
    _platform(th, store, clock).publish(_draft(1))  # first sight; no ask (the platform's keeper has none)
    clock.now += 2 * DAY

    def ask_while_another_worker_renews(token: str) -> tuple[float, str] | None:
        _platform(th, store, clock).publish(_draft(2))  # another worker: renews, then posts
        return T0 + 50 * DAY, "Threads"

    keeper = TokenKeeper("threads", THREADS_LIFE, TOKEN, store, KEY, clock=clock, ask=ask_while_another_worker_renews)
    record = keeper.record()
    assert th.refreshes == 1 and record is not None and record.sealed is not None and record.said_by is None
    assert keeper.token() == th.token  # the renewed token, kept: the answer about the old one was dropped


def test_bot_check_asks_once_and_writes_nothing() -> None:
    asked: list[str] = []

    def ask(token: str) -> tuple[float, str] | None:
        asked.append(token)
        return T0 + 12.5 * DAY, "Threads"

    keeper = TokenKeeper("threads", THREADS_LIFE, TOKEN, None, None, clock=Clock(), ask=ask)
    assert asked == []  # building an account asks nothing
    record = keeper.record()
    assert record is not None and keeper.record() is record and asked == [TOKEN]
    assert describe(record, THREADS_LIFE, T0).startswith("token: 12 days left (until 2030-03-30, as Threads says")
    silent = TokenKeeper("threads", THREADS_LIFE, TOKEN, None, None, clock=Clock(), ask=lambda token: None)
    assert silent.record() is None  # "never ends" (Meta's 0) or no answer: the generic line


def test_a_secret_key_that_is_no_fernet_key_is_one_clear_line() -> None:
    with pytest.raises(ConfigError) as caught:
        read_environment({"BOT_SECRET_KEY": "hunter2"})
    assert "BOT_SECRET_KEY is not a Fernet key" in str(caught.value) and "hunter2" not in str(caught.value)
    assert read_environment({"BOT_SECRET_KEY": KEY}).secret_key == KEY
    assert KEY in read_environment({"BOT_SECRET_KEY": KEY}).secrets()  # redacted wherever it could show


# --- the whole bot with its clock moved ahead ---------------------------------------------------------------

def _not_under_faketime() -> None:
    if "FAKETIME" in os.environ:
        pytest.skip("already under faketime (clock-ahead): a nested faketime cannot move one process's clock further")


def _threads_config(tmp_path: Path, feed_url: str) -> Path:
    """One feed (its old items too) to one Threads account."""
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\nmax_age_days = 36500\n\n[platforms.threads]\n',
                      encoding="utf-8")
    return config


def test_with_the_clock_moved_ahead_the_bot_renews_and_reports(tmp_path: Path, th: FakeThreads) -> None:
    _not_under_faketime()
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = _threads_config(tmp_path, feeds.url_for("/feed.xml"))
        db = tmp_path / "state.db"
        env = bot_env(None, None, f"sqlite:///{db}", config, {
            "THREADS_ACCESS_TOKEN": TOKEN, "THREADS_API_URL": f"{th.url}/v1.0", "BOT_SECRET_KEY": KEY})

        def run(args: list[str], ahead: str | None = None) -> str:
            prefix = [str(clock_ahead_tool()), ahead] if ahead else []
            import subprocess
            import sys

            result = subprocess.run([*prefix, sys.executable, "-m", "bot", *args], env=env, cwd=tmp_path,
                                    capture_output=True, text=True, timeout=120, check=False)
            output = result.stdout + result.stderr
            assert result.returncode == 0 and "Traceback" not in output, output
            assert TOKEN not in output and th.token not in output
            return output

        run(["run", "--once"])  # the baseline: the token is first seen now
        assert "token: 60 days left" in run(["status"])
        feeds.set("/feed.xml", rss([Item(1), Item(2)]))
        out2 = run(["run", "--once"], "+2d")
        assert th.refreshes == 1 and len(th.posts) == 1, out2  # renewed, then posted with the new token
        feeds.set("/feed.xml", rss([Item(1), Item(2), Item(3)]))
        run(["run", "--once"], "+3d")  # a later process: the sealed token, the deployed one being revoked
        assert [p["link_attachment_url"] for p in th.posts] == [Item(2).url, Item(3).url]
        assert "as the network said at its renewal" in run(["status"], "+3d")
        with sqlite3.connect(db) as conn:
            stored = " ".join(str(v) for row in conn.execute("SELECT * FROM sessions") for v in row)
        assert th.token not in stored and TOKEN not in stored


def test_with_the_clock_moved_ahead_and_no_key_status_counts_down(tmp_path: Path, th: FakeThreads) -> None:
    _not_under_faketime()
    with FeedServer() as feeds:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = _threads_config(tmp_path, feeds.url_for("/feed.xml"))
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
            "THREADS_ACCESS_TOKEN": TOKEN, "THREADS_API_URL": f"{th.url}/v1.0"})
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        import subprocess
        import sys

        ahead = subprocess.run([str(clock_ahead_tool()), "+47d", sys.executable, "-m", "bot", "status"], env=env,
                               cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert ahead.returncode == 0, ahead.stdout + ahead.stderr
        assert "token: 13 days left" in ahead.stdout and th.refreshes == 0
