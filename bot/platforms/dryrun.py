"""Stands in for a network whose credentials are missing: shows the post, sends nothing."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from bot.models import Draft, PostResult
from bot.platforms.base import Account, PartsCallback, Quota

_counter = itertools.count(1)


class DryRunPlatform:
    def __init__(self, name: str, show: Callable[[str, Draft], None]) -> None:
        self.name = name
        self._show = show

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        self._show(self.name, draft)
        return PostResult(remote_id=f"dry-run-{next(_counter)}", url=None)

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        return None

    def quota(self) -> Quota | None:
        return None

    def verify(self) -> Account:
        return Account(id="dry-run", name="(dry run: no credentials)")

    def close(self) -> None:
        pass
