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
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.feed_server import FeedServer
from tests.feedgen import Item, rss
from tests.helpers import bot_env, fake_x, run_bot
from tests.test_web_desk import CAPPED

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
        # The old page's notes go stale while the new one loads: keep polling through that, not give up. (A busy
        # machine, a CI run beside another suite, has taken over 15 s for a POST and its page.)
        wait = WebDriverWait(browser, 45, ignored_exceptions=(StaleElementReferenceException,))
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


# --- issue 22: the editors' desk in the browser -----------------------------------------------------------


@pytest.fixture
def desk_toml() -> str:
    from tests.test_web_desk import CONFIG

    return CONFIG


@pytest.fixture
def desk(tmp_path: Path, browser: Any, desk_toml: str) -> Iterator[Any]:
    """The real app on a real SQLite store, served over HTTP in this process (so its clock is the test's), and
    the browser signed in: (browser, base URL, store)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    from bot.store import open_store
    from bot.web.app import create_app
    from tests.test_web_desk import NOW, desk_config
    from tests.test_web_desk import TOKEN as DESK_TOKEN

    store = open_store(f"sqlite:///{tmp_path / 'desk.db'}")
    store.migrate()
    app = create_app(desk_config(desk_toml), store, secure_cookies=False, clock=lambda: NOW)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        browser.get(base + "/login")
        browser.find_element(By.ID, "token").send_keys(DESK_TOKEN)
        browser.find_element(By.ID, "login").click()
        WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "bulk"))
        yield browser, base, store
    finally:
        server.shutdown()
        thread.join(10)
        store.close()


def _reload(browser: Any, base: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(base + "/")
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "bulk"))


def _submitted(browser: Any, old: Any) -> None:
    """Wait until the page a form's POST loads has replaced `old` (an element of the page before)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def gone(_: Any) -> bool:
        try:
            old.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # Chromium may answer for a node of the page just replaced with this instead of "stale" (the new
            # page is loading): it is gone all the same.
            if "does not belong to the document" in str(exc.msg):
                return True
            raise
    WebDriverWait(browser, 15).until(gone)
    # Stale as soon as the new page starts to load: its elements are there once it has (a CI run looked for the
    # notes of the next page while it was still loading).
    WebDriverWait(browser, 15).until(lambda b: b.execute_script("return document.readyState") == "complete")


