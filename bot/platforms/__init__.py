"""Networks behind one interface, built by name. Adding one is a module plus a line in BUILDERS.

Only this package imports tweepy or facebook-sdk, and only when a platform is built.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.config import Config, PlatformConfig
from bot.models import Draft
from bot.platforms.base import Account, Platform
from bot.platforms.dryrun import DryRunPlatform


def _twitter(config: Config, platform: PlatformConfig) -> Platform | None:
    if config.env.twitter is None:
        return None
    from bot.platforms.twitter import TwitterPlatform

    return TwitterPlatform(config.env.twitter, config.env.twitter_api_url, upload_images=platform.image,
                           allow_private=config.allow_private)


def _facebook(config: Config, platform: PlatformConfig) -> Platform | None:
    if config.env.facebook is None:
        return None
    from bot.platforms.facebook import FacebookPlatform

    return FacebookPlatform(config.env.facebook, config.env.facebook_graph_url, photo_posts=platform.photo_posts)


# name -> builder; a builder returns None when the credentials are missing (the platform then runs dry).
BUILDERS: dict[str, Callable[[Config, PlatformConfig], Platform | None]] = {
    "twitter": _twitter,
    "facebook": _facebook,
}


def build_platform(config: Config, name: str, dry_run: bool, show: Callable[[str, Draft], None]) -> Platform:
    """The real client, or a dry-run stand-in when asked, when credentials are missing, or when no config
    file was found (the built-in defaults are for trying the bot out: bot.sandbox)."""
    if not dry_run and config.missing_file is None:
        platform = BUILDERS[name](config, config.platforms[name])
        if platform is not None:
            return platform
    return DryRunPlatform(name, show)


__all__ = ["BUILDERS", "Account", "Platform", "build_platform"]
