"""State: seen articles and the delivery outbox. SQLite by default, Postgres by DATABASE_URL."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable

from bot.errors import ConfigError
from bot.store.base import Store

# scheme -> "module:Class"; a new backend is one more line.
BACKENDS = {
    "sqlite": "bot.store.sqlite:SqliteStore",
    "postgres": "bot.store.postgres:PostgresStore",
    "postgresql": "bot.store.postgres:PostgresStore",
}


def open_store(url: str, *, migrate: bool = True, reading: bool = False, secrets: Iterable[str] = (),
               lock_timeout: float | None = None) -> Store:
    """The store for DATABASE_URL (bot.config checks its syntax first). `secrets` are hidden from every
    error text it stores, as they are from the logs: an API's error body may quote a token. `lock_timeout`:
    the longest wait, in seconds, for a lock another process holds, after which the call fails with a
    StoreError (None: the backend's own default). `reading`: for commands that only read; a backend may
    then open a store it cannot write, which is checked instead of migrated."""
    scheme = url.split(":", 1)[0]
    target = BACKENDS.get(scheme.split("+", 1)[0].lower())
    if target is None:
        # Never the value itself: it may hold a password.
        named = f"scheme {scheme!r}" if ":" in url and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) \
            else "without a scheme (sqlite: or postgres:)"
        raise ConfigError(f"DATABASE_URL {named} is not supported",
                          hint="use sqlite:///bot.db or postgres://user:pass@host/db")
    module_name, class_name = target.split(":")
    store: Store = getattr(importlib.import_module(module_name), class_name)(url, secrets=secrets,
                                                                             lock_timeout=lock_timeout,
                                                                             reading=reading)
    try:
        if store.read_only:
            store.check_schema()
        elif migrate:
            store.migrate()
    except BaseException:
        store.close()
        raise
    return store


__all__ = ["Store", "open_store"]
