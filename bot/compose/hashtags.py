"""Choose the hashtags for an article, in order of trust:

1. the editors' config: tags to always add, then the category/keyword -> hashtag map;
2. the article's own categories and tags;
3. keywords extracted from the title and lead (YAKE, only when slots are left).

Every tag is CamelCased from its words (#FreeIran), or joined with "_" in scripts
without case (#ایران_آزاد, the usual form on X), deduplicated case-insensitively,
and must be one that X actually links.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]

from bot.compose.spec import ComposeSpec
from bot.compose.stopwords import GENERIC_NOUNS, GENERIC_TAGS, is_stopword

__all__ = ["Tag", "choose_hashtags", "to_hashtag"]

MAX_TAG_WORDS = 3
MAX_TAG_CHARS = 28

_TAG_WORD = regex.compile(r"[\p{L}\p{M}\p{N}_\u200c\u200d]+")
_POSSESSIVE = regex.compile(r"['’]s\b", regex.IGNORECASE)
_CAMEL_SPLIT = regex.compile(r"(?<=\p{Ll})(?=\p{Lu})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})|_")


@dataclass(frozen=True)
class Tag:
    """A hashtag (without '#') and the words it stands for in running text."""

    name: str
    words: tuple[str, ...]

    @property
    def text(self) -> str:
        return "#" + self.name


def _caseless(word: str) -> bool:
    return any(ch.isalpha() for ch in word) and word.upper() == word.lower()


def to_hashtag(phrase: str) -> Tag | None:
    """A phrase ("Iran protests", "#FreeIran", "Free Iran 2021") -> Tag, or None when
    it cannot make a good, linkable hashtag (too long, no letters, stop word)."""
    phrase = _POSSESSIVE.sub("", phrase.strip().lstrip("#＃"))
    parts = _TAG_WORD.findall(phrase.replace("_", " ") if " " in phrase else phrase)
    parts = [p.strip("\u200c\u200d_") for p in parts]
    parts = [p for p in parts if p]
    if not parts or len(parts) > MAX_TAG_WORDS:
        return None
    if len(parts) == 1 and (is_stopword(parts[0]) or len(parts[0]) < 2):
        return None
    if " ".join(parts).casefold() in GENERIC_TAGS or all(
        p.casefold() in GENERIC_TAGS or is_stopword(p) for p in parts
    ):
        return None  # "Раздел Новости" (section: news) is as generic as "News"
    name = parts[0] if len(parts) == 1 else ""
    if len(parts) > 1:
        for i, word in enumerate(parts):
            if i and _caseless(word) and _caseless(parts[i - 1]):
                name += "_"  # no case to mark the word boundary: X users write ایران_آزاد
            name += word[:1].upper() + word[1:] if word.islower() else word
    elif name.islower() and len(name) > 1:
        name = name[:1].upper() + name[1:]
    if len(name) > MAX_TAG_CHARS or not any(ch.isalpha() for ch in name) or not _linkable(name):
        return None
    return Tag(name, tuple(parts))


def _linkable(name: str) -> bool:
    from bot.compose import xtext

    return bool(xtext.is_linkable_hashtag(name))


def _words_of_tag(name: str) -> tuple[str, ...]:
    return tuple(p for p in _CAMEL_SPLIT.split(name) if p)


def _editor_tag(value: str, words: Sequence[str] | None = None) -> Tag | None:
    """An editor-written tag is kept as written (no re-casing), only checked."""
    name = value.strip().lstrip("#＃").replace(" ", "")
    if not name or not any(ch.isalpha() for ch in name) or not _linkable(name):
        return None
    return Tag(name, tuple(words) if words else _words_of_tag(name))


def _phrase_in(phrase: str, haystack: str) -> bool:
    pattern = r"(?<![\p{L}\p{N}])" + r"[\s\-]+".join(map(regex.escape, phrase.split())) + r"(?![\p{L}\p{N}])"
    return regex.search(pattern, haystack, regex.IGNORECASE) is not None


def choose_hashtags(
    *,
    title: str,
    lead: str,
    categories: Iterable[str],
    language: str | None,
    spec: ComposeSpec,
    limit: int,
    existing: Iterable[str] = (),
    opening: str = "",
    site: str | None = None,
    names: Iterable[str] = (),
) -> list[Tag]:
    """Up to `limit` tags, most trusted first. `existing`: hashtags already in the text;
    `opening`: the start of the article, where the editors' keywords are looked for;
    `site`: the site's own name, never a tag of its own articles; `names`: the article's byline and the
    feed's publishers, never a tag either (a byline says who wrote it, not what it is about)."""
    never = {t.strip().lstrip("#").casefold() for t in spec.never_tags}
    never |= {t.replace(" ", "").casefold() for t in never}
    seen = {t.lstrip("#").casefold() for t in existing}
    chosen: list[Tag] = []

    def add(tag: Tag | None) -> None:
        if tag is None or len(chosen) >= limit:
            return
        key = tag.name.casefold()
        if key in seen or key.replace("_", "") in seen or key in never:
            return
        if any(same_thing(tag, other) for other in chosen):
            return  # "#AI #ArtificialIntelligence", "#FlashbackFriday #FlashbackFridays": one tag for one thing
        seen.add(key)
        chosen.append(tag)

    for value in spec.always_tags:
        add(_editor_tag(value))

    cats = [c.strip() for c in categories if c and c.strip()]
    cat_keys = {c.casefold() for c in cats}
    context = f"{title}\n{opening or lead}"
    if spec.hashtag_map:
        # Category matches first: they are the editors' own classification of this article.
        for key, value in spec.hashtag_map.items():
            if key.strip().casefold() in cat_keys:
                add(_editor_tag(value, key.split()))
        for key, value in spec.hashtag_map.items():
            if key.strip() and _phrase_in(key.strip(), context):
                add(_editor_tag(value, key.split()))

    bylines = tuple(n for n in names if n and n.strip())
    for tag in _found_tags(title, lead, context, tuple(cats), language, spec.generic_tags, site or "", bylines,
                           spec.keyword_hashtags):
        if len(chosen) >= limit:
            break
        add(tag)
    return chosen


