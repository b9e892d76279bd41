"""Network descriptors and accounts (issue 11): the registry is the one source of what a network needs,
`[platforms.NAME]` tables are accounts routed by feed, and an unknown outcome is settled the way the
account's network can (looked up, read back by its send key, or held for an editor)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import networks
from bot.compose.rules import NetworkRules, rules_for
from bot.config import Config, parse_config, read_environment
from bot.delivery.loop import deliver_platform
from bot.errors import ConfigError, RetryableError
from bot.models import Article, Draft, PostResult
from bot.networks.base import AccountContext, Credential, Network, Option, UnknownOutcome
from bot.networks.reference import readme_block
from bot.platforms import build_platform
from bot.platforms.base import Account, PartsCallback, Quota
from bot.poll import compose_drafts, new_delivery
from bot.report.status import status_lines
from bot.retries import Tuning
from bot.store import Store
from bot.store.base import HELD, POSTED, QUEUED
from tests.fakes.feed_server import FeedServer
from tests.feedgen import rss_entries
from tests.helpers import ROOT, X_KEYS, bot_env, fake_x, run_bot

FAST = Tuning(lease_seconds=60, backoff_base=10, backoff_cap=100, max_attempts=3, pause_probe_seconds=30)
FEED = '[[feeds]]\nurl = "https://example.org/en/feed/"\nname = "en"\n'
FA_KEYS = {"X_FA_API_KEY": "ck-fa-4321", "X_FA_API_SECRET": "cs-fa-secret-8765",
           "X_FA_ACCESS_TOKEN": "2000-at-fa-2109", "X_FA_ACCESS_TOKEN_SECRET": "ats-fa-secret-6543"}


# --- config: accounts, credentials, routing ------------------------------------------------------


def _parse(text: str, environ: dict[str, str] | None = None) -> Config:
    return parse_config(text, Path("bot.toml"), read_environment(environ or {}))


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _parse(text)
    return str(caught.value)


def test_an_account_reads_its_own_variables_and_endpoint() -> None:
    environ = {**X_KEYS, **FA_KEYS, "X_FA_API_URL": "http://127.0.0.1:9/x-fa/"}
    config = _parse(FEED + 'platforms = ["twitter", "facebook"]\n[[feeds]]\nurl = "https://example.org/fa/feed/"\n'
                    'platforms = ["x_fa"]\n[platforms.twitter]\n[platforms.facebook]\n[platforms.x_fa]\n'
                    'network = "twitter"\nenabled = true\n', environ)
    fa = config.platforms["x_fa"]
    assert fa.network == "twitter" and fa.endpoint == "http://127.0.0.1:9/x-fa"
    assert dict(fa.credentials or ()) == {k.removeprefix("X_FA_"): v for k, v in FA_KEYS.items()}
    assert config.platforms["twitter"].endpoint == "https://api.twitter.com"
    assert dict(config.platforms["twitter"].credentials or ())["API_KEY"] == X_KEYS["TWITTER_API_KEY"]
    facebook = config.platforms["facebook"]
    assert facebook.credentials is None and facebook.missing == ("FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_TOKEN")
    # a secret never shows itself in a repr (a traceback, a debug log of the config)
    assert FA_KEYS["X_FA_API_SECRET"] not in repr(config)


def test_secrets_of_every_account_are_redacted_enabled_or_not() -> None:
    environ = {**X_KEYS, **FA_KEYS, "X_EN_ACCESS_TOKEN": "disabled-token-1111"}
    config = _parse(FEED + 'platforms = ["twitter"]\n[platforms.twitter]\n[platforms.x_fa]\nnetwork = "twitter"\n'
                    '[platforms.x_en]\nnetwork = "twitter"\nenabled = false\n', environ)
    secrets = set(config.secrets())
    assert set(FA_KEYS.values()) <= secrets and set(X_KEYS.values()) <= secrets
    assert "disabled-token-1111" in secrets


def test_unknown_network_is_one_line_with_a_suggestion() -> None:
    message = _error(FEED + '[platforms.x_fa]\nnetwork = "twiter"\n')
    assert "platforms.x_fa.network: unknown network 'twiter'" in message and "did you mean 'twitter'" in message
    assert "bot.toml:5" in message
    # a table named after no network needs a network key
    message = _error(FEED + "[platforms.x_fa]\n")
    assert "platforms.x_fa: unknown platform" in message and 'network = "twitter"' in message


def test_an_account_name_must_make_variable_names() -> None:
    assert "cannot name environment variables" in _error(FEED + '[platforms."x-fa"]\nnetwork = "twitter"\n')


def test_a_key_of_another_network_is_refused_by_name() -> None:
    message = _error(FEED + '[platforms.x_fa]\nnetwork = "twitter"\nvisibility = "public"\n')
    assert "platforms.x_fa.visibility: unknown key" in message


def test_a_feed_listing_two_accounts_of_one_network_is_refused() -> None:
    text = (FEED + 'platforms = ["twitter", "x_fa"]\n[platforms.twitter]\n[platforms.x_fa]\nnetwork = "twitter"\n')
    message = _error(text)
    assert message.count("\n") == 0
    assert "feeds[0].platforms" in message and "feed 'en'" in message and "twitter, x_fa" in message
    # a disabled account named in the list counts too: turning it back on must not make the config wrong
    assert "twitter, x_fa" in _error(text + "enabled = false\n")


def test_a_feed_naming_no_account_while_two_of_one_network_are_enabled_is_refused() -> None:
    text = FEED + '[platforms.twitter]\n[platforms.x_fa]\nnetwork = "twitter"\n'
    message = _error(text)
    assert "feeds[0]" in message and "every enabled account" in message and "X (Twitter): twitter, x_fa" in message
    # with the second one off, the feed reaches one X account: fine
    assert list(_parse(text + "enabled = false\n").platforms) == ["twitter"]


def test_feeds_routed_to_their_own_accounts_are_fine() -> None:
    config = _parse(FEED + 'platforms = ["twitter", "facebook"]\n[[feeds]]\nurl = "https://example.org/fa/feed/"\n'
                    'platforms = ["x_fa"]\n[feeds.templates]\nx_fa = "{title} {link}"\n'
                    '[platforms.twitter]\n[platforms.facebook]\n[platforms.x_fa]\nnetwork = "twitter"\n')
    assert [f.platforms for f in config.feeds] == [("twitter", "facebook"), ("x_fa",)]
    assert config.known_accounts() == (*networks.names(), "x_fa")  # every network's default account, then ours
    assert networks.names()[:5] == ("twitter", "facebook", "mastodon", "bluesky", "telegram")


def test_the_readme_lists_every_network_as_the_registry_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_block() in readme, "regenerate the table with `python -m bot.networks.reference`"
    for network in networks.networks():
        assert f"`{network.name}`" in readme and all(f"NAME_{c.suffix}" in readme for c in network.credentials)


def test_compose_uses_the_network_rules_and_the_draft_goes_to_the_account() -> None:
    config = _parse('[[feeds]]\nurl = "https://example.org/fa/feed/"\nplatforms = ["x_fa"]\n'
                    '[platforms.x_fa]\nnetwork = "twitter"\n')
    article = Article(key="a1", feed_url="f", url="https://example.org/fa/1", title="سلام دنیا " * 40)
    [draft] = compose_drafts(config, article, ["x_fa"])
    assert (draft.platform, draft.network, draft.send_key) == ("x_fa", "twitter", None)
    assert rules_for(draft.rules_name).fits(draft.text)


# --- deliver: hold and send keys, through a network registered by this test ----------------------


@dataclass
class _Channel:
    """A network's server as the test sees it: what was posted (with the send key), and faults."""

    posts: list[tuple[str, str | None]] = field(default_factory=list)  # (text, send key)
    lose_answers: int = 0  # the post is made, the answer never arrives
    lookups: list[str | None] = field(default_factory=list)  # send keys find_existing was asked about


