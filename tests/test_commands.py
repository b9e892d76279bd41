"""One-off commands: `bot post` and `bot preview`, as subprocesses against the local servers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rfc822_ago, rss
from tests.helpers import bot_env, fake_graph, fake_x, run_bot

PAGE = """<!doctype html><html lang="en"><head><title>Library budget approved | Example News</title>
<meta property="og:title" content="Library budget approved">
<meta property="og:image" content="https://news.example.org/img/library.jpg">
<meta property="og:image:alt" content="The city library at dusk">
<link rel="canonical" href="{url}"></head><body><nav>Home | World | Sport</nav>
<article><h1>Library budget approved</h1>
<p>The city council approved the new library budget on Tuesday after a two-hour debate.</p>
<p>Residents asked for longer opening times on weekends, and the council agreed to study the request.</p>
<p>The budget adds two librarians and a mobile library for the northern districts.</p></article>
<footer>Copyright 2026 Example News. Follow us on Facebook.</footer></body></html>"""


def _config(tmp_path: Path, feed_url: str) -> Path:
    if "://" not in feed_url:
        (tmp_path / feed_url).write_text(rss([]))
    path = tmp_path / "bot.toml"
    path.write_text(f'[[feeds]]\nurl = "{feed_url}"\nname = "news"\n[platforms.twitter]\n[platforms.facebook]\n')
    return path


def test_post_url_posts_once_and_the_worker_does_not_repost(tmp_path: Path) -> None:
    with FeedServer() as site, fake_x() as x, fake_graph() as graph:
        item = Item(1)
        url = item.url.replace("https://news.example.org", site.url)
        site.set("/2026/11/story-1/", PAGE.format(url=url), content_type="text/html; charset=utf-8")
        site.set("/feed.xml", rss([]))
        config = _config(tmp_path, site.url_for("/feed.xml"))
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", config)

        dry = run_bot(["post", url, "--dry-run"], env, tmp_path)
        assert dry.returncode == 0, dry.stderr
        assert "Library budget approved" in dry.stdout and x.tweets == [] and graph.posts == []

        first = run_bot(["post", url], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        assert len(x.tweets) == 1 and len(graph.posts) == 1
        assert "Library budget approved" in x.tweets[0]["text"] and url in x.tweets[0]["text"]
        assert graph.posts[0]["link"] == url

        again = run_bot(["post", url], env, tmp_path)
        assert again.returncode == 0 and "already posted" in again.stdout
        assert len(x.tweets) == 1 and len(graph.posts) == 1

        # the article now shows up in the feed (after the baseline): the worker knows it already
        run_bot(["run", "--once"], env, tmp_path)
        page_item = f"""<item><title>Library budget approved</title><link>{url}</link>
            <guid isPermaLink="false">https://news.example.org/?p=4242</guid>
            <pubDate>{rfc822_ago(hours=1)}</pubDate>
            <description>The council approved it.</description></item>"""
        site.set("/feed.xml", rss([]).replace("</channel>", page_item + "</channel>"))
        result = run_bot(["run", "--once"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert len(x.tweets) == 1 and len(graph.posts) == 1


def test_post_text_goes_out_once(tmp_path: Path) -> None:
    with fake_x() as x, fake_graph() as graph:
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", _config(tmp_path, "feed.xml"))
        result = run_bot(["post", "--text", "Our office is closed on Monday.", "--platform", "twitter"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        assert [t["text"] for t in x.tweets] == ["Our office is closed on Monday."] and graph.posts == []
        again = run_bot(["post", "--text", "Our office is closed on Monday.", "--platform", "twitter"], env, tmp_path)
        assert "already posted" in again.stdout and len(x.tweets) == 1


def test_post_usage_errors_exit_2(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", _config(tmp_path, "feed.xml"))
    assert run_bot(["post"], env, tmp_path).returncode == 2
    bad = run_bot(["post", "--text", "x", "--platform", "mastodon"], env, tmp_path)
    assert bad.returncode == 2 and "mastodon" in bad.stderr


def test_preview_json_changes_nothing(tmp_path: Path) -> None:
    with FeedServer() as site:
        site.set("/feed.xml", rss([Item(1), Item(2)]))
        db = tmp_path / "state.db"
        env = bot_env(None, None, f"sqlite:///{db}", _config(tmp_path, site.url_for("/feed.xml")))
        result = run_bot(["preview", "--json"], env, tmp_path)
        assert result.returncode == 0, result.stderr
        items = json.loads(result.stdout)
        assert {(i["platform"], i["article_url"]) for i in items} == {
            (p, Item(n).url) for p in ("twitter", "facebook") for n in (1, 2)}
        for entry in items:
            assert {"platform", "article_id", "article_url", "title", "text", "link", "hashtags", "image"} <= set(entry)
            assert entry["length"] <= entry["limit"]
            if entry["platform"] == "facebook":
                assert entry["link"] == entry["article_url"] and entry["link"] not in entry["text"]
            else:
                assert entry["article_url"] in entry["text"]
        assert not db.exists(), "preview must not create or change state"

        text = run_bot(["preview", "--feed", site.url_for("/feed.xml")], env, tmp_path)
        assert text.returncode == 0 and "--- twitter (" in text.stdout and "/280)" in text.stdout


# a WordPress guid, or an opaque one (which the store scopes by its feed)
@pytest.mark.parametrize("guid", ["https://news.example.org/?p=4242", "4242"])
def test_post_url_of_an_article_the_feed_already_posted_is_refused(tmp_path: Path, guid: str) -> None:
    with FeedServer() as site, fake_x() as x, fake_graph() as graph:
        url = site.url_for("/2026/11/story-1/")
        site.set("/2026/11/story-1/", PAGE.format(url=url), content_type="text/html; charset=utf-8")
        # the feed knows the article by its guid, the page only by its URL
        item = f"""<item><title>Library budget approved</title><link>{url}?utm_source=rss</link>
            <guid isPermaLink="false">{guid}</guid>
            <pubDate>{rfc822_ago(hours=1)}</pubDate>
            <description>The council approved it.</description></item>"""
        site.set("/feed.xml", rss([]).replace("</channel>", item + "</channel>"))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{site.url_for("/feed.xml")}"\nbackfill = 1\n'
                          "[platforms.twitter]\n[platforms.facebook]\n")
        env = bot_env(x.url, graph.url, f"sqlite:///{tmp_path / 'state.db'}", config)
        run = run_bot(["run", "--once"], env, tmp_path)
        assert run.returncode == 0, run.stderr
        assert len(x.tweets) == 1 and len(graph.posts) == 1

        again = run_bot(["post", url], env, tmp_path)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("already posted") == 2
        assert len(x.tweets) == 1 and len(graph.posts) == 1


# --- bot post --text on every kind of account (issue 21 item 9) -----------------------------------

def _text_config(tmp_path: Path) -> Path:
    """Two networks for the feed, and a second X account (x_fa) that only --platform reaches."""
    (tmp_path / "feed.xml").write_text(rss([]))
    path = tmp_path / "bot.toml"
    path.write_text('[[feeds]]\nurl = "feed.xml"\nname = "news"\nplatforms = ["twitter", "bluesky"]\n'
                    '[platforms.twitter]\n[platforms.bluesky]\n[platforms.x_fa]\nnetwork = "twitter"\n')
    return path


def test_post_text_goes_out_once_on_bluesky_and_on_a_named_account(tmp_path: Path) -> None:
    from tests.helpers import account_env, fake_bsky

    with fake_x() as x, fake_x() as x_fa, fake_bsky() as bsky:
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", _text_config(tmp_path),
                      {**account_env("bluesky", "bluesky", bsky.url), **account_env("x_fa", "twitter", x_fa.url)})
        text = "Our office is closed on Monday."
        for _ in range(2):  # the second time: already posted on both, nothing sent again
            result = run_bot(["post", "--text", text, "--platform", "twitter", "--platform", "bluesky"], env, tmp_path)
            assert result.returncode == 0, result.stdout + result.stderr
            assert [t["text"] for t in x.tweets] == [text]
            assert [r["value"]["text"] for r in bsky.records] == [text]
        assert "already posted" in result.stdout
        named = run_bot(["post", "--text", "Unsere Büros sind geschlossen.", "--platform", "x_fa"], env, tmp_path)
        assert named.returncode == 0, named.stdout + named.stderr
        assert [t["text"] for t in x_fa.tweets] == ["Unsere Büros sind geschlossen."] and len(x.tweets) == 1
        dry = run_bot(["post", "--text", "Nur gezeigt.", "--platform", "x_fa", "--dry-run"], env, tmp_path)
        assert dry.returncode == 0 and "--- x_fa (12/280)" in dry.stdout, dry.stdout + dry.stderr
        assert len(x_fa.tweets) == 1


@pytest.mark.parametrize(("text", "platforms", "says"), [
    # fine on X (the link counts 23 there), over Bluesky's 300 graphemes
    ("Read https://example.org/" + "a" * 300, ["twitter", "bluesky"], "--text is too long for bluesky: it counts 325"),
    # 121 graphemes (242 on X), but 3,025 bytes: over Bluesky's 3,000
    ("\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466" * 121, ["twitter", "bluesky"],
     "--text is too long for bluesky: it is 3025 bytes in UTF-8, the limit is 3000"),
    ("Closed today.", [], "--text would go to 2 accounts of X (Twitter) (twitter, x_fa)"),
    ("Closed today.", ["twitter", "x_fa", "bluesky"], "--text would go to 2 accounts of X (Twitter)"),
])
def test_post_text_is_checked_on_every_account_before_any_is_sent(tmp_path: Path, text: str, platforms: list[str],
                                                                 says: str) -> None:
    from tests.helpers import account_env, fake_bsky

    with fake_x() as x, fake_bsky() as bsky:
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", _text_config(tmp_path),
                      {**account_env("bluesky", "bluesky", bsky.url), **account_env("x_fa", "twitter", x.url)})
        chosen = [arg for name in platforms for arg in ("--platform", name)]
        for extra in ([], ["--dry-run"]):
            result = run_bot(["post", "--text", text, *chosen, *extra], env, tmp_path)
            assert result.returncode == 2, result.stdout + result.stderr
            (line,) = result.stderr.splitlines()
            assert says in line and "nothing was posted anywhere" in line, line
        assert x.requests == [] and bsky.records == [], "nothing reached any network"


def test_post_text_to_an_account_without_credentials_is_refused_not_recorded(tmp_path: Path) -> None:
    with fake_x() as x:
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", _text_config(tmp_path))  # no Bluesky ones
        args = ["post", "--text", "Closed today.", "--platform", "twitter", "--platform", "bluesky"]
        refused = run_bot(args, env, tmp_path)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        (line,) = refused.stderr.splitlines()
        assert "bluesky has no credentials (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD not set)" in line, line
        assert x.tweets == []
        shown = run_bot([*args, "--dry-run"], env, tmp_path)
        assert shown.returncode == 0 and "--- bluesky (13/300)" in shown.stdout, shown.stdout + shown.stderr
        assert x.tweets == [] and "text:" not in run_bot(["history"], env, tmp_path).stdout
