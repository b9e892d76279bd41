"""An account with no credentials set: its posts wait in the queue for them (issue 21 item 10).

Such an account used to run dry: each post was shown and recorded done, so once an editor set the credentials,
the articles shown meanwhile were never posted. Now a real article's post stays queued, untouched, and the
first run with the credentials sends it, exactly once, through the normal delivery (its lease, its lookup,
the gates of the moment: bot.delivery.gate drops one older than max_age_days, review holds it). Only the
bundled sample's posts are still shown and recorded done: they can never be sent (bot.sandbox).

What an editor sees: each waiting post shown once, as a dry run shows it, by the process that queued it (a
`bot run --once`, or a worker in the round after its poll); then one line per account saying how many wait
and for which variables. A post is "new" to a process when it was queued after that process started, so a
second run does not show the first run's posts again; with several workers each shows what was queued while
it ran (showing is for a person; nothing is sent or recorded by it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot import networks
from bot.config import Config, missing_credentials
from bot.delivery.gate import stored_feeds, why_not
from bot.delivery.loop import DeliveryReport, deliver_platform, draft_of
from bot.models import Draft
from bot.platforms.dryrun import AwaitingCredentials, DryRunPlatform
from bot.retries import Tuning
from bot.sandbox import is_sample_feed
from bot.store.base import QUEUED, RETRY, Delivery, Store


def awaits_credentials(config: Config, name: str) -> list[str]:
    """The variables account `name` waits for (empty: it can post, or it is for trying out and never posts).

    An account with some of its credentials set is refused at load (bot.credentials.partial), so one that
    misses any misses them all. With no config file every account runs on the built-in defaults, whose posts
    are only ever shown (bot.sandbox): those wait for nothing."""
    pconf = config.platforms.get(name)
    if pconf is None or config.missing_file is not None:
        return []
    # An account only the bundled sample reaches (the README's first run on config/bot.toml) waits for nothing:
    # the sample is only ever shown.
    feeds = [f for f in config.feeds if name in (f.platforms or tuple(config.platforms))]
    if feeds and all(is_sample_feed(f.url) for f in feeds):
        return []
    return missing_credentials(pconf)


def line(name: str, missing: Sequence[str], count: int) -> str:
    """The one line per account and run (variable names only: no value is ever at hand here)."""
    variables = ", ".join(missing)
    if count:
        return f"{name}: {count} post(s) wait for credentials ({variables} unset); they go out once set"
    return f"{name}: credentials not set ({variables}); a real article's post waits for them and goes out once set"


@dataclass
class Sight:
    """What one process has shown of one account's waiting posts, and the count it last said."""

    since: float  # posts queued from this instant on are new to this process (the host's clock, as created_at)
    shown: set[int] = field(default_factory=set)
    said: int | None = None

    def new(self, rows: Sequence[Delivery]) -> list[Delivery]:
        fresh = [r for r in rows if r.created_at >= self.since and r.id not in self.shown]
        self.shown.update(r.id for r in fresh)
        return fresh


@dataclass
class Waiting:
    report: DeliveryReport
    count: int  # real posts that wait for the credentials and would go out once they are set
    shown: int  # of them, shown for the first time by this round


def deliver_awaiting(config: Config, store: Store, platform: AwaitingCredentials, owner: str, sight: Sight,
                     now: float, show: Callable[[str, Draft], None], stop: threading.Event | None = None,
                     tuning: Tuning | None = None) -> Waiting:
    """One delivery round of an account that waits for credentials: the sample's posts are shown and recorded
    (through the normal delivery, each by its own key, with a dry-run stand-in), the new real ones shown, and
    every real one left in the queue as it is."""
    report = DeliveryReport()
    name = platform.name
    _unpause(store, platform)
    stand_in = DryRunPlatform(name, show)
    rows = store.deliveries(states=(QUEUED, RETRY), platform=name, limit=100_000, newest_first=False)
    rows.sort(key=lambda d: (d.published_at or d.created_at, d.id))  # the order they would go out in
    real: list[Delivery] = []
    for d in rows:
        if not is_sample_feed(d.feed_url):
            real.append(d)
        elif not (stop and stop.is_set()):
            one = deliver_platform(config, store, stand_in, owner, stop, article_key=d.article_key, tuning=tuning,
                                   show=show)
            report.posted += one.posted
            report.failed += one.failed
            report.held += one.held
            report.withheld += one.withheld
    network = networks.get(config.platforms[name].network).name
    fresh = sight.new(real)
    for d in fresh:
        show(name, draft_of(d, network))
    # What the gates would hold back or drop when it comes up is not counted as going out (bot queue says why).
    known = stored_feeds(store)
    count = sum(1 for d in real if why_not(config, d, now, known) is None)
    return Waiting(report, count, len(fresh))


def _unpause(store: Store, platform: AwaitingCredentials) -> None:
    """A post handed to the account by another path (`bot post`) paused it for want of credentials: that is
    what waiting already says, and the pause would otherwise be lifted with a line saying they work."""
    from dataclasses import replace

    state = store.platform_state(platform.name)
    if state.paused_reason and state.paused_reason.startswith(platform.reason):
        store.save_platform_state(replace(state, paused_reason=None, paused_at=None))