class _ChannelPlatform:
    def __init__(self, name: str, channel: _Channel, can_read_back: bool) -> None:
        self.name, self.channel, self.can_read_back = name, channel, can_read_back

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        if done:  # one part, already there (the Platform contract: hand back the root)
            return PostResult(remote_id=done[0])
        self.channel.posts.append((draft.text, draft.send_key))
        if self.channel.lose_answers:
            self.channel.lose_answers -= 1
            raise RetryableError("the connection dropped after the request was sent", platform=self.name)
        return PostResult(remote_id=str(len(self.channel.posts)))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        if not self.can_read_back:
            raise AssertionError("a network that holds must never be asked to look a post up")
        self.channel.lookups.append(draft.send_key)
        for index, (_, key) in enumerate(self.channel.posts, start=1):
            if key is not None and key == draft.send_key:
                return PostResult(remote_id=str(index))
        return None

    def quota(self) -> Quota | None:
        return None

    def verify(self) -> Account:
        return Account(id="1", name="@channel")

    def close(self) -> None:
        pass


_keys = itertools.count(1)


@pytest.fixture(params=["hold", "read_back"])
def channel_network(request: pytest.FixtureRequest) -> Iterator[tuple[Network, _Channel]]:
    with _registered(request.param) as registered:
        yield registered


