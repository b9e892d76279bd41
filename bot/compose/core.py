"""Article + ComposeSpec -> Draft: gather the parts, fill the template, fit it (fit.py)."""

from __future__ import annotations

import functools
from dataclasses import replace

import regex  # type: ignore[import-untyped]

from bot.bounds import bound_article
from bot.compose import mentions, xtext
from bot.compose.clean import clean_html, clean_text, looks_like_html
from bot.compose.fit import Fitter, fit_post
from bot.compose.hashtags import Tag, choose_hashtags
from bot.compose.language import iso639
from bot.compose.rules import NetworkRules, rules_for
from bot.compose.spec import ComposeSpec
from bot.compose.summarize import Sentence, lead_paragraph, opening, ranked_sentences, summary_source
from bot.compose.template import parse_template
from bot.compose.text import cut_to_fit
from bot.compose.thread import build_thread
from bot.models import Article, Draft
from bot.net.policy import is_web_url

__all__ = ["compose"]

_WS = regex.compile(r"\s+")


@functools.lru_cache(maxsize=256)  # title, author and site: the same for each network's post
def _one_line(text: str) -> str:
    text = clean_html(text) if looks_like_html(text) else clean_text(text)
    return str(_WS.sub(" ", text)).strip()


@functools.lru_cache(maxsize=256)
def _plain_line(text: str) -> str:
    return str(_WS.sub(" ", clean_text(text))).strip()


# Summary, lead and keywords all come from the start of an article; the tail of a 60 KB
# podcast description only costs time.
MAX_BODY_CHARS = 12_000


def _body(article: Article) -> str:
    return _clean_body(article.text, article.summary)


@functools.lru_cache(maxsize=64)
def _clean_body(full_text: str, summary: str) -> str:
    """Cached: the five networks' posts of one article are written one after the other from the same body."""
    text = summary_source(full_text, summary)
    if len(text) > MAX_BODY_CHARS:
        cut = text.rfind("\n\n", 0, MAX_BODY_CHARS)
        text = text[: cut if cut > 0 else MAX_BODY_CHARS]
    # Defensive: a caller that skipped clean_html must still never post markup or control
    # characters; on already clean text this is a few fast regex passes.
    return clean_html(text) if looks_like_html(text) else clean_text(text)