@functools.lru_cache(maxsize=64)  # each network's post of one article asks the same: found once
def _found_tags(title: str, lead: str, context: str, cats: tuple[str, ...], language: str | None,
                generic_tags: tuple[str, ...], site: str, bylines: tuple[str, ...],
                with_keywords: bool) -> tuple[Tag, ...]:
    """The article's own candidate tags, best first: its categories that the article names, then its keywords.

    What the editors' map and list say stays theirs; the site's categories and keywords must also not be
    generic words of the editors' list or the site's own name."""
    generic = _folded_forms(generic_tags)
    own_name = _OwnNames(site, bylines)
    found: list[Tag] = []
    for cat in cats:
        for phrase in _category_phrases(cat):
            # A category earns its place only where the article names it (the feed already took out what is
            # a section, a slug or a directory's category: bot.feeds.evidence); written as the article writes
            # it, and a lowercase word the article also writes in lowercase is a common noun, not a topic.
            named = _as_named(phrase, context, lead)
            tag = to_hashtag(named) if named else None
            if tag is not None and not _folded_forms([phrase, tag.name]) & generic and not own_name.names(tag):
                found.append(tag)

    if with_keywords:
        for phrase in keywords(title, lead, language):
            tag = to_hashtag(phrase)
            if (tag is not None and len(tag.name) <= MAX_KEYWORD_TAG_CHARS and not _folded_forms([phrase]) & generic
                    and not own_name.names(tag)):
                found.append(tag)
    return tuple(found)


@functools.lru_cache(maxsize=512)  # each network's post asks the same of the same article
def _as_named(phrase: str, context: str, text: str) -> str | None:
    """`phrase` as the article writes it, or None when the article (`context`: headline and opening) does not
    name it, or names it only as a common noun: a site's lowercase label ("sunset", "garlic") is a tag only
    where the text itself (`text`, not a Title Case headline) capitalises it inside a sentence ("HTML5")."""
    pattern = r"(?<![\p{L}\p{N}])" + r"[\s\-]+".join(map(_inflected, phrase.split())) + r"(?![\p{L}\p{N}])"
    if not regex.search(pattern, context, regex.IGNORECASE):
        return None
    if phrase != phrase.lower() or phrase == phrase.upper():
        return phrase  # the site wrote it as a name, its own spelling ("Suid-Afrika"), or in a caseless script
    in_text = [(m.group(), text[max(0, m.start() - 3):m.start()])
               for m in regex.finditer(pattern, text, regex.IGNORECASE)
               if not _NAME_BEFORE.search(text, 0, m.start())]
    # (an occurrence inside a longer name, "Roskilde Festival", "Knowledge Graph Conference", is not this
    # word named on its own)
    if any(found == found.lower() for found, _ in in_text) and len(phrase.split()) == 1:
        return None  # the text writes it in lowercase too: a common noun
    names = [found for found, before in in_text if found != found.lower() and before.strip(" \"'“‘«(")[-1:]
             not in ("", ".", "!", "?", ":", "\n")]
    return max(names, key=lambda f: (sum(ch.isupper() for ch in f), f)) if names else None  # "html5" -> "HTML5"


