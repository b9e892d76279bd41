"""The registry of networks: one `Network` descriptor per network, keyed by its name.

Config validation, environment reading, redaction, builders, `bot check` and `bot status` all derive from
it. Adding a network is one module here (its descriptor, registered with `register`), its name in
`_BUILT_IN`, its platform class in bot.platforms, its fake and its tests.
"""

from __future__ import annotations

import importlib

from bot.networks.base import UNKNOWN_OUTCOMES, AccountContext, Credential, Network, Option, UnknownOutcome

__all__ = ["UNKNOWN_OUTCOMES", "AccountContext", "Credential", "Network", "Option", "UnknownOutcome", "get",
           "names", "networks", "register", "unregister"]

_REGISTRY: dict[str, Network] = {}
# Modules of bot.networks that register a network when imported, in the order they are listed to users.
_BUILT_IN = ("twitter", "facebook", "mastodon", "bluesky", "telegram", "threads", "linkedin")
_loaded = False


def register(network: Network) -> Network:
    """Add a network (a test may register its own); its compose rules become rules_for(name)."""
    from bot.compose.rules import register as register_rules

    _REGISTRY[network.name] = network
    register_rules(network.rules)
    return network


def unregister(name: str) -> None:
    """Remove a network registered by a test, with its compose rules."""
    from bot.compose.rules import unregister as unregister_rules

    _REGISTRY.pop(name, None)
    unregister_rules(name)


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for module in _BUILT_IN:
            importlib.import_module(f"bot.networks.{module}")


def get(name: str) -> Network:
    """The network by name; KeyError when there is none."""
    _load()
    return _REGISTRY[name]


def _ordered() -> list[Network]:
    """Built-in networks in _BUILT_IN's order (whichever module happened to be imported first), then the rest."""
    _load()
    rank = {name: i for i, name in enumerate(_BUILT_IN)}
    return sorted(_REGISTRY.values(), key=lambda n: rank.get(n.name, len(rank)))


def names() -> tuple[str, ...]:
    return tuple(n.name for n in _ordered())


def networks() -> tuple[Network, ...]:
    return tuple(_ordered())
