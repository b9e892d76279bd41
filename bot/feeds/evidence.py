"""What the whole feed tells about each of its items: evidence no single article carries.

Categories. A site files its articles under categories of two kinds: a topic of the story ("Fidel Castro",
"Flash") and a place on the site ("News", "Nuus", a blog's one subject, a press-release section, the show a
podcast is). Only the first is a hashtag an editor would choose. No list of words can tell them apart in every
language, but the feed itself can: a category carried by most of a feed's items is where the site files
everything, not what this story is about. The same evidence covers the other things that are not topics: a
label slug a publishing system made (`adwords_api_v201605`), a podcast directory's category (`itunes:category`,
which a feed may repeat on its items), and a category that only narrows a section ("World News" beside "News").

Outlets: an aggregator's titles end with the outlet each headline came from (" - Reuters").
Preambles: a sentence that opens many items alike is the series' or site's, not the article's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import regex  # type: ignore[import-untyped]

__all__ = ["byline_names", "each_category", "is_slug", "is_topic", "not_topics", "outlets", "preambles",
           "repeated_paragraphs", "series_names", "title_labels", "without_preamble", "without_repeated"]

# A feed needs this many items before "on most of them" means anything (issue 20: 5 or more).
MIN_ITEMS = 5

# A publishing system's slug, not a name written for people: words joined with "_" ("client_libraries"), or an
# all-lowercase run of hyphen-joined words ("world-news"); and anything carrying a build or version number
# ("api_v201605", "release-2016-05").
_JOINED_SLUG = regex.compile(r"^[\p{Ll}\p{N}]+(?:[_-][\p{Ll}\p{N}]+)+$|_")
_VERSION = regex.compile(r"(?:^|[\s_\-])v?\d{5,}(?:$|[\s_\-])|\bv\d+(?:[._]\d+)+\b", regex.IGNORECASE)


def _fold(category: str) -> str:
    return " ".join(category.replace("_", " ").replace("-", " ").split()).casefold()


def is_slug(category: str) -> bool:
    """A label slug: `adwords_api`, `client_libraries`, `world-news`, `api_v201605`. A hyphenated word
    ("e-commerce", "Jean-Luc") has a part of one letter or capitals, and stays."""
    text = category.strip()
    if _VERSION.search(text):
        return True
    if not _JOINED_SLUG.search(text) or " " in text:
        return False
    parts = [p for p in regex.split(r"[_-]", text) if p]
    return "_" in text or all(len(p) >= 2 for p in parts)


def not_topics(per_item: Sequence[Iterable[str]], directory: Iterable[str] = (),
               names: Iterable[str] = ()) -> frozenset[str]:
    """The casefolded categories of this feed that are no topic of any one of its items.

    `per_item`: each item's categories; `directory`: the feed's own directory categories (a podcast's
    `itunes:category` texts); `names`: who writes and publishes the feed (its items' authors, its owner): a
    category that names one of them files the item under its byline, it is not what the item is about."""
    counts: Counter[str] = Counter()
    for cats in per_item:
        counts.update({_fold(c) for c in cats if c.strip()})
    items = len(per_item)
    # A show listed in a podcast directory files its episodes by format ("Interview", "Bonus", "Live"): a category
    # on a third of its episodes is one of the show's formats, not what one episode is about. A site's topics
    # recur more (a war on half of a news feed's items is still each story's topic): there, most items.
    show = any(d.strip() for d in directory)
    sections = {c for c, n in counts.items()
                if items >= MIN_ITEMS and (n * 3 >= items if show else n * 2 > items)}
    out = set(sections) | {_fold(d) for d in directory if d.strip()}
    for byline in names:
        for name in byline_names(byline):
            folded = _fold(name)
            out |= {folded, folded.replace(" ", "")} if folded else set()
    for cat in counts:
        words = cat.split()
        # "wêreld nuus" beside the section "nuus": a narrower place on the site, still a place.
        if any(_contains_words(words, s.split()) for s in sections if s != cat):
            out.add(cat)
    return frozenset(out)


# Between the names of a byline: "Metaebene Personal Media - Tim Pritlove", "Jane Doe, John Roe", "A & B".
_BYLINE_SEPARATORS = regex.compile(r"\s*(?:[,;/&|+·]|\s[-–—]\s)\s*")


def byline_names(byline: str) -> tuple[str, ...]:
    """The names a byline gives, without what it says of them: "Associated Press in Palm Beach, Florida" names
    "Associated Press" (where the story was written is no name of its writer). In a script with capitals a
    name is a run of capitalised words, and the first word that is not ends the names; in others each part
    between separators is a name."""
    names: list[str] = []
    for part in _BYLINE_SEPARATORS.split(byline.strip()):
        taken: list[str] = []
        words = part.split()
        for word in words:
            if word[:1].islower():
                break
            taken.append(word)
        if taken:
            names.append(" ".join(taken))
        if len(taken) < len(words):
            break  # "... in Palm Beach, Florida": the rest says where, or what, not who
    return tuple(names)


_LISTED = regex.compile(r"\s*[,;|]\s*")


def each_category(categories: Iterable[str]) -> list[str]:
    """An item's categories one by one: a feed that writes them as one list ("Interview, Musik, Stars") files
    the item under each, and each is counted and judged on its own."""
    out: list[str] = []
    for category in categories:
        out += [part for part in _LISTED.split(category) if part.strip()] if _LISTED.search(category) else [category]
    return out


_FIRST_WORD = regex.compile(r"^\W*(\p{L}+)")


def title_labels(titles: Sequence[str]) -> tuple[str, ...]:
    """The word most of a feed's titles open with ("Episode 212: ...", "Folge 9 - ..."): the series' label,
    never what one item is about."""
    firsts: Counter[str] = Counter()
    written: dict[str, str] = {}
    for title in titles:
        m = _FIRST_WORD.match(title)
        if m:
            firsts[m.group(1).casefold()] += 1
            written.setdefault(m.group(1).casefold(), m.group(1))
    if len(titles) < MIN_ITEMS:
        return ()
    return tuple(written[w] for w, n in firsts.items() if n * 2 > len(titles))


# A number after a name in a title: "#06", "12", "nº 12", "No. 3", "۱۲" (any script's digits), "第5"; not a year
# ("dConstruct 2022" is the event of that year, not the 2022nd of a series).
_NUMBERED = r"\s*(?:(?:#|№|n[º°o]\.?\s*|nr\.?\s*|no\.\s*|vol\.?\s*|第)\d+|\d{1,3}(?!\d))"


def series_names(titles: Sequence[str], per_item: Sequence[Iterable[str]]) -> tuple[str, ...]:
    """The feed's categories that two or more of its titles give with a number ("Newsletter for friends #06",
    "خبرنامه دوستان ۱۲"): a series the feed numbers, its own label, never what one item is about."""
    names: dict[str, str] = {}
    for cats in per_item:
        for cat in cats:
            if cat.strip():
                names.setdefault(_fold(cat), cat.strip())
    out = []
    for cat in names.values():
        pattern = regex.compile(regex.escape(cat) + _NUMBERED, regex.IGNORECASE)
        if sum(1 for t in titles if pattern.search(t)) >= 2:
            out.append(cat)
    return tuple(out)


def _contains_words(words: list[str], part: list[str]) -> bool:
    n = len(part)
    return any(words[i:i + n] == part for i in range(len(words) - n + 1))


def is_topic(category: str, not_topic: frozenset[str]) -> bool:
    """Whether `category` may be a topic of its item: not one of the feed's `not_topics`, and no slug."""
    return _fold(category) not in not_topic and not is_slug(category)


