"""Running the real `bot` command against local servers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """../shared beside the repository (where CI lays it), or BOT_SHARED_DIR."""
    return Path(os.environ.get("BOT_SHARED_DIR") or ROOT.parent / "shared")

X_KEYS = {
    "TWITTER_API_KEY": "ck-test-1234",
    "TWITTER_API_SECRET": "cs-test-secret-5678",
    "TWITTER_ACCESS_TOKEN": "1000-at-test-9012",
    "TWITTER_ACCESS_TOKEN_SECRET": "ats-test-secret-3456",
}
FB_PAGE_ID = "1234567890"
FB_TOKEN = "EAAB-page-token-test-7890"


def fake_x(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.x_api import FakeXServer

    return FakeXServer(X_KEYS["TWITTER_API_KEY"], X_KEYS["TWITTER_API_SECRET"], X_KEYS["TWITTER_ACCESS_TOKEN"],
                       X_KEYS["TWITTER_ACCESS_TOKEN_SECRET"], **kwargs)


def fake_graph(**kwargs: object):  # type: ignore[no-untyped-def]
    from tests.fakes.graph_api import FakeGraphServer

    return FakeGraphServer(page_id=FB_PAGE_ID, page_token=FB_TOKEN, **kwargs)


def bot_env(x_url: str | None, graph_url: str | None, database_url: str, config: Path,
            extra: Mapping[str, str] | None = None) -> dict[str, str]:
    from bot import networks

    # No account's credentials leak in from the shell that runs the tests (each network's default account).
    accounts = tuple(f"{name.upper()}_" for name in networks.names())
    env = {k: v for k, v in os.environ.items() if not k.startswith((*accounts, "BOT_", "DATABASE_"))}
    env.update(DATABASE_URL=database_url, BOT_CONFIG=str(config), PYTHONPATH=str(ROOT))
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