@contextmanager
def _registered(outcome: UnknownOutcome) -> Iterator[tuple[Network, _Channel]]:
    """A network only this test knows, whose unknown outcomes are settled by `outcome`."""
    channel = _Channel()
    network = networks.register(Network(
        name=f"test_{outcome}", title=f"Test network ({outcome})", credentials=(Credential("TOKEN"),),
        endpoint="API_URL", default_endpoint="http://127.0.0.1:9", build=lambda account: _build(account, channel),
        rules=NetworkRules(name=f"test_{outcome}", max_length=500, counter=len, url_length=None,
                           link_placement="inline", default_template="{title}\n\n{link}", default_max_hashtags=0,
                           default_summary_sentences=1),
        options={"silent": Option(bool, False)}, unknown_outcome=outcome, new_send_key=lambda: f"key-{next(_keys)}",
    ))
    try:
        yield network, channel
    finally:
        networks.unregister(network.name)


def _build(account: AccountContext, channel: _Channel) -> _ChannelPlatform:
    assert account.credentials["TOKEN"] == "chan-token-5555" and account.options == {"silent": True}
    return _ChannelPlatform(account.name, channel, account.network.unknown_outcome == "read_back")


def _queue(config: Config, store: Store, n: int) -> Draft:
    article = Article(key=f"a{n}", feed_url="https://example.org/feed", url=f"https://example.org/{n}",
                      title=f"Story {n}", published=None)
    [draft] = compose_drafts(config, article, ["chan"])
    store.record_articles([], [new_delivery(article, draft, article.feed_url, 1000.0 + n)], 1000.0 + n)
    return draft


A_DAY_LATER = 2000.0 + 86_400


def test_an_unknown_outcome_is_held_or_read_back_by_its_send_key(
        store: Store, channel_network: tuple[Network, _Channel]) -> None:
    network, channel = channel_network
    config = parse_config(f'[[feeds]]\nurl = "https://example.org/feed"\n[platforms.chan]\nnetwork = "{network.name}"'
                          "\nsilent = true\n", None, read_environment({"CHAN_TOKEN": "chan-token-5555"}))
    platform = build_platform(config, "chan", dry_run=False, show=lambda name, draft: None, store=store)
    draft = _queue(config, store, 1)
    assert draft.send_key and draft.send_key.startswith("key-")
    [row] = store.deliveries()
    assert row.send_key == draft.send_key, "the send key is kept in the outbox row"

    channel.lose_answers = 1
    first = deliver_platform(config, store, platform, "w1", clock=lambda: 2000.0, tuning=FAST)
    assert channel.posts == [("Story 1\n\nhttps://example.org/1", draft.send_key)]
    row = store.deliveries()[0]
    if network.unknown_outcome == "hold":
        assert row.state == HELD and first.held and not first.posted
        assert "outcome unknown: check the channel, then `bot retry --platform chan`" in (row.last_error or "")
        lines = list(status_lines(config, store, 3000.0))
        assert any("HELD" in line and "bot retry --platform chan" in line for line in lines), lines
        # held: later runs never send it again, however long they wait (a day: a fresh post behind it is still
        # within the feed's max_age_days), and the queue behind it moves on
        _queue(config, store, 2)
        later = deliver_platform(config, store, platform, "w2", clock=lambda: A_DAY_LATER, tuning=FAST)
        assert [d.article_key for d, _ in later.posted] == ["a2"] and len(channel.posts) == 2
        assert store.deliveries(article_key="a1")[0].state == HELD
        # an editor checked the channel and releases it: sent once more, with the same send key, no lookup
        assert store.requeue_failed(3000.0, "chan") == 1
        assert store.deliveries(article_key="a1")[0].state == QUEUED
        released = deliver_platform(config, store, platform, "w3", clock=lambda: A_DAY_LATER, tuning=FAST)
        assert [d.article_key for d, _ in released.posted] == ["a1"]
        assert channel.posts[-1] == ("Story 1\n\nhttps://example.org/1", draft.send_key) and len(channel.posts) == 3
        assert channel.lookups == []
    else:
        assert row.uncertain and row.state != HELD
        # the next attempt reads the record back by the key chosen at queue time: found, not posted again
        again = deliver_platform(config, store, platform, "w2", clock=lambda: A_DAY_LATER, tuning=FAST)
        assert [d.article_key for d, _ in again.posted] == ["a1"]
        assert channel.lookups == [draft.send_key] and len(channel.posts) == 1
    assert store.deliveries(article_key="a1")[0].state == POSTED


def test_a_post_left_in_flight_by_a_crash_is_held_on_a_network_that_holds(store: Store) -> None:
    with _registered("hold") as (network, channel):
        _crashed_post_is_held(store, network, channel)