# " - Reuters", " | The Hindu", " – BBC News": an aggregator's item names the outlet it took the headline from.
_OUTLET = regex.compile(r"\s[-–—|]\s((?:[\p{Lu}\p{N}][\p{L}\p{N}.&'’]*)(?:\s+[\p{L}\p{N}.&'’]+){0,4})$")


def outlets(titles: Sequence[str], sources: Sequence[str | None] = ()) -> list[str | None]:
    """Per item, the other outlet an aggregator's title names at its end, or None everywhere when the feed is
    no aggregator.

    An item whose RSS <source> (the channel it was taken from) is what its title ends with (" - CNN") names
    its outlet outright. Without that, it takes most of five or more titles ending so, with outlets that
    recur (several headlines of one agency; a "Topic - headline" prefix does not recur) and at least two of
    them (one site's own " - Site" suffix on every title is its name, which compose keeps out of tags)."""
    sources = list(sources) or [None] * len(titles)
    by_source = [src if src and _ends_with_outlet(t, src) else None for t, src in zip(titles, sources, strict=True)]
    if any(by_source):
        return by_source
    found = [m.group(1) if (m := _OUTLET.search(t)) else None for t in titles]
    named = [f for f in found if f]
    counts = Counter(named)
    # Outlets recur (several headlines of one agency), headlines after a "Topic - " prefix do not.
    recurring = sum(n for n in counts.values() if n >= 2)
    if len(titles) < MIN_ITEMS or len(named) * 2 <= len(titles) or len(counts) < 2 or recurring * 2 < len(named):
        return [None] * len(titles)
    return found


