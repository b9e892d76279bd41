"""Telling editors about trouble without worker logs: BOT_ALERT_WEBHOOK gets a JSON POST with a
Slack-compatible `text` (Slack, Mattermost, Discord's /slack endpoint and Matrix hooks take it), once per event:

- an account paused (expired token, lost permission): once per pause;
- a feed failing for an hour: once until it reads again;
- posts waiting for review on an account: once each time its review queue fills from empty;
- an account's token 14, 3 and 1 days before it expires, and a renewal that failed (bot.tokens).

Each condition is a row in the store (`alerts`, keyed by the event), so several workers send it once, and
the page shows it whether or not a webhook is set. A failing webhook is logged and tried again on the next
round (a few times), and never stops posting: `check` swallows every error of its own.

Alerts go out from outside the delivery path (an Alerter thread, poked after each delivery round, once the
delivery lock is released): a webhook that trickles its answer held every account's posting while it was sent
inside the lock. Each call has a total deadline (DEADLINE: connect, TLS, request and answer together; a socket
timeout bounds one read only), and what is due in one round goes as one message (150 failing feeds were 150
posts, holding delivery 75 s).
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from urllib.parse import urlsplit

from bot.config import Config
from bot.store.base import REVIEW, Alert, Store

log = logging.getLogger(__name__)
FEED_FAILING_SECONDS = 3600.0
DEADLINE = 10.0  # seconds for one webhook call, all of it
GROUP_LINES = 20  # a grouped message lists this many alerts, then says how many more


def conditions(config: Config, store: Store, now: float) -> dict[str, tuple[str, float]]:
    """key -> (text, how long it must hold before it is sent, in seconds) for what holds now."""
    found: dict[str, tuple[str, float]] = {}
    counts = store.queue_counts()
    for name in config.platforms:
        state = store.platform_state(name)
        if state.paused_reason:
            found[f"paused:{name}"] = (f"bot: {name} is PAUSED and posts nothing until a human fixes it: "
                                       f"{state.paused_reason}", 0.0)
        waiting = counts.get((name, REVIEW), 0)
        if waiting:
            found[f"review:{name}"] = (f"bot: {waiting} post(s) wait for review on {name} (`bot queue`, or the "
                                       "editors' page)", 0.0)
    from bot import tokens

    found.update(tokens.conditions(config, store, now))  # tokens near their end, renewals that failed
    names = {f.shown_url: f.name for f in config.feeds}
    for feed in store.all_feed_states():
        if feed.url in names and feed.failures and feed.last_error:
            found[f"feed:{feed.url}"] = (f"bot: feed {names[feed.url]} has been failing for an hour or more "
                                         f"({feed.failures} tries): {feed.last_error}", FEED_FAILING_SECONDS)
    return found


def check(config: Config, store: Store, now: float) -> int:
    """Record what holds, forget what is over, send what is due; returns how many were sent. Never raises."""
    try:
        return _check(config, store, now)
    except Exception as exc:  # alerts are a courtesy: posting goes on whatever happens here
        log.warning("alerts: not checked this round: %s", exc)
        return 0


def _check(config: Config, store: Store, now: float) -> int:
    current = conditions(config, store, now)
    known = {a.key: a for a in store.alerts(limit=10_000)}
    store.clear_alerts(k for k in known if k not in current)
    for key, (text, _) in current.items():
        if key not in known:
            store.raise_alert(key, text, now)
    url = config.env.alert_webhook
    if not url:
        return 0
    due: list[Alert] = []
    for alert in store.alerts(limit=10_000):
        if alert.key not in current or alert.sent_at is not None:
            continue
        if now - alert.first_seen_at < current[alert.key][1]:
            continue
        if not store.claim_alert(alert.key, now):
            continue  # another worker sends it, or it was given up on
        due.append(alert)
    if not due:
        return 0
    error = post(url, grouped([a.text for a in due]))
    if error:
        for alert in due:
            store.alert_failed(alert.key, error)
        log.warning("alerts: the webhook failed (%s); tried again next round", error)
        return 0
    return len(due)


def grouped(texts: list[str]) -> str:
    """One message for a round: a single alert as it is; several as a list (the first GROUP_LINES of them)."""
    if len(texts) == 1:
        return texts[0]
    lines = [f"bot: {len(texts)} alerts"] + [f"- {t.removeprefix('bot: ')}" for t in texts[:GROUP_LINES]]
    if len(texts) > GROUP_LINES:
        lines.append(f"- and {len(texts) - GROUP_LINES} more (`bot status`, or the editors' page)")
    return "\n".join(lines)


def post(url: str, text: str, deadline: float | None = None) -> str | None:
    """One JSON POST, all of it within `deadline` seconds (DEADLINE); None when the hook took it, else why not
    (without the URL: it is a secret)."""
    from bot.net.watchdog import cut_at

    deadline = DEADLINE if deadline is None else deadline

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    end = time.monotonic() + deadline
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = (HTTPSConnection if https else HTTPConnection)(parts.hostname, port, timeout=deadline)
    try:
        raw = socket.create_connection((parts.hostname, port), timeout=deadline)
        # From here on the watchdog shuts the socket at the deadline, whatever read or handshake is blocked.
        with cut_at(end, raw):
            conn.sock = _tls().wrap_socket(raw, server_hostname=parts.hostname) if https else raw
            conn.request("POST", target, body=json.dumps({"text": text}).encode(),
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            response.read(64 * 1024)
            status = response.status
        if time.monotonic() >= end:  # cut at the deadline: what was read may look complete, it is not
            return f"no answer within {deadline:g} s"
    except (OSError, HTTPException) as exc:
        if time.monotonic() >= end:
            return f"no answer within {deadline:g} s"
        if isinstance(exc, ssl.SSLError):
            return f"TLS: {exc.reason or type(exc).__name__}"  # a certificate the hook's host should renew, say
        return "ConnectionError" if isinstance(exc, OSError) else type(exc).__name__
    finally:
        conn.close()
    if status >= 300:
        return f"HTTP {status}"
    return None


def _tls() -> ssl.SSLContext:
    """Verified TLS with the CA bundle requests uses (certifi), as the webhook was called before: a slim
    container may have no system CA store."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


class Alerter:
    """Checks and sends alerts on its own thread, so that delivery never waits for a webhook. `poke` after a
    round asks for one check (rounds that come while one runs are folded into the next check: one message per
    round at most, never a backlog of them); `close` lets the check in flight end, within its deadline."""

    def __init__(self, config: Callable[[], Config], store: Store) -> None:
        self.config, self.store = config, store
        self._asked = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checks = 0  # finished checks (tests)

    def poke(self) -> None:
        with self._lock:
            if self._closing:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
                self._thread.start()
        self._asked.set()

    def _run(self) -> None:
        while True:
            self._asked.wait()
            self._asked.clear()
            check(self.config(), self.store, time.time())
            self.checks += 1
            if self._closing:
                return

    def close(self, timeout: float | None = None) -> None:
        """The check asked for or in flight ends (a webhook call is bounded by its deadline), then the thread."""
        timeout = DEADLINE + 5.0 if timeout is None else timeout
        with self._lock:
            self._closing = True
            thread = self._thread
        if thread is not None:
            self._asked.set()
            thread.join(timeout)
