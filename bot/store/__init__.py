"""State: seen articles and the delivery outbox. SQLite by default, Postgres by DATABASE_URL."""

from __future__ import annotations

import importlib

from bot.errors import StoreError
from bot.store.base import Store

# scheme -> "module:Class"; a new backend is one more line.
BACKENDS = {
    "sqlite": "bot.store.sqlite:SqliteStore",
    "postgres": "bot.store.postgres:PostgresStore",
    "postgresql": "bot.store.postgres:PostgresStore",
}


def open_store(url: str, *, migrate: bool = True, reading: bool = False) -> Store:
    """`reading`: for commands that only read; a backend may then open a store it cannot write,
    which is checked instead of migrated."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    target = BACKENDS.get(scheme)
    if target is None:
        raise StoreError(f"DATABASE_URL scheme {scheme!r} is not supported",
                         hint="use sqlite:///bot.db or postgres://user:pass@host/db")
    module_name, class_name = target.split(":")
    store: Store = getattr(importlib.import_module(module_name), class_name)(url, reading=reading)
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