# Inside a longer name: after a capitalised word that does not open its sentence ("Knowledge Graph Conference",
# "Roskilde Festival"). A word after it proves nothing ("Cloudera CEO Mike Olson").
_NAME_BEFORE = regex.compile(r"(?<=[\p{L}\p{N},)]\s+)\p{Lu}[\p{L}\p{M}\p{N}'’.-]*[ \u00a0]$")


def _inflected(word: str) -> str:
    """A pattern for `word` and its inflected forms: the same stem with up to three other letters at the end
    ("Libraries" named as "library", "Wahlen" as "Wahl"). Short words must match whole."""
    if len(word) < 5 or not word.isalpha():
        return regex.escape(word)
    stem = word[: max(4, len(word) - 3)]
    return regex.escape(stem) + r"\p{L}{0,4}"


def _fold_tag(name: str) -> str:
    return regex.sub(r"[_\-\u200c\u200d]", "", name).casefold()


def same_thing(a: Tag, b: Tag) -> bool:
    """Two tags for one thing: one spelling inside the other ("#Trump" of "#DonaldTrump"), a plural
    ("#FlashbackFridays"), or initials ("#AI" of "#ArtificialIntelligence")."""
    fa, fb = _fold_tag(a.name), _fold_tag(b.name)
    short, long_ = (fa, fb) if len(fa) <= len(fb) else (fb, fa)
    if short == long_ or long_ in (short + "s", short + "es"):
        return True
    if len(short) >= 4 and short in long_:
        return True
    return _initials_of(a, b) or _initials_of(b, a)


def _initials_of(acronym: Tag, phrase: Tag) -> bool:
    words = [w for w in phrase.words if w] or list(_words_of_tag(phrase.name))
    return (len(words) > 1 and acronym.name.isupper()
            and acronym.name.casefold() == "".join(w[0] for w in words).casefold())


class _OwnName:
    """The site's or show's own name and its variants, never a tag of its own articles: the name with or
    without spaces, a run of its words ("#OmniShow" of "The Omni Show"), a tag built on it ("#OmniShowSpecial"),
    and its initials ("#ATP" of "Accidental Tech Podcast")."""

    def __init__(self, site: str) -> None:
        words = [w for w in _TAG_WORD.findall(site) if not is_stopword(w)]
        self.folded_words = [w.casefold() for w in words]
        self.joined = "".join(self.folded_words)
        self.initials = "".join(w[0] for w in words).casefold() if len(words) > 1 else ""

    def names(self, tag: Tag) -> bool:
        if not self.joined:
            return False
        folded = _fold_tag(tag.name)
        tag_words = [w.casefold() for w in tag.words if w] or [folded]
        n = len(tag_words)
        # The tag is a run of the name's words ("#OmniShow"), or holds a run of two or more of them
        # ("#NightOwlSpecial" of "Night Owl Radio").
        run = any(self.folded_words[i:i + n] == tag_words for i in range(len(self.folded_words) - n + 1))
        pairs = {tuple(self.folded_words[i:i + 2]) for i in range(len(self.folded_words) - 1)}
        holds = any(tuple(tag_words[i:i + 2]) in pairs for i in range(n - 1))
        # A one-word name that opens a longer tag is the publisher's brand on its product ("#SVTPlay" of "SVT").
        brand = len(self.folded_words) == 1 and n > 1 and tag_words[0] == self.joined
        return (run or holds or brand or folded == self.joined or (len(self.joined) >= 4 and self.joined in folded)
                or (len(self.initials) >= 2 and folded == self.initials))


class _OwnNames:
    """Several own names (the site's, the byline's, the feed's own): a tag that names any of them."""

    def __init__(self, site: str, bylines: Iterable[str]) -> None:
        from bot.feeds.evidence import byline_names

        self._each = [_OwnName(site)] + [_OwnName(n) for b in bylines for n in byline_names(b)]

    def names(self, tag: Tag) -> bool:
        return any(own.names(tag) for own in self._each)


