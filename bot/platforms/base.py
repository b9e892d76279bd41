"""The one interface every network implements, so the delivery loop never names a network."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.models import Draft, PostResult


@dataclass(frozen=True)
class Account:
    """Who we would post as, from a credentials check that posts nothing."""

    id: str
    name: str


class Platform(Protocol):
    name: str

    def publish(self, draft: Draft) -> PostResult:
        """Post the draft. Raises a bot.errors.PlatformError subclass on failure."""
        ...

    def find_existing(self, draft: Draft) -> PostResult | None:
        """Look among the account's recent posts for this draft (matched by its link, else its text).

        Used when an earlier attempt's outcome is unknown, so a post is never made twice.
        """
        ...

    def verify(self) -> Account:
        """Check the credentials without posting."""
        ...

    def close(self) -> None: ...
