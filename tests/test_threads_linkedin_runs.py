"""Threads and LinkedIn through real `bot run --once` processes, through an outage and throttling: every article
reaches each network exactly once, in order, and nothing is even sent twice. (Their SIGKILL run is
tests/test_crash.py's, with the other five networks in the same runs.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.threads import FakeThreads
from tests.feedgen import Item, rss
from tests.fleet import config_file, expected_links, wait_until
from tests.helpers import bot_env, run_bot

TH_TOKEN = "THAAJx-threads-crash-token-5521"
LI_TOKEN = "AQVx-linkedin-crash-token-9043"
ORG = "5515715"
NETWORKS = ("threads", "linkedin")
RUN_ENV = {
    "BOT_TEST_PAUSE_AFTER_SEND": "0.1",  # widens the window between the API call and the outbox write
    "BOT_BACKOFF_BASE_SECONDS": "0.2",
    "BOT_BACKOFF_CAP_SECONDS": "1",
    "BOT_LOOKUP_LAG_SECONDS": "0.8",
}

def _threads_links(th: FakeThreads) -> list[str]:
    return [str(p["link_attachment_url"]) for p in th.posts]


def _linkedin_links(li: FakeLinkedIn) -> list[str]:
    return [str(p["body"]["content"]["article"]["source"]) for p in li.posts]


def _env(tmp_path: Path, feed_url: str, th: FakeThreads, li: FakeLinkedIn) -> dict[str, str]:
    config = config_file(tmp_path, feed_url, networks=NETWORKS)
    return bot_env(None, None, f"sqlite:///{tmp_path / 'state.db'}", config, {
        **RUN_ENV, "THREADS_ACCESS_TOKEN": TH_TOKEN, "THREADS_API_URL": f"{th.url}/v1.0",
        "LINKEDIN_ACCESS_TOKEN": LI_TOKEN, "LINKEDIN_ORGANIZATION_ID": ORG, "LINKEDIN_API_URL": li.url})


def _sent_twice(th: FakeThreads, li: FakeLinkedIn) -> list[Any]:
    """A container published twice (Threads answers it as already published), or a LinkedIn post made for an
    article already on the Page."""
    again = [r for r in th.requests if r.get("duplicate")]
    made = [r for r in li.requests if r.get("post")]
    return again + made[len(li.posts):]


def _finish(env: dict[str, str], cwd: Path, log: Path, done: Callable[[], bool]) -> None:
    def finished() -> bool:
        result = run_bot(["run", "--once"], env, cwd)
        with log.open("a") as out:
            out.write(result.stdout + result.stderr)
        return done()
    assert wait_until(finished, timeout=90, step=0.0)


@pytest.mark.slow
def test_an_outage_and_throttling_delay_posts_and_never_double_them(tmp_path: Path) -> None:
    with FeedServer() as feeds, FakeThreads(token=TH_TOKEN) as th, \
            FakeLinkedIn(token=LI_TOKEN, organization_id=ORG) as li:
        feeds.set("/feed.xml", rss([Item(0)]))
        env = _env(tmp_path, feeds.url_for("/feed.xml"), th, li)
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        items = [Item(n) for n in range(1, 6)]
        feeds.set("/feed.xml", rss([Item(0), *items]))
        # Threads: containers are made, then publishing fails (5xx, a dropped answer after the post, a rate
        # limit); LinkedIn: 503s, an answer lost after the post, a 429 with Retry-After.
        th.fail(status=500, times=2)
        th.fail_after_commit(how="error")
        th.rate_limit()
        li.fail(status=503, times=2)
        li.fail_after_commit(how="drop")
        li.rate_limit(retry_after=1)
        log = tmp_path / "runs.log"
        _finish(env, tmp_path, log, lambda: len(th.posts) >= len(items) and len(li.posts) >= len(items))
        time.sleep(1.2)
        result = run_bot(["run", "--once"], env, tmp_path)  # past every backoff: nothing more is sent
        assert result.returncode == 0, result.stdout + result.stderr
        want = expected_links(items)
        assert _threads_links(th) == want and _linkedin_links(li) == want
        assert _sent_twice(th, li) == []
        assert len(th.containers) == len(items), "a failed publication is resumed with its own container"
        assert th.faults.pending() == 0 and li.faults.pending() == 0
        assert "Traceback" not in log.read_text(encoding="utf-8")
