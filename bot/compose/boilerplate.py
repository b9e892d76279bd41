"""Tell the article's own paragraphs from what a site wraps around them.

Works on plain text (clean_html already drops <figcaption>), because the text may come
from a source without markup: a fetched page, a feed that flattened its HTML. Each rule
is a pattern seen in real feeds; the seed article shows most of them (captions with a
credit prefix, "follow us on ...", a "Tags:" line, a copyright line, a plugin credit,
headings that repeat the title).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import regex  # type: ignore[import-untyped]

from bot.compose.text import paragraphs, words

__all__ = ["Paragraph", "article_paragraphs", "normalise_for_compare"]

Kind = Literal["body", "heading"]


@dataclass(frozen=True)
class Paragraph:
    text: str
    kind: Kind
    index: int  # position among the kept paragraphs


_I = regex.IGNORECASE | regex.VERSION1

_FOLLOW = regex.compile(
    r"\b(?:follow|like) us\b|\bsuivez[- ]nous\b|\bsíguenos\b|\bfolg(?:en sie|e) uns\b"
    r"|\bseguici\b|\bsiga-nos\b|\bsegue-nos\b|\bподписывайтесь\b|\bما را دنبال کنید|\bتابعونا|עקבו אחרינו"
    r"|\bthanks? (?:you )?for reading\b|\bmerci de (?:votre )?lecture\b",
    _I,
)
_LABEL_LINE = regex.compile(
    r"^(?:tags?|tagged(?: with| as)?|topics?|keywords?|labels?|schlagw(?:ö|oe)rter|schlagworte|stichw(?:ö|oe)rter"
    r"|étiquettes|mots[- ]cl[ée]s|etiquetas|etichette|теги|метки|برچسب[\u200c ]?ها|کلیدواژه[\u200c ]?ها|الوسوم"
    r"|תגיות|categor(?:y|ies)|filed under|posted in|kategorien?|catégories?|categorías?|categorie"
    r"|share(?: this)?(?: article| post| story)?|partager|compartir|teilen|condividi|related(?: posts| articles)?"
    r"|read (?:more|also)|see also|lesen sie auch|à lire aussi|voir aussi|lea también|leia também)\s*[:：]",
    _I,
)
_COPYRIGHT = regex.compile(
    r"©|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved|tous droits réservés|alle rechte vorbehalten"
    r"|todos los derechos reservados|tutti i diritti riservati|все права защищены|کلیه حقوق",
    _I,
)
_CREDIT = regex.compile(r"\bpowered by\b|\bsharing icons\b|\bproudly powered\b|\btheme by\b", _I)
_WP_FOOTER = regex.compile(
    r"^(?:the post .+ appeared first on .+|continue reading\b.*|read more\b.*|read the full (?:story|article)\b.*"
    r"|lire la suite\b.*|weiterlesen\b.*|leer más\b.*|leia mais\b.*|continua a leggere\b.*|\[…\]|\[\.\.\.\])$",
    _I,
)
_SHARE_ONLY = regex.compile(
    r"^(?:(?:share|tweet|email|e-mail|print|pin(?: it)?|whatsapp|telegram|messenger|copy link|link|facebook|twitter"
    r"|linkedin|reddit|pocket|click to share.*|like this:?|like|loading\.*)[\s,|:·•]*)+$",
    _I,
)
_SOCIAL = regex.compile(r"\b(?:twitter|facebook|youtube|instagram|telegram|tiktok|linkedin|whatsapp|x\.com)\b", _I)
# Photo credits: "Photo: ...", "(AP Photo/...)", "Getty Images".
_PHOTO_CREDIT = regex.compile(
    r"^(?:photo|image|picture|pictured|foto|bild|credit|crédit|photograph|illustration|video|caption)"
    r"(?: credit| by)?\s*[:：]|\((?:AP|AFP|Reuters|EPA|Getty)[^)]*\)\s*$|\bGetty Images\b|\bShutterstock\b",
    _I,
)
# "(PMOI / MEK Iran) and (NCRI): ..." — a parenthesised credit, then a colon: the
# caption style of the seed's site, and of agency captions in general.
_PAREN_PREFIX = regex.compile(r"^\([^()]{1,40}\)(?:\s*(?:and|&|,|/|et|und|y)?\s*\([^()]{1,40}\))*\s*[:：]", _I)
# Whole paragraphs that are never the article: a protected post's stand-in, a podcast's episode
# navigation ("Listen to Episode #11 | Watch Episode #11 | Transcript"), licence lines of guest posts.
_NOT_PROSE = regex.compile(
    r"^there is no excerpt because this is a protected post\.?$"
    r"|^(?:(?:listen(?: to)?|watch|download|subscribe(?: on| to)?|transcript|show notes|play|stream)\b[^|•·]{0,60}"
    r"(?:[|•·]\s*|$)){2,}$"
    r"|\b(?:is|are) licen[sc]ed under (?:a |the )?(?:creative commons|cc[- ]by|mit|gnu|apache)"
    r"|^(?:licen[sc]e|lizenz|licence)\s*[:：]\s*(?:cc|creative commons)"
    r"|\brepublished (?:from|with permission)\b.{0,80}\b(?:under|licen[sc]e)",
    _I,
)
# What some feeds glue to the end of the excerpt itself, in the same paragraph: cut it off.
_TAIL = regex.compile(
    r"\s*(?:\bthe post\b.{1,300}?\bappeared first on\b.{1,200}$"  # WordPress (Yoast) back-link
    r"|\bsubmitted by\s+/?u/\S+.*$"  # Reddit: "submitted by /u/name to /r/sub [link] [comments]"
    r"|\bsubmitted by\s+\S+\s+to\s+/?(?:r/)?\S+\s*\[link\].*$"  # older Reddit: "submitted by name to sub [link]"
    r"|\[link\]\s*\[comments\]\s*$"
    r"|\[(?:…|\.\.\.|&hellip;)\]\s*$"  # WordPress's excerpt teaser "[…]"
    r"|\(\s*(?:…|\.\.\.|&hellip;)\s*\)\s*$"  # the same cut in parentheses ("... des internautes e (...)")
    r"|\b(?:continue reading|read more|weiterlesen|lire la suite|leer más|leia mais)\b[^.!?]{0,120}$"
    # In any language: the site's own cut mid-word, then a short capitalised call to read on ("... f... Lees
    # meer", "... wh… Read more at Example News!").
    r"|(?<=\p{L}(?:\.{2,}|…))\s+\p{Lu}[^.!?…\n]{0,60}[!»→]?\s*$)",
    _I | regex.DOTALL,
)
# The last sentence end of a text: a stop and a space, then no other (a dot inside "RSS.com" or "3.5" ends nothing).
_CUT_OFF = regex.compile(r"[.!?…。！？؟۔।]['\"”’»)\]]*\s+(?:[^.!?…。！？؟۔।]|[.!?](?=[\p{L}\p{N}]))*$")


def strip_tail(text: str) -> str:
    """The paragraph without a teaser or back-link glued to its end. After a "[…]" teaser the
    sentence it cut is dropped too: it is not whole."""
    match = _TAIL.search(text)
    if match is None:
        return text
    head = text[: match.start()].rstrip()
    teaser = match.group(0).lstrip().startswith(("[", "("))
    # After a "[…]" teaser, or where the site cut its own text before its "read more" ("... and f... Read
    # more"), the last sentence is not whole: it goes too.
    own_cut = _OWN_CUT.search(head)
    if own_cut or (teaser and not _SENTENCE_END.search(head)):
        head = head[: own_cut.start()] if own_cut else head
        cut = _CUT_OFF.search(head)
        head = head[: cut.start() + 1].rstrip() if cut else ""
    return head


_OWN_CUT = regex.compile(r"(?<=\p{L})(?:\.{2,}|…)$")


_SENTENCE_END = regex.compile(r"[.!?…。！？؟۔।]['\"”’»)\]]*$")


def normalise_for_compare(text: str) -> str:
    """Lowercase words only: punctuation, quotes and spacing differences ignored."""
    return _compare_key(words(text))


def _compare_key(tokens: list[str]) -> str:
    return " ".join(w.casefold() for w in tokens)


_CODE_CHARS = frozenset("{}[]()<>=;$_\\/|&*#@`")


def _looks_like_code(text: str) -> bool:
    """A pasted code sample reads as noise in a post: too many program symbols."""
    if len(text) <= 40 or not ("=" in text or "{" in text or "();" in text):
        return False  # the cheap tests first: prose rarely has any of these
    symbols = sum(ch in _CODE_CHARS for ch in text)
    return symbols / len(text) > 0.06


def _is_heading(text: str, n: int) -> bool:
    """`n`: how many words `text` has."""
    if "\n" in text:
        return False
    # A heading has no closing full stop; a very short line is a label even with one.
    return (n <= 14 and not _SENTENCE_END.search(text)) or n <= 6


# "Author : Jane Doe Narrator : John Roe Audio Producer : ...": a credits table flattened into one line.
_CREDIT_PAIR = regex.compile(r"(?:^|[\s|•·,;])\p{Lu}[\p{L}’'\-]*(?:\s[\p{L}’'\-]+){0,2}\s?[:：]\s*\p{Lu}")
# "Writer and photos: Evert Buurman The last afternoon ...": a byline glued to the lead. The label has two to
# five words with a lowercase one among them (not a dateline or a speaker's name), the name two to four
# capitalised words, and the sentence starts after it on a capitalised word followed by a lowercase one.
_BYLINE = regex.compile(
    r"^(?=[^:：.!?\n]{3,50}[:：])(?:[\p{L}’'\-]+\s+){1,4}?(?=[^:：]*\b\p{Ll})[\p{L}’'\-]+\s*[:：]\s*"
    r"(?P<name>\p{Lu}[\p{L}’'.\-]*(?:\s+\p{Lu}[\p{L}’'.\-]*){1,3}?)\s+(?=\p{Lu}[\p{L}’'\-]*\s+\p{Ll})"
)


def strip_byline(text: str) -> str:
    """The lead without a byline glued to its start."""
    match = _BYLINE.match(text)
    return text[match.end():] if match else text


def _is_credits(text: str) -> bool:
    return len(_CREDIT_PAIR.findall(text)) >= 2 and not _SENTENCE_END.search(text.split(":", 1)[0])


# "勤務地: 東京\n職種：...\n時給：1000円～": a listing's fields, one "label: value" a line, a short label each.
_FIELD = regex.compile(r"^[^\s:：]{1,12}(?:\s[^\s:：]{1,12})?\s*[:：]\s*\S")
_FIELD_LINES = 3
_FIELD_CHARS = 60


def _is_field_list(text: str) -> bool:
    lines = text.split("\n")
    if len(lines) < _FIELD_LINES:
        return False
    labels = [m.group(0).split(":")[0].split("：")[0].strip() for m in map(_FIELD.match, lines) if m]
    # Each field once, and short: a chat log's speakers ("xxx: ...", "yyy: ...", "xxx: ...") come back, and say
    # sentences.
    return (len(labels) >= len(lines) - 1 and len(set(labels)) == len(labels)
            and all(len(line) <= _FIELD_CHARS for line in lines))


def _is_boilerplate(text: str, n: int) -> bool:
    """`n`: how many words `text` has."""
    if "\n" in text and _is_field_list(text):
        return True
    if _LABEL_LINE.search(text) or _WP_FOOTER.search(text) or _SHARE_ONLY.search(text) or _NOT_PROSE.search(text):
        return True
    if n <= 60 and _is_credits(text):
        return True
    if n <= 40 and (_FOLLOW.search(text) or _COPYRIGHT.search(text) or _CREDIT.search(text)):
        return True
    if n <= 15 and _SOCIAL.search(text) and not _SENTENCE_END.search(text):
        return True  # "and People's Mojahedin ... – YouTube": a link list, not prose
    return bool(_PHOTO_CREDIT.search(text) or _PAREN_PREFIX.search(text))


@functools.lru_cache(maxsize=32)
def article_paragraphs(text: str, title: str) -> tuple[Paragraph, ...]:
    """The paragraphs that belong to the article, each marked body or heading.

    Cached: the summary, the lead and the keywords of every platform's post all start here.
    """
    raw = paragraphs(text)
    title_key = normalise_for_compare(title)
    kept: list[Paragraph] = []
    for para in raw:
        para = strip_tail(para)
        if not kept:
            para = strip_byline(para)
        tokens = words(para)  # once: the key and both tests count the same words
        key = _compare_key(tokens)
        if not key or key == title_key or _is_boilerplate(para, len(tokens)):
            continue
        if _looks_like_code(para):
            continue
        kind: Kind = "heading" if _is_heading(para, len(tokens)) else "body"
        if kind == "heading" and title_key and (key in title_key or title_key in key):
            continue  # a heading that repeats the title
        kept.append(Paragraph(para, kind, len(kept)))
    return tuple(kept)
