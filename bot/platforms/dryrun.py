"""Stand-ins for an account that does not post: one that shows a post and records it shown (dry-run), one that
keeps its posts queued until the account's credentials are set (AwaitingCredentials)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from bot.errors import NeedsHumanError
from bot.models import Draft, PostResult
from bot.platforms.base import Account, PartsCallback, Quota

_counter = itertools.count(1)


class DryRunPlatform:
    """Shows the post; delivery records it shown (state dry_run), never to be sent. Only for what can never be
    sent (the bundled sample, the built-in defaults: bot.sandbox) and for an explicit dry run."""

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


class AwaitingCredentials:
    """An account none of whose credential variables is set: its real posts wait in the queue, untouched, and go
    out once the credentials are set (a post shown and recorded done would never be sent: issue 21).

    Bot.deliver never hands it a post (bot.delivery.awaiting shows the new ones and hands the sample's to a
    DryRunPlatform). A path that does (`bot post`) gets NeedsHumanError: the delivery loop gives the post back
    to the queue unsent and pauses the account until credentials work, which is what the account needs."""

    def __init__(self, name: str, missing: Sequence[str], show: Callable[[str, Draft], None]) -> None:
        self.name = name
        self.missing = tuple(missing)  # variable names only, never values
        self.show = show

    @property
    def reason(self) -> str:
        return f"credentials not set ({', '.join(self.missing)})"

    def _refuse(self) -> NeedsHumanError:
        return NeedsHumanError(self.reason, platform=self.name, hint=f"set {', '.join(self.missing)}",
                               not_sent=True)

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        raise self._refuse()

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        return None  # nothing can have been sent without credentials

    def quota(self) -> Quota | None:
        return None

    def verify(self) -> Account:
        raise self._refuse()

    def close(self) -> None:
        pass
