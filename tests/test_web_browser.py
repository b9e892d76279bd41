"""The editors' page in a real browser (issue 12): headless Chromium via Selenium logs in, sees the held post
rendered, edits it, approves it, and the next `bot run --once` sends exactly the edited text.

Needs Debian's `chromium` and `chromium-driver`. Without them these tests skip saying why, unless
BOT_REQUIRE_BROWSER=1 (set by CI, which installs them) makes that a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot

TOKEN = "browser-test-token-5f1c0e7a9b"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _browser_or_skip() -> None:
    missing = [p for p in (CHROMIUM, DRIVER) if not Path(p).exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = f"no browser to drive: {', '.join(missing)} not found (apt-get install chromium chromium-driver)"
        if os.environ.get("BOT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (BOT_REQUIRE_BROWSER=1)")
        pytest.skip(reason)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1100,1400", f"--user-data-dir={tmp_path / 'chrome'}"):
        options.add_argument(flag)
    # The browser is the editor's, not the bot: its clock is not under test. Under clock-ahead (libfaketime in
    # LD_PRELOAD) Chromium's renderer stalls past WebDriver's timeouts, so the driver and browser run unskewed.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")}
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER, env=env), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"bot web exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("bot web did not start listening")


def test_an_editor_edits_and_approves_in_the_browser_and_the_edit_is_sent(tmp_path: Path, browser: Any) -> None:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def notes_say(words: str) -> bool:
        """The page after a form's POST says `words` in its notes (waits for that page to load)."""
        def said(b: Any) -> bool:
            return any(words in n.text for n in b.find_elements(By.ID, "notes"))
        # The old page's notes go stale while the new one loads: keep polling through that, not give up.
        wait = WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,))
        try:
            return bool(wait.until(said))
        except TimeoutException:
            return False

    with FeedServer() as feeds, fake_x() as x:
        feeds.set("/feed.xml", rss([Item(1)]))
        config = tmp_path / "bot.toml"
        config.write_text(f'[[feeds]]\nurl = "{feeds.url_for("/feed.xml")}"\nname = "news"\nbackfill = 1\n'
                          "[platforms.twitter]\nreview = true\nimage = false\n")
        port = _free_port()
        env = bot_env(x.url, None, f"sqlite:///{tmp_path / 's.db'}", config, {"BOT_WEB_TOKEN": TOKEN})
        assert run_bot(["run", "--once"], env, tmp_path).returncode == 0
        assert x.tweets == []
        (queued,) = json.loads(run_bot(["queue", "--json"], env, tmp_path).stdout)
        web = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for_port(port, web)
            base = f"http://127.0.0.1:{port}"
            browser.get(base + "/")
            assert browser.current_url == base + "/login"
            browser.find_element(By.ID, "token").send_keys(TOKEN)
            browser.find_element(By.ID, "login").click()
            # The queue is the page the login's POST loads: wait for it (a cold browser takes a while).
            post = WebDriverWait(browser, 15).until(lambda b: b.find_element(By.ID, f"post-{queued['id']}"))
            assert post.get_attribute("data-state") == "review"
            shown = post.find_element(By.CSS_SELECTOR, ".text")
            assert shown.text == queued["text"], "the post is rendered with its exact text"
            assert post.find_element(By.CSS_SELECTOR, ".length").text.startswith(f"{queued['length']}/280")
            assert TOKEN not in browser.page_source
            browser.save_screenshot(str(tmp_path / "queue.png"))

            post.find_element(By.TAG_NAME, "summary").click()
            box = post.find_element(By.NAME, "text")
            box.clear()
            edited = "The desk's own words:\nlibrary budget approved #Library"
            box.send_keys(edited)
            post.find_element(By.NAME, "save").click()
            assert notes_say("text replaced (edit 1)"), browser.page_source[-2000:]
            post = browser.find_element(By.ID, f"post-{queued['id']}")
            assert post.find_element(By.CSS_SELECTOR, ".text").text == edited
            assert post.find_element(By.CSS_SELECTOR, ".tag").text == "#Library"
            post.find_element(By.NAME, "approve").click()
            assert notes_say("approved"), browser.page_source[-2000:]
            post = browser.find_element(By.ID, f"post-{queued['id']}")
            assert post.get_attribute("data-state") == "queued"
            browser.save_screenshot(str(tmp_path / "approved.png"))
        finally:
            web.terminate()
            web.wait(10)
        sent = run_bot(["run", "--once"], env, tmp_path)
        assert sent.returncode == 0, sent.stderr
        assert [t["text"] for t in x.tweets] == [edited]
