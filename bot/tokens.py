"""Tokens that expire: how long each account's token has left, its renewal, and the warnings ahead of the end.

A network whose tokens expire says so in its descriptor (`Network.token_life`: Threads and LinkedIn, 60
days). Where the network tells when a token ends, the days are counted from its answer: Threads' debug_token,
asked by the keeper (`ask`, bot.platforms.expiry) the first time a token is used and again at most once a day
until it answers, and by `bot check`, which keeps no state; a renewal's `expires_in`. Where it does not (the
profile is no tester of the app, LinkedIn without the app's client id and secret), a token is counted from
when the bot first saw it (a new value in the environment starts the count again), which errs on the late side
by however old the token was when it was deployed: the README says to deploy a fresh one.

Where the network lets the bot renew a token (Threads: once it is a day old), the renewed token must outlive
a restart without being stored in clear: it is sealed with Fernet (`cryptography`) under BOT_SECRET_KEY and
kept in the store's sessions table (the row `token:<account>`), beside the fingerprint of the token deployed
in the environment it replaces. Without the key there is no renewal, and the warnings say so.

Warnings are alerts (bot.alerts): 14, 3 and 1 days before the end (one each), and when a renewal failed;
`bot check` and `bot status` show the days left and how they are known.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

    from bot.config import Config
    from bot.networks.base import TokenLife
    from bot.store.base import Store

log = logging.getLogger(__name__)
DAY = 86400.0
WARN_DAYS = (14, 3, 1)
RENEW_EVERY_DAYS = 7.0  # a renewable token is renewed a week after its last renewal: weeks of margin, few calls
ASK_EVERY = DAY  # a network that did not say when a token ends is asked again a day later, not at every post
# What a network says about a token: (when it ends, who said it: "Threads"), or None when it says it never ends.
Ask = Callable[[str], tuple[float, str] | None]


def row_key(account: str) -> str:
    return f"token:{account}"


def fingerprint(token: str) -> str:
    """Which token was deployed, without keeping it: a short hash (tokens are long random strings)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class TokenRecord:
    fingerprint: str  # of the token in the environment this record is about
    seen_at: float  # when the bot first saw that token
    expires_at: float  # when the token in use ends (counted from seen_at, or as a renewal said)
    said: bool  # True: the network said when (a renewal, its token debugger); False: counted from first sight
    renewed_at: float | None = None
    sealed: str | None = None  # the renewed token, Fernet-sealed; None: the environment's is in use
    failure: str | None = None  # why the last renewal failed, until one succeeds
    asked_at: float | None = None  # when the network was last asked when the token ends (`TokenKeeper.ask`)
    said_by: str | None = None  # who said when it ends, for people ("Threads"); None: a renewal, or nobody

    def days_left(self, now: float) -> float:
        return (self.expires_at - now) / DAY

    def dump(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @staticmethod
    def load(text: str) -> TokenRecord | None:
        try:
            values: dict[str, Any] = json.loads(text)
            return TokenRecord(**values)
        except (ValueError, TypeError):
            return None


def read(store: Store, account: str) -> TokenRecord | None:
    text = store.load_session(row_key(account))
    return TokenRecord.load(text) if text else None


class TokenKeeper:
    """One account's token: the one to use now, renewed when due (when the network allows and a key is set)."""

    def __init__(self, account: str, life: TokenLife, token: str, store: Store | None, secret_key: str | None,
                 clock: Callable[[], float] = time.time, ask: Ask | None = None) -> None:
        self.account = account
        self.life = life
        self._deployed = token
        self.store = store
        self._fernet = _fernet(secret_key) if secret_key else None
        self.clock = clock
        self.ask = ask  # the network's answer to "when does this token end?"; None: it cannot tell
        self._told: tuple[TokenRecord | None] | None = None  # without a store: the answer, asked once
        self._first_sight()  # the count of a token's days starts when an account is first built with it

    def record(self) -> TokenRecord | None:
        """This account's record for the token deployed now (a new token starts a new count), with the
        network's word on when it ends once it gave it. Without a store (`bot check`, which writes nothing) the
        network is asked once, and None when it does not say."""
        if self.store is None:
            if self._told is None:
                self._told = (self._asked_now(None),)
            return self._told[0]
        found = self._first_sight()
        if found is None or found.said or self.ask is None:
            return found
        if found.asked_at is not None and self.clock() - found.asked_at < ASK_EVERY:
            return found
        return self._asked_now(found)

    def _asked_now(self, found: TokenRecord | None) -> TokenRecord | None:
        """Ask the network when the deployed token ends; the record that says so (saved with a store), or the
        one found marked as asked (the network said nothing: asked again a day later)."""
        now = self.clock()
        told = None
        if self.ask is not None:
            try:
                told = self.ask(self._deployed)
            except Exception as exc:  # the count from first sight stands: never a reason not to post
                # INFO: a profile that is no tester of the app is ordinary, and asked again daily.
                log.info("%s: the network did not say when the access token ends (%s); its %g days are counted "
                         "from when the bot first saw it", self.account, _first_line(exc), self.life.days)
        base = found or TokenRecord(fingerprint=fingerprint(self._deployed), seen_at=now,
                                    expires_at=now + self.life.days * DAY, said=False)
        if told is None and found is None:
            return None
        updated = TokenRecord(**{**base.__dict__, "asked_at": now})
        if told is not None:
            updated = TokenRecord(**{**updated.__dict__, "expires_at": told[0], "said": True, "said_by": told[1]})
        if self.store is not None:
            # Another worker may have renewed the token while the network was asked: its record (the sealed
            # token) wins, never overwritten by an answer about the token it replaced.
            latest = read(self.store, self.account)
            if found is not None and latest != found:
                return self._first_sight()
            self.store.save_session(row_key(self.account), updated.dump(), now)
        return updated

    def _first_sight(self) -> TokenRecord | None:
        """The stored record of the token deployed now, made (counted from now) when there is none."""
        if self.store is None:
            return None
        mine = fingerprint(self._deployed)
        found = read(self.store, self.account)
        if found is not None and found.fingerprint == mine:
            return found
        now = self.clock()
        fresh = TokenRecord(fingerprint=mine, seen_at=now, expires_at=now + self.life.days * DAY, said=False)
        self.store.save_session(row_key(self.account), fresh.dump(), now)
        return fresh

    def token(self) -> str:
        """The renewed token when one is kept and readable, else the environment's."""
        record = self.record()
        if record is None or record.sealed is None or self._fernet is None:
            return self._deployed
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(record.sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            log.warning("%s: the renewed token kept in the database cannot be read with this BOT_SECRET_KEY; "
                        "using the one in the environment", self.account)
            return self._deployed

    def due(self) -> bool:
        """Whether to renew now: the network allows it, a key can seal the result, and the token in use is old
        enough (a day for Threads) and not renewed within the last week."""
        record = self.record()
        if record is None or self.life.renew_after_days is None or self._fernet is None:
            return False
        age = (self.clock() - (record.renewed_at or record.seen_at)) / DAY
        return age >= max(self.life.renew_after_days, RENEW_EVERY_DAYS if record.renewed_at else 0.0)

    def renew(self, exchange: Callable[[str], tuple[str, float]]) -> bool:
        """Renew through `exchange` (old token -> new token, seconds it lasts) and keep the result sealed;
        False, remembered for the warnings, when it failed. Never raises: posting goes on with the old one."""
        record = self.record()
        if record is None or self._fernet is None or self.store is None:
            return False
        now = self.clock()
        try:
            new, lasts = exchange(self.token())
        except Exception as exc:  # a renewal that fails must not stop the post; the alert says so
            failure = _first_line(exc)
            self.store.save_session(row_key(self.account), TokenRecord(**{**record.__dict__,
                                                                          "failure": failure[:300]}).dump(), now)
            log.error("%s: renewing the access token failed: %s", self.account, failure)
            return False
        sealed = self._fernet.encrypt(new.encode("utf-8")).decode("ascii")
        renewed = TokenRecord(fingerprint=record.fingerprint, seen_at=record.seen_at, expires_at=now + lasts,
                              said=True, renewed_at=now, sealed=sealed)
        self.store.save_session(row_key(self.account), renewed.dump(), now)
        log.info("%s: access token renewed; it now lasts until %s", self.account, _day(now + lasts))
        return True


def describe(record: TokenRecord | None, life: TokenLife, now: float) -> str:
    """For `bot check`: the days left and how that is known."""
    if record is None:
        return f"token: lasts {life.days:g} days from when it was made"
    if record.said_by:
        how = f"as {record.said_by} says"
    else:
        how = "as the network said at its renewal" if record.said else "counted from when the bot first saw it"
    return f"token: {record.days_left(now):.0f} days left (until {_day(record.expires_at)}, {how})"


def account_line(store: Store, account: str, network: str, now: float) -> str | None:
    """The token line of an account whose network's tokens expire (`bot status`, the editors' page); None
    where they do not."""
    from bot import networks

    life = networks.get(network).token_life
    return describe(read(store, account), life, now) if life else None


def _fernet(secret_key: str) -> Fernet:
    # cryptography is imported only where a key seals or opens a token: every `bot run --once` checks the
    # tokens' alerts (conditions), and importing it there was a tenth of a pass over unchanged feeds.
    from cryptography.fernet import Fernet

    return Fernet(secret_key.encode("ascii"))


def conditions(config: Config, store: Store, now: float) -> dict[str, tuple[str, float]]:
    """Alerts (bot.alerts) for tokens near their end: key -> (text, 0). One key per threshold passed, so 14,
    3 and 1 days each send once; a failed renewal is one more."""
    from bot import networks

    found: dict[str, tuple[str, float]] = {}
    for name, settings in config.platforms.items():
        try:
            life = networks.get(settings.network).token_life
        except KeyError:
            continue
        record = read(store, name) if life is not None else None
        if life is None or record is None:
            continue
        left = record.days_left(now)
        passed = [d for d in WARN_DAYS if left <= d]
        if passed:
            found[f"token:{name}:{min(passed)}"] = (_warning(name, life, record, left, config.env.secret_key), 0.0)
        if record.failure:
            found[f"token-renewal:{name}"] = (f"bot: renewing {name}'s access token failed: {record.failure}; "
                                              f"{life.how}", 0.0)
    return found


def _warning(name: str, life: TokenLife, record: TokenRecord, left: float, key: str | None) -> str:
    when = "has expired" if left <= 0 else f"expires in {math.ceil(left)} day(s), on {_day(record.expires_at)}"
    text = f"bot: {name}'s access token {when}: {life.how}"
    if life.renew_after_days is not None and not key:
        text += "; or set BOT_SECRET_KEY, and the bot renews it itself"
    return text


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")

