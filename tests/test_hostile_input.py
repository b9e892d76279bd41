"""No input hangs or crashes the bot. Each test is one hostile input and what must happen to it.

Speed is measured in bench/compose_bench.py; here a generous per-test timeout is the hang guard,
and the assertions are on what comes out.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.compose import ComposeSpec, compose, rules_for
from bot.compose.text import cut_to_fit
from bot.config import read_environment
from bot.errors import ConfigError
from bot.feeds.parse import parse_feed
from bot.models import Article, Image
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_graph, fake_x, run_bot
from tests.test_worker import Proc

MB = 1_000_000
WORDS = "Council approves the library budget after a long debate. "


def _words(n: int) -> str:
    return (WORDS * (n // len(WORDS) + 1))[:n]


def _valid(platform: str, text: str) -> None:
    rules = rules_for(platform)
    assert text.strip(), "an empty post"
    assert rules.count(text) <= rules.max_length, (platform, rules.count(text))


# --- composing -----------------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.parametrize("platform", ["twitter", "facebook"])
def test_a_1mb_title_composes_a_valid_post(platform: str) -> None:
    article = Article(key="k", feed_url="f", url="https://example.org/a", title=_words(MB),
                      text="The council met on Monday. " * 20)
    draft = compose(article, ComposeSpec(platform=platform))
    _valid(platform, draft.text)
    assert draft.text.startswith("Council approves the library budget")
    assert len(draft.text) < 5_000


@pytest.mark.timeout(60)
def test_cutting_a_1mb_text_to_fit_is_linear() -> None:
    text = _words(MB)
    cut = cut_to_fit(text, lambda s: len(s) <= 1_000)
    assert 900 < len(cut) <= 1_000 and cut.endswith("…") and text.startswith(cut[:-1])


@pytest.mark.timeout(60)
def test_a_10mb_description_in_a_feed_composes_a_valid_post() -> None:
    body = "<p>" + _words(10 * MB).replace(". ", ".</p><p>", 50) + "</p>"
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            "<item><title>Budget approved</title><link>https://example.org/a</link>"
            f"<guid>https://example.org/a</guid><description><![CDATA[{body}]]></description></item>"
            "</channel></rss>").encode()
    (entry,) = parse_feed(feed, "https://example.org/feed").entries
    article = entry.article()
    assert article.summary.startswith("Council approves")
    for platform in ("twitter", "facebook"):
        draft = compose(article, ComposeSpec(platform=platform))
        _valid(platform, draft.text)
    assert "Council approves the library budget" in draft.text, "Facebook's summary comes from the description"


@pytest.mark.timeout(60)
def test_every_other_field_huge_still_composes() -> None:
    article = Article(
        key="k", feed_url="f", url="https://example.org/a", title="Budget approved",
        text=_words(10 * MB), summary=_words(10 * MB), author=_words(MB), site=_words(MB),
        categories=tuple(f"Topic {n} " + "x" * 1_000 for n in range(100_000)), language="en-" + "x" * MB,
        image=Image(url="https://example.org/a.jpg", alt=_words(MB)),
    )
    for platform in ("twitter", "facebook"):
        spec = ComposeSpec(platform=platform, template="{title} {author} {site}\n\n{summary}\n\n{hashtags}")
        draft = compose(article, spec)
        _valid(platform, draft.text)
        assert draft.image is not None and draft.image.alt is not None and len(draft.image.alt) <= 1_000


@pytest.mark.timeout(60)
def test_huge_feed_fields_are_bounded_when_read() -> None:
    title = _words(MB)
    cats = "".join(f"<category>Topic {n}</category>" for n in range(20_000))
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            f"<item><title>{title}</title><link>https://example.org/a</link>{cats}"
            f"<author>{_words(MB)}</author><description>Short.</description></item>"
            "</channel></rss>").encode()
    (entry,) = parse_feed(feed, "https://example.org/feed").entries
    assert entry.title.startswith("Council approves") and len(entry.title) <= 2_000
    assert 0 < len(entry.categories) <= 500
    assert entry.author is not None and len(entry.author) <= 300


@pytest.mark.timeout(120)
def test_an_entry_with_a_1mb_title_is_posted_once_and_recorded(tmp_path: Path) -> None:
    """It used to never finish composing, so it was never recorded and every poll started over."""
    title = _words(MB)
    feed = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>'
            f"<item><title>{title}</title><link>https://news.example.org/a</link><guid>a-1</guid>"
            f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate><description>Short.</description></item>"
            "</channel></rss>")
    with FeedServer() as site, fake_x() as x:
        site.set("/feed.xml", feed)
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{site.url_for("/feed.xml")}"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n")
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        for _ in range(2):
            result = run_bot(["run", "--once"], env, tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
        (tweet,) = x.tweets
        _valid("twitter", tweet["text"])
        assert tweet["text"].startswith("Council approves the library budget")
        assert "0 post(s) queued" in result.stdout


# --- the config file -----------------------------------------------------------------------------

GOOD = '[[feeds]]\nurl = "https://example.org/feed/"\n[platforms.twitter]\n'
DEEP = "x = " + "[" * 3_000 + "]" * 3_000 + "\n"
# (id, file content, where the one line points, what it names)
BAD_FILES: list[tuple[str, bytes, str, str]] = [
    ("every overflows a date", (GOOD + '[[feeds]]\nurl = "https://example.org/b"\nevery = "99999999d"\n').encode(),
     ":6: feeds[1].every:", "longer than 365 days"),
    ("max age nan", (GOOD.replace("[platforms", 'max_age_days = nan\n[platforms')).encode(),
     ":3: feeds[0].max_age_days:", "not a number"),
    ("max age inf", (GOOD.replace("[platforms", 'max_age_days = inf\n[platforms')).encode(),
     ":3: feeds[0].max_age_days:", "not a number"),
    ("max age 1e308", (GOOD.replace("[platforms", 'max_age_days = 1e308\n[platforms')).encode(),
     ":3: feeds[0].max_age_days:", "more than 36500"),
    ("retention overflows", ('[bot]\nretention_days = 99999999999\n' + GOOD).encode(), ":2: bot.retention_days:",
     "more than 36500"),
    ("daily cap past int64", (GOOD + "daily_cap = 9223372036854775807\n").encode(), ":4: platforms.twitter.daily_cap:",
     "more than 1e+06"),
    ("nested 3,000 deep", (GOOD + DEEP).encode(), ": not valid TOML:", "nested too deeply"),
    ("UTF-8 BOM", b"\xef\xbb\xbf" + GOOD.encode(), ":1: the file starts with a byte order mark", "without BOM"),
    ("not UTF-8", (GOOD + '[platforms.facebook]\ntemplate = "caf').encode() + b"\xe9" + b'"\n',
     ":5: not UTF-8 text (byte 0xe9 at column 16)", "save the file as UTF-8"),
    ("over 1 MB", (GOOD + "# " + "x" * 1_100_000 + "\n").encode(), ": the config file is over 1,000,000 bytes",
     "right file"),
]


@pytest.mark.parametrize(("content", "where", "says"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bot_check_refuses_a_hostile_config_with_one_line(tmp_path: Path, content: bytes, where: str,
                                                          says: str) -> None:
    config = tmp_path / "bot.toml"
    config.write_bytes(content)
    result = run_bot(["check"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"bot: {config}{where}"), line
    assert says in line, line


def test_a_running_worker_rejects_every_hostile_edit_and_keeps_its_config(tmp_path: Path) -> None:
    with FeedServer() as feeds:
        feeds.set("/a.xml", rss([Item(1)]))
        feeds.set("/b.xml", rss([Item(2)]))
        config = tmp_path / "bot.toml"
        good = f'[[feeds]]\nurl = "{feeds.url_for("/a.xml")}"\n[platforms.twitter]\n'
        config.write_text(good)
        proc = Proc(["run"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
        try:
            proc.wait_for("worker started")
            for number, (name, content, where, says) in enumerate(BAD_FILES, 1):
                config.write_bytes(content)
                proc.signal(signal.SIGHUP)
                deadline = time.monotonic() + 20
                while len(_rejected(proc)) < number and time.monotonic() < deadline and proc.popen.poll() is None:
                    time.sleep(0.05)
                assert proc.popen.poll() is None, f"{name}: the worker died:\n" + "\n".join(proc.lines)
                assert len(_rejected(proc)) == number, f"{name}: no REJECTED line:\n" + "\n".join(proc.lines)
                line = _rejected(proc)[-1]
                assert f"{config}{where}" in line and says in line, line
            config.write_text(good + f'[[feeds]]\nurl = "{feeds.url_for("/b.xml")}"\n')
            proc.signal(signal.SIGHUP)
            proc.wait_for(r"config reloaded \(SIGHUP\): 2 feed\(s\) \(was 1\)")
            assert not [line for line in proc.lines if "Traceback" in line]
            proc.signal(signal.SIGTERM)
            assert proc.finish(15)[0] == 0
        finally:
            proc.kill()


def _rejected(proc: Proc) -> list[str]:
    return [line for line in list(proc.lines) if "REJECTED" in line]


# --- numbers from the environment ----------------------------------------------------------------

TUNING_VARS = ["BOT_LEASE_SECONDS", "BOT_BACKOFF_BASE_SECONDS", "BOT_BACKOFF_CAP_SECONDS", "BOT_MAX_ATTEMPTS",
               "BOT_PAUSE_PROBE_SECONDS", "BOT_SHUTDOWN_GRACE", "BOT_TEST_PAUSE_AFTER_SEND"]
ZERO_IS_OFF = {"BOT_TEST_PAUSE_AFTER_SEND"}


@pytest.mark.parametrize("name", TUNING_VARS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-1", "1e308", "0", "soon", "NaN"])
def test_a_numeric_environment_variable_must_be_a_finite_number_in_range(name: str, value: str) -> None:
    if value == "0" and name in ZERO_IS_OFF:
        assert read_environment({name: value}).tuning.pause_after_send == 0
        return
    with pytest.raises(ConfigError) as raised:
        read_environment({name: value})
    assert str(raised.value).startswith(f"{name}={value!r} is not ")


def test_max_attempts_must_be_whole() -> None:
    with pytest.raises(ConfigError, match=r"BOT_MAX_ATTEMPTS='2\.5' is not a whole number"):
        read_environment({"BOT_MAX_ATTEMPTS": "2.5"})
    assert read_environment({"BOT_MAX_ATTEMPTS": "3", "BOT_LEASE_SECONDS": "2.5"}).tuning.max_attempts == 3


@pytest.mark.parametrize(("name", "value"), [("BOT_LEASE_SECONDS", "nan"), ("BOT_SHUTDOWN_GRACE", "inf"),
                                             ("BOT_MAX_ATTEMPTS", "0")])
def test_the_bot_refuses_a_bad_tuning_value_with_exit_2(tmp_path: Path, name: str, value: str) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(GOOD)
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config, {name: value})
    result = run_bot(["run", "--once"], env, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"bot: {name}={value!r} is not "), line
    assert not (tmp_path / "s.db").exists(), "refused before anything ran"


# --- bot post --text ------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "says"), [
    ("", "--text is empty"),
    ("  \n\t ", "--text is empty"),
    ("word " * 57, "--text is too long for twitter: it counts 285, the limit is 280"),  # fine on Facebook
    ("日本" * 141, "--text is too long for twitter: it counts 564, the limit is 280"),  # CJK counts double on X
])
def test_post_text_that_a_network_would_refuse_is_refused_before_anything_is_sent(
        tmp_path: Path, text: str, says: str) -> None:
    config = tmp_path / "bot.toml"
    config.write_text(GOOD + "[platforms.facebook]\n")
    with fake_x() as x, fake_graph() as graph:
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config)
        for extra in ([], ["--dry-run"]):
            result = run_bot(["post", "--text", text, *extra], env, tmp_path)
            assert result.returncode == 2, result.stdout + result.stderr
            (line,) = result.stderr.splitlines()
            assert says in line, line
            assert result.stdout == ""
        assert x.requests == [] and graph.requests == [], "nothing reached either network"
        history = run_bot(["history"], env, tmp_path)
        assert history.returncode == 0 and "text:" not in history.stdout


# --- a database that cannot be written ------------------------------------------------------------

@contextmanager
def _read_only(paths: list[Path]) -> Iterator[None]:
    """Make files and folders read-only for this process: permission bits for a user; for root (which
    ignores them), the immutable attribute, as a read-only mount would."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    done: list[Path] = []
    try:
        for p in paths:
            if subprocess.run(["chattr", "+i", str(p)], capture_output=True, check=False).returncode != 0:
                pytest.skip("running as root without chattr +i: no way to make a file read-only for root")
            done.append(p)
        yield
    finally:
        for p in done:
            subprocess.run(["chattr", "-i", str(p)], check=True)


