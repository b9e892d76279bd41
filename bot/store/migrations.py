"""Versioned schema, one list of steps shared by SQLite and Postgres.

Each step is applied once, in order, inside a transaction; `schema_version` remembers
how far a database has come. Types are the common subset: TEXT, INTEGER, and epoch
seconds as floating point ({real} is REAL on SQLite, DOUBLE PRECISION on Postgres).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: feeds, seen identities, the outbox, per-platform state
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY,
        current_url TEXT,
        etag TEXT,
        last_modified TEXT,
        baseline_done INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        next_attempt_at {real},
        last_error TEXT,
        last_checked_at {real},
        last_success_at {real}
    );
    CREATE TABLE seen (
        key TEXT PRIMARY KEY,
        article_key TEXT NOT NULL,
        feed_url TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL,
        published_at {real},
        first_seen_at {real} NOT NULL,
        last_seen_at {real} NOT NULL
    );
    CREATE INDEX seen_last_seen ON seen (last_seen_at);
    CREATE TABLE outbox (
        id {serial},
        article_key TEXT NOT NULL,
        platform TEXT NOT NULL,
        feed_url TEXT NOT NULL,
        article_url TEXT NOT NULL,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        link TEXT,
        hashtags TEXT NOT NULL,
        image_url TEXT,
        image_alt TEXT,
        thread TEXT NOT NULL,
        published_at {real},
        created_at {real} NOT NULL,
        state TEXT NOT NULL,
        due_at {real} NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_owner TEXT,
        lease_until {real},
        remote_id TEXT,
        remote_url TEXT,
        posted_at {real},
        last_error TEXT,
        UNIQUE (article_key, platform)
    );
    CREATE INDEX outbox_due ON outbox (platform, state, due_at);
    CREATE INDEX outbox_posted ON outbox (platform, posted_at);
    CREATE TABLE platforms (
        platform TEXT PRIMARY KEY,
        paused_reason TEXT,
        paused_at {real},
        last_error TEXT,
        last_error_at {real},
        quota_remaining INTEGER,
        quota_reset_at {real}
    );
    """,
    # 2: what a crash or an ambiguous error leaves behind. `uncertain`: an attempt may have reached the
    # platform, so look the post up before sending it again. `parts`: remote ids of the parts of an X thread
    # already posted (JSON list, the first is the root), so a crash mid-thread resumes instead of repeating.
    """
    ALTER TABLE outbox ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
    """,
    # 3: a feed's permanent redirect to another host is stored only once it has held for a day of polls;
    # until then it is a candidate, with the time it was first seen.
    """
    ALTER TABLE feeds ADD COLUMN move_candidate TEXT;
    ALTER TABLE feeds ADD COLUMN move_seen_since {real};
    """,
]
