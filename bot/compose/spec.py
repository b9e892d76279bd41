"""What the editors asked for one platform: template, hashtag rules, thread option."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["ComposeSpec", "FrozenMap", "HashtagMode"]

HashtagMode = Literal["append", "inline"]


class FrozenMap(Mapping[str, str]):
    """An immutable, hashable, order-preserving str -> str mapping.

    Order matters: when two editor mappings match an article, the first one listed in
    the config wins the limited hashtag slots.
    """

    __slots__ = ("_hash", "_items")

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return list(self._items.items()) == list(other._items.items())
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"


@dataclass(frozen=True)
class ComposeSpec:
    """How to write one article for one platform. None means "the platform's default"
    (see bot.compose.rules). Hashable, so composed results can be cached per spec."""

    platform: str
    template: str | None = None
    max_hashtags: int | None = None
    hashtag_mode: HashtagMode = "append"
    # Editors' mapping, category or keyword (case-insensitive) -> hashtag (with or without "#").
    hashtag_map: Mapping[str, str] = field(default_factory=FrozenMap)
    always_tags: tuple[str, ...] = ()
    never_tags: tuple[str, ...] = ()
    # Categories that describe the site, not the article, beyond the built-in list (stopwords.GENERIC_TAGS).
    generic_tags: tuple[str, ...] = ()
    # Opt-in: a long summary becomes a numbered thread of at most thread_max posts.
    thread: bool = False
    thread_max: int = 4
    # Sentences in {summary}; None = platform default (1-3 whole sentences).
    summary_sentences: int | None = None
    # Soft cap on {summary} in characters, for networks whose hard limit is far away.
    summary_max_chars: int | None = None
    # Extract keyword hashtags from the title and lead when categories run short.
    keyword_hashtags: bool = True

    def __post_init__(self) -> None:
        # Accept a plain dict from callers but store it frozen, so the spec stays hashable.
        if not isinstance(self.hashtag_map, FrozenMap):
            object.__setattr__(self, "hashtag_map", FrozenMap(self.hashtag_map))
        object.__setattr__(self, "always_tags", tuple(self.always_tags))
        object.__setattr__(self, "never_tags", tuple(self.never_tags))
        object.__setattr__(self, "generic_tags", tuple(self.generic_tags))