def _posted_once(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    config = tmp_path / "bot.toml"
    config.write_text(GOOD)
    folder = tmp_path / "state"
    folder.mkdir()
    with fake_x() as x:
        env = bot_env(x.url, None, f"sqlite:///{folder / 's.db'}", config)
        posted = run_bot(["post", "--text", "Our office is closed on Monday.", "--platform", "twitter"], env, tmp_path)
        assert posted.returncode == 0, posted.stderr
    return folder, env


@pytest.mark.parametrize("what", ["file", "file and folder"])
def test_status_and_history_read_a_database_that_is_not_writable(tmp_path: Path, what: str) -> None:
    folder, env = _posted_once(tmp_path)
    db = folder / "s.db"
    with _read_only([db] if what == "file" else [db, folder]):
        status = run_bot(["status"], env, tmp_path)
        assert status.returncode == 0, status.stderr
        assert "twitter" in status.stdout
        history = run_bot(["history"], env, tmp_path)
        assert history.returncode == 0, history.stderr
        assert "Our office is closed on Monday." in history.stdout
        write = run_bot(["retry"], env, tmp_path)  # a command that writes says why it cannot
        assert write.returncode == 1
        (line,) = write.stderr.splitlines()
        assert "not writable" in line and "bot status" in line, line


def test_a_locked_database_says_it_is_locked(tmp_path: Path) -> None:
    folder, env = _posted_once(tmp_path)
    holder = sqlite3.connect(folder / "s.db", isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        status = run_bot(["status"], env, tmp_path, timeout=60)
    finally:
        holder.close()
    assert status.returncode == 1
    (line,) = status.stderr.splitlines()
    assert "is locked by another process" in line and "try again" in line, line
    assert "writable" not in line, line
