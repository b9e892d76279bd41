"""Fit one post to a network: choose summary sentences, cut the title, drop tags.

Fitting order, from what an editor gives up first to what is never touched:
summary sentences (whole ones dropped, the best one cut at a word only when none
fits whole), then the title (cut at a word, with an ellipsis), then the least trusted
hashtags. The link and the chosen hashtags are never cut.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import regex  # type: ignore[import-untyped]

from bot.compose.hashtags import Tag
from bot.compose.inline import place_inline
from bot.compose.rules import NetworkRules
from bot.compose.spec import ComposeSpec
from bot.compose.summarize import Sentence, in_order, may_end_inside_a_word, points_back
from bot.compose.template import Token, render
from bot.compose.text import cut_to_fit, words

__all__ = ["Fitter", "choose_summary", "cut_summary", "fit_post"]


@dataclass(frozen=True)
class Fitter:
    """Renders candidate posts for one article and checks them against the network."""

    tokens: list[Token]
    rules: NetworkRules
    spec: ComposeSpec
    fixed: dict[str, str]
    reserve: int = 0  # room kept free, e.g. for a thread's "2/4" counter

    @property
    def max_summary_chars(self) -> int | None:
        if self.spec.summary_max_chars is not None:
            return self.spec.summary_max_chars
        return self.rules.default_summary_max_chars

    def reserved(self, n: int) -> Fitter:
        return replace(self, reserve=n)

    def render(self, title: str, summary: str, tags: list[Tag]) -> str:
        leftover = tags
        if self.spec.hashtag_mode == "inline" and tags:
            title, summary, leftover = place_inline(title, summary, tags)
        values = dict(self.fixed)
        values["title"] = title
        values["summary"] = summary
        values["hashtags"] = " ".join(t.text for t in leftover)
        return render(self.tokens, values)

    def fits(self, text: str) -> bool:
        return self.rules.fits(text, self.reserve)

    def summary_ok(self, summary: str) -> bool:
        return self.max_summary_chars is None or len(summary) <= self.max_summary_chars


def fit_post(fitter: Fitter, title: str, ranked: tuple[Sentence, ...], k: int, tags: list[Tag]) -> str:
    tags = list(tags)
    while True:
        text = fit_with_tags(fitter, title, ranked, k, tags)
        if text is not None:
            return text
        if not tags:
            break
        tags.pop()  # the least trusted tag goes before anything the reader needs
    # Only the fixed parts (link, author, site, template words) are left and still too
    # long: give the link alone, which always fits (a URL counts 23 on X).
    return fitter.fixed.get("link", "")


def fit_with_tags(fitter: Fitter, title: str, ranked: tuple[Sentence, ...], k: int, tags: list[Tag]) -> str | None:
    chosen = choose_summary(fitter, title, ranked, k, tags)
    summary = in_order(chosen)
    text = fitter.render(title, summary, tags)
    if fitter.fits(text):
        first = opener(tuple(s for s in ranked if s.whole or not title))
        if not chosen and first is not None:
            # No whole sentence fits: cut the best one at a word, if there is room to say anything.
            partial = cut_summary(fitter, title, first.text, tags)
            if partial:
                return fitter.render(title, partial, tags)
        elif not chosen and first is None and k > 0 and ranked:
            # Not one whole sentence: the text the feed gives stops without its end (the feed cut it, or the site
            # writes its teasers so). Shown, it says it is cut: never as if it were whole. One clipped at a storage
            # limit may end inside a word ("... at the demoli"): the title stands alone rather than show it.
            cut = opener(ranked)
            partial = cut_summary(fitter, title, _marked_cut(cut.text), tags) if cut is not None and _prose(
                cut.text) and not may_end_inside_a_word(cut.text) else ""
            if partial:
                return fitter.render(title, partial, tags)
        return text
    # Title alone too long: cut it at a word boundary.
    cut_title = cut_to_fit(title, lambda t: fitter.fits(fitter.render(t, "", tags)))
    if cut_title:
        return fitter.render(cut_title, "", tags)
    text = fitter.render("", "", tags)
    return text if fitter.fits(text) else None


def choose_summary(fitter: Fitter, title: str, ranked: tuple[Sentence, ...], k: int, tags: list[Tag]) -> list[Sentence]:
    """The best sentence, then the good sentences that follow it in the article, while
    the post fits: a continuous excerpt reads like the editor's own, a patchwork does not.
    A sentence that leans on the one before it ("..., she said.") comes only with that one."""
    if k <= 0 or not ranked:
        return []
    best = opener(ranked)
    if best is None:
        return []
    chosen = _ends_whole(_run_from(fitter, title, ranked, k, tags, best), title)
    if not chosen and title and not best.whole:
        # A summary that stops on a sentence without its full stop reads as cut off (often it was,
        # by the feed): it ends on the last whole sentence of the run, or starts at the best whole
        # one, or the title stands alone. An untitled note has nothing else to say: it keeps its words.
        other = opener(tuple(s for s in ranked if s.whole))
        if other is not None:
            chosen = _ends_whole(_run_from(fitter, title, ranked, k, tags, other), title)
    return chosen


def _ends_whole(run: list[Sentence], title: str) -> list[Sentence]:
    """The run in article order, without the sentences after its last whole one (a titled post)."""
    run = sorted(run, key=lambda s: s.position)
    while title and run and not run[-1].whole:
        run.pop()
    return run


def _run_from(fitter: Fitter, title: str, ranked: tuple[Sentence, ...], k: int, tags: list[Tag],
              best: Sentence) -> list[Sentence]:
    """The run of consecutive good sentences around `best` that fits."""
    # Beyond the first, only sentences nearly as good as the best: a weak extra
    # sentence makes a post worse, not fuller.
    good = sorted((s for s in ranked if s is not best and s.score >= best.score - 0.35), key=lambda s: s.position)
    after = [s for s in good if s.position > best.position]
    before = [s for s in good if s.position < best.position][::-1]
    chosen: list[Sentence] = []
    for cand in [best, *after, *before]:
        if len(chosen) >= k:
            break
        if chosen and not (cand.position == max(c.position for c in chosen) + 1
                           or cand.position == min(c.position for c in chosen) - 1):
            continue  # a run of consecutive sentences only: a skipped one leaves "that case" unexplained
        if cand is not best and cand.position > 0 and points_back(cand.text) \
                and not any(c.position == cand.position - 1 for c in chosen):
            continue  # what it points at is not in the excerpt
        trial = [*chosen, cand]
        summary = in_order(trial)
        if not fitter.summary_ok(summary) or not fitter.fits(fitter.render(title, summary, tags)):
            if cand is best:
                return []
            break  # skipping a sentence to take a later one would leave a gap in the excerpt
        chosen = trial
    return chosen


def opener(ranked: tuple[Sentence, ...]) -> Sentence | None:
    """The best sentence that can stand first: the lead, or one that does not lean on another and says something
    ("Any particular faves?" after a dropped sentence is a reply to it)."""
    return next((s for s in ranked if s.position == 0 or (not points_back(s.text) and len(words(s.text)) >= 5)),
                None)


def _prose(sentence: str) -> bool:
    """Reads as a sentence: opens on a letter and carries no pictographs (a list of names with emoji, a line of
    symbols is no sentence to show cut)."""
    return sentence[:1].isalpha() and not regex.search(r"\p{So}", sentence)


def _marked_cut(sentence: str) -> str:
    """A sentence without its end, ending on an ellipsis (the feed's own "..." made one)."""
    text = sentence.rstrip().rstrip(",;:-–—").rstrip()
    if text.endswith("..."):
        text = text[:-3].rstrip()
    return text if text.endswith("…") else text + "…"


def cut_summary(fitter: Fitter, title: str, sentence: str, tags: list[Tag]) -> str:
    def fits(s: str) -> bool:
        return fitter.summary_ok(s) and fitter.fits(fitter.render(title, s, tags))

    cut = cut_to_fit(sentence, fits)
    # Three words and an ellipsis say nothing; better no summary than a stub.
    return cut if len(cut.split()) >= 5 else ""
