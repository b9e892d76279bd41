"""Versioned schema, one list of steps shared by SQLite and Postgres.

Each step is applied once, in order, inside a transaction; `schema_version` remembers
how far a database has come. Types are the common subset: TEXT, INTEGER, and epoch
seconds as floating point ({real} is REAL on SQLite, DOUBLE PRECISION on Postgres).
"""

from __future__ import annotations


def _v3_opaque(column: str) -> str:
    """SQL: `column` is an identity that migration 3 scopes by its feed. A frozen copy of
    bot.feeds.identity.GLOBAL_PREFIXES as it was then (a migration must not change with later code).
    substr, not LIKE: LIKE ignores case on SQLite and not on Postgres."""
    return (f"substr({column}, 1, 7) <> 'http://' AND substr({column}, 1, 8) <> 'https://' "
            f"AND substr({column}, 1, 3) <> 'wp:' AND substr({column}, 1, 7) <> 'sha256:'")


def _v3_feed_of(table: str, url: str) -> str:
    """SQL: the feed a `bot post URL` row belongs to. Such a row took the article_key of the feed
    entry it matched: that entry's feed is the one of the feed row keyed by the article's URL and
    pointing at that key, else of the feed row keyed by that key itself."""
    return (f"COALESCE((SELECT s.feed_url FROM seen s WHERE s.key = {table}.{url} "
            f"AND s.article_key = {table}.article_key AND s.feed_url <> 'cli'), "
            f"(SELECT s.feed_url FROM seen s WHERE s.key = {table}.article_key AND s.feed_url <> 'cli'))")


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
    # 3: an opaque id (a guid that is not a URL) names an entry only within its feed, so two feeds'
    # guid "1" are two articles: such keys become "feed:<feed url> <id>" (bot.feeds.identity.scoped),
    # in `seen` and in the outbox alike, so nothing recorded is new again and `bot post URL` still
    # finds what was posted. Rows of `bot post` (feed_url 'cli') are scoped by the feed whose key they
    # took; its own "text:" keys stay. `seen_url`: an entry whose link stopped or started being shared
    # is looked up by link (bot.poll). `legacy_links`: see FeedState.
    f"""
    UPDATE outbox SET article_key = COALESCE('feed:' || {_v3_feed_of("outbox", "article_url")} || ' ' || article_key,
                                             article_key)
        WHERE feed_url = 'cli' AND {_v3_opaque("article_key")} AND substr(article_key, 1, 5) <> 'text:';
    UPDATE seen SET article_key = COALESCE('feed:' || {_v3_feed_of("seen", "url")} || ' ' || article_key, article_key)
        WHERE feed_url = 'cli' AND {_v3_opaque("article_key")} AND substr(article_key, 1, 5) <> 'text:';
    UPDATE outbox SET article_key = 'feed:' || feed_url || ' ' || article_key
        WHERE feed_url <> 'cli' AND {_v3_opaque("article_key")};
    UPDATE seen SET article_key = 'feed:' || feed_url || ' ' || article_key
        WHERE feed_url <> 'cli' AND {_v3_opaque("article_key")};
    UPDATE seen SET key = 'feed:' || feed_url || ' ' || key WHERE feed_url <> 'cli' AND {_v3_opaque("key")};
    CREATE INDEX seen_url ON seen (url);
    ALTER TABLE feeds ADD COLUMN legacy_links INTEGER NOT NULL DEFAULT 0;
    UPDATE feeds SET legacy_links = 1;
    """,
    # 4: the flood guard. A look at a feed that finds more new articles than its flood_limit queues none and
    # pauses the feed: how many it held and when, until an editor releases it.
    """
    ALTER TABLE feeds ADD COLUMN flood_held INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE feeds ADD COLUMN flood_at {real};
    """,
    # 5: a feed's permanent redirect to another host is stored only once it has held for a day of polls;
    # until then it is a candidate, with the time it was first seen.
    """
    ALTER TABLE feeds ADD COLUMN move_candidate TEXT;
    ALTER TABLE feeds ADD COLUMN move_seen_since {real};
    """,
    # 6: accounts behind network descriptors (bot.networks). `send_key`: chosen when a post is queued and the
    # same for every attempt (an Idempotency-Key, a record key); NULL for networks that need none. The state
    # 'held' (an unknown outcome a network cannot look up) needs no schema change.
    """
    ALTER TABLE outbox ADD COLUMN send_key TEXT;
    """,
    # 7: workers on one database share the feeds. A feed is
    # next due at `next_due` (the database's clock; NULL: now) and polled by whichever worker claims it: the
    # claim is a lease (`claim_owner`, an owner id as in the outbox, until `claim_until`) that dies with its
    # holder. `polled_by`/`polled_at`: who looked last, and when. `workers`: each live worker and its
    # heartbeat, so that a worker takes its share of the due feeds, not all of them.
    """
    ALTER TABLE feeds ADD COLUMN next_due {real};
    ALTER TABLE feeds ADD COLUMN claim_owner TEXT;
    ALTER TABLE feeds ADD COLUMN claim_until {real};
    ALTER TABLE feeds ADD COLUMN polled_by TEXT;
    ALTER TABLE feeds ADD COLUMN polled_at {real};
    CREATE INDEX feeds_due ON feeds (next_due);
    CREATE TABLE workers (
        owner TEXT PRIMARY KEY,
        started_at {real} NOT NULL,
        seen_until {real} NOT NULL
    );
    """,
    # 8: the article's language (ISO 639-1), kept with the post, for the
    # networks that label posts with it (Mastodon's `language`, Bluesky's `langs`).
    """
    ALTER TABLE outbox ADD COLUMN language TEXT;
    """,
    # 9: review. `review_until`: held for an editor until then (state 'review'); the edit counter and when,
    # approval and skip times. `alerts`: each condition an editor is told about, once (bot.alerts).
    """
    ALTER TABLE outbox ADD COLUMN review_until {real};
    ALTER TABLE outbox ADD COLUMN edit_version INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE outbox ADD COLUMN edited_at {real};
    ALTER TABLE outbox ADD COLUMN approved_at {real};
    ALTER TABLE outbox ADD COLUMN skipped_at {real};
    CREATE TABLE alerts (
        key TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        first_seen_at {real} NOT NULL,
        sent_at {real},
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );
    """,
    # 10: a network's login session kept across processes (Bluesky: logins are limited to ~300 a day), sealed
    # with a key derived from the account's secret (bot.platforms.sealed): the database never holds it in
    # the clear. A description for a link card, composed when the post is queued like the rest of it.
    """
    CREATE TABLE sessions (
        account TEXT PRIMARY KEY,
        sealed TEXT NOT NULL,
        saved_at {real} NOT NULL
    );
    ALTER TABLE outbox ADD COLUMN description TEXT;
    """,
    # 11: the feeds a worker holds, found without reading every feed: each claim round renews its own claims
    # and lists the other holders (10,000 feeds, three workers: hundreds of rounds a cycle).
    """
    CREATE INDEX feeds_claimed ON feeds (claim_owner) WHERE claim_owner IS NOT NULL;
    """,
    # 12: named editors (each token kept only as a scrypt hash, found by its public id) and the audit trail
    # of what people did to posts: who, when, through what, and an edit's text before and after.
    """
    CREATE TABLE editors (
        name TEXT PRIMARY KEY,
        token_id TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        created_at {real} NOT NULL,
        revoked_at {real}
    );
    CREATE TABLE audit (
        id {serial},
        at {real} NOT NULL,
        editor TEXT NOT NULL,
        via TEXT NOT NULL,
        action TEXT NOT NULL,
        delivery_id INTEGER,
        platform TEXT,
        before_text TEXT,
        after_text TEXT,
        note TEXT NOT NULL
    );
    CREATE INDEX audit_by_post ON audit (delivery_id);
    """,
    # 13: editors' acknowledgements of the page's alerts get their own table (they were rows of `sessions`,
    # keyed "web-ack:<fingerprint>", beside login sessions): the fingerprint names one alert as it holds now
    # (bot.web.alerts), `alert_key` the condition it is of (NULL for those moved here), who saw it and when.
    """
    CREATE TABLE alert_acks (
        alert_id TEXT PRIMARY KEY,
        alert_key TEXT,
        editor TEXT NOT NULL,
        acknowledged_at {real} NOT NULL
    );
    INSERT INTO alert_acks (alert_id, alert_key, editor, acknowledged_at)
        SELECT substr(account, 9), NULL, sealed, saved_at FROM sessions WHERE substr(account, 1, 8) = 'web-ack:';
    DELETE FROM sessions WHERE substr(account, 1, 8) = 'web-ack:';
    """,
]