def _folded_forms(phrases: Iterable[str]) -> set[str]:
    """Each phrase case-folded, as written and without spaces or '#' ("Example News", "ExampleNews")."""
    out: set[str] = set()
    for phrase in phrases:
        folded = " ".join(phrase.strip().lstrip("#＃").split()).casefold()
        if folded:
            out |= {folded, folded.replace(" ", "")}
    return out


@functools.lru_cache(maxsize=512)
def _category_phrases(category: str) -> tuple[str, ...]:
    """"Botany, Microbiology" is two categories; "Business/Industries/Nonfiction/" is a
    path whose last part is the specific one."""
    if "/" in category and "," not in category:
        segments = [seg.strip() for seg in category.split("/") if seg.strip()]
        return tuple(segments[-1:])
    return tuple(part.strip() for part in regex.split(r"[,;|]", category) if part.strip())


MAX_KEYWORD_LEAD = 800
MAX_KEYWORD_TAG_CHARS = 20  # longer keyword tags are job titles glued to names, not topics

_CJK_OR_NOSPACE = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}]")


@functools.lru_cache(maxsize=256)
def keywords(title: str, lead: str, language: str | None) -> tuple[str, ...]:
    """Keyword phrases of the title and lead, best first (YAKE), kept only when they are
    names: tags people follow are organisations, places, events, not common words.

    Scripts written without spaces are skipped: YAKE splits words on spaces and would
    return whole sentences there.
    """
    # The lead's opening is enough to find the names an article is about, and YAKE's
    # cost grows with the text (a one-paragraph blog post can be 4000 characters).
    if len(lead) > MAX_KEYWORD_LEAD:
        cut = lead.rfind(" ", 0, MAX_KEYWORD_LEAD)
        lead = lead[: cut if cut > 0 else MAX_KEYWORD_LEAD]
    text = f"{title}. {lead}".strip()
    if not text or _CJK_OR_NOSPACE.search(text):
        return ()
    if not _names_can_be_judged(text, language):
        return ()
    # A Title Case headline capitalises every word, so it proves nothing about names.
    title_toks, lead_toks = _tokens(title), _tokens(lead)
    title_case = _is_title_case(title)
    if not (_may_hold_names(lead_toks) or (not title_case and _may_hold_names(title_toks))):
        return ()  # no word that could open a name: every YAKE phrase would be dropped below
    if not _named_in_both(title, lead, lead_toks, [] if title_case else title_toks):
        return ()  # no name in the headline and the text alike: the same, and YAKE costs milliseconds
    import yake  # lazy: numpy/networkx cost ~130 ms to import; the CLI must start fast

    lang = (language or "en").split("-")[0].split("_")[0].lower() or "en"
    extractor = yake.KeywordExtractor(lan=lang, n=3, top=15, dedupLim=0.8, stopwords=_yake_stopwords(lang))
    try:
        found = extractor.extract_keywords(text)
    except Exception:  # YAKE has failed on odd inputs (no words); a tag is never worth a crash
        return ()
    # Sort ourselves: ties in YAKE's order can follow set iteration, which varies per process.
    ranked = sorted(((float(score), str(kw)) for kw, score in found), key=lambda s: (round(s[0], 9), s[1]))
    nouns_capitalised = _capitalises_nouns(lead_toks, language)
    # A sentence of the text in Title Case (a link blog quoting the headline it links to) proves no name either;
    # where every noun is capitalised (German), a sentence looks so anyway.
    named_toks = lead_toks if nouns_capitalised else _tokens(_without_title_case_sentences(lead))
    out: list[str] = []
    used_words: set[str] = set()
    for _, kw in ranked:
        parts = kw.split()
        if any(is_stopword(p) for p in parts) or kw.casefold() in GENERIC_TAGS:
            continue
        if any(_caseless(p) for p in parts):
            # No capitals to tell a name by (Hebrew, Arabic, Persian, Hindi): YAKE alone
            # picks phrases like "will it print paper". Editors' map and categories only.
            continue
        if not (_is_name_in(parts, named_toks) or (not title_case and _is_name_in(parts, title_toks))):
            continue
        if len(parts) == 1 and not _mentioned_twice(parts[0], title_toks, lead_toks):
            continue  # one passing first name ("Leonard") is not what the article is about
        if not (_phrase_in(kw, title) and _phrase_in(kw, lead)):
            continue  # a topic of the article is named in its headline and in its text, not in passing
        if len(parts) == 1 and any(piece.casefold() in GENERIC_NOUNS for piece in regex.split(r"[-‐]", kw)):
            continue  # "Corte", "US-Dollar": an institution or a unit, not what the article is about
        if _fragment_in(parts, title_toks) and not (_is_country(kw, lang) and not _fragment_in(parts, lead_toks)):
            continue  # "Shabbar" out of the headline's "Shabbar Abbas" (but "Iran" of "Free Iran World Summit"
            # is a topic when the text names the country on its own)
        if (len(parts) > 1 and parts[-1].endswith("s") and len(parts[-1]) > 3
                and _phrase_in(" ".join([*parts[:-1], parts[-1][:-1]]), text)):
            # "Lars Ulrichs" where the text also writes "Lars Ulrich": a genitive of that name (Danish, Swedish,
            # German), tagged as the name.
            parts = [*parts[:-1], parts[-1][:-1]]
            kw = " ".join(parts)
        whole = _whole_name(parts[0], lead_toks) if len(parts) == 1 and not _is_country(kw, lang) else None
        if whole is not None:
            # "Suárez" where the text names "Martín Suárez", "Crowleys" of "The Silver Crowleys": the whole name
            # or nothing.
            if not whole or len(whole.replace(" ", "")) > MAX_KEYWORD_TAG_CHARS:
                continue
            kw, parts = whole, whole.split()
        if _always_within(parts, title_toks, lead_toks):
            continue  # "Hell" only ever as "Metal as Hell": a part of a longer name
        if _in_quoted_name(parts, title, lead):
            continue  # "Private" of “Private Property! No ICE”: a word in quotation marks belongs to the quoted title
        if any(regex.search(r"[-‐]\p{Ll}{3,}", p) for p in parts):
            continue  # "Instagram-profil", "Facebook-konto": a name glued to a common noun is a common noun
        if any(_written_lowercase(p, title_toks, lead_toks) for p in parts):
            continue  # "detached house" in the text: the headline's "House" is a common noun, not a name
        if nouns_capitalised and not all(any(w == p for w, _ in title_toks) for p in parts):
            continue  # German capitalises every noun: only the headline's own words are topics
        if nouns_capitalised and len(parts) == 1 and not _marked_name(parts[0]):
            continue  # and one capitalised German word is as likely "Kunden" (customers) as a name
        if regex.search(rf"\p{{Lu}}[:/]{regex.escape(kw)}\b|\b{regex.escape(kw)}[:/]\p{{Lu}}", text):
            continue  # "NASDAQ:WORK" is an exchange and a ticker, not two topics
        folded = {p.casefold() for p in parts}
        if folded & used_words:
            continue  # a phrase sharing a word with a better one is a fragment or a repeat
        used_words |= folded
        out.append(kw)
    return tuple(out)


