"""Per-feed filters the editors set in the config; pure, so the config module only builds them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.models import Article

# A feed's clock or time zone may be off by hours; a date further ahead than this is wrong.
FUTURE_SLACK = timedelta(days=1)
# How long one editor's pattern may search one article. A pattern that backtracks catastrophically
# ("(a|aa)+$" on a crafted title) would otherwise hold the run for minutes or hours; a sound one takes
# microseconds on a whole article. The regex module checks its clock now and then, so a search may
# overrun this several times over: still well under a second.
PATTERN_SECONDS = 0.2


class FilterTimeout(Exception):
    """A pattern ran out of time on one article: whether it matches is unknown, so the article is neither
    posted nor dropped, but held for an editor (bot.poll)."""

    def __init__(self, name: str, pattern: str) -> None:
        super().__init__(f"{name} {pattern!r} did not finish within {PATTERN_SECONDS:g}s on this article "
                         "(a pattern that backtracks: rewrite it, e.g. (a|aa)+ as a+)")


def compile_pattern(pattern: str) -> Any:
    """An editor's pattern, case-insensitive, compiled by the `regex` module, whose searches take a timeout
    (the standard `re` cannot be stopped). ValueError names what is wrong. Imported here, only when a
    feed has patterns: loading the module costs more than the rest of the config."""
    import regex

    try:
        return regex.compile(pattern, regex.IGNORECASE)
    except regex.error as exc:
        raise ValueError(str(exc)) from None


def _fold(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(" ".join(v.split()).casefold() for v in values)


@dataclass(frozen=True)
class FeedFilter:
    """include_*: when non-empty, an article must match at least one; exclude_*: must match none.
    Keywords match whole words, case-insensitively, in title and text; patterns are regular
    expressions (case-insensitive) searched in title and text. max_age_days: never post an
    article older than that (None disables); an undated article passes (it was just seen new).
    An article dated more than a day ahead is never posted either: a wrong year or a leaked
    embargo would otherwise sort first and go out at once."""

    include_categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    include_keywords: tuple[str, ...] = ()
    exclude_keywords: tuple[str, ...] = ()
    include_patterns: tuple[str, ...] = ()
    exclude_patterns: tuple[str, ...] = ()
    max_age_days: float | None = 2
    _compiled: dict[str, object] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # Compile once, and fail at config load (with the pattern in the message) rather than
        # at the first article.
        for name in ("include_patterns", "exclude_patterns"):
            compiled = []
            for p in getattr(self, name):
                try:
                    compiled.append(compile_pattern(p))
                except ValueError as exc:
                    raise ValueError(f"invalid regular expression {p!r} in {name}: {exc}") from None
            self._compiled[name] = compiled
        for name in ("include_keywords", "exclude_keywords"):
            words = [w.strip() for w in getattr(self, name) if w.strip()]
            self._compiled[name] = (
                re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE)
                if words else None
            )
        self._compiled["include_categories"] = _fold(self.include_categories)
        self._compiled["exclude_categories"] = _fold(self.exclude_categories)

    def date_reason(self, published: datetime | None, now: datetime, backfill: bool = False) -> str | None:
        """The date rules alone, which need no article text: too old (a backfill is exempt: it asks for
        old articles), or dated further ahead than a clock or time-zone slip explains."""
        if published is None:
            return None
        if published - now > FUTURE_SLACK:
            return f"dated in the future ({published:%Y-%m-%d %H:%M %Z}, more than a day ahead)"
        if self.max_age_days is not None and not backfill and now - published > timedelta(days=self.max_age_days):
            return f"older than {self.max_age_days:g} days (published {published:%Y-%m-%d})"
        return None

    def reason(self, article: Article, now: datetime, backfill: bool = False) -> str | None:
        """None when the article passes, else why it is skipped (for the log). FilterTimeout when a pattern
        could not decide in time (PATTERN_SECONDS)."""
        dated = self.date_reason(article.published, now, backfill)
        if dated is not None:
            return dated
        cats = _fold(article.categories)
        inc_c = self._compiled["include_categories"]
        exc_c = self._compiled["exclude_categories"]
        assert isinstance(inc_c, frozenset) and isinstance(exc_c, frozenset)
        if cats & exc_c:
            return f"excluded category {sorted(cats & exc_c)[0]!r}"
        haystack = article.title + "\n" + article.text
        exc_k = self._compiled["exclude_keywords"]
        if isinstance(exc_k, re.Pattern) and (m := exc_k.search(haystack)):
            return f"excluded keyword {m.group(0)!r}"
        for pat in self._patterns("exclude_patterns"):
            if _search(pat, haystack, "exclude_patterns"):
                return f"matches excluded pattern {pat.pattern!r}"
        wants = []
        if inc_c:
            wants.append(bool(cats & inc_c))
        inc_k = self._compiled["include_keywords"]
        if isinstance(inc_k, re.Pattern):
            wants.append(inc_k.search(haystack) is not None)
        inc_p = self._patterns("include_patterns")
        if inc_p:
            wants.append(any(_search(p, haystack, "include_patterns") for p in inc_p))
        # Include rules of different kinds are alternatives: any one of them lets it through.
        if wants and not any(wants):
            return "matches no include rule (category, keyword or pattern)"
        return None

    def matches(self, article: Article, now: datetime) -> bool:
        return self.reason(article, now) is None

    def _patterns(self, name: str) -> list[Any]:
        value = self._compiled[name]
        assert isinstance(value, list)
        return value


def _search(pattern: Any, text: str, name: str) -> bool:
    try:
        return pattern.search(text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        raise FilterTimeout(name, pattern.pattern) from None
