"""The Store, written once in the SQL that SQLite and Postgres share.

Backends (bot.store.sqlite, bot.store.postgres) supply a connection, transactions and
the few words that differ. Every write that matters for "exactly once" is a single
transaction guarded by a unique key or a row lock, never by a check-then-act in Python.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields, replace
from typing import Any

from bot.redact import Redactor, display_url
from bot.store.base import (
    FAILED,
    HELD,
    OPEN_STATES,
    POSTED,
    QUEUED,
    RETRY,
    REVIEW,
    SENDING,
    SKIPPED,
    Alert,
    AlertAck,
    AuditEntry,
    Claimed,
    Delivery,
    Editor,
    FeedClaim,
    FeedRelease,
    FeedSchedule,
    FeedState,
    NewDelivery,
    PlatformState,
    SeenArticle,
)
from bot.store.migrations import MIGRATIONS

_DELIVERY_COLUMNS = [f.name for f in fields(Delivery)]
_FEED_COLUMNS = [f.name for f in fields(FeedState)]
_FEED_FLAGS = [f.name for f in fields(FeedState) if f.type == "bool"]  # stored as INTEGER 0/1
_PLATFORM_COLUMNS = [f.name for f in fields(PlatformState)]
_ALERT_COLUMNS = [f.name for f in fields(Alert)]
_IN_BATCH = 500  # values in one IN (...) list: older SQLite builds take at most 999 parameters
MAX_ALERT_ATTEMPTS = 5  # a webhook that failed this often for one event is given up on (the page still shows it)


class SqlStore(ABC):
    """Shared SQL; `?` placeholders are rewritten by backends that use another style."""

    read_only = False  # opened for reading only (a SQLite file or folder that is not writable)

    real_type = "REAL"
    max_function = "MAX"  # the two-argument maximum: MAX on SQLite, GREATEST on Postgres
    min_function = "MIN"  # and the minimum: MIN on SQLite, LEAST on Postgres
    # The database's own time in epoch seconds: the one clock every lease is set and compared on, whichever
    # host asks (hosts' clocks drift; the database is shared). SQLite lives on one machine: its clock is that
    # machine's, read by SQLite itself.
    now_expression = "((julianday('now') - 2440587.5) * 86400.0)"
    serial_type = "INTEGER PRIMARY KEY AUTOINCREMENT"
    # How a claim takes rows others may be claiming at the same moment: SQLite's one writer needs nothing.
    skip_locked = ""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # What is written here is read later by anyone with the database (`bot status` in an operator's shell,
        # without the secrets to redact them), so secrets are taken out on the way in: every feed URL is
        # stored as bot.redact.display_url shows it (and looked up by it), every error text redacted.
        self._redact = Redactor(secrets)

    def _scrub(self, text: str | None) -> str | None:
        return None if text is None else self._redact(text)

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A write transaction; yields a cursor-like object with execute/fetchall."""

    @abstractmethod
    def _run_script(self, cur: Any, script: str) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def _sql(self, query: str) -> str:
        return query

    def _exec(self, cur: Any, query: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self._sql(query), tuple(params))
        return cur

    def _query(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._reading() as cur:
            return list(self._exec(cur, query, params).fetchall())

    def _reading(self) -> AbstractContextManager[Any]:
        """A single read; backends whose transactions lock for writing can make it lighter."""
        return self._transaction()

    # --- schema ---------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply pending migrations; returns the schema version now in force."""
        with self._transaction() as cur:
            self._lock_for_migration(cur)
            self._exec(cur, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            rows = self._exec(cur, "SELECT version FROM schema_version").fetchall()
            version = rows[0][0] if rows else 0
            if not rows:
                self._exec(cur, "INSERT INTO schema_version (version) VALUES (0)")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                self._run_script(cur, script.format(real=self.real_type, serial=self.serial_type))
                self._exec(cur, "UPDATE schema_version SET version = ?", (number,))
            return len(MIGRATIONS)

    def check_schema(self) -> int:
        """For a store opened read-only: the schema must already be current, since it cannot be migrated."""
        from bot.errors import StoreError

        rows = self._query("SELECT version FROM schema_version")
        version = int(rows[0][0]) if rows else 0
        if version < len(MIGRATIONS):
            raise StoreError(f"the database is at schema version {version} and this bot needs {len(MIGRATIONS)}",
                             hint="run `bot db upgrade` where the database is writable")
        return version

    def _lock_for_migration(self, cur: Any) -> None:  # noqa: B027 - optional hook, a no-op for SQLite
        """Backends that allow concurrent transactions serialise migrations here."""

    # --- feeds ----------------------------------------------------------------------------------

    def feed_state(self, url: str) -> FeedState | None:
        rows = self._query(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds WHERE url = ?", (display_url(url),))
        return _feed(rows[0]) if rows else None

    def feed_states(self, urls: Sequence[str]) -> dict[str, FeedState]:
        by_stored = {display_url(u): u for u in urls}
        rows = self._rows_where_in("feeds", "url", by_stored, ", ".join(_FEED_COLUMNS))
        return {by_stored[state.url]: state for state in map(_feed, rows)}

    def all_feed_states(self) -> list[FeedState]:
        return [_feed(r) for r in self._query(f"SELECT {', '.join(_FEED_COLUMNS)} FROM feeds ORDER BY url")]

    def save_feed_state(self, state: FeedState) -> None:
        self.save_feed_states([state])

    def save_feed_states(self, states: Sequence[FeedState]) -> None:
        if states:
            with self._transaction() as cur:
                self._upsert_feed_states(cur, states)

    def _upsert_feed_states(self, cur: Any, states: Sequence[FeedState]) -> None:
        rows = []
        for state in states:
            state = replace(state, url=display_url(state.url), current_url=state.current_url and
                            display_url(state.current_url), last_error=self._scrub(state.last_error))
            rows.append([int(getattr(state, c)) if c in _FEED_FLAGS else getattr(state, c) for c in _FEED_COLUMNS])
        updates = ", ".join(f"{c} = excluded.{c}" for c in _FEED_COLUMNS[1:])
        # One batch: psycopg pipelines it (one round trip for a cycle's worth of 304s, not one each).
        cur.executemany(self._sql(
            f"INSERT INTO feeds ({', '.join(_FEED_COLUMNS)}) VALUES ({', '.join('?' * len(_FEED_COLUMNS))}) "
            f"ON CONFLICT (url) DO UPDATE SET {updates}"), rows)

    # --- the shared feed schedule ----------------------------------------------------------------

    def register_feeds(self, urls: Iterable[str]) -> None:
        rows = [(display_url(u),) for u in dict.fromkeys(urls)]
        if rows:
            with self._transaction() as cur:
                cur.executemany(self._sql("INSERT INTO feeds (url) VALUES (?) ON CONFLICT (url) DO NOTHING"), rows)

    def claim_feeds(self, owner: str, capacity: int, lease_seconds: float) -> Claimed:
        """One transaction: the heartbeat of `owner` (its worker row and every claim it holds run `lease_seconds`
        from now), then its share of the due feeds, oldest due first.

        A feed is due when its next_due has come (or it has none yet) and no live claim holds it: a claim whose
        lease lapsed belonged to a worker that died or froze, and its feed goes to the next claimer. On Postgres
        the rows are taken FOR UPDATE SKIP LOCKED: two workers claiming at once take different feeds, neither
        waits. The share (due feeds / live workers, rounded up) keeps one worker from taking every feed while
        the others idle; `capacity` (its free fetch slots) keeps it from taking more than it can fetch now.
        """
        free = "(claim_until IS NULL OR claim_until < ?)"
        due = f"(next_due IS NULL OR next_due <= ?) AND {free}"
        with self._transaction() as cur:
            now = float(self._exec(cur, f"SELECT {self.now_expression}").fetchall()[0][0])
            until = now + lease_seconds
            self._exec(cur, "INSERT INTO workers (owner, started_at, seen_until) VALUES (?, ?, ?) "
                       "ON CONFLICT (owner) DO UPDATE SET seen_until = excluded.seen_until", (owner, now, until))
            self._exec(cur, "UPDATE feeds SET claim_until = ? WHERE claim_owner = ?", (until, owner))
            live = int(self._exec(cur, "SELECT COUNT(*) FROM workers WHERE seen_until >= ?", (now,)).fetchall()[0][0])
            waiting = int(self._exec(cur, f"SELECT COUNT(*) FROM feeds WHERE {due}", (now, now)).fetchall()[0][0])
            take = min(capacity, -(-waiting // max(live, 1)))
            claimed: list[FeedClaim] = []
            if take > 0:
                rows = self._exec(
                    cur,
                    f"UPDATE feeds SET claim_owner = ?, claim_until = ? WHERE url IN (SELECT url FROM feeds "
                    f"WHERE {due} ORDER BY COALESCE(next_due, 0), url LIMIT ?{self.skip_locked}) "
                    f"RETURNING next_due, {', '.join(_FEED_COLUMNS)}",
                    (owner, until, now, now, take),
                ).fetchall()
                # Each claimed feed's state comes with it: a cycle over thousands of feeds reads none alone.
                claimed = sorted((FeedClaim(r[1], r[0], _feed(r[1:])) for r in rows),
                                 key=lambda c: (c.due or 0.0, c.url))
            holders = self._exec(
                cur,
                "SELECT DISTINCT claim_owner FROM feeds WHERE claim_owner <> ? AND claim_until >= ? "
                "UNION SELECT owner FROM workers WHERE owner <> ? AND seen_until >= ?",
                (owner, now, owner, now),
            ).fetchall()
            # The next moment anything may become claimable: a feed falls due, or a claim of another lapses.
            wake = self._exec(
                cur,
                "SELECT MIN(CASE WHEN claim_until >= ? THEN claim_until ELSE COALESCE(next_due, ?) END) FROM feeds "
                "WHERE claim_owner IS NULL OR claim_owner <> ?",
                (now, now, owner),
            ).fetchall()
        soonest = wake[0][0] if wake and wake[0][0] is not None else None
        return Claimed(feeds=tuple(claimed), now=now, wake_in=None if soonest is None else max(soonest - now, 0.0),
                       holders=tuple(sorted(r[0] for r in holders if r[0])))

    def release_feeds(self, owner: str, releases: Sequence[FeedRelease]) -> int:
        if not releases:
            return 0
        with self._transaction() as cur:
            states = [r.state for r in releases if r.state is not None]
            if states:
                self._upsert_feed_states(cur, states)
            now = float(self._exec(cur, f"SELECT {self.now_expression}").fetchall()[0][0])
            # Only the holder's claim is released: a claim it lost (its lease lapsed, another took the feed)
            # is the new holder's to end. One batch, pipelined like the states.
            cur.executemany(self._sql("UPDATE feeds SET next_due = ?, claim_owner = NULL, claim_until = NULL, "
                                      "polled_by = ?, polled_at = ? WHERE url = ? AND claim_owner = ?"),
                            [(r.next_due, owner, now, display_url(r.url), owner) for r in releases])
            return max(int(cur.rowcount), 0)

    def drop_claims(self, holder: str) -> int:
        with self._transaction() as cur:
            cur2 = self._exec(cur, "UPDATE feeds SET claim_owner = NULL, claim_until = NULL WHERE claim_owner = ?",
                              (holder,))
            dropped = max(int(cur2.rowcount), 0)
            self._exec(cur, "DELETE FROM workers WHERE owner = ?", (holder,))
            return dropped

    def reschedule_feed(self, url: str, next_due: float) -> None:
        with self._transaction() as cur:
            # A feed not polled yet stays due at once.
            self._exec(cur, "UPDATE feeds SET next_due = ? WHERE url = ? AND next_due IS NOT NULL",
                       (next_due, display_url(url)))

    def feed_schedules(self) -> list[FeedSchedule]:
        rows = self._query("SELECT url, next_due, claim_owner, claim_until, polled_by, polled_at FROM feeds "
                           "ORDER BY url")
        return [FeedSchedule(*r) for r in rows]

    def live_workers(self) -> list[str]:
        rows = self._query(f"SELECT owner FROM workers WHERE seen_until >= {self.now_expression} "
                           "ORDER BY started_at, owner")
        return [r[0] for r in rows]

    # --- articles -------------------------------------------------------------------------------

    def known_keys(self, keys: Iterable[str]) -> set[str]:
        return set(self._seen_column("key", keys))

    def article_keys_for(self, keys: Iterable[str]) -> set[str]:
        return set(self._seen_column("article_key", keys))

    def seen_by_url(self, urls: Iterable[str]) -> list[SeenArticle]:
        rows = self._rows_where_in("seen", "url", urls, "key, article_key, feed_url, url, title, published_at")
        return [SeenArticle(*r) for r in rows]

    def _seen_column(self, column: str, keys: Iterable[str]) -> list[str]:
        return [r[0] for r in self._rows_where_in("seen", "key", keys, column)]

    def _rows_where_in(self, table: str, column: str, values: Iterable[str], selected: str) -> list[tuple[Any, ...]]:
        """`selected` of the rows of `table` whose `column` is one of `values`, read in chunks of IN lists."""
        wanted = list(dict.fromkeys(values))
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(wanted), _IN_BATCH):
            chunk = wanted[start : start + _IN_BATCH]
            found += self._query(f"SELECT {selected} FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})",
                                 chunk)
        return found

    def record_articles(self, seen: Sequence[SeenArticle], deliveries: Sequence[NewDelivery], now: float,
                        feed_state: FeedState | None = None) -> int:
        """Remember identities, queue posts and save the feed's state in one transaction; returns how many posts
        were new. (One commit per changed feed, not two: on Postgres each is a round trip and a WAL flush.)

        The outbox's unique (article_key, platform) makes a second writer of the same
        article (another worker, a retry after a crash) a no-op instead of a duplicate.
        """
        inserted = 0
        # One batch (psycopg pipelines it: one round trip, not one per identity), in key order so two
        # workers recording the same feed lock rows in the same order and cannot deadlock.
        rows = [(s.key, s.article_key, display_url(s.feed_url), s.url, s.title, s.published_at, now, now)
                for s in sorted({s.key: s for s in seen}.values(), key=lambda s: s.key)]
        with self._transaction() as cur:
            if rows:
                cur.executemany(self._sql(
                    "INSERT INTO seen (key, article_key, feed_url, url, title, published_at, first_seen_at, "
                    "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET last_seen_at = excluded.last_seen_at"), rows)
            for d in deliveries:
                cur2 = self._exec(
                    cur,
                    "INSERT INTO outbox (article_key, platform, feed_url, article_url, title, text, link, hashtags, "
                    "image_url, image_alt, thread, published_at, created_at, state, due_at, send_key, language, "
                    "review_until, description) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (article_key, platform) DO NOTHING",
                    (d.article_key, d.platform, display_url(d.feed_url), d.article_url, d.title, d.text, d.link,
                     json.dumps(list(d.hashtags)), d.image_url, d.image_alt, json.dumps(list(d.thread)),
                     d.published_at, now, QUEUED if d.review_until is None else REVIEW, d.due_at, d.send_key,
                     d.language, d.review_until, d.description),
                )
                inserted += max(cur2.rowcount, 0)
            if feed_state is not None:
                self._upsert_feed_states(cur, [feed_state])
        return inserted

    def forget_older_than(self, cutoff: float) -> int:
        """Drop identities not seen since `cutoff`, but never those of a post still in flight."""
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                "DELETE FROM seen WHERE last_seen_at < ? AND article_key NOT IN "
                "(SELECT article_key FROM outbox WHERE state IN (?, ?, ?, ?, ?))",
                (cutoff, QUEUED, SENDING, RETRY, HELD, REVIEW),
            )
            return max(int(cur.rowcount), 0)

    # --- outbox ---------------------------------------------------------------------------------

    def claim_next(self, platform: str, now: float, owner: str, lease_seconds: float,
                   article_key: str | None = None) -> Delivery | None:
        """Lease the oldest unsettled post of a platform, if it is due and no other post of it is in flight.

        One post in flight per platform, whatever the number of workers: that is what keeps publication
        order, makes caps and gaps exact, and spends the platform's rate limit one call at a time. Several
        workers still share the work: each platform goes to whichever worker claims it, and when a worker
        dies its lease runs out (or is expired at once by a worker that knows it is dead) and another takes over.

        `now` (the caller's clock) says which posts are due; the lease is set and compared on the database's
        clock, so two hosts whose clocks disagree still agree on whose lease is live.

        A row still 'sending' whose lease ran out belonged to a worker that died or hung mid-call: it comes
        back `uncertain`, so the caller looks it up on the platform before sending it again.
        """
        with self._transaction() as cur:
            if not self._lock_platform(cur, platform):
                return None  # another worker is claiming for this platform right now
            db_now = float(self._exec(cur, f"SELECT {self.now_expression}").fetchall()[0][0])
            busy = self._exec(
                cur, "SELECT id FROM outbox WHERE platform = ? AND state = ? AND lease_until >= ? LIMIT 1",
                (platform, SENDING, db_now),
            ).fetchall()
            if busy:
                return None
            only = " AND article_key = ?" if article_key else ""
            # The oldest unsettled post goes first; while it waits for a retry, the ones after it wait too,
            # so posts keep their publication order through an outage.
            rows = self._exec(
                cur,
                f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM outbox WHERE platform = ?{only} AND state IN (?, ?, ?) "
                "ORDER BY COALESCE(published_at, created_at), id LIMIT 1",
                (platform, *([article_key] if article_key else []), QUEUED, RETRY, SENDING),
            ).fetchall()
            if not rows:
                return None
            row = _delivery(rows[0])
            if row.state != SENDING and row.due_at > now:
                return None
            uncertain = row.uncertain or row.state == SENDING
            self._exec(
                cur,
                "UPDATE outbox SET state = ?, lease_owner = ?, lease_until = ?, attempts = attempts + 1, "
                "uncertain = ? WHERE id = ?",
                (SENDING, owner, db_now + lease_seconds, int(uncertain), row.id),
            )
        return replace(row, state=SENDING, lease_owner=owner, lease_until=db_now + lease_seconds,
                        attempts=row.attempts + 1, uncertain=uncertain)

    def lease_clock(self) -> float:
        """The database's time now (epoch seconds), as leases are compared on it."""
        return float(self._query(f"SELECT {self.now_expression}")[0][0])

    def blocking(self, platform: str) -> Delivery | None:
        """The platform's post in flight whose lease is live: while it is, no other post of it is claimed."""
        rows = self._query(
            f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM outbox WHERE platform = ? AND state = ? "
            f"AND lease_until >= {self.now_expression} ORDER BY id LIMIT 1", (platform, SENDING))
        return _delivery(rows[0]) if rows else None

    def _lock_platform(self, cur: Any, platform: str) -> bool:
        """Serialise claims for one platform; False when another worker holds the lock (skip, do not wait).

        SQLite needs nothing here: BEGIN IMMEDIATE already admits one writer at a time.
        """
        return True

    def _finish(self, delivery_id: int, owner: str, assignments: str, params: Sequence[Any]) -> bool:
        # Only the lease holder may settle a row: a worker whose lease expired must not overwrite
        # the outcome recorded by the one that took over.
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                f"UPDATE outbox SET {assignments}, lease_owner = NULL, lease_until = NULL "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (*params, delivery_id, owner, SENDING),
            )
            return int(cur.rowcount) > 0

    def record_parts(self, delivery_id: int, owner: str, parts: Sequence[str], lease_seconds: float) -> bool:
        """Remember the parts posted so far and renew the lease: the post is still in flight."""
        return self._holding(delivery_id, owner, "parts = ?, ", (json.dumps(list(parts)),), lease_seconds)

    def renew_lease(self, delivery_id: int, owner: str, lease_seconds: float) -> bool:
        """The holder is alive and still sending: its lease runs `lease_seconds` from now (database clock).
        False when the row is no longer this owner's: nothing is extended then."""
        return self._holding(delivery_id, owner, "", (), lease_seconds)

    def _holding(self, delivery_id: int, owner: str, assignments: str, params: Sequence[Any],
                 lease_seconds: float) -> bool:
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                f"UPDATE outbox SET {assignments}lease_until = {self.now_expression} + ? "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (*params, lease_seconds, delivery_id, owner, SENDING),
            )
            return int(cur.rowcount) > 0

    def expire_lease(self, delivery_id: int, owner: str, grace: float = 0.0) -> bool:
        """End `owner`'s lease `grace` seconds from now at the latest (never later than it was), leaving the row
        in flight and uncertain: its holder is known to be gone (or could not record the outcome), so the next
        claim takes it over and looks the post up first."""
        with self._transaction() as cur:
            cur = self._exec(
                cur,
                f"UPDATE outbox SET lease_until = {self.min_function}(lease_until, {self.now_expression} + ?), "
                "uncertain = 1 "
                "WHERE id = ? AND lease_owner = ? AND state = ?",
                (grace - 0.001, delivery_id, owner, SENDING),
            )
            return int(cur.rowcount) > 0

    def mark_posted(self, delivery_id: int, owner: str, remote_id: str, remote_url: str | None, now: float,
                    state: str = POSTED) -> bool:
        return self._finish(delivery_id, owner, "state = ?, remote_id = ?, remote_url = ?, posted_at = ?, "
                            "last_error = NULL, uncertain = 0", (state, remote_id, remote_url, now))

    def mark_retry(self, delivery_id: int, owner: str, error: str, due_at: float, count_attempt: bool = True,
                   uncertain: bool = False) -> bool:
        """Try again at `due_at`. `uncertain` when this attempt may have reached the platform (a timeout,
        a dropped connection, a 5xx after the fact); an earlier uncertainty is kept until settled."""
        undo = "" if count_attempt else ", attempts = attempts - 1"
        keep = f"{self.max_function}(uncertain, ?)"
        return self._finish(delivery_id, owner, f"state = ?, last_error = ?, due_at = ?, uncertain = {keep}{undo}",
                            (RETRY, self._redact(error), due_at, int(uncertain)))

    def mark_failed(self, delivery_id: int, owner: str, error: str) -> bool:
        return self._finish(delivery_id, owner, "state = ?, last_error = ?", (FAILED, self._redact(error)))

    def mark_held(self, delivery_id: int, owner: str, reason: str) -> bool:
        return self._finish(delivery_id, owner, "state = ?, last_error = ?", (HELD, self._redact(reason)))

    def withhold(self, delivery_id: int, owner: str, state: str, reason: str, now: float,
                 review_until: float | None = None) -> bool:
        """A claimed post the config in force no longer sends as it is (bot.delivery.gate): back to review
        (`state` REVIEW, held until `review_until`) or dropped (SKIPPED). The claim used up no attempt."""
        if state not in (REVIEW, SKIPPED):
            raise ValueError(f"a post is withheld to review or skipped, not {state!r}")
        skipped = now if state == SKIPPED else None
        return self._finish(delivery_id, owner, "state = ?, last_error = ?, review_until = COALESCE(?, review_until), "
                            "skipped_at = ?, attempts = attempts - 1",
                            (state, self._redact(reason), review_until, skipped))

    def release(self, delivery_id: int, owner: str) -> bool:
        """Give a claimed row back (shutdown, paused platform) without using up an attempt."""
        return self._finish(delivery_id, owner, "state = ?, attempts = attempts - 1", (QUEUED,))

    def requeue_failed(self, now: float, platform: str | None = None) -> int:
        # A held post was checked by the editor who releases it: it goes once more, without a lookup.
        query = ("UPDATE outbox SET uncertain = CASE WHEN state = ? THEN 0 ELSE uncertain END, state = ?, "
                 "due_at = ?, last_error = NULL, attempts = 0 WHERE state IN (?, ?)")
        params: list[Any] = [HELD, QUEUED, now, FAILED, HELD]
        if platform:
            query += " AND platform = ?"
            params.append(platform)
        with self._transaction() as cur:
            return max(int(self._exec(cur, query, params).rowcount), 0)

    def deliveries(self, states: Sequence[str] = (), platform: str | None = None, limit: int = 100,
                   newest_first: bool = True, article_key: str | None = None) -> list[Delivery]:
        where: list[str] = []
        params: list[Any] = []
        if article_key is not None:
            where.append("article_key = ?")
            params.append(article_key)
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        if platform:
            where.append("platform = ?")
            params.append(platform)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "DESC" if newest_first else "ASC"
        rows = self._query(
            f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM outbox {clause} "
            f"ORDER BY COALESCE(posted_at, published_at, created_at) {order}, id {order} LIMIT ?",
            (*params, limit),
        )
        return [_delivery(r) for r in rows]

    def count_posted_since(self, platform: str, since: float) -> int:
        rows = self._query("SELECT COUNT(*) FROM outbox WHERE platform = ? AND state = ? AND posted_at >= ?",
                           (platform, POSTED, since))
        return int(rows[0][0])

    def last_posted_at(self, platform: str) -> float | None:
        rows = self._query("SELECT MAX(posted_at) FROM outbox WHERE platform = ? AND state = ?", (platform, POSTED))
        return rows[0][0] if rows and rows[0][0] is not None else None

    def recent_posted(self, platform: str, limit: int) -> list[float]:
        """When the platform's last `limit` posts went out, newest first (the burst rule: bot.schedule)."""
        rows = self._query("SELECT posted_at FROM outbox WHERE platform = ? AND state = ? AND posted_at IS NOT NULL "
                           "ORDER BY posted_at DESC LIMIT ?", (platform, POSTED, limit))
        return [float(r[0]) for r in rows]

    def queue_counts(self) -> dict[tuple[str, str], int]:
        rows = self._query("SELECT platform, state, COUNT(*) FROM outbox GROUP BY platform, state")
        return {(r[0], r[1]): int(r[2]) for r in rows}

    # --- review -------------------------------------------------------------------------------

    def delivery(self, delivery_id: int) -> Delivery | None:
        rows = self._query(f"SELECT {', '.join(_DELIVERY_COLUMNS)} FROM outbox WHERE id = ?", (delivery_id,))
        return _delivery(rows[0]) if rows else None

    def approve(self, delivery_id: int, now: float) -> bool:
        """Release a held post to the schedule; False when it is not held (approved already, sent, skipped)."""
        with self._transaction() as cur:
            cur = self._exec(cur, "UPDATE outbox SET state = ?, approved_at = ? WHERE id = ? AND state = ?",
                             (QUEUED, now, delivery_id, REVIEW))
            return int(cur.rowcount) > 0

    def approve_all(self, now: float, platform: str | None = None, include_expired: bool = False) -> int:
        """Release every held post (of one platform); an expired one only if `include_expired`."""
        query = "UPDATE outbox SET state = ?, approved_at = ? WHERE state = ?"
        params: list[Any] = [QUEUED, now, REVIEW]
        if not include_expired:
            query += " AND (review_until IS NULL OR review_until >= ?)"
            params.append(now)
        if platform:
            query += " AND platform = ?"
            params.append(platform)
        with self._transaction() as cur:
            return max(int(self._exec(cur, query, params).rowcount), 0)

    def skip(self, delivery_id: int, now: float) -> bool:
        """Drop a post for good; False when it is in flight or settled. Its row stays: the outbox's unique
        (article, platform) key keeps the article from being queued there again. A held post (outcome
        unknown) can be skipped too: the editor found it in the channel, and `bot retry` must not resend it."""
        states = (*OPEN_STATES, HELD)
        marks = ", ".join("?" * len(states))
        with self._transaction() as cur:
            cur = self._exec(cur, f"UPDATE outbox SET state = ?, skipped_at = ? WHERE id = ? AND state IN ({marks})",
                             (SKIPPED, now, delivery_id, *states))
            return int(cur.rowcount) > 0

    def edit_text(self, delivery_id: int, text: str, now: float, expected_version: int | None = None) -> bool:
        """Replace the text of a post nothing of which may have reached the network: not in flight, not
        uncertain (an earlier attempt may be out with the old text: the lookup must find that one), no part
        posted (staged entries are no posts: bot.platforms.staged; a staged upload is kept, a staged container,
        made with the old text, is dropped). Taken under the platform's claim lock, so a claim reads either
        version whole, never one while the other is recorded. False when the post is not editable (or not at
        `expected_version`)."""
        from bot.platforms.staged import after_edit  # here, as in _parts_if_none_posted

        marks = ", ".join("?" * len(OPEN_STATES))
        with self._transaction() as cur:
            rows = self._exec(cur, "SELECT platform FROM outbox WHERE id = ?", (delivery_id,)).fetchall()
            if not rows or not self._lock_platform(cur, rows[0][0]):
                return False
            parts = self._parts_if_none_posted(cur, delivery_id)
            if parts is None:
                return False
            query = (f"UPDATE outbox SET text = ?, parts = ?, edit_version = edit_version + 1, edited_at = ? "
                     f"WHERE id = ? AND state IN ({marks}) AND uncertain = 0 AND parts = ?")
            params: list[Any] = [text, json.dumps(after_edit(json.loads(parts))), now, delivery_id, *OPEN_STATES,
                                 parts]
            if expected_version is not None:
                query += " AND edit_version = ?"
                params.append(expected_version)
            return int(self._exec(cur, query, params).rowcount) > 0

    def unapprove(self, delivery_id: int, review_until: float | None) -> bool:
        """Take an approved post back to review: only one nothing of which may have reached the network (not
        in flight, not uncertain, no part posted; what is staged stays, for the same text), under the platform's
        claim lock like edit_text, so a claim either took it first (False) or never sees it approved."""
        query = ("UPDATE outbox SET state = ?, approved_at = NULL, review_until = ? WHERE id = ? "
                 "AND state IN (?, ?) AND uncertain = 0 AND parts = ?")
        with self._transaction() as cur:
            rows = self._exec(cur, "SELECT platform FROM outbox WHERE id = ?", (delivery_id,)).fetchall()
            if not rows or not self._lock_platform(cur, rows[0][0]):
                return False
            parts = self._parts_if_none_posted(cur, delivery_id)
            if parts is None:
                return False
            return int(self._exec(cur, query, (REVIEW, review_until, delivery_id, QUEUED, RETRY, parts)).rowcount) > 0

    def _parts_if_none_posted(self, cur: Any, delivery_id: int) -> str | None:
        """The row's `parts` as stored, when none of them is a post (empty, or staged entries only); else None.
        Which entries are posts is bot.platforms.staged's to say, not SQL's: the caller's UPDATE requires this
        very value in its WHERE, so a part recorded after this read (by a claim that came first) makes it fail."""
        from bot.platforms.staged import posted  # here: the store's import stays free of the platforms package

        rows = self._exec(cur, "SELECT parts FROM outbox WHERE id = ?", (delivery_id,)).fetchall()
        if not rows or posted(json.loads(rows[0][0])):
            return None
        return str(rows[0][0])

    def retry_now(self, delivery_id: int, now: float) -> bool:
        """A post waiting to retry is due now (its schedule still applies); False when it is not waiting."""
        with self._transaction() as cur:
            cur = self._exec(cur, "UPDATE outbox SET due_at = ? WHERE id = ? AND state = ? AND due_at > ?",
                             (now, delivery_id, RETRY, now))
            return int(cur.rowcount) > 0

    # --- editors and the audit trail -----------------------------------------------------------

    def add_editor(self, editor: Editor) -> bool:
        """False when the name is taken (a revoked editor's name too: the audit trail keeps meaning them)."""
        with self._transaction() as cur:
            if self._exec(cur, "SELECT 1 FROM editors WHERE name = ?", (editor.name,)).fetchall():
                return False
            self._exec(cur, "INSERT INTO editors (name, token_id, token_hash, created_at) VALUES (?, ?, ?, ?)",
                       (editor.name, editor.token_id, editor.token_hash, editor.created_at))
            return True

    def _editors(self, where: str, params: Sequence[Any]) -> list[Editor]:
        rows = self._query("SELECT name, token_id, token_hash, created_at, revoked_at FROM editors " + where,
                           params)
        return [Editor(*row) for row in rows]

    def editor(self, name: str) -> Editor | None:
        found = self._editors("WHERE name = ?", (name,))
        return found[0] if found else None

    def editor_by_token_id(self, token_id: str) -> Editor | None:
        found = self._editors("WHERE token_id = ?", (token_id,))
        return found[0] if found else None

    def editors(self) -> list[Editor]:
        return self._editors("ORDER BY name", ())

    def revoke_editor(self, name: str, now: float) -> bool:
        with self._transaction() as cur:
            cur = self._exec(cur, "UPDATE editors SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                             (now, name))
            return int(cur.rowcount) > 0

    def record_audit(self, entries: Sequence[AuditEntry]) -> None:
        with self._transaction() as cur:
            for e in entries:
                self._exec(cur, "INSERT INTO audit (at, editor, via, action, delivery_id, platform, before_text, "
                                "after_text, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (e.at, e.editor, e.via, e.action, e.delivery_id, e.platform, e.before_text,
                            e.after_text, e.note))

    def audit(self, limit: int = 100, delivery_id: int | None = None) -> list[AuditEntry]:
        where, params = ("WHERE delivery_id = ? ", [delivery_id]) if delivery_id is not None else ("", [])
        rows = self._query("SELECT id, at, editor, via, action, delivery_id, platform, before_text, after_text, note "
                           f"FROM audit {where}ORDER BY at DESC, id DESC LIMIT ?", [*params, limit])
        return [AuditEntry(id=r[0], at=r[1], editor=r[2], via=r[3], action=r[4], delivery_id=r[5], platform=r[6],
                           before_text=r[7], after_text=r[8], note=r[9]) for r in rows]

    # --- alerts -------------------------------------------------------------------------------

    def alerts(self, limit: int = 50) -> list[Alert]:
        rows = self._query(f"SELECT {', '.join(_ALERT_COLUMNS)} FROM alerts ORDER BY first_seen_at DESC, key "
                           "LIMIT ?", (limit,))
        return [Alert(*r) for r in rows]

    def raise_alert(self, key: str, text: str, now: float) -> bool:
        """Record a condition the first time it is seen; True when it is new."""
        with self._transaction() as cur:
            cur = self._exec(cur, "INSERT INTO alerts (key, text, first_seen_at, attempts) VALUES (?, ?, ?, 0) "
                             "ON CONFLICT (key) DO NOTHING", (key, self._redact(text), now))
            return int(cur.rowcount) > 0

    def clear_alerts(self, keys: Iterable[str]) -> int:
        """The conditions are over: the next time one holds, it is a new event."""
        wanted = list(keys)
        if not wanted:
            return 0
        with self._transaction() as cur:
            cur = self._exec(cur, f"DELETE FROM alerts WHERE key IN ({', '.join('?' * len(wanted))})", wanted)
            return max(int(cur.rowcount), 0)

    def claim_alert(self, key: str, now: float) -> bool:
        """Take the sending of one alert: one worker sends it, once."""
        with self._transaction() as cur:
            cur = self._exec(cur, "UPDATE alerts SET sent_at = ?, attempts = attempts + 1 "
                             "WHERE key = ? AND sent_at IS NULL AND attempts < ?", (now, key, MAX_ALERT_ATTEMPTS))
            return int(cur.rowcount) > 0

    def alert_failed(self, key: str, error: str) -> None:
        with self._transaction() as cur:
            self._exec(cur, "UPDATE alerts SET sent_at = NULL, last_error = ? WHERE key = ?",
                       (self._redact(error), key))

    # --- platforms ------------------------------------------------------------------------------

    def platform_state(self, platform: str) -> PlatformState:
        rows = self._query(f"SELECT {', '.join(_PLATFORM_COLUMNS)} FROM platforms WHERE platform = ?", (platform,))
        return PlatformState(*rows[0]) if rows else PlatformState(platform=platform)

    def save_platform_state(self, state: PlatformState) -> None:
        state = replace(state, paused_reason=self._scrub(state.paused_reason),
                        last_error=self._scrub(state.last_error))
        values = [getattr(state, c) for c in _PLATFORM_COLUMNS]
        updates = ", ".join(f"{c} = excluded.{c}" for c in _PLATFORM_COLUMNS[1:])
        with self._transaction() as cur:
            self._exec(
                cur,
                f"INSERT INTO platforms ({', '.join(_PLATFORM_COLUMNS)}) VALUES ({', '.join('?' * len(values))}) "
                f"ON CONFLICT (platform) DO UPDATE SET {updates}",
                values,
            )

    def alert_acks(self) -> dict[str, AlertAck]:
        rows = self._query("SELECT alert_id, alert_key, editor, acknowledged_at FROM alert_acks")
        return {str(r[0]): AlertAck(str(r[0]), r[1], str(r[2]), float(r[3])) for r in rows}

    def acknowledge_alert(self, ack: AlertAck) -> bool:
        with self._transaction() as cur:
            done = self._exec(cur, "INSERT INTO alert_acks (alert_id, alert_key, editor, acknowledged_at) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (alert_id) DO NOTHING",
                              (ack.alert_id, ack.alert_key, ack.editor, ack.acknowledged_at))
            return bool(done.rowcount == 1)

    def drop_alert_acks(self, keep: Iterable[str]) -> int:
        kept = sorted(set(keep))
        with self._transaction() as cur:
            gone = [r[0] for r in self._exec(cur, "SELECT alert_id FROM alert_acks").fetchall() if r[0] not in kept]
            for alert_id in gone:
                self._exec(cur, "DELETE FROM alert_acks WHERE alert_id = ?", (alert_id,))
            return len(gone)

    def load_session(self, account: str) -> str | None:
        rows = self._query("SELECT sealed FROM sessions WHERE account = ?", (account,))
        return str(rows[0][0]) if rows else None

    def save_session(self, account: str, sealed: str, now: float) -> None:
        with self._transaction() as cur:
            self._exec(cur, "INSERT INTO sessions (account, sealed, saved_at) VALUES (?, ?, ?) ON CONFLICT "
                            "(account) DO UPDATE SET sealed = excluded.sealed, saved_at = excluded.saved_at",
                       (account, sealed, now))

    def drop_session(self, account: str) -> None:
        with self._transaction() as cur:
            self._exec(cur, "DELETE FROM sessions WHERE account = ?", (account,))


def _feed(row: Sequence[Any]) -> FeedState:
    values = dict(zip(_FEED_COLUMNS, row, strict=True))
    values.update({c: bool(values[c]) for c in _FEED_FLAGS})
    return FeedState(**values)


def _delivery(row: Sequence[Any]) -> Delivery:
    values = dict(zip(_DELIVERY_COLUMNS, row, strict=True))
    values["hashtags"] = tuple(json.loads(values["hashtags"]))
    values["thread"] = tuple(json.loads(values["thread"]))
    values["parts"] = tuple(json.loads(values["parts"]))
    values["uncertain"] = bool(values["uncertain"])
    return Delivery(**values)


