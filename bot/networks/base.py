"""What the bot knows about one network, in one place: the `Network` descriptor.

A descriptor is plain data plus two functions (`build`, `new_send_key`). Importing one imports no client
library: `build` imports the network's platform class when an account is actually built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.compose.rules import NetworkRules
    from bot.config import PlatformConfig
    from bot.net.policy import Allowlist
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform
    from bot.store.base import Store

# How an attempt whose outcome is unknown (a timeout, a crash mid-call) is settled before any resend:
# "lookup": search the account's recent posts (X, Facebook, Mastodon); "read_back": read the exact record
# named by the send key (Bluesky); "hold": it cannot be looked up (Telegram), so the post is held for an
# editor and sent again only when one releases it (`bot retry`).
UnknownOutcome = Literal["lookup", "read_back", "hold"]
UNKNOWN_OUTCOMES: tuple[UnknownOutcome, ...] = ("lookup", "read_back", "hold")


@dataclass(frozen=True)
class Credential:
    """One environment variable of an account: `<ACCOUNT NAME UPPER>_<suffix>`."""

    suffix: str
    secret: bool = True
    what: str = ""  # for the README and messages, e.g. "the Page's id"


@dataclass(frozen=True)
class Option:
    """A per-network key of `[platforms.NAME]` (e.g. Mastodon's `visibility`)."""

    type: type | tuple[type, ...]
    default: Any
    choices: tuple[Any, ...] = ()  # empty: any value of the type
    what: str = ""


@dataclass(frozen=True)
class TokenLife:
    """How a network's tokens expire (bot.tokens keeps each account's, warns before the end, renews it)."""

    days: float  # how long a token lasts once made (Threads and LinkedIn: 60)
    # The youngest a token may be renewed, in days, where the bot can renew it itself; None: it cannot (a
    # person makes a new one, and the bot warns ahead).
    renew_after_days: float | None = None
    how: str = ""  # what a person does to get a new one, for the warnings


@dataclass(frozen=True)
class AccountContext:
    """Everything a network's builder gets for one account whose credentials are all set."""

    name: str  # the account ("x_fa"): its outbox rows, caps and state are keyed by it
    network: Network
    credentials: Mapping[str, str]  # suffix -> value; a secret one is a bot.config.Secret
    endpoint: str  # the API base URL, no trailing slash: every call of the account goes there
    options: Mapping[str, Any]  # the network's own options, defaults filled in
    settings: PlatformConfig  # the generic account settings (image, photo_posts, template, caps...)
    allow_private: Allowlist  # intranet hosts an image may come from
    store: Store | None = None  # for state a network keeps (a session); None in `bot check`
    secret_key: str | None = None  # BOT_SECRET_KEY: seals a renewed token in the store (bot.tokens)


@dataclass(frozen=True)
class Network:
    """One network. Registered by name (bot.networks.register); an account's `network =` names it."""

    name: str  # "twitter": the value of an account's `network` key, and the default account's name
    title: str  # "X (Twitter)": for people
    credentials: tuple[Credential, ...]
    endpoint: str  # env-var suffix of the API base URL, e.g. "API_URL"
    default_endpoint: str | None  # None: the endpoint variable is required (a Mastodon instance)
    rules: NetworkRules  # how text is counted and laid out (bot.compose.rules)
    build: Callable[[AccountContext], Platform]
    options: Mapping[str, Option] = field(default_factory=dict)
    unknown_outcome: UnknownOutcome = "lookup"
    idempotency_key: bool = False  # the network honours an idempotency key (the send key) on a post
    # Chosen when a post is queued and kept in its outbox row, then put on the draft (Draft.send_key) for
    # every attempt: an Idempotency-Key, a record key. None: the network needs none.
    new_send_key: Callable[[], str] | None = None
    # The rules as one account's server states them, from its endpoint (a Mastodon instance's own limit);
    # None: `rules` hold for every account of the network.
    account_rules: Callable[[str], NetworkRules] | None = None
    token_life: TokenLife | None = None  # None: the network's credentials do not expire by themselves
    # What the network itself turns into links, hashtags and mentions in a post's text (bot.networks.marks), from
    # the text, the draft's link and its hashtags: the editors' page draws these. None: nothing is drawn linked.
    marks: Callable[[str, str | None, Sequence[str]], Sequence[Mark]] | None = None

    def __post_init__(self) -> None:
        if self.unknown_outcome not in UNKNOWN_OUTCOMES:
            raise ValueError(f"{self.name}: unknown_outcome {self.unknown_outcome!r} is not one of {UNKNOWN_OUTCOMES}")

    def variable(self, account: str, suffix: str) -> str:
        return f"{account.upper()}_{suffix}"

    def credential_variables(self, account: str) -> list[str]:
        return [self.variable(account, c.suffix) for c in self.credentials]

    def endpoint_variable(self, account: str) -> str:
        return self.variable(account, self.endpoint)