@functools.lru_cache(maxsize=64)
def _yake_stopwords(lang: str) -> frozenset[str] | None:
    """YAKE's own stop-word list for `lang`, read here: YAKE reads it itself too, but prints a warning
    to standard output for the lists that are not UTF-8 (Slovak, Lithuanian), which breaks
    `bot preview --json`. None: let YAKE choose (its layout changed, or no list for `lang`)."""
    from importlib import resources

    try:
        folder = resources.files("yake.core") / "StopwordsList"
        entry = folder / f"stopwords_{lang[:2]}.txt"
        if not entry.is_file():
            entry = folder / "stopwords_noLang.txt"
        data = entry.read_bytes()
    except (ModuleNotFoundError, OSError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("iso-8859-1")  # what YAKE itself falls back to
    return frozenset(text.lower().split("\n"))


_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}_\u200c\u200d'’\-]*")
_SENTENCE_GAP = regex.compile(r"[.!?:;。！？؟]")

# (word, separator before it) pairs; the separator tells sentence starts and adjacency.
Tokens = list[tuple[str, str]]


def _tokens(text: str) -> Tokens:
    out: Tokens = []
    last = 0
    for m in _TOKEN.finditer(text):
        out.append((m.group(), text[last : m.start()]))
        last = m.end()
    return out


_ELIDED = regex.compile(r"^\p{Ll}{1,3}['’]\p{Lu}")  # "d’Apex", "l’Europe", "dell’Inter": a name after an article


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or bool(_ELIDED.match(word))


_SENTENCE_SPLIT = regex.compile(r"(?<=[.!?:;])\s+")