def _in_view(browser: Any, element: Any) -> bool:
    return bool(browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;", element))


# The main editing flows run at a phone's width too (issue 22: "at desktop and phone widths"): the page is the
# same, only its layout changes, so these are the flows worth the few seconds each.
WIDTHS = [pytest.param(1100, id="desktop"), pytest.param(390, id="phone")]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_too_long_edit_counts_live_and_is_refused_beside_the_post_with_the_text_kept(desk: Any,
                                                                                        width: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_web_desk import held

    browser, base, store = desk
    ids = [held(store, n) for n in range(1, 9)]
    pid = ids[-1]  # the last post: far down the page
    browser.set_window_size(width, 844)
    _reload(browser, base)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width, "no sideways scroll"
    post = browser.find_element(By.ID, f"post-{pid}")
    post.find_element(By.CSS_SELECTOR, "details.edit summary").click()
    box = post.find_element(By.NAME, "text")
    counter = post.find_element(By.CSS_SELECTOR, "output.counter")
    box.clear()
    box.send_keys("Budget vote tonight https://example.org/" + "a" * 60)
    WebDriverWait(browser, 10).until(lambda _: counter.text == "43/280")  # the link counts 23, as on X
    typed = "Le conseil a voté le budget " + "x" * 260
    box.clear()
    box.send_keys(typed)
    WebDriverWait(browser, 10).until(lambda _: counter.text == "288/280")
    assert "over" in (counter.get_attribute("class") or "") and box.get_attribute("aria-invalid") == "true"
    post.find_element(By.NAME, "save").click()
    _submitted(browser, box)
    error = browser.find_element(By.ID, f"error-{pid}")
    assert "too long for twitter: it counts 288, the limit is 280" in error.text
    assert error.find_element(By.XPATH, "ancestor::article").get_attribute("id") == f"post-{pid}"
    again = browser.find_element(By.ID, f"text-{pid}")
    assert again.get_attribute("value") == typed, "the typed text is kept"
    assert browser.switch_to.active_element == again and _in_view(browser, again), "and the editor is there"
    assert store.delivery(pid).text == f"Council news {len(ids)} #Council"
    again.clear()  # then shortened, it is saved
    again.send_keys("Le conseil a voté le budget #Council")
    save = browser.find_element(By.ID, f"post-{pid}").find_element(By.NAME, "save")
    save.click()
    _submitted(browser, save)
    assert "text replaced (edit 1)" in browser.find_element(By.ID, "notes").text
    assert store.delivery(pid).text == "Le conseil a voté le budget #Council"


@pytest.mark.parametrize("width", WIDTHS)
def test_skip_asks_first_and_approve_takes_several_and_an_approved_post_comes_back(desk: Any, width: int) -> None:
    from selenium.webdriver.common.by import By

    from tests.test_web_desk import held, state

    browser, base, store = desk
    ids = [held(store, n) for n in range(1, 5)]
    browser.set_window_size(width, 844)
    _reload(browser, base)
    post = browser.find_element(By.ID, f"post-{ids[0]}")
    skip = post.find_element(By.NAME, "skip")
    assert not skip.is_displayed(), "skip is not one click away"
    post.find_element(By.CSS_SELECTOR, "details.confirm summary").click()
    assert skip.is_displayed() and "never sent" in post.find_element(By.CSS_SELECTOR, "details.confirm").text
    skip.click()
    _submitted(browser, skip)
    assert state(store, ids[0]) == "skipped"
    assert "never sent" in browser.find_element(By.ID, "notes").text

    for pid in ids[1:3]:
        browser.find_element(By.ID, f"pick-{pid}").click()
    old = browser.find_element(By.NAME, "bulk-approve")
    old.click()
    _submitted(browser, old)
    assert [state(store, i) for i in ids[1:]] == ["queued", "queued", "review"]
    back = browser.find_element(By.ID, f"post-{ids[1]}").find_element(By.NAME, "unapprove")
    back.click()
    _submitted(browser, back)
    assert state(store, ids[1]) == "review"
    post = browser.find_element(By.ID, f"post-{ids[1]}")
    assert post.get_attribute("data-state") == "review" and "back in review" in post.text


def test_the_live_counter_agrees_with_twitter_text_s_conformance_vectors_in_the_browser(desk: Any) -> None:
    import yaml  # type: ignore[import-untyped]

    from bot import review
    from tests.helpers import data_dir
    from tests.test_web_desk import desk_config

    browser, base, _store = desk
    with open(data_dir() / "conformance" / "twitter-text" / "validate.yml", encoding="utf-8") as f:
        tests = yaml.safe_load(f)["tests"]
    cases = [c for section in ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
             for c in tests[section]]
    # PyYAML leaves "\ud83d\ude00" escapes as lone surrogates: join them, as tests/test_xtext.py does.
    texts = [c["text"].encode("utf-16", "surrogatepass").decode("utf-16") for c in cases]
    assert len(texts) > 20
    _reload(browser, base)
    browser.set_script_timeout(30)
    counted = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.botCount(arguments[0], arguments[1]).then(c => done(c), e => done(String(e)));", "twitter", texts)
    assert isinstance(counted, list), counted
    assert [c["length"] for c in counted] == [c["expected"]["weightedLength"] for c in cases]
    rules = review.network_rules(desk_config(), "mastodon")
    masto = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "window.botCount('mastodon', arguments[0]).then(c => done(c), e => done(String(e)));", texts)
    assert [c["length"] for c in masto] == [rules.count(t) for t in texts]


EVERY_NETWORK = "".join(f"[platforms.{name}]\nreview = true\n" for name in (
    "twitter", "facebook", "mastodon", "bluesky", "telegram", "threads", "linkedin"))
# What each network counts differently: a t.co-weighted link (X, Mastodon), emoji (X weighs 2, Threads its bytes,
# Telegram its UTF-16 units, Bluesky one grapheme), a ZWNJ word, LinkedIn's reserved characters and hashtags.
COUNTED = ("Budget 2026 \u2705 \U0001F469\u200D\U0001F469\u200D\U0001F467 \u0633\u0647\u200c\u0634\u0646\u0628\u0647 "
           "https://news.example.org/2026/12/the-council-votes-the-budget (a) *b* #Budget @mayor x")


@pytest.mark.parametrize("desk_toml", ['[[feeds]]\nurl = "https://news.example.org/feed"\n' + EVERY_NETWORK])
def test_the_live_counter_agrees_with_the_server_on_every_network_as_the_editor_types(desk: Any,
                                                                                       desk_toml: str) -> None:
    """One page, an edit box per network: typed into, each counter shows what that network's rules count on the
    server (the same rules that refuse a too-long edit)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from bot import review
    from tests.test_web_desk import desk_config, held

    browser, base, store = desk
    config = desk_config(desk_toml)
    ids = {name: held(store, 1, name) for name in config.platforms}
    assert len(ids) == 7
    _reload(browser, base)
    for name, pid in ids.items():
        post = browser.find_element(By.ID, f"post-{pid}")
        post.find_element(By.CSS_SELECTOR, "details.edit summary").click()
        box, counter = post.find_element(By.NAME, "text"), post.find_element(By.CSS_SELECTOR, "output.counter")
        # ChromeDriver types only the Basic Multilingual Plane: the text is put in, and its last key typed.
        browser.execute_script("arguments[0].value = arguments[1];", box, COUNTED[:-1])
        box.send_keys(COUNTED[-1])
        rules = review.network_rules(config, name)
        expected = f"{rules.count(COUNTED)}/{rules.max_length}"
        WebDriverWait(browser, 10).until(lambda _, out=counter, want=expected: out.text == want,
                                         f"{name}: the counter never showed {expected}")
        assert box.get_attribute("value") == COUNTED and "over" not in (counter.get_attribute("class") or "")
    counted = {name: review.network_rules(config, name).count(COUNTED) for name in ids}
    assert len(set(counted.values())) >= 5, f"the networks count differently: {counted}"


@pytest.mark.parametrize("desk_toml", [CAPPED])
@pytest.mark.parametrize("width", [390, 1100])
def test_the_first_screen_shows_the_queue_at_a_glance_on_a_phone_and_a_desktop(desk: Any, width: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    from tests.test_web_desk import capped_desk, held

    browser, base, store = desk
    _config, ids = capped_desk(store)
    for n in range(7, 19):  # a busy week: a dozen more held posts below
        held(store, n)
    browser.set_window_size(width, 844)
    _reload(browser, base)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width, "no sideways scroll"
    counts = browser.find_element(By.CSS_SELECTOR, "table.counts")
    assert _in_view(browser, counts), "the counts are on the first screen"
    first = browser.find_elements(By.CSS_SELECTOR, "#timeline li[data-id]")
    assert first and _in_view(browser, first[0]), "so is the first post of the timeline"
    assert "retry after the network answered: X error 503" in first[0].text
    persian = browser.find_element(By.ID, f"post-{ids['fa']}").find_element(By.CSS_SELECTOR, ".text")
    assert persian.value_of_css_property("direction") == "rtl"
    link = persian.find_element(By.CSS_SELECTOR, "a.link")  # drawn as Telegram shows it: a link, left to right
    assert link.value_of_css_property("direction") == "ltr" and link.get_attribute("href") == "https://news.example.org/3"
    assert browser.find_element(By.ID, f"post-{ids['fa']}").find_element(By.CSS_SELECTOR, ".preview") \
        .get_attribute("data-network") == "telegram"
    Select(browser.find_element(By.NAME, "account")).select_by_visible_text("telegram")
    old = browser.find_element(By.ID, "filter")
    old.click()
    _submitted(browser, old)
    shown = [a.get_attribute("data-id") for a in browser.find_elements(By.CSS_SELECTOR, "article.post")]
    assert shown == [str(ids["fa"])]
    WebDriverWait(browser, 5).until(lambda b: "account=telegram" in b.current_url)


def test_an_editor_acknowledges_an_alert_and_it_steps_aside(desk: Any) -> None:
    from selenium.webdriver.common.by import By

    from tests.test_web_desk import held

    browser, base, store = desk
    held(store, 1)
    _reload(browser, base)
    line = browser.find_element(By.ID, "alertline")
    assert line.text == "1 alert"
    line.click()
    ack = browser.find_element(By.CSS_SELECTOR, "#alerts ~ .alert button[name=ack]")
    assert "wait for review on twitter" in (ack.get_attribute("aria-label") or "")
    ack.click()
    _submitted(browser, ack)
    assert not browser.find_elements(By.ID, "alertline")
    assert "acknowledged: 1 post(s) wait for review" in browser.find_element(By.ID, "notes").text
    assert "Acknowledged (1)" in browser.find_element(By.ID, "acknowledged").text


def test_a_named_editor_signs_in_acts_and_is_signed_out_when_revoked(desk: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from bot.web import editors
    from tests.test_web_desk import NOW, held, state

    browser, base, store = desk
    token = editors.add(store, "alice", NOW)
    pid = held(store, 1)
    old = browser.find_element(By.ID, "bulk")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _submitted(browser, old)
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.ID, "login").click()
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "whoami"))
    assert browser.find_element(By.ID, "whoami").text == "signed in as alice"
    approve = browser.find_element(By.ID, f"post-{pid}").find_element(By.NAME, "approve")
    approve.click()
    _submitted(browser, approve)
    assert state(store, pid) == "queued"
    assert "alice" in browser.find_element(By.CSS_SELECTOR, "ol.audit li").text
    editors.revoke(store, "alice", NOW + 1)
    browser.get(base + "/")
    assert browser.current_url == base + "/login", "revoked: her session opens nothing"


@pytest.mark.parametrize("desk_toml", [CAPPED])
@pytest.mark.parametrize("width", [390, 1100])
def test_axe_finds_no_serious_or_critical_accessibility_violation(desk: Any, width: int) -> None:
    """axe-core (vendored in tests/data/axe, MPL-2.0) on the busy page: held, capped, retrying, Persian posts, an
    open edit with its error, an alert; at phone and desktop widths."""
    from selenium.webdriver.common.by import By

    from tests.helpers import data_dir
    from tests.test_web_desk import capped_desk

    browser, base, store = desk
    _config, ids = capped_desk(store)
    browser.set_window_size(width, 900)
    _reload(browser, base)
    post = browser.find_element(By.ID, f"post-{ids['x1']}")
    post.find_element(By.CSS_SELECTOR, "details.edit summary").click()
    box = post.find_element(By.NAME, "text")
    box.clear()
    box.send_keys("y" * 300)
    post.find_element(By.NAME, "save").click()
    _submitted(browser, box)
    assert browser.find_elements(By.ID, f"error-{ids['x1']}")
    browser.execute_script((data_dir() / "axe" / "axe.min.js").read_text(encoding="utf-8"))
    browser.set_script_timeout(60)
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations), e => done(String(e)));")
    assert isinstance(result, list), result
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result
           if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


def test_a_one_off_post_is_previewed_per_network_and_queued_from_the_page(desk: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser, _base, store = desk
    browser.find_element(By.ID, "oneoff-link").click()
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "oneoff"))
    text = "خیابان اصلی امروز بسته است https://news.example.org/roads"
    browser.find_element(By.ID, "text").send_keys(text)
    old = browser.find_element(By.ID, "preview-button")
    old.click()
    _submitted(browser, old)
    x = browser.find_element(By.ID, "oneoff-twitter")
    assert x.find_element(By.CSS_SELECTOR, ".text").value_of_css_property("direction") == "rtl"
    assert browser.find_element(By.ID, "oneoff-mastodon").find_element(By.CSS_SELECTOR, "a.link").text \
        == "https://news.example.org/roads"
    assert browser.find_element(By.ID, "text").get_attribute("value") == text
    queue = browser.find_element(By.ID, "queue-button")
    queue.click()
    _submitted(browser, queue)
    assert {d.platform for d in store.deliveries(limit=10)} == {"twitter", "mastodon"}
    assert "queued; it goes out under the schedule" in browser.find_element(By.ID, "notes").text
