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


# Imported first by the bot's Python (a sitecustomize on PYTHONPATH): every connection it tries, every name
# it looks up, is written down (the audit events of the socket module, whoever calls it).
_NETWORK_AUDIT = """
import os, sys
_log = os.environ["NETWORK_AUDIT_LOG"]
def _hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"):
        with open(_log, "a", encoding="utf-8") as out:
            out.write(f"{event} {args[1:]!r}\\n")
sys.addaudithook(_hook)
"""


def test_defaults_without_credentials_print_dry_run_posts_and_make_no_network_call(tmp_path: Path) -> None:
    from bot import networks

    hook = tmp_path / "audit"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_NETWORK_AUDIT, encoding="utf-8")
    calls = tmp_path / "network-calls.log"
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", tmp_path / "missing.toml",
                  {"NETWORK_AUDIT_LOG": str(calls)})
    env["PYTHONPATH"] = f"{hook}:{env['PYTHONPATH']}"
    del env["BOT_CONFIG"]
    result = run_bot(["run", "--once"], env, tmp_path)  # no config/bot.toml in tmp_path: embedded defaults
    assert result.returncode == 0, result.stderr
    # The first command of the README: every network in dry-run, each shows its posts, and nothing at all
    # goes over the network (the sample feed is bundled; no Mastodon instance is asked for its limits).
    assert not calls.exists(), calls.read_text()
    for name in networks.names():
        assert result.stdout.count(f"[dry-run] --- {name} ") == 3, name
        assert f"{name}: no credentials set" in result.stdout
    # The control: the same run for a dry-run account that names its instance does ask it (so the hook sees calls).
    control = run_bot(["run", "--once"], {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'control.db'}",
                                          "MASTODON_API_URL": "http://127.0.0.1:9"}, tmp_path)
    assert control.returncode == 0, control.stderr
    assert "socket.connect (('127.0.0.1', 9),)" in calls.read_text()
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


def _first_strong_direction(text: str) -> str:
    """"rtl" or "ltr": the direction of the first strongly directional character, as a reader's app decides."""
    import unicodedata

    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "none"


