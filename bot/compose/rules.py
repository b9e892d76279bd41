"""Per-network limits and counting rules, in one registry.

A network's rules are part of its descriptor (bot.networks), which registers them here: its name, its
limit, how it counts, and whether the link goes inside the text or beside it (a preview card).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

__all__ = ["NetworkRules", "for_instance", "graphemes", "known_platforms", "mastodon_count", "register",
           "rules_for", "unregister"]

LinkPlacement = Literal["inline", "beside"]


@dataclass(frozen=True)
class NetworkRules:
    name: str
    max_length: int
    counter: Callable[[str], int]
    url_length: int | None  # what a URL counts, if the network shortens links; None = as typed
    link_placement: LinkPlacement  # "beside": sent as Draft.link, the network shows a card
    default_template: str
    default_max_hashtags: int
    default_summary_sentences: int
    default_summary_max_chars: int | None = None
    threads: bool = False  # whether the network can chain replies into a thread
    # Which of bot.compose.mentions' rules says where "@name" in the text notifies an account ("twitter",
    # "mastodon", ...); None: text mentions no one there (Bluesky's are facets, never sent).
    mentions: str | None = None
    # Which hashtag names the network links whole (None: any twitter-text hashtag); others are not used.
    hashtag_ok: Callable[[str], bool] | None = None
    max_bytes: int | None = None  # a limit on the UTF-8 length besides the counted one (Bluesky: 3,000)
    aliases: tuple[str, ...] = ()  # other names rules_for accepts ("x")
    # How the article's link is written in the text, where the network shows links short and carries the
    # address elsewhere (Bluesky: "host/path-start...", the address in the link facet). None: as it is.
    link_text: Callable[[str], str] | None = None

    def shown_link(self, url: str) -> str:
        return self.link_text(url) if self.link_text and url else url

    def count(self, text: str) -> int:
        return self.counter(text)

    def fits(self, text: str, reserve: int = 0) -> bool:
        if self.counter(text) + reserve > self.max_length:
            return False
        return self.max_bytes is None or len(text.encode("utf-8")) + reserve <= self.max_bytes


def mastodon_count(text: str) -> int:
    """Mastodon with its default 23 characters a URL (bot.compose.mastodon: for_instance has the others)."""
    from bot.compose import mastodon

    return mastodon.count(text)


def for_instance(rules: NetworkRules, max_characters: int, reserved_per_url: int) -> NetworkRules:
    """`rules` with one Mastodon instance's own limit and URL weight (its /api/v2/instance)."""
    from functools import partial

    from bot.compose import mastodon

    return replace(rules, max_length=max_characters, url_length=reserved_per_url,
                   counter=partial(mastodon.count, reserved_per_url=reserved_per_url))


@lru_cache(maxsize=1)
def _grapheme() -> Any:
    import regex  # type: ignore[import-untyped]  # here: reading a config loads these rules, not the counter

    return regex.compile(r"\X")


def graphemes(text: str) -> int:
    """Bluesky: grapheme clusters, URLs counted in full."""
    return len(_grapheme().findall(text))


_REGISTRY: dict[str, NetworkRules] = {}
_ALIASES: dict[str, str] = {}


def register(rules: NetworkRules) -> None:
    _REGISTRY[rules.name] = rules
    _ALIASES.update(dict.fromkeys(rules.aliases, rules.name))


def unregister(name: str) -> None:
    """Remove a network's rules (one a test registered)."""
    _REGISTRY.pop(name, None)
    for alias in [a for a, n in _ALIASES.items() if n == name]:
        del _ALIASES[alias]


_networks_loaded = False


def _registered() -> None:
    """The networks' descriptors register their rules when the registry loads (once: every post asks)."""
    global _networks_loaded
    if not _networks_loaded:
        from bot import networks

        networks.names()
        _networks_loaded = True


def known_platforms() -> tuple[str, ...]:
    _registered()
    return tuple(_REGISTRY)


def rules_for(platform: str) -> NetworkRules:
    """The rules of a network by its name (a network's, not an account's: see bot.networks)."""
    _registered()
    name = platform.strip().lower()
    name = _ALIASES.get(name, name)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"unknown platform {platform!r}; known platforms: {known}") from None
