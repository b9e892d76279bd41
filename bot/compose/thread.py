"""Opt-in threads: a longer extractive summary told in a few numbered posts.

Post 1 is the normal post (title, link, hashtags, and as much of the summary as fits
when the template has {summary}); the following sentences, in the article's order,
are packed whole into posts 2..N. Each post ends with "i/N" and is valid on its own.
"""

from __future__ import annotations

from bot.compose.fit import Fitter, fit_post
from bot.compose.hashtags import Tag
from bot.compose.summarize import Sentence, in_order
from bot.compose.text import cut_to_fit, join_sentences

__all__ = ["build_thread"]


def _counter(i: int, n: int) -> str:
    return f"\n\n{i}/{n}"


def _pool(ranked: tuple[Sentence, ...], thread_max: int) -> list[Sentence]:
    """The sentences worth a thread, in article order: enough to fill it, none weak."""
    best = ranked[0].score
    good = [s for s in ranked if s.score >= best - 0.45][: thread_max * 3]
    return sorted(good, key=lambda s: s.position)


def build_thread(
    fitter: Fitter, title: str, ranked: tuple[Sentence, ...], tags: list[Tag], thread_max: int, with_summary: bool
) -> list[str]:
    """The posts of the thread; a single post (no counter) when everything fits in one."""
    single = fit_post(fitter, title, ranked if with_summary else (), 1 if with_summary else 0, tags)
    if thread_max < 2:
        return [single]
    rules = fitter.rules
    reserve = rules.count(_counter(thread_max, thread_max))
    first_fitter = fitter.reserved(reserve)
    pool = _pool(ranked, thread_max)

    # Post 1 takes the opening sentences, in order, as long as they fit whole.
    taken = 0
    first = fit_post(first_fitter, title, (), 0, tags)
    if with_summary:
        while taken < len(pool):
            candidate = first_fitter.render(title, in_order(pool[: taken + 1]), tags)
            if not first_fitter.fits(candidate):
                break
            first, taken = candidate, taken + 1

    rest: list[str] = []
    current: list[str] = []
    capacity = rules.max_length - reserve
    for sentence in pool[taken:]:
        if len(rest) + 1 >= thread_max:
            break  # posts 1 + len(rest) already at the cap: the tail is left out, never cut
        trial = join_sentences([*current, sentence.text])
        if rules.count(trial) <= capacity:
            current.append(sentence.text)
            continue
        if current:
            rest.append(join_sentences(current))
            current = []
            if len(rest) + 1 >= thread_max:
                break
        if rules.count(sentence.text) <= capacity:
            current = [sentence.text]
        else:
            cut = cut_to_fit(sentence.text, lambda s: rules.count(s) <= capacity)
            if cut:
                rest.append(cut)
    if current and len(rest) + 1 < thread_max:
        rest.append(join_sentences(current))

    if not rest:
        return [single]
    n = 1 + len(rest)
    return [first + _counter(1, n), *(post + _counter(i, n) for i, post in enumerate(rest, start=2))]
