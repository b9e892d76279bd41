"""An editor's regular expression that backtracks catastrophically (issue 21 item 14).

`(a|aa)+$` against a title of sixty a's and a "!" takes longer than the age of the universe with Python's `re`:
one crafted title held a whole run. Patterns run with a time bound (the `regex` module's timeout); an article a
pattern cannot decide in time is neither posted unseen nor dropped, but held for an editor, with one line
saying which feed, which article and which pattern.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.filters import PATTERN_SECONDS, FeedFilter, FilterTimeout
from bot.models import Article
from tests.feedgen import rss_entries
from tests.helpers import bot_env, fake_x, run_bot

CRAFTED = "a" * 60 + "!"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("kind", ["exclude_patterns", "include_patterns"])
def test_a_pattern_that_backtracks_is_stopped_in_time(kind: str) -> None:
    article = Article(key="k", feed_url="f", url="https://example.org/a", title=CRAFTED, text="", published=NOW)
    rules = FeedFilter(**{kind: ("(a|aa)+$",)})  # type: ignore[arg-type]
    started = time.monotonic()
    with pytest.raises(FilterTimeout) as caught:
        rules.reason(article, NOW)
    assert time.monotonic() - started < 20 * PATTERN_SECONDS
    assert f"{kind} '(a|aa)+$' did not finish within 0.2s on this article" in str(caught.value)
    # the same pattern decides an ordinary title at once, either way
    plain = Article(key="p", feed_url="f", url="https://example.org/p", title="Budget approved", text="",
                    published=NOW)
    assert (rules.reason(plain, NOW) is None) == (kind == "exclude_patterns")


def test_the_crafted_title_is_held_for_an_editor_and_the_run_goes_on(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text(rss_entries([]))
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "feed.xml"\nname = "news"\nexclude_patterns = ["(a|aa)+$"]\n'
                      "[platforms.twitter]\n")
    with fake_x() as x:
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0  # first sight
        feed.write_text(rss_entries([("g1", "https://example.org/1", CRAFTED, 30),
                                     ("g2", "https://example.org/2", "Library budget approved", 20)]))
        started = time.monotonic()
        result = run_bot(["run", "--once"], env, tmp_path, timeout=60)
        assert time.monotonic() - started < 30, "the pattern held the run"
        assert result.returncode == 0, result.stdout + result.stderr
        (line,) = [line for line in result.stdout.splitlines() if "HELD for review" in line]
        assert f"feed news: '{CRAFTED}' is HELD for review, neither posted nor dropped: exclude_patterns " in line
        assert "'(a|aa)+$' did not finish" in line
        assert [t["text"].split("\n")[0] for t in x.tweets] == ["Library budget approved"], "the other one went out"
        queue = run_bot(["queue"], env, tmp_path)
        assert queue.returncode == 0, queue.stderr
        (held,) = [line for line in queue.stdout.splitlines() if line.startswith("#")]
        assert "twitter review" in held and "waiting for review" in held, queue.stdout
        # the editor approves it: it goes out once, the pattern is not asked again
        approve = run_bot(["approve", "--all"], env, tmp_path)
        assert approve.returncode == 0, approve.stdout + approve.stderr
        assert run_bot(["run", "--once"], env, tmp_path, timeout=60).returncode == 0
        assert len(x.tweets) == 2 and CRAFTED in x.tweets[1]["text"]


def test_a_pattern_that_is_no_regular_expression_is_one_line_at_load(tmp_path: Path) -> None:
    from bot.config import load_config
    from bot.errors import ConfigError

    (tmp_path / "feed.xml").write_text(rss_entries([]))
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "feed.xml"\ninclude_patterns = ["ok", "(a"]\n[platforms.twitter]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(str(config), environ={})
    message = str(caught.value)
    assert message.startswith(f"{config}:3: feeds[0].include_patterns[1]: '(a' is not a regular expression ("), message
    assert "\n" not in message
