"""Who gets into the editors' page (issue 21, items 3, 6 and 7): never a request without a credential, a token
that is slow to guess offline and online, sessions that end on the server, and the page behind nginx or Caddy.
The page is the real Flask app on the real store (Flask's test client), and `bot web` the real command."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Environment, Secret, parse_config
from bot.store import Store
from bot.store.base import REVIEW, NewDelivery
from bot.web import auth
from bot.web.app import create_app
from bot.web.proxy import Proxying, from_env
from bot.web.throttle import Throttle
from tests.helpers import bot_env, run_bot

TOKEN = "editor-token-0123456789abcdef-XYZ"
NOW = time.time()


def _config(token: str | None = TOKEN) -> Any:
    env = Environment(web_token=Secret(token) if token else None)
    return parse_config('[[feeds]]\nurl = "https://news.example.org/feed"\n[platforms.twitter]\nreview = true\n',
                        None, env)


def _queue(store: Store) -> int:
    store.record_articles([], [NewDelivery(
        article_key="https://news.example.org/1", platform="twitter", feed_url="https://news.example.org/feed",
        article_url="https://news.example.org/1", title="Council news", text="Council news #Council",
        link="https://news.example.org/1", hashtags=("Council",), image_url=None, image_alt=None, thread=(),
        published_at=NOW - 100, due_at=NOW - 10, review_until=NOW + 3600)], NOW)
    return store.deliveries(limit=10)[0].id


def _client(store: Store, token: str | None = TOKEN, **kwargs: Any) -> Any:
    return create_app(_config(token), store, secure_cookies=False, **kwargs).test_client()


def _csrf(page: str) -> str:
    return page.split('name="csrf" value="')[1].split('"')[0]


def _login(client: Any, **kwargs: Any) -> Any:
    csrf = _csrf(client.get("/login", **kwargs).get_data(as_text=True))
    return client.post("/login", data={"token": TOKEN, "csrf": csrf}, **kwargs)


# --- item 3: no request without a credential -------------------------------------------------------------


def test_without_a_token_nothing_is_served_without_the_sign_in_link_which_works_once(store: Store) -> None:
    pid = _queue(store)
    link = Secret("one-time-" + "q" * 30)
    client = _client(store, token=None, sign_in=link)
    # nginx's default proxying: Host 127.0.0.1:8080, the client an outsider; no cookie, no link: nothing.
    for host in ("127.0.0.1:8080", "localhost"):
        assert client.get("/", headers={"Host": host}).headers["Location"] == "/login"
        assert client.get("/api/queue", headers={"Host": host}).status_code == 401
        assert client.post(f"/api/queue/{pid}/approve", json={}, headers={"Host": host}).status_code == 401
    assert "Council news" not in client.get("/login").get_data(as_text=True)
    assert store.delivery(pid).state == REVIEW  # type: ignore[union-attr]
    signed = client.get(f"/login?token={link}")
    assert signed.status_code == 303 and signed.headers["Location"] == "/"
    assert f'id="post-{pid}"' in client.get("/").get_data(as_text=True)
    other = _client(store, token=None, sign_in=link)  # another process: its own link
    assert other.get("/login?token=wrong").status_code == 401
    stranger = create_app(_config(None), store, secure_cookies=False, sign_in=link)
    s = stranger.test_client()
    assert s.get(f"/login?token={link}").status_code == 303
    assert s.get(f"/login?token={link}").status_code == 401, "the link works once"


def test_a_page_with_neither_token_nor_link_lets_nobody_in(store: Store) -> None:
    pid = _queue(store)
    client = _client(store, token=None)
    assert client.get("/").status_code == 303 and client.get("/api/queue").status_code == 401
    assert client.post("/login", data={"token": ""}).status_code in (400, 401)
    assert store.delivery(pid).state == REVIEW  # type: ignore[union-attr]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def web_without_token(tmp_path: Path) -> Iterator[tuple[int, str, subprocess.Popen[str]]]:
    config = tmp_path / "bot.toml"
    config.write_text('[[feeds]]\nurl = "https://news.example.org/feed"\n[platforms.twitter]\nreview = true\n')
    env = bot_env(None, None, f"sqlite:///{tmp_path / 'w.db'}", config)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = ""
        deadline = time.monotonic() + 30
        while "login?token=" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, "bot web printed no sign-in link"
            line = proc.stderr.readline()
        url = line.split("sign in once with ")[1].split()[0]
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port, url, proc
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def test_bot_web_without_a_token_prints_a_sign_in_link_and_serves_nothing_without_it(
        web_without_token: tuple[int, str, subprocess.Popen[str]]) -> None:
    port, url, proc = web_without_token
    assert url.startswith(f"http://127.0.0.1:{port}/login?token=") and len(url.split("=")[1]) >= 40
    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as page:
        opener.open(urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"Host": f"127.0.0.1:{port}"}))
    assert page.value.code == 303 and page.value.headers["Location"] == "/login"
    with pytest.raises(urllib.error.HTTPError) as api:
        opener.open(f"http://127.0.0.1:{port}/api/queue")
    assert api.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as signed:
        opener.open(url)
    assert signed.value.code == 303 and "bot_session=" in signed.value.headers["Set-Cookie"]
    proc.terminate()
    out, _err = proc.communicate(timeout=20)
    assert url.split("=")[1] not in out, "the link is a credential: never in the log"


# --- item 6: tokens, throttling, sessions, Secure ---------------------------------------------------------


@pytest.mark.parametrize("token", ["a", "sunshine2024", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"])
def test_a_short_or_repetitive_token_is_refused_off_loopback(tmp_path: Path, token: str) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", tmp_path / "none.toml",
                  {"BOT_WEB_TOKEN": token})
    del env["BOT_CONFIG"]
    result = run_bot(["web", "--host", "0.0.0.0", "--port", "1"], env, tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "refusing to serve the editors' page on 0.0.0.0" in result.stderr
    assert len(token) < 4 or token not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_cookie_key_is_stretched_so_guessing_the_token_offline_is_slow() -> None:
    started = time.perf_counter()
    key = auth.session_key(Secret(TOKEN))
    spent = time.perf_counter() - started
    import hashlib
    import hmac

    assert key != hmac.new(TOKEN.encode(), b"bot-web-session-v1", hashlib.sha256).digest()
    assert key == auth.session_key(Secret(TOKEN)), "every web process derives the same key"
    # One HMAC takes about a microsecond: a derivation a thousand times slower makes each offline guess as slow.
    assert spent > 0.005


def test_failed_sign_ins_are_throttled_per_client_and_in_all(store: Store) -> None:
    t = [0.0]
    throttle = Throttle(per_client=5, overall=8, window=60.0, clock=lambda: t[0])
    client = _client(store, throttle=throttle)
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    csrf = _csrf(client.get("/login", environ_base=guesser).get_data(as_text=True))
    for _ in range(5):
        assert client.post("/login", data={"token": "guess", "csrf": csrf}, environ_base=guesser).status_code == 401
    blocked = client.post("/login", data={"token": TOKEN, "csrf": csrf}, environ_base=guesser)
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "60", "even the right token waits"
    bearer = client.get("/api/queue", headers={"Authorization": f"Bearer {TOKEN}"}, environ_base=guesser)
    assert bearer.status_code == 401
    editor = _client(store, throttle=throttle)
    assert _login(editor, environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 303, "others still sign in"
    for i in range(3):  # a guesser on many addresses: the overall count stops them all
        spread = {"REMOTE_ADDR": f"192.0.2.{i}"}
        assert client.get("/api/queue", headers={"Authorization": "Bearer x"}, environ_base=spread).status_code \
            == 401
    late = _client(store, throttle=throttle)
    assert _login(late, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 429
    t[0] = 61.0
    assert _login(late, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 303, "a minute later"
    assert client.post("/login", data={"token": TOKEN, "csrf": csrf}, environ_base=guesser).status_code == 303


def test_signing_out_ends_the_session_on_the_server(store: Store) -> None:
    client = _client(store)
    assert _login(client).status_code == 303
    cookie = client.get_cookie("bot_session").value
    page = client.get("/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf": _csrf(page)}).headers["Location"] == "/login"
    thief = _client(store)
    thief.set_cookie("bot_session", cookie)
    assert thief.get("/").headers["Location"] == "/login", "the copied cookie opens nothing after sign-out"
    assert thief.get("/api/queue").status_code == 401


def test_the_cookie_is_secure_when_the_request_came_over_https_through_a_trusted_proxy(store: Store) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "bot.example.org",
             "Origin": "https://bot.example.org"}
    trusted = _client(store, proxying=from_env({"BOT_WEB_TRUSTED_PROXIES": "127.0.0.1"}))
    csrf = _csrf(trusted.get("/login", headers=https).get_data(as_text=True))
    ok = trusted.post("/login", data={"token": TOKEN, "csrf": csrf}, headers=https)
    assert ok.status_code == 303 and "; Secure" in ok.headers["Set-Cookie"]
    # The same headers from anyone else are ignored: the cookie follows the connection itself (plain HTTP).
    direct = _client(store)
    csrf = _csrf(direct.get("/login").get_data(as_text=True))
    plain = direct.post("/login", data={"token": TOKEN, "csrf": csrf}, headers={"X-Forwarded-Proto": "https"})
    assert plain.status_code == 303 and "Secure" not in plain.headers["Set-Cookie"]


# --- item 7: behind nginx or Caddy ------------------------------------------------------------------------

# What nginx sends with the README's setup (proxy_pass http://127.0.0.1:8080; Host rewritten by default), and
# Caddy's reverse_proxy (which keeps Host and adds X-Forwarded-*); the browser's Origin is the public site.
NGINX = {"Host": "127.0.0.1:8080", "X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https",
         "X-Forwarded-Host": "bot.example.org", "Origin": "https://bot.example.org"}
RFC7239 = {"Host": "127.0.0.1:8080", "Forwarded": 'for="198.51.100.9";proto=https;host=bot.example.org',
           "Origin": "https://bot.example.org"}
CADDY = {"Host": "bot.example.org", "X-Forwarded-For": "198.51.100.9", "X-Forwarded-Proto": "https",
         "X-Forwarded-Host": "bot.example.org", "Origin": "https://bot.example.org"}


@pytest.mark.parametrize("headers", [NGINX, RFC7239, CADDY], ids=["nginx", "forwarded", "caddy"])
@pytest.mark.parametrize("proxying", [{"BOT_WEB_TRUSTED_PROXIES": "127.0.0.1, ::1"},
                                      {"BOT_WEB_PUBLIC_URL": "https://bot.example.org/"}],
                         ids=["trusted-proxy", "public-url"])
def test_editors_sign_in_and_act_behind_a_reverse_proxy(store: Store, headers: dict[str, str],
                                                        proxying: dict[str, str]) -> None:
    pid = _queue(store)
    client = _client(store, proxying=from_env(proxying))
    assert _login(client, headers=headers).status_code == 303, "the form did not expire"
    page = client.get("/", headers=headers).get_data(as_text=True)
    done = client.post(f"/queue/{pid}/approve", data={"csrf": _csrf(page)}, headers=headers)
    assert done.status_code == 303 and store.delivery(pid).state != REVIEW  # type: ignore[union-attr]
    evil = dict(headers, Origin="https://evil.example")
    assert client.post(f"/queue/{pid}/skip", data={"csrf": _csrf(page)}, headers=evil).status_code == 400


def test_without_proxy_settings_nginx_headers_are_not_believed(store: Store) -> None:
    client = _client(store)
    assert _login(client, headers=NGINX).status_code == 400, "Origin and rewritten Host disagree: refused"
    spoofed = _client(store, proxying=from_env({"BOT_WEB_TRUSTED_PROXIES": "10.0.0.0/8"}))
    assert _login(spoofed, headers=NGINX).status_code == 400, "headers from an untrusted address are ignored"


def test_proxy_settings_are_checked() -> None:
    from bot.errors import ConfigError

    assert from_env({}) == Proxying()
    assert from_env({"BOT_WEB_PUBLIC_URL": "HTTPS://Bot.Example.org/x"}).public_origin == "https://bot.example.org"
    for bad in ({"BOT_WEB_TRUSTED_PROXIES": "nginx"}, {"BOT_WEB_PUBLIC_URL": "bot.example.org"}):
        with pytest.raises(ConfigError):
            from_env(bad)


# --- issue 21 item 13: bad input is a 4xx, never an HTTP 500 ----------------------------------------------


def test_a_non_ascii_csrf_value_is_refused_not_a_server_error(store: Store) -> None:
    pid = _queue(store)
    client = _client(store)
    assert _login(client).status_code == 303
    assert client.post(f"/queue/{pid}/skip", data={"csrf": "é"}).status_code == 400
    assert client.post("/login", data={"csrf": "jeton-é", "token": TOKEN}).status_code == 400
    api = client.post(f"/api/queue/{pid}/skip", headers={"X-CSRF-Token": "ثبت"})
    assert api.status_code == 401 and "X-CSRF-Token" in api.get_json()["error"]
    assert store.delivery(pid).state == REVIEW  # type: ignore[union-attr]


@pytest.mark.parametrize("number", [2**63, 2**63 - 1, 10**19, 2**64 + 5])
def test_a_post_id_beyond_the_databases_integers_is_not_found(store: Store, number: int) -> None:
    _queue(store)
    client = _client(store)
    assert _login(client).status_code == 303
    csrf = _csrf(client.get("/").get_data(as_text=True))
    assert client.post(f"/queue/{number}/skip", data={"csrf": csrf}).status_code in (303, 404)
    api = client.post(f"/api/queue/{number}/skip", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 404 and api.is_json, api.get_data(as_text=True)[:200]


# --- issue 26 item 5: one clock for people ----------------------------------------------------------------

WINTER = 1736935200.0  # 2025-01-15 10:00 UTC: 11:00 CET in Paris
SUMMER = 1752573600.0  # 2025-07-15 10:00 UTC: 12:00 CEST


@pytest.mark.parametrize(("now", "offset", "zone", "hour"), [(WINTER, "+01:00", "CET", "11:"),
                                                             (SUMMER, "+02:00", "CEST", "12:")])
def test_the_page_and_the_api_speak_the_configured_time_zone(store: Store, now: float, offset: str, zone: str,
                                                              hour: str) -> None:
    env = Environment(web_token=Secret(TOKEN))
    config = parse_config('[bot]\ntimezone = "Europe/Paris"\n[[feeds]]\nurl = "https://news.example.org/feed"\n'
                          '[platforms.twitter]\nreview = true\n', None, env)
    store.record_articles([], [NewDelivery(
        article_key="https://news.example.org/1", platform="twitter", feed_url="https://news.example.org/feed",
        article_url="https://news.example.org/1", title="Council news", text="Council news",
        link="https://news.example.org/1", hashtags=(), image_url=None, image_alt=None, thread=(),
        published_at=now - 100, due_at=now - 10, review_until=now)], now - 10)
    client = create_app(config, store, secure_cookies=False, clock=lambda: now - 5).test_client()
    assert _login(client).status_code == 303
    (post,) = client.get("/api/queue", headers={"Authorization": f"Bearer {TOKEN}"}).get_json()
    assert post["review_until"] == f"2025-{'01' if now == WINTER else '07'}-15T{hour}00:00{offset}"
    page = client.get("/").get_data(as_text=True)
    assert f"{hour}00 {zone}" in page and "UTC" not in page
