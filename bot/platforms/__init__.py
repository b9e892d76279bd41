"""Accounts behind one interface, built from their network's descriptor (bot.networks).

Only this package imports a network's client library (tweepy, facebook-sdk), and only when an account
with credentials is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.config import Config, missing_credentials
from bot.models import Draft
from bot.platforms.base import Account, Platform
from bot.platforms.dryrun import DryRunPlatform

if TYPE_CHECKING:
    from bot.store.base import Store


def build_account(config: Config, name: str, store: Store | None = None) -> Platform | None:
    """The real client of an enabled account, through its network's builder; None when a credential
    variable is not set (the account then runs dry)."""
    from bot import networks
    from bot.networks.base import AccountContext

    settings = config.platforms[name]
    if missing_credentials(settings) or settings.credentials is None:
        return None
    network = networks.get(settings.network)
    return network.build(AccountContext(
        name=name, network=network, credentials=dict(settings.credentials), endpoint=settings.endpoint,
        options=dict(settings.options), settings=settings, allow_private=config.allow_private, store=store,
        secret_key=config.env.secret_key,
    ))


def build_platform(config: Config, name: str, dry_run: bool, show: Callable[[str, Draft], None],
                   store: Store | None = None) -> Platform:
    """The real client, or a dry-run stand-in when asked, when credentials are missing, or when no config
    file was found (the built-in defaults are for trying the bot out: bot.sandbox)."""
    if not dry_run and config.missing_file is None:
        platform = build_account(config, name, store)
        if platform is not None:
            return platform
    return DryRunPlatform(name, show)


__all__ = ["Account", "Platform", "build_account", "build_platform"]