def _without_title_case_sentences(text: str) -> str:
    """`text` without its sentences written in Title Case (four content words or more, all capitalised; a sentence
    dense with names still has a common word in lowercase):
    a headline quoted in the text, whose capitals say nothing about names."""
    kept = []
    for sentence in _SENTENCE_SPLIT.split(text):
        content = [w for w, _ in _tokens(sentence) if w[:1].isalpha() and not is_stopword(w)]
        if len(content) >= 4 and all(map(_capitalised, content)):
            kept.append(".")
        else:
            kept.append(sentence)
    return " ".join(kept)


# A quotation of a few words: “Unable to Open Item”, «Reino sin Rey», „Datei fehlt“, "Private Property!".
_QUOTED = regex.compile(r"[“«„‘\"「『]([^“”«»„\"「」『』\n]{2,80}?)[”»“’\"」』]")


def _in_quoted_name(parts: list[str], *texts: str) -> bool:
    """True when `parts` are some, not all, of the words of a quotation in `texts`: a fragment of a quoted title."""
    for text in texts:
        for m in _QUOTED.finditer(text):
            words = [_bare(w) for w, _ in _tokens(m.group(1))]
            if not words or not _capitalised(words[0]):
                continue  # «ami Facebook»: a phrase in quotation marks, not a quoted title
            n = len(parts)
            if len(words) > n and any(words[i:i + n] == parts for i in range(len(words) - n + 1)):
                return True
    return False


def _is_title_case(title: str) -> bool:
    """True when the headline's capitals prove nothing: Title Case, or too short to tell
    ("The Goal" capitalises its one word either way)."""
    content = [w for w, _ in _tokens(title) if w[:1].isalpha() and not is_stopword(w)]
    return len(content) < 3 or sum(map(_capitalised, content)) >= 0.75 * len(content)


# Languages whose nouns decline: a name in the text is mostly not in its dictionary form (a Slovak or
# Russian name in the instrumental or accusative case is a tag nobody uses), and that cannot be judged
# without a dictionary. No keyword tags there; the editors' map and the site's categories still give tags.
_DECLINING = frozenset(
    "ru uk be sr hr bs sl sk cs pl lt lv et fi hu tr ka hy".split()  # noqa: SIM905
)
_CYRILLIC = regex.compile(r"\p{Cyrillic}")


def _names_can_be_judged(text: str, language: str | None) -> bool:
    code = (language or "").split("-")[0].split("_")[0].lower()
    if code:
        return code not in _DECLINING
    return not _CYRILLIC.search(text)  # no language given: Cyrillic text is of a declining language


_GERMAN_MARKER_LIST = "der die das und ist nicht mit von den dem des ein eine einen zu auf für sich auch"
_GERMAN_MARKERS = frozenset(_GERMAN_MARKER_LIST.split())


def _capitalises_nouns(toks: Tokens, language: str | None) -> bool:
    """German (and Luxembourgish) capitalise every noun, so capitals there say little
    about names. Trust the feed's language; without one, look for German function words."""
    code = (language or "").split("-")[0].split("_")[0].lower()
    if code:
        return code in ("de", "lb", "gsw")
    words = [w.casefold() for w, _ in toks]
    return len(words) >= 12 and sum(w in _GERMAN_MARKERS for w in words) / len(words) > 0.08


def _mentioned_twice(word: str, *token_lists: Tokens) -> bool:
    folded = word.casefold()
    return sum(w.casefold() == folded for toks in token_lists for w, _ in toks) >= 2


def _marked_name(word: str) -> bool:
    """An acronym or a word with an inner capital (IBM, DxO, GBit): a name in any language."""
    return len(word) > 1 and (word.isupper() or any(ch.isupper() for ch in word[1:]))


def _bare(word: str) -> str:
    return _POSSESSIVE.sub("", word)