def test_an_english_and_a_persian_feed_reach_only_their_own_accounts_on_every_network(tmp_path: Path) -> None:
    """Fourteen accounts, each at its own fake server: the English feed goes to the seven default accounts, the
    Persian one to seven accounts of the same networks (`network = ...`), each with its own credentials."""
    from tests.fakes.bluesky import FakeBluesky
    from tests.fakes.graph_api import FakeGraphServer
    from tests.fakes.linkedin import FakeLinkedIn
    from tests.fakes.mastodon import FakeMastodonServer
    from tests.fakes.telegram import FakeTelegramServer
    from tests.fakes.threads import FakeThreads
    from tests.fakes.x_api import FakeXServer
    from tests.fleet import ALL_NETWORKS as FIVE
    from tests.fleet import LINKS, NEWER_NETWORKS, fleet_fakes
    from tests.helpers import account_env

    def feed(language: str, entries: list[tuple[str | None, str, str, int]]) -> str:
        return rss_entries(entries).replace("<channel><title>Example</title>",
                                            f"<channel><title>Example</title><language>{language}</language>")

    en_old = [("en-0", "https://news.example.org/en/0", "An older English story", 90)]
    fa_old = [("fa-0", "https://news.example.org/fa/0", "خبر قدیمی", 90)]
    en_new = [("en-2", "https://news.example.org/en/2", "The council approves the library budget", 5),
              ("en-1", "https://news.example.org/en/1", "Residents ask for longer opening hours", 6)]
    fa_new = [("fa-2", "https://news.example.org/fa/2", "شورای شهر بودجه کتابخانه را تصویب کرد", 5),
              ("fa-1", "https://news.example.org/fa/1", "ساکنان خواستار ساعات کاری طولانی‌تر شدند", 6)]
    fa_accounts = {"x_fa": "twitter", "fb_fa": "facebook", "masto_fa": "mastodon", "bsky_fa": "bluesky",
                   "tg_fa": "telegram", "th_fa": "threads", "li_fa": "linkedin"}
    ALL_NETWORKS = (*FIVE, *NEWER_NETWORKS)
    with FeedServer() as feeds, fleet_fakes(ALL_NETWORKS) as en, \
            FakeXServer("fa-ck", "fa-cs-secret", "2000-fa-at", "fa-ats-secret") as x_fa, \
            FakeGraphServer(page_id="9876543210", page_token="EAAB-fa-page-token") as fb_fa, \
            FakeMastodonServer("MASTO-FA-TOKEN", username="news_fa") as masto_fa, \
            FakeBluesky("fa.news.example.com", "wxyz-fa-pass-word", did="did:plc:fa0000000000000000000000") \
            as bsky_fa, FakeTelegramServer("987654321:AAF-fa-token-abcdefghijklmnopqrstu", chat_username="ournews_fa",
                                           chat_id=-1009876543210) as tg_fa, \
            FakeThreads("THAA-fa-threads-token-8642", username="ournews_fa") as th_fa, \
            FakeLinkedIn("AQV-fa-linkedin-token-9753", "7654321") as li_fa:
        fa = {"x_fa": x_fa, "fb_fa": fb_fa, "masto_fa": masto_fa, "bsky_fa": bsky_fa, "tg_fa": tg_fa,
              "th_fa": th_fa, "li_fa": li_fa}
        feeds.set("/en.xml", feed("en", en_old))
        feeds.set("/fa.xml", feed("fa", fa_old))
        config = tmp_path / "bot.toml"
        config.write_text(
            f'[[feeds]]\nurl = "{feeds.url_for("/en.xml")}"\nname = "en"\n'
            f"platforms = {list(ALL_NETWORKS)!r}\n".replace("'", '"')
            + f'[[feeds]]\nurl = "{feeds.url_for("/fa.xml")}"\nname = "fa"\n'
            f"platforms = {list(fa_accounts)!r}\n".replace("'", '"')
            + "".join(f"[platforms.{name}]\n" for name in ALL_NETWORKS)
            + "".join(f'[platforms.{name}]\nnetwork = "{network}"\n' for name, network in fa_accounts.items()),
            encoding="utf-8")
        env_vars: dict[str, str] = {}
        for name in ALL_NETWORKS:
            env_vars.update(account_env(name, name, en[name].url))
        env_vars.update({
            "X_FA_API_KEY": "fa-ck", "X_FA_API_SECRET": "fa-cs-secret", "X_FA_ACCESS_TOKEN": "2000-fa-at",
            "X_FA_ACCESS_TOKEN_SECRET": "fa-ats-secret", "X_FA_API_URL": x_fa.url,
            "FB_FA_PAGE_ID": "9876543210", "FB_FA_PAGE_TOKEN": "EAAB-fa-page-token", "FB_FA_GRAPH_URL": fb_fa.url,
            "MASTO_FA_ACCESS_TOKEN": "MASTO-FA-TOKEN", "MASTO_FA_API_URL": masto_fa.url,
            "BSKY_FA_HANDLE": "fa.news.example.com", "BSKY_FA_APP_PASSWORD": "wxyz-fa-pass-word",
            "BSKY_FA_SERVICE_URL": bsky_fa.url,
            "TG_FA_BOT_TOKEN": "987654321:AAF-fa-token-abcdefghijklmnopqrstu", "TG_FA_CHAT_ID": "@ournews_fa",
            "TG_FA_API_URL": tg_fa.url,
            "TH_FA_ACCESS_TOKEN": "THAA-fa-threads-token-8642", "TH_FA_API_URL": f"{th_fa.url}/v1.0",
            "LI_FA_ACCESS_TOKEN": "AQV-fa-linkedin-token-9753", "LI_FA_ORGANIZATION_ID": "7654321",
            "LI_FA_API_URL": li_fa.url})
        env = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, env_vars)

        first = run_bot(["run", "--once"], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        assert all(LINKS[n](en[n]) == [] for n in ALL_NETWORKS)  # first sight is a baseline
        assert all(LINKS[network](fa[name]) == [] for name, network in fa_accounts.items())

        feeds.set("/en.xml", feed("en", [*en_new, *en_old]))
        feeds.set("/fa.xml", feed("fa", [*fa_new, *fa_old]))
        second = run_bot(["run", "--once"], env, tmp_path)
        assert second.returncode == 0, second.stderr + second.stdout
        third = run_bot(["run", "--once"], env, tmp_path)  # nothing new: nothing more
        assert third.returncode == 0, third.stderr + third.stdout

        en_links = [e[1] for e in reversed(en_new)]
        fa_links = [e[1] for e in reversed(fa_new)]
        for name in ALL_NETWORKS:
            assert LINKS[name](en[name]) == en_links, f"{name}: exactly the English articles, once, in order"
        for name, network in fa_accounts.items():
            assert LINKS[network](fa[name]) == fa_links, f"{name}: exactly the Persian articles, once, in order"
        assert refused_as_duplicate(*en.values(), *fa.values()) == 0

        # What each network shows, per language: the text as sent, the language labels.
        texts_fa = {
            "x_fa": [t["text"] for t in x_fa.tweets], "fb_fa": [p["message"] or "" for p in fb_fa.posts],
            "masto_fa": [s["text"] for s in masto_fa.statuses],
            "bsky_fa": [r["value"]["text"] for r in bsky_fa.records], "tg_fa": [m["text"] for m in tg_fa.messages],
            "th_fa": [p["text"] for p in th_fa.posts], "li_fa": [p["text"] for p in li_fa.posts]}
        titles_fa = [e[2] for e in reversed(fa_new)]
        for name, texts in texts_fa.items():
            for text, title in zip(texts, titles_fa, strict=True):
                assert text.startswith(title), (name, text)  # the Persian title, every character intact
                assert _first_strong_direction(text) == "rtl", (name, text)
                assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e"), "no embedding controls"
        for record in en["twitter"].tweets:
            assert _first_strong_direction(record["text"]) == "ltr"
        assert [s["language_sent"] for s in masto_fa.statuses] == ["fa", "fa"]
        assert [s["language_sent"] for s in en["mastodon"].statuses] == ["en", "en"]
        assert [r["value"]["langs"] for r in bsky_fa.records] == [["fa"], ["fa"]]
        assert [r["value"]["langs"] for r in en["bluesky"].records] == [["en"], ["en"]]

        check = run_bot(["check"], env, tmp_path)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "masto_fa: ok, posting as @news_fa" in check.stdout
        assert "bsky_fa: ok, posting as @fa.news.example.com" in check.stdout
        assert "Our News (@ournews_fa)" in check.stdout
        assert "th_fa: ok, posting as @ournews_fa" in check.stdout
        assert "li_fa: ok, posting as the Page urn:li:organization:7654321" in check.stdout
        secrets = [v for k, v in env_vars.items() if k.endswith(("SECRET", "TOKEN", "PASSWORD"))]
        for result in (first, second, third, check):
            for secret in secrets:
                assert secret not in result.stdout + result.stderr
