"""The editors' page with 500 held posts: server time of GET / (the whole page: queue, plan, previews,
counts, alerts, audit) and of GET /api/queue, in process through Flask's test client (no network, no
browser: the figure is the server's own time).

Run from the repo root: PYTHONPATH=. .venv/bin/python bench/web_bench.py [--posts 500] [--runs 15]
Budget (issue 22 item 7): the page answers in under 300 ms of server time with 500 held posts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bot.store import open_store
from bot.store.base import NewDelivery
from bot.web.app import create_app
from tests.test_web_desk import BEARER, NOW, TOKEN, csrf_of, desk_config

BUDGET_MS = 300.0
ACCOUNTS = ("twitter", "mastodon")
TEXTS = ("Council approves the library budget after a two-hour debate https://news.example.org/{n} #Council",
         "شورای شهر بودجه کتابخانه را تصویب کرد https://news.example.org/{n} #شورا")


def _seed(store: object, posts: int) -> None:
    rows = []
    for n in range(posts):
        url = f"https://news.example.org/{n}"
        rows.append(NewDelivery(
            article_key=url, platform=ACCOUNTS[n % 2], feed_url="https://news.example.org/feed", article_url=url,
            title=f"Council news {n}", text=TEXTS[n % 2].format(n=n), link=url, hashtags=("Council",),
            image_url=f"https://news.example.org/{n}.jpg", image_alt="The council chamber", thread=(),
            published_at=NOW - 10_000 + n, due_at=NOW - 100, review_until=NOW + 86_400))
    store.record_articles([], rows, NOW - 100)  # type: ignore[attr-defined]


def _median_ms(call: object, runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of one request. CPU time is this process's own: on a machine busy
    with other work (a test suite beside it) the wall time also counts the waits for a core."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = call()  # type: ignore[operator]
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert answer.status_code == 200, answer.status_code
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        store.migrate()
        _seed(store, args.posts)
        client = create_app(desk_config(), store, secure_cookies=False, clock=lambda: NOW).test_client()
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"token": TOKEN, "csrf": csrf_of(login)})
        size = len(client.get("/").get_data())
        page, page_cpu = _median_ms(lambda: client.get("/"), args.runs)
        api, api_cpu = _median_ms(lambda: client.get("/api/queue", headers=BEARER), args.runs)
        store.close()
    verdict = "within" if page < BUDGET_MS else "OVER"
    load = os.getloadavg()[0]
    print(f"web_bench: {args.posts} held posts, page {size / 1024:.0f} KiB; {args.runs} runs each; load average "
          f"{load:.1f} on {os.cpu_count()} cores")
    print(f"GET /           median {page:7.1f} ms wall  {page_cpu:7.1f} ms CPU  ({page / BUDGET_MS:.2f}x the "
          f"{BUDGET_MS:.0f} ms budget: {verdict})")
    print(f"GET /api/queue  median {api:7.1f} ms wall  {api_cpu:7.1f} ms CPU")


if __name__ == "__main__":
    main()
