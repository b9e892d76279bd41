"""Browser sessions kept on the server, in the database every web process shares.

The cookie carries a random session id (signed, with the CSRF token); the database keeps only a hash of it and
when it ends. Signing out deletes the row, so a cookie copied before then opens nothing, and the hash in the
database cannot be turned back into a cookie.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

from bot.store.base import Store

_PREFIX = "web-session:"


def _key(session_id: str) -> str:
    return _PREFIX + hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    def __init__(self, store: Store, lifetime: float, clock: Callable[[], float]) -> None:
        self._store, self._lifetime, self._clock = store, lifetime, clock

    def start(self) -> str:
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        self._store.save_session(_key(session_id), repr(now + self._lifetime), now)
        return session_id

    def valid(self, session_id: object) -> bool:
        if not isinstance(session_id, str) or not session_id:
            return False
        ends = self._store.load_session(_key(session_id))
        try:
            if ends is not None and float(ends) > self._clock():
                return True
        except ValueError:
            pass
        if ends is not None:
            self._store.drop_session(_key(session_id))  # over: nothing to keep
        return False

    def end(self, session_id: object) -> None:
        if isinstance(session_id, str) and session_id:
            self._store.drop_session(_key(session_id))
