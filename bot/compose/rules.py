"""Per-network limits and counting rules, in one registry.

A network's rules are part of its descriptor (bot.networks), which registers them here: its name, its
limit, how it counts, and whether the link goes inside the text or beside it (a preview card).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

__all__ = ["NetworkRules", "graphemes", "known_platforms", "register", "rules_for", "unregister"]

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
    mentions: bool = False  # whether "@name" in the text notifies that account
    max_bytes: int | None = None  # a limit on the UTF-8 length besides the counted one (Bluesky: 3,000)
    aliases: tuple[str, ...] = ()  # other names rules_for accepts ("x")

    def count(self, text: str) -> int:
        return self.counter(text)

    def fits(self, text: str, reserve: int = 0) -> bool:
        if self.counter(text) + reserve > self.max_length:
            return False
        return self.max_bytes is None or len(text.encode("utf-8")) + reserve <= self.max_bytes


def _codepoints_urls_23(text: str) -> int:
    """Mastodon: characters, every URL counted as 23."""
    from bot.compose import xtext

    total = len(text)
    for _url, start, end in xtext.extract_urls(text):
        total += 23 - (end - start)
    return total


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


def _registered() -> None:
    """The networks' descriptors register their rules when the registry loads."""
    from bot import networks

    networks.names()


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


register(
    NetworkRules(
        name="mastodon",
        max_length=500,
        counter=_codepoints_urls_23,
        url_length=23,
        link_placement="inline",
        default_template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}",
        default_max_hashtags=3,
        default_summary_sentences=2,
        threads=True,
        mentions=True,
    )
)