def _fragment_in(parts: list[str], toks: Tokens) -> bool:
    """True when an occurrence of `parts` in `toks` runs on into another capitalised word
    ("Shabbar" of "Shabbar Abbas", "Choose" of "Choose Your Own Adventure", "Merchant" of
    "Brian Merchant's"), directly or across a joining word ("Year in Search", "Camp for Girls")."""
    n, part_of_more = len(parts), False
    words = [_bare(w) for w, _ in toks]

    def joined(j: int, sep: str) -> bool:
        if not (0 <= j < len(toks) and sep.strip() in ("", "@", "&")):
            return False
        word = toks[j][0]
        # An ordinal before a name is part of it ("21st Century"). (A number after one is not: "Atari 2600",
        # "Ubuntu 12.04" and "Lotteria Italia 2017" are the name and its model, version or year.)
        return _capitalised(word) or (j < i and bool(_ORDINAL.match(word)))

    for i in range(len(toks) - n + 1):
        if words[i : i + n] != parts:
            continue
        after_sep = toks[i + n][1] if i + n < len(toks) else "."
        joined_before = i > 0 and joined(i - 1, toks[i][1])
        joined_after = joined(i + n, after_sep)
        if not joined_before and i > 1 and _joiner(words[i - 1]) and not toks[i - 1][0][:1].isupper():
            joined_before = joined(i - 2, toks[i - 1][1]) and not toks[i][1].strip()
        if not joined_after and i + n + 1 < len(toks) and _joiner(words[i + n]):
            joined_after = not after_sep.strip() and joined(i + n + 1, toks[i + n + 1][1])
        part_of_more = part_of_more or joined_before or joined_after
    return part_of_more


@functools.lru_cache(maxsize=16)
def _countries(lang: str) -> frozenset[str]:
    """Country and territory names (CLDR's, through Babel) in `lang` and in English, casefolded."""
    from babel import Locale, UnknownLocaleError

    names: set[str] = set()
    for code in {lang, "en"}:
        try:
            names |= {name.casefold() for name in Locale.parse(code).territories.values()}
        except (UnknownLocaleError, ValueError):
            continue
    return frozenset(names)


def _is_country(phrase: str, lang: str) -> bool:
    return phrase.casefold() in _countries(lang)


def _written_lowercase(word: str, *token_lists: Tokens) -> bool:
    """True when a capitalised word also occurs all in lowercase: a common noun, not a name."""
    lower = word.lower()
    return lower != word and any(w == lower for toks in token_lists for w, _ in toks)


# Lowercase words that join a longer name: "Call of Duty", "Unidade de Ação Fiscal", "University of Michigan".
_NAME_JOINERS = frozenset(
    "of de del della di du des da do dos das von van der den la le y e & the for in and und et".split()  # noqa: SIM905
)


_ORDINAL = regex.compile(r"^\d+(?:st|nd|rd|th|e|er|ème|º|ª|\.)$", regex.IGNORECASE)


def _joiner(word: str) -> bool:
    """A lowercase word that joins a longer name ("Call of Duty")."""
    return word.lower() in _NAME_JOINERS


# Words that put two names side by side ("XML vs JSON", "Ana y Luis") rather than make one name of them.
_COORDINATORS = frozenset("vs v and or y e o u et ou und oder og och i и или و ve ja".split())  # noqa: SIM905


def _neighbour(toks: Tokens, at: int, step: int) -> str | None:
    """The capitalised word next to position `at` (step -1: before, +1: after) in the same run of words, or None.
    Before it, also across one short lowercase word ("Metal as" before "Hell"; after a name, "Facebook is
    McDonald's", such a word is mostly a verb)."""
    j = at + step
    # toks[k][1] is the separator before word k: between `at` and its neighbour, and before that one.
    if not 0 <= j < len(toks) or toks[max(at, j)][1].strip():
        return None
    word = toks[j][0]
    if _capitalised(word):
        return word
    if step > 0 and len(word) >= 3 and word.isdigit() and not (j + 1 < len(toks) and toks[j + 1][1] in ".,"):
        # "Battalion 1944" every time: a year or a model number is part of the name (a version, "12.04", and a
        # sequel's or generation's number, "Red Dead Redemption 2", "iPhone 15", are not)
        return word
    if (step < 0 and j > 0 and word.isalpha() and len(word) <= 3 and word.lower() not in _COORDINATORS
            and not toks[j][1].strip() and _capitalised(toks[j - 1][0])):
        return f"{toks[j - 1][0]} {word}"
    return None


def _whole_name(word: str, toks: Tokens) -> str | None:
    """The longer name `word` belongs to in the text: the capitalised word the text writes right before it most
    often ("Martín Suárez", "Silver Crowleys"), or the one it always writes right after it (two times or more:
    "Lindgren Hall"); "" when the name runs on both ways ("Memorial Alessandro Bianchi": no two-word name); None
    when there is none. A word opening a sentence ("Ami Facebook, ...") and an acronym ("EEUU Putin", "PM Modi")
    prove no longer name."""
    befores: Counter[str] = Counter()
    afters: list[str | None] = []

    def name_word(k: int) -> bool:
        w = toks[k][0]
        return _capitalised(w) and not is_stopword(w) and w == _bare(w) and not w.isupper()

    for i, (tok, sep) in enumerate(toks):
        if _bare(tok) != word:
            continue
        after = i + 1 < len(toks) and not toks[i + 1][1].strip() and name_word(i + 1)
        if i > 0 and not sep.strip() and name_word(i - 1) and i - 1 > 0 and not _SENTENCE_GAP.search(toks[i - 1][1]):
            if after:
                return ""
            befores[toks[i - 1][0]] += 1
        afters.append(toks[i + 1][0] if after and tok == _bare(tok) else None)
    if befores:
        return f"{befores.most_common(1)[0][0]} {word}"
    if len(afters) >= 2 and afters[0] is not None and all(a == afters[0] for a in afters):
        return f"{word} {afters[0]}"
    return None