def _ends_with_outlet(title: str, outlet: str) -> bool:
    return any(title.endswith(f"{sep}{outlet}") for sep in (" - ", " – ", " — ", " | "))


# The opening of an item's text, cheaply: tags dropped from the first characters of its HTML, split at the
# sentence stops that need no judgement (a stop, then a space and a capital).
_OPENING_CHARS = 700
_TAG_RE = regex.compile(r"<[^<>]*>")
_FIRST_SENTENCES = regex.compile(r"(?<=[.!?])\s+(?=[\p{Lu}\p{Lo}])")
_SPACE = regex.compile(r"\s+")
MIN_REPEATS = 3


def _opening_sentences(html_text: str) -> list[str]:
    import html

    text = html.unescape(_TAG_RE.sub(" ", html_text[:_OPENING_CHARS]))
    parts = _FIRST_SENTENCES.split(_SPACE.sub(" ", text).strip())
    return [p for p in parts[:3] if len(p.split()) >= 4 and p[-1:] in ".!?"]


def preambles(openings_html: Sequence[str]) -> frozenset[str]:
    """Sentences that open several items of a feed alike: the series' or site's preamble ("This is another post
    in our Code Health series."), never an article's own words. A sentence among the first three of three or
    more items, and of at least a fifth of the items with text."""
    counts: Counter[str] = Counter()
    with_text = 0
    for fragment in openings_html:
        if fragment:
            with_text += 1
            counts.update(set(_opening_sentences(fragment)))
    return frozenset(s for s, n in counts.items() if n >= MIN_REPEATS and n * 5 >= with_text)


def without_preamble(text: str, preamble: frozenset[str]) -> str:
    """`text` (cleaned) without the preamble sentences it opens with; as it is when nothing would be left (a
    feed whose items all say the same one thing has no preamble to take off)."""
    original, changed = text, True
    while changed and preamble:
        changed = False
        head = text.lstrip()
        for sentence in preamble:
            if head.startswith(sentence):
                text, changed = head[len(sentence):].lstrip(), True
    return text if text.strip() else original


# A block of an item's HTML, cheaply: split at block elements, line breaks and blank lines.
_BLOCK = regex.compile(r"<(?:/?(?:p|div|li|ul|ol|h[1-6]|blockquote|section|article|aside|figure|figcaption|header"
                       r"|footer|table|tr|td|dd|dt)\b[^>]*|br\s*/?)>|\n\s*\n", regex.IGNORECASE)
_KEY_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
_EVIDENCE_CHARS = 20_000
MIN_PARAGRAPH_CHARS = 40  # a short line ("Read more", "Link") may repeat and mean nothing; other rules see to it


def _paragraph_key(text: str) -> str:
    return " ".join(_KEY_WORD.findall(text.casefold()))


def repeated_paragraphs(items_html: Sequence[str]) -> frozenset[str]:
    """The paragraphs (as comparison keys) that three or more items of a feed carry word for word: the feed's
    boilerplate (a disclaimer, a sponsor's note, the newsletter's sign-off), never one article's words. Posted as a
    summary or a thread part it is also the same text every time, which X refuses."""
    import html

    counts: Counter[str] = Counter()
    for fragment in items_html:
        if not fragment:
            continue
        keys = set()
        for block in _BLOCK.split(fragment[:_EVIDENCE_CHARS]):
            text = html.unescape(_TAG_RE.sub(" ", block))
            if len(text.strip()) >= MIN_PARAGRAPH_CHARS:
                keys.add(_paragraph_key(text))
        counts.update(keys)
    return frozenset(k for k, n in counts.items() if n >= MIN_REPEATS and k)


def without_repeated(text: str, repeated: frozenset[str]) -> str:
    """`text` (cleaned, paragraphs apart by a blank line) without the lines that are the feed's repeated
    paragraphs; what is left may be empty (an item that says only the feed's boilerplate says nothing)."""
    if not repeated or not text:
        return text
    kept = []
    for para in text.split("\n\n"):
        if _paragraph_key(para) in repeated:
            continue
        lines = [line for line in para.split("\n") if _paragraph_key(line) not in repeated]
        if any(line.strip() for line in lines):
            kept.append("\n".join(lines))
    return "\n\n".join(kept)