def compose(article: Article, spec: ComposeSpec, rules: NetworkRules | None = None) -> Draft:
    """Write `article` for `spec.platform`. Pure and deterministic: same input, same Draft.

    `rules`: the network's rules as one account's server states them (a Mastodon instance's own limit:
    bot.compose.rules.for_instance); by default the network's registered ones."""
    article = bound_article(article)  # a 1 MB title must cost what a long one does
    rules = rules or rules_for(spec.platform)
    template = spec.template if spec.template is not None else rules.default_template
    tokens = parse_template(template)
    used = {name for _, name in tokens if name}
    if rules.link_placement == "inline" and "link" not in used:
        # A post on a link-inline network without the link has lost its point.
        tokens = [*tokens, ("\n\n", "link")]
        used.add("link")

    # Where "@name" notifies an account, the article's words must not: the bot sends no mentions.
    # Each network by its own rule, its links included (Mastodon reads mentions inside them). The text is
    # read (paragraphs, ranking, lead) once for all networks, before any guard; each network guards what it
    # writes.
    own, own_link = mentions.guard(rules.mentions)
    # The feed layer gave the title as plain text (Article): "<details>" in it is what the headline says.
    plain_title = _plain_line(article.title)
    body = _body(article)
    title = own(plain_title)
    # Only web pages are posted as links: a feed can say javascript:, data: or file: (bot.poll logs it).
    link = own_link(article.url.strip()) if is_web_url(article.url.strip()) else ""
    fixed = {
        "link": rules.shown_link(link) if "link" in used else "",
        "author": own(_one_line(article.author or "")),
        "site": own(_one_line(article.site or "")),
    }
    fitter = Fitter(tokens, rules, spec, fixed)
    plain_lead = lead_paragraph(body, plain_title)
    want_summary = "summary" in used or (spec.thread and rules.threads)
    ranked = _guarded(ranked_sentences(body, plain_title, article.language), rules.mentions) if want_summary else ()
    if not title and ("summary" not in used or not ranked):
        # An untitled micro post (a link blog's note) on a network whose posts carry no summary, or whose
        # words make no summary sentence: its own words stand in for the missing title, cut to fit like one;
        # never a bare link nor an empty post.
        plain_title = _WS.sub(" ", plain_lead).strip()
        title = own(plain_title)
    limit = spec.max_hashtags if spec.max_hashtags is not None else rules.default_max_hashtags
    existing = xtext.extract_hashtags(title)  # linked ones only: "#4" is no hashtag
    # A headline that carries its own hashtags uses up slots of the limit: three tags plus one in
    # the title reads as four.
    limit = max(0, limit - len(existing))
    lead = own(plain_lead)
    tags: list[Tag] = []
    if limit > 0 and ("hashtags" in used or spec.hashtag_mode == "inline"):
        tags = choose_hashtags(
            title=plain_title,
            lead=plain_lead,
            opening=opening(body, plain_title) if spec.hashtag_map else "",
            categories=article.categories,
            language=article.language,
            spec=spec,
            limit=limit,
            existing=existing,
            site=article.site,
            names=(article.author or "", *article.own_names),
        )
        if rules.hashtag_ok is not None:
            tags = [t for t in tags if rules.hashtag_ok(t.name)]

    thread: tuple[str, ...] = ()
    k = spec.summary_sentences if spec.summary_sentences is not None else rules.default_summary_sentences
    if spec.thread and rules.threads and ranked:
        posts = build_thread(fitter, title, ranked, tags, spec.thread_max, "summary" in used)
        text, thread = posts[0], tuple(posts[1:])
    else:
        text = fit_post(fitter, title, ranked if "summary" in used else (), k, tags)
    if not title and plain_lead.strip() and not text.replace(fixed["link"], "").strip():
        # Untitled, and none of its sentences fitted as a summary ("A." only): its own words stand in for the
        # title, as above; never an empty post.
        title = own(_WS.sub(" ", plain_lead).strip())
        text, thread = fit_post(fitter, title, (), k, tags), ()

    written = _tags_in(text, thread, tags)
    return Draft(
        platform=rules.name,
        network=rules.name,
        article_key=article.key,
        text=text,
        link=link or None,
        hashtags=tuple(t.text for t in written),
        image=article.image,
        thread=thread,
        language=iso639(article.language),
        title=title,
        description=_description(lead),
    )


def _guarded(ranked: tuple[Sentence, ...], network: str | None) -> tuple[Sentence, ...]:
    """The ranked sentences as `network` may carry them: each at-sign it would read as a mention defused.

    Sentences are split at spaces, and a network reads a mention from the at-sign and what stands right
    before it, so guarding each sentence is guarding the text they came from."""
    if network is None or not any("@" in s.text or "＠" in s.text for s in ranked):
        return ranked
    own, _ = mentions.guard(network)
    return tuple(s if "@" not in s.text and "＠" not in s.text else replace(s, text=own(s.text)) for s in ranked)


# Bluesky's own composer cuts a card's description at about this length; Open Graph descriptions are short too.
MAX_DESCRIPTION_CHARS = 300


@functools.lru_cache(maxsize=64)
def _description(lead: str) -> str:
    """The article's lead, cut at a word, for a link card the network does not build itself."""
    return cut_to_fit(lead, lambda s: len(s) <= MAX_DESCRIPTION_CHARS) if lead else ""


def _tags_in(text: str, thread: tuple[str, ...], tags: list[Tag]) -> list[Tag]:
    """The chosen tags that the final post(s) actually carry as linked hashtags."""
    found = {h.lstrip("#").casefold() for post in (text, *thread) for h in xtext.extract_hashtags(post)}
    return [t for t in tags if t.name.casefold() in found]
