"""The whole path, for real: a feed over HTTP, `bot run --once` as a subprocess, tweepy and
facebook-sdk talking to local servers that check signatures and tokens."""

from __future__ import annotations

from pathlib import Path

from bot.compose.xtext import weighted_length
from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss, rss_entries
from tests.fleet import refused_as_duplicate
from tests.helpers import FB_TOKEN, X_KEYS, bot_env, fake_graph, fake_x, run_bot


def _config(tmp_path: Path, feed_url: str, extra: str = "") -> Path:
    path = tmp_path / "bot.toml"
    path.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\n{extra}\n'
                    "[platforms.twitter]\n[platforms.facebook]\n", encoding="utf-8")
    return path


def test_new_entries_arrive_once_on_both_networks(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        items = [Item(n) for n in range(1, 6)]
        feeds.set("/feed.xml", rss(items))
        config = _config(tmp_path, feeds.url_for("/feed.xml"))
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", config)

        first = run_bot(["run", "--once"], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        # first sight is a baseline: nothing posted
        assert x.tweets == [] and graph.posts == []

        items += [Item(6), Item(7)]
        feeds.set("/feed.xml", rss(items))
        second = run_bot(["run", "--once"], env, tmp_path)
        assert second.returncode == 0, second.stderr + second.stdout

        tweets = x.tweets
        posts = graph.posts
        assert len(tweets) == 2 and len(posts) == 2
        # oldest first, each carrying its own article's title and link
        for record, item in zip(tweets, [Item(6), Item(7)], strict=True):
            assert item.title in record["text"]
            assert weighted_length(record["text"]) <= 280
        assert [p["link"] for p in posts] == [Item(6).url, Item(7).url]
        assert all(Item(n).title in (p["message"] or "") for p, n in zip(posts, (6, 7), strict=True))
        assert all("http" not in (p["message"] or "") for p in posts), "Facebook gets the link beside the text"

        # a third run with nothing new posts nothing; a reordered feed posts nothing either
        feeds.set("/feed.xml", rss(list(reversed(items))))
        third = run_bot(["run", "--once"], env, tmp_path)
        assert third.returncode == 0, third.stderr
        assert len(x.tweets) == 2 and len(graph.posts) == 2

        # and the secrets never appear in what the bot printed
        for output in (first, second, third):
            for secret in (*X_KEYS.values(), FB_TOKEN):
                assert secret not in output.stdout + output.stderr


def test_look_alike_ids_in_two_feeds_are_two_articles_and_one_article_in_two_feeds_is_one(
        tmp_path: Path, db_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        home = "https://c.example/"
        feeds.set("/a.xml", rss_entries([("1", "https://a.example/news/1", "A's first story", 90)]))
        feeds.set("/b.xml", rss_entries([("7", "https://b.example/items/7", "B's older story", 90)]))
        feeds.set("/c.xml", rss_entries([(None, home, "C's old story", 90)]))
        config = tmp_path / "bot.toml"
        config.write_text("".join(f'[[feeds]]\nurl = "{feeds.url_for(f"/{n}.xml")}"\nname = "{n}"\n' for n in "abc")
                          + "[platforms.twitter]\n[platforms.facebook]\n", encoding="utf-8")
        env = bot_env(x.url, graph.url, db_url, config)
        first = run_bot(["run", "--once"], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        assert x.tweets == [] and graph.posts == []  # baselines

        # B numbers its entries from 1 too; one article is in A and B under its URL guid; C links every
        # story to its home page
        shared = ("https://a.example/?p=500", "https://a.example/2026/shared/", "The story both feeds carry", 10)
        feeds.set("/a.xml", rss_entries([shared, ("1", "https://a.example/news/1", "A's first story", 90)]))
        feeds.set("/b.xml", rss_entries([("1", "https://b.example/items/1", "B's new story", 5), shared,
                                         ("7", "https://b.example/items/7", "B's older story", 90)]))
        feeds.set("/c.xml", rss_entries([(None, home, "C's second story", 3), (None, home, "C's first story", 4),
                                         (None, home, "C's old story", 90)]))
        second = run_bot(["run", "--once"], env, tmp_path)
        assert second.returncode == 0, second.stderr + second.stdout
        posted = [("B's new story", "https://b.example/items/1"),
                  ("The story both feeds carry", "https://a.example/2026/shared/"),
                  ("C's first story", home), ("C's second story", home)]
        assert sorted((p["message"].split("\n")[0], p["link"]) for p in graph.posts) == sorted(posted)
        assert sorted(tuple(t["text"].split("\n\n")) for t in x.tweets) == sorted(posted)
        assert not refused_as_duplicate(x, graph)
        assert "2 new entries without a usable guid share the link https://c.example/" in second.stdout + second.stderr

        third = run_bot(["run", "--once"], env, tmp_path)
        assert third.returncode == 0, third.stderr
        assert len(x.tweets) == len(graph.posts) == 4


def test_defaults_without_credentials_print_dry_run_posts(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", tmp_path / "missing.toml")
    del env["BOT_CONFIG"]
    result = run_bot(["run", "--once"], env, tmp_path)  # no config/bot.toml in tmp_path: embedded defaults
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("[dry-run] --- twitter") == 3
    assert result.stdout.count("[dry-run] --- facebook") == 3
    assert "Free Iran World Summit 2021" in result.stdout
    assert "no credentials set" in result.stdout
    again = run_bot(["run", "--once"], env, tmp_path)
    assert again.returncode == 0 and "[dry-run]" not in again.stdout


def test_bad_config_exits_2_with_one_line(tmp_path: Path) -> None:
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://example.org/feed"\nevry = "15m"\n[platforms.twitter]\n')
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config)
    result = run_bot(["run", "--once"], env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "bot.toml:3" in lines[0] and "evry" in lines[0] and "every" in lines[0]
