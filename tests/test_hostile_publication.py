"""What the bot refuses to publish (issue 14, "publication by accident").

Every test here sets real credentials for the local fake X and Facebook servers, so anything the bot
would post for real reaches them, and shows that only what an editor meant does:

- with no config file found (none there, or config/bot.toml a directory), nothing is sent, whatever
  the environment holds; `bot check` says which config it read and reports it;
- the bundled sample feed is only ever shown as dry-run output, also beside a real feed and also for
  a post queued before the config changed;
- `bot check` reports a config that can post nothing (no platform, a cron that never fires);
- a look at a feed that finds more new articles than its flood_limit queues none, fetches no page,
  pauses the feed, alerts, and waits for an editor's `bot retry --feed NAME [--backfill N]`;
- an entry dated more than a day ahead is held back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest

from bot.config import SAMPLE_FEED, Config, FeedConfig, PlatformConfig, Secret
from bot.delivery.loop import deliver_platform
from bot.feeds.entries import FeedEntry
from bot.feeds.filters import FeedFilter
from bot.feeds.identity import scoped
from bot.models import Article
from bot.networks.twitter import TwitterCredentials
from bot.platforms.twitter import TwitterPlatform
from bot.poll import Release, poll_feed
from bot.store import Store
from bot.store.base import DRY_RUN, POSTED, NewDelivery
from tests.fakes.feed_server import FeedServer
from tests.helpers import ROOT, X_KEYS, bot_env, fake_graph, fake_x, run_bot


@pytest.fixture
def fakes() -> Iterator[tuple[Any, Any]]:
    with fake_x() as x, fake_graph() as graph:
        yield x, graph


def _nothing_sent(x: Any, graph: Any) -> None:
    assert x.tweets == [] and graph.posts == []
    assert x.count("POST", "*") == 0 and graph.count("POST", "*") == 0


def _rss(items: list[tuple[str, str, datetime | None]], *, excerpt_only: bool = False) -> str:
    """(guid, link, published) entries, newest first as sites publish them; dates come from the test."""
    out = []
    for guid, link, published in items:
        date = f"<pubDate>{format_datetime(published)}</pubDate>" if published else ""
        body = "" if excerpt_only else (
            f"<content:encoded><![CDATA[<p>The council met about {escape(guid)} and approved the new library "
            "budget. Residents spoke for two hours.</p>]]></content:encoded>")
        out.append(f"<item><title>Story {escape(guid)} about the council</title><link>{escape(link)}</link>"
                   f'<guid isPermaLink="false">{escape(guid)}</guid>{date}'
                   f"<description>The council met about {escape(guid)}.</description>{body}</item>")
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>News</title>'
            "<link>https://news.example.org/</link><description>d</description>" + "".join(out) + "</channel></rss>")


def _stories(prefix: str, count: int, site: str = "https://news.example.org") -> list[tuple[str, str, datetime]]:
    now = datetime.now(UTC)
    return [(f"{prefix}-{n}", f"{site}/{prefix}/{n}/", now - timedelta(minutes=n)) for n in range(count)]


# --- no config file, the sample feed -------------------------------------------------------------


@pytest.mark.parametrize("layout", ["no file", "a directory at config/bot.toml"])
def test_no_config_file_sends_nothing_whatever_the_credentials(tmp_path: Path, fakes: Any, layout: str) -> None:
    x, graph = fakes
    if layout != "no file":
        (tmp_path / "config" / "bot.toml").mkdir(parents=True)
    env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "unused.toml")
    del env["BOT_CONFIG"]

    run = run_bot(["run", "--once"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "[dry-run] --- twitter" in run.stdout and "[dry-run] --- facebook" in run.stdout
    assert "no config file found" in run.stdout and "never sent" in run.stdout
    post = run_bot(["post", "--text", "Hello from the defaults"], env, tmp_path)
    assert post.returncode == 0, post.stderr
    assert "twitter: shown (dry-run), not sent" in post.stdout and "posted" not in post.stdout
    _nothing_sent(x, graph)

    check = run_bot(["check"], env, tmp_path)
    assert check.returncode == 1, check.stdout
    where = tmp_path / "config" / "bot.toml"
    expected = f"{where} is not a file" if layout != "no file" else f"no {where}"
    assert f"config: none found ({expected}" in check.stdout
    assert "problem: no config file found" in check.stdout
    assert "all good" not in check.stdout
    _nothing_sent(x, graph)


def test_the_repository_config_shows_the_sample_feed_and_sends_nothing(tmp_path: Path, fakes: Any) -> None:
    x, graph = fakes
    repository_config = ROOT / "config" / "bot.toml"
    env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", repository_config)

    run = run_bot(["run", "--once"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("[dry-run] --- twitter") == 3 and run.stdout.count("[dry-run] --- facebook") == 3
    _nothing_sent(x, graph)
    history = run_bot(["history"], env, tmp_path)
    assert history.stdout.count("(dry run, not sent)") == 6, history.stdout

    check = run_bot(["check"], env, tmp_path)
    assert check.returncode == 1
    assert f"config: {repository_config}: ok" in check.stdout
    assert "problem: feed sample: the bundled sample feed" in check.stdout and "all good" not in check.stdout


def test_installed_without_e_the_repository_config_still_sends_nothing(tmp_path: Path, fakes: Any) -> None:
    """`pip install .` (a container image, a buildpack, a wheel) puts the package's sample in site-packages
    while the repository's config/bot.toml names the checkout's copy: the same article, so only ever shown.
    Once, the sample was recognised by its path inside the package, and these three articles went out."""
    import subprocess
    import sys

    site = tmp_path / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                              str(ROOT)], capture_output=True, text=True, timeout=300, check=False)
    assert install.returncode == 0, install.stderr
    x, graph = fakes
    env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", ROOT / "config" / "bot.toml")
    env["PYTHONPATH"] = str(site)  # the installed copy, not the checkout
    del env["BOT_CONFIG"]  # found as a user finds it: config/bot.toml under the working directory
    where = subprocess.run([sys.executable, "-c", "import bot.config as c; print(c.SAMPLE_FEED)"], env=env,
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert where.stdout.strip().startswith(str(site)), where.stdout

    run = subprocess.run([str(site / "bin" / "bot"), "run", "--once"], env=env, cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("[dry-run] --- twitter") == 3 and run.stdout.count("[dry-run] --- facebook") == 3
    _nothing_sent(x, graph)
    check = subprocess.run([str(site / "bin" / "bot"), "check"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=120, check=False)
    assert "problem: feed sample: the bundled sample feed" in check.stdout, check.stdout


def test_a_copy_of_the_sample_anywhere_is_the_sample(tmp_path: Path) -> None:
    from bot.sandbox import is_sample_feed

    copy = tmp_path / "feed.xml"
    copy.write_bytes(SAMPLE_FEED.read_bytes().replace(b"\n", b"\r\n"))  # a Windows checkout
    assert is_sample_feed(str(copy)) and is_sample_feed(copy.as_uri())
    copy.write_bytes(SAMPLE_FEED.read_bytes().replace(b"MEK", b"NEW"))  # an editor's own feed at that path
    assert not is_sample_feed(str(copy))
    assert not is_sample_feed(str(tmp_path / "gone.xml")) and not is_sample_feed("https://example.org/feed.xml")


def test_the_sample_beside_a_real_feed_posts_only_the_real_one(tmp_path: Path, fakes: Any) -> None:
    x, graph = fakes
    with FeedServer() as feeds:
        feeds.set("/feed.xml", _rss(_stories("real", 1)))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{SAMPLE_FEED}"\nname = "sample"\nbackfill = 3\nmax_age_days = 36500\n'
                          f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 1\n'
                          "[platforms.twitter]\nimage = false\n[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config)
        run = run_bot(["run", "--once"], env, tmp_path)
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("[dry-run] --- twitter") == 3
    assert [t["text"].split(" about")[0] for t in x.tweets] == ["Story real-0"]
    assert [p["message"].split(" about")[0] for p in graph.posts] == ["Story real-0"]


def test_a_queued_sample_post_stays_dry_after_the_config_changed(store: Store, fakes: Any) -> None:
    """Decided from the outbox row, not the config in force: an edit removing the sample feed after its
    posts were queued (say, held by a posting window) must not let them out for real."""
    x, _ = fakes
    now = time.time()

    def row(key: str, feed_url: str) -> NewDelivery:
        link = f"https://news.example.org/{key}/"
        return NewDelivery(article_key=key, platform="twitter", feed_url=feed_url, article_url=link, title=key,
                           text=f"{key} {link}", link=link, hashtags=(), image_url=None, image_alt=None, thread=(),
                           published_at=now - 10, due_at=now)

    store.record_articles([], [row("sample-post", str(SAMPLE_FEED)), row("real-post", "https://news.example.org/f")],
                          now)
    config = Config(path=None, feeds=(FeedConfig(url="https://news.example.org/f", name="news"),),
                    platforms={"twitter": PlatformConfig("twitter")})
    creds = TwitterCredentials(*(Secret(X_KEYS[k]) for k in (
        "TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET")))
    shown: list[str] = []
    platform = TwitterPlatform(creds, x.url)
    try:
        report = deliver_platform(config, store, platform, "w1", show=lambda name, draft: shown.append(draft.text))
    finally:
        platform.close()
    assert len(report.posted) == 2
    assert [t["text"] for t in x.tweets] == ["real-post https://news.example.org/real-post/"]
    assert shown == ["sample-post https://news.example.org/sample-post/"]
    states = {d.article_key: d.state for d in store.deliveries()}
    assert states == {"sample-post": DRY_RUN, "real-post": POSTED}


# --- configs that cannot post ----------------------------------------------------------------------


@pytest.mark.parametrize(("tables", "problem"), [
    ('cron = "0 0 30 2 *"\n[platforms.twitter]\n', "problem: feed news: cron '0 0 30 2 *' never fires"),
    ("[platforms.twitter]\nenabled = false\n", "problem: no platform is enabled"),
    ('platforms = ["facebook"]\n[platforms.twitter]\n', "problem: feed news: none of its platforms (facebook)"),
])
def test_check_reports_a_config_that_can_post_nothing(tmp_path: Path, tables: str, problem: str) -> None:
    (tmp_path / "feed.xml").write_text(_rss(_stories("a", 1)))
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "feed.xml"\nname = "news"\n' + tables)
    check = run_bot(["check"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert problem in check.stdout
    assert "all good" not in check.stdout and "check: 1 problem(s)" in check.stdout


def test_flood_limit_must_be_at_least_one(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://example.org/feed"\nflood_limit = 0\n[platforms.twitter]\n')
    result = run_bot(["check"], bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", config), tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"bot: {config}:3: feeds[0].flood_limit: must be at least 1 (use the most "
                                     "new articles one look may queue (default 20))")


# --- the flood guard ---------------------------------------------------------------------------------


def _flood_setup(tmp_path: Path, x: Any, graph: Any, feeds: FeedServer, extra: str = "") -> dict[str, str]:
    config = tmp_path / "bot.toml"
    config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\n{extra}'
                      "[platforms.twitter]\nimage = false\n[platforms.facebook]\n")
    return bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 's.db'}", config)


def test_a_feed_reissuing_every_guid_queues_nothing_pauses_and_waits_for_an_editor(tmp_path: Path,
                                                                                     fakes: Any) -> None:
    x, graph = fakes
    with FeedServer() as feeds:
        feeds.set("/feed.xml", _rss(_stories("old", 30)))
        env = _flood_setup(tmp_path, x, graph, feeds)
        first = run_bot(["run", "--once"], env, tmp_path)
        assert "0 post(s) queued" in first.stdout, "first sight is a baseline, not a flood"
        assert "PAUSED" not in first.stdout

        # A CMS migration: the same 30 articles under new guids and addresses.
        feeds.set("/feed.xml", _rss(_stories("migrated", 30, site="https://www.news.example.org")))
        flood = run_bot(["run", "--once"], env, tmp_path)
        # A person must decide: exit 1, and the line on stderr for cron's mail.
        assert flood.returncode == 1 and "bot: feed news: PAUSED by a flood of 30" in flood.stderr, flood.stderr
        assert "0 post(s) queued" in flood.stdout
        assert "feed news: PAUSED by a flood of 30 new articles, none queued" in flood.stdout
        alert = [line for line in flood.stdout.splitlines() if " ERROR " in line and "FLOOD" in line]
        assert len(alert) == 1 and "bot retry --feed news" in alert[0], flood.stdout
        hits = feeds.hits("/feed.xml")
        again = run_bot(["run", "--once"], env, tmp_path)
        assert "PAUSED by a flood of 30" in again.stdout
        assert feeds.hits("/feed.xml") == hits, "a paused feed is not read"
        _nothing_sent(x, graph)

        status = run_bot(["status"], env, tmp_path).stdout
        assert "feed news: PAUSED by a flood: 30 new articles in one look" in status
        assert "`bot retry --feed news --backfill N` only the newest N" in status
        schedule = run_bot(["schedule"], env, tmp_path).stdout
        assert "news: every 15m; next: none (PAUSED by a flood of 30 new articles" in schedule

        released = run_bot(["retry", "--feed", "news", "--backfill", "2"], env, tmp_path)
        assert released.returncode == 0, released.stderr
        assert "feed news: released: 4 post(s) queued" in released.stdout
        deliver = run_bot(["run", "--once"], env, tmp_path)
        assert deliver.returncode == 0 and "PAUSED" not in deliver.stdout
    assert [t["text"].split(" about")[0] for t in x.tweets] == ["Story migrated-1", "Story migrated-0"]
    assert len(graph.posts) == 2
    assert "PAUSED" not in run_bot(["status"], env, tmp_path).stdout
    assert run_bot(["retry", "--feed", "news"], env, tmp_path).stdout.strip() == \
        "feed news is not paused; nothing to release"


def test_releasing_a_flood_without_backfill_posts_every_held_article(tmp_path: Path, fakes: Any) -> None:
    x, graph = fakes
    with FeedServer() as feeds:
        feeds.set("/feed.xml", _rss(_stories("old", 2)))
        env = _flood_setup(tmp_path, x, graph, feeds, extra="flood_limit = 3\nplatforms = [\"twitter\"]\n")
        run_bot(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", _rss(_stories("new", 5) + _stories("old", 2)))
        assert "PAUSED by a flood of 5" in run_bot(["run", "--once"], env, tmp_path).stdout
        _nothing_sent(x, graph)
        released = run_bot(["retry", "--feed", "news"], env, tmp_path)
        assert "feed news: released: 5 post(s) queued" in released.stdout, released.stdout + released.stderr
        run_bot(["run", "--once"], env, tmp_path)
    assert sorted(t["text"].split(" about")[0] for t in x.tweets) == [f"Story new-{n}" for n in range(5)]


def test_a_flood_fetches_no_article_page(tmp_path: Path, fakes: Any) -> None:
    """Teaser-only entries make the bot read each article's page: a flood must be decided before that."""
    x, graph = fakes
    with FeedServer() as feeds:
        undated = [(f"u-{n}", feeds.url_for(f"/article/{n}"), None) for n in range(3000)]
        feeds.set("/feed.xml", _rss(undated[:1], excerpt_only=True))
        env = _flood_setup(tmp_path, x, graph, feeds)
        run_bot(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", _rss(undated, excerpt_only=True))
        started = time.monotonic()
        flood = run_bot(["run", "--once"], env, tmp_path)
        elapsed = time.monotonic() - started
        assert "PAUSED by a flood of 2999 new articles" in flood.stdout, flood.stdout + flood.stderr
        assert sum(feeds.hits(f"/article/{n}") for n in range(3000)) == 0
    _nothing_sent(x, graph)
    assert elapsed < 60, f"a flood of 2,999 entries took {elapsed:.1f}s"


def test_a_flood_is_held_in_the_store_until_released(store: Store, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite and Postgres: a flood marks none of the new entries seen, queues nothing and renders no
    entry's text (it is decided from the dates alone), so the release still finds them all; the release
    renders and queues the newest N and records the rest as seen."""
    rendered: list[str] = []
    real_article = FeedEntry.article

    def counted(entry: FeedEntry) -> Article:
        rendered.append(entry.key)
        return real_article(entry)

    monkeypatch.setattr(FeedEntry, "article", counted)
    path = tmp_path / "feed.xml"
    feed = FeedConfig(url=str(path), name="news", flood_limit=20)
    config = Config(path=None, feeds=(feed,), platforms={"twitter": PlatformConfig("twitter")})
    undated = [(f"u-{n}", f"https://news.example.org/u/{n}/", None) for n in range(2000)]
    path.write_text(_rss(undated[:1]))
    assert poll_feed(config, store, feed).status == "ok"
    path.write_text(_rss(undated))
    report = poll_feed(config, store, feed)
    assert (report.status, report.new, report.queued) == ("flood", 1999, 0)
    assert rendered == [], "nothing rendered: the baseline posts none, the flood is decided from dates"
    assert store.queue_counts() == {}
    assert store.known_keys(identities_of(undated, feed.shown_url)) == {scoped("u-0", feed.shown_url),
                                                                        "https://news.example.org/u/0/"}
    state = store.feed_state(feed.url)
    assert state is not None and state.flood_held == 1999 and state.flood_at is not None
    assert poll_feed(config, store, feed, force=True).status == "paused"

    released = poll_feed(config, store, feed, release=Release(newest=3))
    assert (released.status, released.queued) == ("ok", 3)
    assert rendered == [scoped(f"u-{n}", feed.shown_url) for n in (1, 2, 3)]
    # Undated entries keep the feed's order, the first being the newest.
    assert sorted(d.article_key for d in store.deliveries()) == [scoped(f"u-{n}", feed.shown_url) for n in (1, 2, 3)]
    assert len(store.known_keys(identities_of(undated, feed.shown_url))) == 2 * 2000, "the rest are recorded as seen"
    after = store.feed_state(feed.url)
    assert after is not None and after.flood_held == 0
    assert poll_feed(config, store, feed, force=True).queued == 0


def identities_of(items: list[tuple[str, str, datetime | None]], feed: str) -> list[str]:
    """The keys the store records for these entries: an opaque guid counts within its feed only."""
    return [key for guid, link, _ in items for key in (scoped(guid, feed), link)]


# --- dates in the future ---------------------------------------------------------------------------


def test_an_entry_dated_more_than_a_day_ahead_is_held_back(tmp_path: Path, fakes: Any) -> None:
    x, graph = fakes
    now = datetime.now(UTC)
    with FeedServer() as feeds:
        feeds.set("/feed.xml", _rss(_stories("old", 1)))
        env = _flood_setup(tmp_path, x, graph, feeds, extra='platforms = ["twitter"]\n')
        run_bot(["run", "--once"], env, tmp_path)
        feeds.set("/feed.xml", _rss([("typo", "https://news.example.org/typo/", now + timedelta(days=365)),
                                     ("tomorrow", "https://news.example.org/t/", now + timedelta(days=3)),
                                     ("slip", "https://news.example.org/slip/", now + timedelta(hours=2)),
                                     *_stories("old", 1)]))
        run = run_bot(["run", "--once"], env, tmp_path)
    assert [t["text"].split(" about")[0] for t in x.tweets] == ["Story slip"], run.stdout
    assert "not posting 'Story typo about the council': dated in the future" in run.stdout


def test_the_date_rule_holds_back_the_future_even_for_a_backfill() -> None:
    now = datetime.now(UTC)

    def art(published: datetime) -> Article:
        return Article(key="k", feed_url="f", url="https://e.org/a", title="t", published=published)

    rules = FeedFilter(max_age_days=2)
    assert rules.reason(art(now + timedelta(hours=23)), now) is None
    assert "dated in the future" in (rules.reason(art(now + timedelta(days=2)), now) or "")
    assert "dated in the future" in (rules.reason(art(now + timedelta(days=2)), now, backfill=True) or "")
    assert rules.reason(art(now - timedelta(days=30)), now, backfill=True) is None
    assert "older than 2 days" in (rules.reason(art(now - timedelta(days=30)), now) or "")