def _crashed_post_is_held(store: Store, network: Network, channel: _Channel) -> None:
    config = parse_config(f'[[feeds]]\nurl = "https://example.org/feed"\n[platforms.chan]\nnetwork = "{network.name}"'
                          "\nsilent = true\n", None, read_environment({"CHAN_TOKEN": "chan-token-5555"}))
    platform = build_platform(config, "chan", dry_run=False, show=lambda name, draft: None, store=store)
    _queue(config, store, 1)
    claimed = store.claim_next("chan", 2000.0, "dead-worker", 60)
    assert claimed is not None
    assert store.expire_lease(claimed.id, "dead-worker")  # its holder died mid-call
    report = deliver_platform(config, store, platform, "w2", clock=lambda: 3000.0, tuning=FAST)
    assert report.held and channel.posts == [] and store.deliveries()[0].state == HELD


# --- end to end: two X accounts, an English and a Persian feed -----------------------------------


def test_an_english_and_a_persian_feed_reach_only_their_own_x_account(tmp_path: Path) -> None:
    with FeedServer() as feeds, fake_x() as x, _fa_x() as x_fa:
        feeds.set("/en.xml", rss_entries([("en-1", "https://example.org/en/1", "An old English story", 90)]))
        feeds.set("/fa.xml", rss_entries([("fa-1", "https://example.org/fa/1", "خبر قدیمی فارسی", 90)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/en.xml")}"\nname = "en"\nplatforms = ["twitter"]\n'
                          f'[[feeds]]\nurl = "{feeds.url_for("/fa.xml")}"\nname = "fa"\nplatforms = ["x_fa"]\n'
                          '[platforms.twitter]\nimage = false\n[platforms.x_fa]\nnetwork = "twitter"\nimage = false\n',
                          encoding="utf-8")
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 'state.db'}", config,
                      extra={**FA_KEYS, "X_FA_API_URL": x_fa.url})
        first = run_bot(["run", "--once"], env, tmp_path)
        assert first.returncode == 0, first.stderr + first.stdout
        assert x.tweets == [] and x_fa.tweets == []  # baselines

        feeds.set("/en.xml", rss_entries([("en-2", "https://example.org/en/2", "Council approves the budget", 5),
                                          ("en-1", "https://example.org/en/1", "An old English story", 90)]))
        feeds.set("/fa.xml", rss_entries([("fa-3", "https://example.org/fa/3", "شورا بودجه را تصویب کرد", 4),
                                          ("fa-2", "https://example.org/fa/2", "گزارش تازه از تهران", 6),
                                          ("fa-1", "https://example.org/fa/1", "خبر قدیمی فارسی", 90)]))
        x_fa.fail(400, body={"errors": [{"code": 32, "message": "bad token oauth_consumer_key is "
                                         f"{FA_KEYS['X_FA_API_KEY']} and {FA_KEYS['X_FA_ACCESS_TOKEN']}"}]})
        second = run_bot(["run", "--once"], env, tmp_path)
        # a refused post is exit 1, one stderr line (for cron's mail), redacted like every other
        assert second.returncode == 1 and second.stderr.startswith("bot: x_fa: post #"), second.stderr + second.stdout
        assert [t["text"].split("\n")[0] for t in x.tweets] == ["Council approves the budget"]
        # the first Persian post was refused (its error echoed the account's secrets); the second went out
        assert [t["text"].split("\n")[0] for t in x_fa.tweets] == ["شورا بودجه را تصویب کرد"]
        assert all("example.org/fa/" in t["text"] for t in x_fa.tweets)
        third = run_bot(["run", "--once"], env, tmp_path)
        assert third.returncode == 0 and len(x.tweets) == 1 and len(x_fa.tweets) == 1

        # per account: history, status; an operator's shell without the secrets sees none of them
        operator = bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config)
        history = run_bot(["history", "--platform", "x_fa"], operator, tmp_path)
        assert history.returncode == 0, history.stderr
        assert "x_fa" in history.stdout and "twitter " not in history.stdout
        assert "X rejected the post (400)" in history.stdout and "***" in history.stdout
        status = run_bot(["status"], operator, tmp_path)
        assert "x_fa: an account on X (Twitter)" in status.stdout and "twitter: active" in status.stdout
        check = run_bot(["check"], {**env, "X_FA_API_URL": x_fa.url}, tmp_path)
        assert "x_fa: ok, posting as @ourorg_fa (2000)" in check.stdout, check.stdout
        for result in (first, second, third, history, status, check):
            for secret in FA_KEYS.values():
                assert secret not in result.stdout + result.stderr
        import sqlite3

        dump = json.dumps(list(sqlite3.connect(tmp_path / "state.db").execute("SELECT * FROM outbox")))
        assert not any(secret in dump for secret in FA_KEYS.values())


def _fa_x() -> Any:
    from tests.fakes.x_api import FakeXServer

    return FakeXServer(FA_KEYS["X_FA_API_KEY"], FA_KEYS["X_FA_API_SECRET"], FA_KEYS["X_FA_ACCESS_TOKEN"],
                       FA_KEYS["X_FA_ACCESS_TOKEN_SECRET"], user_id="2000", username="ourorg_fa")
