"""Alerts on the page (issue 22 item 4): what holds now, computed from the state by the same conditions the
webhook is sent for (bot.alerts.conditions), never the log of past messages ("5 posts wait" when 2 do). An
editor acknowledges one; it stays out of the way until it changes (its text, or it ends and comes back: a new
first-seen time), and it is gone when its cause is gone. Acknowledgements have their own table (alert_acks,
migration 13); those of alerts that ended are dropped when an editor next acknowledges one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bot import alerts
from bot.config import Config
from bot.store.base import AlertAck, AuditEntry, Store


@dataclass(frozen=True)
class Current:
    id: str  # the fingerprint an acknowledgement names
    key: str
    text: str
    since: float | None
    acknowledged_by: str | None


def current(config: Config, store: Store, now: float) -> list[Current]:
    stored = {a.key: a for a in store.alerts(limit=10_000)}
    acks = store.alert_acks()
    out = []
    for key, (text, hold) in sorted(alerts.conditions(config, store, now).items()):
        since = stored[key].first_seen_at if key in stored else None
        if hold and (since is None or since + hold > now):
            continue  # not yet: a feed's first failures are shown under the feeds, not as an alert
        shown = text.removeprefix("bot: ")
        fingerprint = hashlib.sha256(f"{key}\0{text}\0{since}".encode()).hexdigest()[:24]
        out.append(Current(fingerprint, key, shown, since, (ack.editor if (ack := acks.get(fingerprint)) else None)))
    return out


def acknowledge(config: Config, store: Store, alert_id: str, editor: str, now: float,
                via: str = "page") -> Current | None:
    """Mark the alert `alert_id` seen by `editor` (in the audit trail too, the first time); None when no such
    alert holds now (it changed or ended)."""
    holding = current(config, store, now)
    store.drop_alert_acks(a.id for a in holding)  # ended alerts: their acknowledgements name nothing now
    for alert in holding:
        if alert.id == alert_id:
            if store.acknowledge_alert(AlertAck(alert_id, alert.key, editor, now)):
                store.record_audit([AuditEntry(now, editor, via, "acknowledge", None, None,
                                               f"alert acknowledged: {alert.text}")])
            return alert
    return None