def _always_within(parts: list[str], *token_lists: Tokens) -> bool:
    """True when every occurrence of `parts` (two or more) has the same capitalised word beside it, on the same
    side, or the same number after it: "Hell" always as "Metal as Hell", "Rey" always as "Reino sin Rey",
    "Battalion" always as "Battalion 1944" is part of that name."""
    n = len(parts)
    befores: list[str | None] = []
    afters: list[str | None] = []
    for toks in token_lists:
        words = [_bare(w) for w, _ in toks]
        for i in range(len(toks) - n + 1):
            if words[i:i + n] == parts:
                befores.append(_neighbour(toks, i, -1) if not _SENTENCE_GAP.search(toks[i][1]) else None)
                afters.append(_neighbour(toks, i + n - 1, 1))
    if len(befores) < 2:
        return False
    return any(side[0] is not None and all(w == side[0] for w in side) for side in (befores, afters))


def _may_hold_names(toks: Tokens) -> bool:
    """Whether any word could start a name as `_is_name_in` judges it: an acronym, or a capital
    that does not open a sentence. Saves running YAKE on text with no names at all."""
    return any((len(w) > 1 and w.isupper()) or (i > 0 and _capitalised(w) and not _SENTENCE_GAP.search(sep))
               for i, (w, sep) in enumerate(toks))


def _named_in_both(title: str, lead: str, *token_lists: Tokens) -> bool:
    """Whether a capitalised word of `token_lists` is written in both the headline and the text. Every phrase
    `keywords` keeps starts with one (a name, in the headline and in the text), so without one YAKE's work
    would all be dropped. The casefolded substring test is a superset of `_phrase_in`'s and goes first."""
    title_cf, lead_cf = title.casefold(), lead.casefold()
    candidates = {w for toks in token_lists for w, _ in toks if _capitalised(w) and not is_stopword(w)}
    return any(w.casefold() in title_cf and w.casefold() in lead_cf and _phrase_in(w, title) and _phrase_in(w, lead)
               for w in candidates)


def _is_name_in(parts: list[str], toks: Tokens) -> bool:
    """True when `parts` occur in `toks` as a whole run of capitalised words that does
    does not open a sentence."""
    n = len(parts)
    for i in range(len(toks) - n + 1):
        window = toks[i : i + n]
        if [w for w, _ in window] != parts:
            continue
        if any(sep.strip() for _, sep in window[1:]):
            continue  # punctuation inside: not one phrase
        acronym = all(len(p) > 1 and p.isupper() for p in parts)
        if not acronym and (i == 0 or _SENTENCE_GAP.search(window[0][1])):
            continue  # capitalised because it opens a sentence
        if not all(_capitalised(p) for p in parts):
            continue
        before = toks[i - 1] if i else None
        after = toks[i + n] if i + n < len(toks) else None
        # "Warner Cable" out of "Time Warner Cable" is a fragment, not the name.
        if before and not window[0][1].strip() and _capitalised(before[0]) and not is_stopword(before[0]):
            continue
        if after and not after[1].strip() and _capitalised(after[0]) and not is_stopword(after[0]):
            continue
        # "Call" out of "Call of Duty", "Michigan" out of "University of Michigan": a fragment too.
        after2 = toks[i + n + 1] if i + n + 1 < len(toks) else None
        if (after and after2 and _joiner(after[0]) and not after[1].strip() and not after2[1].strip()
                and _capitalised(after2[0])):
            continue
        before2 = toks[i - 2] if i >= 2 else None
        if (before and before2 and _joiner(before[0]) and not window[0][1].strip()
                and not before[1].strip() and _capitalised(before2[0]) and not _SENTENCE_GAP.search(before[1])):
            continue
        return True
    return False
