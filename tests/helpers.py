"""Running the real `bot` command against local servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """What the suite reads that others wrote: the real feeds of other projects' test suites, the twitter-text
    conformance vectors and the seed article, vendored under tests/data with their sources and licences, so a
    bare clone passes (tests/data/feeds/SOURCES.md, tests/data/conformance/README.md)."""
    return ROOT / "tests" / "data"


def clock_ahead_tool() -> Path:
    """The clock-ahead wrapper (faketime with Python's sleep kept working), vendored under tests/tools."""
    return ROOT / "tests" / "tools" / "clock-ahead"

X_KEYS = {
    "TWITTER_API_KEY": "ck-test-1234",
    "TWITTER_API_SECRET": "cs-test-secret-5678",
    "TWITTER_ACCESS_TOKEN": "1000-at-test-9012",
    "TWITTER_ACCESS_TOKEN_SECRET": "ats-test-secret-3456",
}
FB_PAGE_ID = "1234567890"
FB_TOKEN = "EAAB-page-token-test-7890"


MASTO_TOKEN = "MASTO-TOKEN-test-2468"
BSKY_HANDLE = "news.example.com"
BSKY_PASSWORD = "abcd-efgh-ijkl-mnop"
TG_TOKEN = "123456789:AAE-test-token-0123456789abcdefghij"
TG_CHAT = "@ournews"
THREADS_TOKEN = "THAA-threads-token-test-1357"
LINKEDIN_TOKEN = "AQV-linkedin-token-test-2468"
LINKEDIN_ORG = "5515715"


# fake_x, fake_masto and fake_tg open the networks' rate limits (each fake's BULK_LIMITS): the suite's shared
# fakes carry bulk runs (150 articles in a minute: test_workers, test_crash, test_kill_production). The fakes'
# own defaults are the networks' documented limits (tests/test_fakes.py); pass limits here to have them.
def fake_x(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.x_api import BULK_LIMITS, FakeXServer

    return FakeXServer(X_KEYS["TWITTER_API_KEY"], X_KEYS["TWITTER_API_SECRET"], X_KEYS["TWITTER_ACCESS_TOKEN"],
                       X_KEYS["TWITTER_ACCESS_TOKEN_SECRET"], **{**BULK_LIMITS, **kwargs})


def fake_graph(**kwargs: Any):  # type: ignore[no-untyped-def]
    from tests.fakes.graph_api import FakeGraphServer

    return FakeGraphServer(page_id=FB_PAGE_ID, page_token=FB_TOKEN, **kwargs)


def fake_masto(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.mastodon import BULK_LIMITS, FakeMastodonServer

    return FakeMastodonServer(MASTO_TOKEN, **{**BULK_LIMITS, **kwargs})


def fake_bsky(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.bluesky import FakeBluesky

    return FakeBluesky(BSKY_HANDLE, BSKY_PASSWORD, **kwargs)  # type: ignore[arg-type]


def fake_tg(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.telegram import BULK_LIMITS, FakeTelegramServer

    return FakeTelegramServer(TG_TOKEN, **{**BULK_LIMITS, **kwargs})


def fake_threads(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.threads import FakeThreads

    return FakeThreads(THREADS_TOKEN, **kwargs)  # type: ignore[arg-type]


def fake_linkedin(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.linkedin import FakeLinkedIn

    return FakeLinkedIn(LINKEDIN_TOKEN, LINKEDIN_ORG, **kwargs)  # type: ignore[arg-type]


def account_env(account: str, network: str, url: str) -> dict[str, str]:
    """The variables of account `account` (a [platforms.NAME] table) of `network`, pointed at the fake at
    `url` made by fake_x/fake_graph/fake_masto/fake_bsky/fake_tg/fake_threads/fake_linkedin with their default
    credentials."""
    p = account.upper() + "_"
    if network == "twitter":
        return {**{p + k.removeprefix("TWITTER_"): v for k, v in X_KEYS.items()}, p + "API_URL": url}
    if network == "facebook":
        return {p + "PAGE_ID": FB_PAGE_ID, p + "PAGE_TOKEN": FB_TOKEN, p + "GRAPH_URL": url}
    if network == "mastodon":
        return {p + "ACCESS_TOKEN": MASTO_TOKEN, p + "API_URL": url}
    if network == "bluesky":
        return {p + "HANDLE": BSKY_HANDLE, p + "APP_PASSWORD": BSKY_PASSWORD, p + "SERVICE_URL": url}
    if network == "telegram":
        return {p + "BOT_TOKEN": TG_TOKEN, p + "CHAT_ID": TG_CHAT, p + "API_URL": url}
    if network == "threads":
        return {p + "ACCESS_TOKEN": THREADS_TOKEN, p + "API_URL": f"{url}/v1.0"}
    if network == "linkedin":
        return {p + "ACCESS_TOKEN": LINKEDIN_TOKEN, p + "ORGANIZATION_ID": LINKEDIN_ORG, p + "API_URL": url}
    raise ValueError(network)


def bot_env(x_url: str | None, graph_url: str | None, database_url: str, config: Path,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    from bot import networks

    # No account's credentials leak in from the shell that runs the tests (each network's default account).
    accounts = tuple(f"{name.upper()}_" for name in networks.names())
    env = {k: v for k, v in os.environ.items() if not k.startswith((*accounts, "BOT_", "DATABASE_"))}
    # BOT_LOOKUP_LAG_SECONDS: the fakes show a post to a lookup at once unless a test gives them a lag (and
    # sets its own); production waits a minute for a lookup that found nothing (bot.retries).
    env.update(DATABASE_URL=database_url, BOT_CONFIG=str(config), PYTHONPATH=str(ROOT), BOT_LOOKUP_LAG_SECONDS="0.5")
    if x_url:
        env.update(X_KEYS, TWITTER_API_URL=x_url)
    if graph_url:
        env.update(FACEBOOK_PAGE_ID=FB_PAGE_ID, FACEBOOK_PAGE_TOKEN=FB_TOKEN, FACEBOOK_GRAPH_URL=graph_url)
    env.update(extra or {})
    return env


def run_bot(args: list[str], env: Mapping[str, str], cwd: Path,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=dict(env), cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, check=False)
