"""Acknowledgements of the page's alerts in their own table (issue 22 item 4; migration 13), on SQLite and
Postgres: not rows of the login sessions' table, the first editor's kept, those of ended alerts dropped, and
a database where they were sessions upgraded without losing one."""

from __future__ import annotations

from bot.store import Store, open_store
from bot.store.base import AlertAck
from bot.store.migrations import MIGRATIONS
from bot.web import alerts as page_alerts
from tests.test_web_desk import BEARER, NOW, desk_client, desk_config, held


def _review_alert(store: Store, now: float = NOW) -> page_alerts.Current:
    (alert,) = [a for a in page_alerts.current(desk_config(), store, now) if a.key == "review:twitter"]
    return alert


def test_an_acknowledgement_has_its_own_row_the_first_editor_s_and_goes_when_its_alert_ends(store: Store) -> None:
    one = held(store, 1)
    client = desk_client(store)
    alert = _review_alert(store)
    assert client.post(f"/api/alerts/{alert.id}/ack", headers=BEARER).get_json()["ok"] is True
    assert list(store.alert_acks().values()) == [AlertAck(alert.id, "review:twitter", "shared token", NOW)]
    assert store.load_session("web-ack:" + alert.id) is None, "not kept beside login sessions any more"
    assert page_alerts.acknowledge(desk_config(), store, alert.id, "alice", NOW + 5) is not None
    assert store.alert_acks()[alert.id].editor == "shared token", "the first editor's acknowledgement stays"
    assert _review_alert(store).acknowledged_by == "shared token"
    (entry,) = store.audit()
    assert (entry.editor, entry.via, entry.action, entry.note) == (
        "shared token", "api", "acknowledge", f"alert acknowledged: {alert.text}")
    assert alert.text.startswith("1 post(s) wait for review on twitter")

    two = held(store, 2)  # the alert changes: a new one, news again
    fresh = _review_alert(store)
    assert fresh.id != alert.id and fresh.acknowledged_by is None
    assert page_alerts.acknowledge(desk_config(), store, fresh.id, "alice", NOW + 10) is not None
    assert set(store.alert_acks()) == {fresh.id}, "the ended alert's acknowledgement is dropped"
    assert store.approve(one, NOW) and store.approve(two, NOW)
    assert [a for a in page_alerts.current(desk_config(), store, NOW) if a.key == "review:twitter"] == []


def test_acknowledgements_kept_as_sessions_move_to_their_table_when_the_database_upgrades(db_url: str) -> None:
    from bot.store.sql import SqlStore

    old = open_store(db_url, migrate=False)
    assert isinstance(old, SqlStore)
    with old._transaction() as cur:  # a database as version 12 left it, an acknowledgement among its sessions
        old._exec(cur, "CREATE TABLE schema_version (version INTEGER NOT NULL)")
        old._exec(cur, "INSERT INTO schema_version (version) VALUES (12)")
        for script in MIGRATIONS[:12]:
            old._run_script(cur, script.format(real=old.real_type, serial=old.serial_type))
        for account, value, at in (("web-ack:0123456789abcdef01234567", "alice", 100.0),
                                   ("web-session:9f8e", "2000.5", 200.0), ("bluesky", "sealed-blob", 300.0)):
            old._exec(cur, "INSERT INTO sessions (account, sealed, saved_at) VALUES (?, ?, ?)", (account, value, at))
    old.close()
    upgraded = open_store(db_url)
    try:
        assert upgraded.migrate() == len(MIGRATIONS)
        assert upgraded.alert_acks() == {
            "0123456789abcdef01234567": AlertAck("0123456789abcdef01234567", None, "alice", 100.0)}
        assert upgraded.load_session("web-ack:0123456789abcdef01234567") is None
        assert upgraded.load_session("web-session:9f8e") == "2000.5", "login sessions stay where they are"
        assert upgraded.load_session("bluesky") == "sealed-blob"
    finally:
        upgraded.close()
