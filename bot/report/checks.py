"""A config that loads but cannot do what it is for: what `bot check` reports as problems (a report, beside
`bot status`; the worker also asks `cannot_post` of a reloaded config).

None of these stops the bot at its start (a cron of 30 February is an old way of switching a feed off, and
all platforms disabled is a way of stopping posting), but none of them is "all good" either. An edit that a
running worker reloads is another matter: one that cannot post anything (`cannot_post`) is most often a file
caught half-written, so the reload rejects it and the config in force stays (bot.worker).
"""

from __future__ import annotations

from bot import credentials, sandbox
from bot.config import Config
from bot.poll import feed_platforms
from bot.schedule import next_checks


def cannot_post(config: Config) -> str | None:
    """Why nothing of this config could ever be posted (no account enabled, or no feed reaches one); None when
    something can be."""
    if not config.platforms:
        return "no platform is enabled: nothing would ever be posted"
    if not any(feed_platforms(config, feed) for feed in config.feeds):
        return "no feed reaches an enabled platform: nothing would ever be posted"
    return None


def config_problems(config: Config, now: float) -> list[str]:
    """One line each, naming the feed or platform and what to change."""
    found: list[str] = []
    if not config.platforms:
        from bot import networks

        tables = " or ".join(f"[platforms.{name}]" for name in networks.names())
        found.append(f"no platform is enabled: nothing will ever be posted (add {tables}, or remove enabled = false)")
    else:
        for feed in config.feeds:
            if not feed_platforms(config, feed):
                found.append(f"feed {feed.name}: none of its platforms ({', '.join(feed.platforms)}) is enabled: "
                             "nothing from it will be posted")
    for feed in config.feeds:
        if feed.cron and not next_checks(feed, config.timezone, now, None, count=1):
            found.append(f"feed {feed.name}: cron {feed.cron!r} never fires (no such date): the feed is never "
                         'read; write a schedule that happens, e.g. "*/15 * * * *"')
    # A typo'd credential or endpoint variable is ignored, the account then runs dry or on the default endpoint.
    found += [f"{typo} is set, but no account reads it: did you mean {meant}?"
              for typo, meant in credentials.lookalikes(config.env.variables, config.declared_accounts)]
    return found + sandbox.problems(config)
