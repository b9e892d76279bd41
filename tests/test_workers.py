"""Multi-worker test: three `bot run` worker processes on one Postgres, 300 new articles.

All three poll the same feed at once (the outbox's unique key makes the burst queue once), and all three
deliver from the same outbox. One post per platform is in flight at a time, whoever holds it, so the
test also SIGKILLs the worker that is posting halfway through: the others must take over (at once, as it
ran on this machine and is gone, or after its lease) and finish, looking up the post it left in flight.
Every article exactly once per platform, in publication order; the survivors stop cleanly on SIGTERM.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.fleet import (
    config_file,
    duplicates,
    expected_links,
    fb_links,
    refused_as_duplicate,
    start_bot,
    wait_until,
    x_links,
)
from tests.helpers import bot_env, fake_graph, fake_x, run_bot

ARTICLES = 300
WORKERS = 3
# Production timings: the survivors take over the killed worker's post at once (it ran on this machine and
# is gone). A short lease only let a live worker starved of CPU (three workers, Postgres and the fakes share
# two cores under the full suite) lose its post to a lookup while its request was on the way: with 3 s and
# then 8 s, a survivor looked the post up before the fake had recorded it, and sent it again.
WORKER_ENV: dict[str, str] = {}


def test_three_workers_on_postgres_post_each_article_once(tmp_path: Path, pg_url: str) -> None:
    with FeedServer() as feeds, fake_x() as x, fake_graph() as graph:
        feeds.set("/feed.xml", rss([Item(0)]))
        config = config_file(tmp_path, feeds.url_for("/feed.xml"))
        env = bot_env(x.url, graph.url, pg_url, config, WORKER_ENV)
        baseline = run_bot(["run", "--once"], env, tmp_path)
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        items = [Item(n) for n in range(1, ARTICLES + 1)]
        feeds.set("/feed.xml", rss([Item(0), *items]))

        logs = [tmp_path / f"worker{i}.log" for i in range(WORKERS)]
        workers = [start_bot(["run"], env, tmp_path, log) for log in logs]
        started = time.monotonic()
        try:
            assert wait_until(lambda: len(x.tweets) >= ARTICLES // 3, timeout=60, step=0.02), "nothing was posted"
            posting = [i for i, log in enumerate(logs) if "twitter: posted" in log.read_text()]
            assert posting, "a worker posts"
            victim = posting[0]
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            killed_at = (len(x_links(x)), len(fb_links(graph)))

            def done() -> bool:
                return len(x_links(x)) >= ARTICLES and len(fb_links(graph)) >= ARTICLES

            assert wait_until(done, timeout=90), (len(x_links(x)), len(fb_links(graph)))
            elapsed = time.monotonic() - started
        finally:
            for process in workers:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            codes = [_wait(p) for p in workers]

        want = expected_links(items)
        assert duplicates(x_links(x)) == {} and duplicates(fb_links(graph)) == {}
        assert x_links(x) == want and fb_links(graph) == want, "each article once per platform, in order"
        refused = [r for r in [*x.requests, *graph.requests] if r["method"] == "POST" and r["status"] in (400, 403)]
        assert refused_as_duplicate(x, graph) == 0, refused
        survivors = [i for i in range(WORKERS) if i != victim]
        assert [codes[i] for i in survivors] == [0] * len(survivors), "survivors stop cleanly on SIGTERM"
        texts = [log.read_text() for log in logs]
        share = [t.count(": posted ") for t in texts]
        queued = [t.count(f"{2 * ARTICLES} post(s) queued") for t in texts]
        print(f"\nmulti-worker test: {ARTICLES} articles x 2 platforms in {elapsed:.1f}s; posts per worker {share}; "
              f"worker {victim} killed after {killed_at}; queued by workers {queued}")
        assert sum(share[i] for i in survivors) > 0, "the other workers took over"
        assert all("Traceback" not in t for t in texts)


def _wait(process: subprocess.Popen[bytes]) -> int | None:
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None
