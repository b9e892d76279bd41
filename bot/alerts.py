"""Telling editors about trouble without worker logs: BOT_ALERT_WEBHOOK gets a JSON POST with a
Slack-compatible `text` (Slack, Mattermost, Discord's /slack endpoint and Matrix hooks take it), once per event:

- an account paused (expired token, lost permission): once per pause;
- a feed failing for an hour: once until it reads again;
- posts waiting for review on an account: once each time its review queue fills from empty.

Each condition is a row in the store (`alerts`, keyed by the event), so several workers send it once, and
the page shows it whether or not a webhook is set. A failing webhook is logged and tried again on the next
round (a few times), and never stops posting: `check` swallows every error of its own.
"""

from __future__ import annotations

import logging

from bot.config import Config
from bot.store.base import REVIEW, Store

log = logging.getLogger(__name__)
FEED_FAILING_SECONDS = 3600.0
TIMEOUT = 10.0


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
    sent = 0
    for alert in store.alerts(limit=10_000):
        if alert.key not in current or alert.sent_at is not None:
            continue
        if now - alert.first_seen_at < current[alert.key][1]:
            continue
        if not store.claim_alert(alert.key, now):
            continue  # another worker sends it, or it was given up on
        error = post(url, alert.text)
        if error:
            store.alert_failed(alert.key, error)
            log.warning("alerts: the webhook failed (%s); tried again next round", error)
        else:
            sent += 1
    return sent


def post(url: str, text: str) -> str | None:
    """One JSON POST; None when the hook took it, else why not (without the URL: it is a secret)."""
    import requests

    try:
        response = requests.post(url, json={"text": text}, timeout=TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        return f"{type(exc).__name__}"
    if response.status_code >= 300:
        return f"HTTP {response.status_code}"
    return None
