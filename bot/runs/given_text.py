"""`bot post --text`: the drafts of a given text, each checked by its account's own rules before any is sent.

A given text is posted as it is, on every chosen account, or on none: one network posting it and another
refusing it afterwards is half a post that cannot be taken back. So everything that can be known before the
first request is checked for every account first: the text is not empty, it fits the account's own limit (a
Mastodon instance's, Bluesky's bytes as well as its graphemes), the account can post for real, and no two
accounts of one network get the same text (the networks' automation rules forbid duplicates across accounts).
Each draft is written for its account's network and carries the send key its network needs (Bluesky's record
key), exactly as a feed's post does (bot.poll.compose_drafts).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from bot import networks
from bot.compose.rules import NetworkRules
from bot.config import Config, missing_credentials
from bot.errors import ConfigError
from bot.models import Draft


def text_key(text: str) -> str:
    """The article key of a given text: the same text is one article, posted once per account."""
    return "text:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def text_drafts(config: Config, text: str, accounts: Sequence[str], sending: bool) -> list[Draft]:
    """One draft per account, or a ConfigError naming the first account that would refuse it (nothing sent).
    `sending`: for real (not --dry-run), so an account without credentials is a refusal, not a dry run."""
    if not text.strip():
        raise ConfigError("--text is empty: there is nothing to post", hint='give the text, e.g. --text "..."')
    if not accounts:
        raise ConfigError("no platform is enabled: there is nowhere to post --text",
                          hint="enable a [platforms.NAME] in the config")
    _one_account_per_network(config, accounts)
    if sending and config.missing_file is None:
        for name in accounts:
            missing = missing_credentials(config.platforms[name])
            if missing:
                raise ConfigError(f"--text: {name} has no credentials ({', '.join(missing)} not set): it could only "
                                  "show the post, and nothing was posted anywhere",
                                  hint="set them (README 'Credentials'), leave it out with --platform, "
                                  "or use --dry-run")
    key = text_key(text)
    drafts = []
    for name in accounts:
        account = config.platforms[name]
        network = networks.get(account.network)
        rules = _account_rules(network, account.endpoint)
        if not rules.fits(text):
            raise ConfigError(f"--text is too long for {name}: {_over(rules, text)}; nothing was posted anywhere",
                              hint="shorten it, or leave that account out with --platform")
        drafts.append(Draft(platform=name, article_key=key, text=text, network=network.name,
                            send_key=network.new_send_key() if network.new_send_key else None))
    return drafts


def _one_account_per_network(config: Config, accounts: Sequence[str]) -> None:
    by_network: dict[str, list[str]] = {}
    for name in accounts:
        by_network.setdefault(config.platforms[name].network, []).append(name)
    for network, names in by_network.items():
        if len(names) > 1:
            raise ConfigError(f"--text would go to {len(names)} accounts of {networks.get(network).title} "
                              f"({', '.join(names)}): the same text on several accounts of one network is what "
                              "its rules forbid; nothing was posted anywhere",
                              hint=f"choose one with --platform, e.g. --platform {names[0]}")


def _account_rules(network: networks.Network, endpoint: str) -> NetworkRules:
    # A Mastodon instance states its own limit (read once per process); other networks' rules are fixed.
    return network.account_rules(endpoint) if network.account_rules and endpoint else network.rules


def _over(rules: NetworkRules, text: str) -> str:
    used = rules.count(text)
    if used > rules.max_length:
        return f"it counts {used}, the limit is {rules.max_length}"
    return f"it is {len(text.encode())} bytes in UTF-8, the limit is {rules.max_bytes}"
