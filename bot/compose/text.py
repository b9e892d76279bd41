"""Text segmentation shared by the summariser and the fitter: paragraphs, sentences,
words, and cutting at a safe boundary.

Uses the `regex` module for Unicode script and grapheme classes that `re` lacks.
"""

from __future__ import annotations

from collections.abc import Callable

import regex  # type: ignore[import-untyped]

__all__ = [
    "ELLIPSIS",
    "cut_to_fit",
    "ends_sentence",
    "graphemes",
    "join_sentences",
    "paragraphs",
    "sentences",
    "words",
]

ELLIPSIS = "…"

# Sentence terminators of the scripts we expect in feeds. Ideographic ones end a
# sentence even without a following space; the others need whitespace after them.
_CJK_TERM = "。！？｡"
_TERM = ".!?…‼⁇⁈⁉؟۔।॥։።፧"
_CLOSERS = "\"'”’»›)]}」』】〉》）"
_OPENERS = "\"'“‘«‹([{「『【〈《（"

_SPLIT = regex.compile(
    rf"(?:[{regex.escape(_TERM)}]+[{regex.escape(_CLOSERS)}]*(?=\s)"
    rf"|[{regex.escape(_CJK_TERM)}]+[{regex.escape(_CLOSERS)}]*"
    # "in April.Previously, ...", "since 2015.Over 120 ...": flattened <p> or <li> glue sentences at a bare dot.
    r"|(?<=[\p{Ll}\p{N}]\p{Ll}|\p{N}\p{N})\.(?=\p{Lu}\p{Ll}))\s*"
)
# Names written with a "!" that ends no sentence ("Yahoo! Mail", "try! Swift", "Jeopardy! host").
_BANG_NAMES = frozenset(["yahoo", "try", "jeopardy", "wham", "oklahoma"])
# Abbreviations after which a period does not end a sentence (lowercased, no dot).
_ABBREVIATION_LIST = (
    "mr mrs ms dr prof st sr jr vs etc eg ie cf al no nos vol pp gen gov sen rep col lt sgt capt cmdr adm rev "
    "hon inc ltd co corp dept univ est approx fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft "
    "u.s u.k e.g i.e a.m p.m z.b bzw usw ca nr dh s.a sr.a sra srta av mme mlle m "
    # US state abbreviations of the AP style ("state Del. Jane Doe"), but none that is also a word.
    "ariz calif colo conn del fla ga kan ky md mich minn mont neb nev okla penn tenn vt wis wyo"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
_WORD = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}]"  # one ideograph or kana = one token: no spaces in CJK
    r"|[\p{L}\p{M}\p{N}_\u200c\u200d]+(?:['’\-.][\p{L}\p{M}\p{N}_\u200c\u200d]+)*"
)
_GRAPHEME = regex.compile(r"\X")
_CJK_CHAR = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")
_CJK_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
_HAN = regex.compile(r"\p{Han}")
_HIRAGANA = regex.compile(r"\p{Hiragana}")
_KATAKANA = regex.compile(r"[\p{Katakana}ー]")
# Never leave these dangling at the end of a cut text.
_JUNK_RUN = regex.compile(rf"[\s,;:、，；：\-–—/|｜丨·•({regex.escape(_OPENERS)}]+")


def paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, stripped, empty ones dropped."""
    return [p.strip() for p in regex.split(r"\n\s*\n", text) if p.strip()]


# Languages that write ordinals with a dot ("am 24. September", "20. století"): a
# dot after a one- or two-digit number there does not end the sentence.
_ORDINAL_DOT_LANGS = frozenset(
    [
        "de",
        "da",
        "nb",
        "nn",
        "no",
        "fi",
        "cs",
        "sk",
        "sl",
        "hr",
        "sr",
        "bs",
        "hu",
        "pl",
        "tr",
        "et",
        "lv",
        "lt",
        "is",
        "fo",
    ]
)


def sentences(paragraph: str, language: str | None = None) -> list[str]:
    """Split one paragraph into sentences (multilingual, abbreviation-aware).

    A single newline (a <br> in the source) always ends a sentence.
    """
    ordinal_dots = (language or "").split("-")[0].split("_")[0].lower() in _ORDINAL_DOT_LANGS
    out: list[str] = []
    for line in paragraph.split("\n"):
        start = 0
        for m in _SPLIT.finditer(line):
            end = m.end()
            if _is_false_stop(line, m.start(), end, ordinal_dots):
                continue
            piece = line[start:end].strip()
            if piece:
                out.append(piece)
            start = end
        tail = line[start:].strip()
        if tail:
            out.append(tail)
    return out


_ORDINAL_END = regex.compile(r"(?<![\p{N}.,])\p{N}{1,2}$")
_WORD_END = regex.compile(r"([\p{L}.]+)$")


_INITIALS = regex.compile(r"(?:\p{Lu}\.)+\p{Lu}")  # "U.T" of "U.T. Khader", "J.R.R" of "J.R.R. Tolkien"


# Quotation marks that open and close differently: “…”, «…», „…“ (the apostrophe-like ‘’ and straight quotes are not).
_QUOTE_PAIRS = (("“", "”"), ("«", "»"), ("„", "“"))
_QUOTE_RUN_ON = 120  # a quotation closing this soon after the stop is a short quoted title or cry, not a speech


def _inside_quotation(line: str, term_at: int, next_at: int) -> bool:
    """Whether the stop at `term_at` stands inside a short quotation that closes after it on the same line."""
    for opening, closing in _QUOTE_PAIRS:
        opened = line.rfind(opening, max(0, term_at - _QUOTE_RUN_ON), term_at)
        if opened < 0 or line.find(closing, opened + 1, term_at) >= 0:
            continue
        if line.find(closing, next_at, next_at + _QUOTE_RUN_ON) >= 0 and line.find(closing, term_at, next_at) < 0:
            return True
    return False


def _is_false_stop(line: str, term_at: int, next_at: int, ordinal_dots: bool = False) -> bool:
    """A period after an abbreviation or initials; any stop followed by a lowercase word (a quoted "presente!"
    the sentence runs on after) or, in Japanese, by kana (「本当に？」と言った); the "!" of a name."""
    nxt = line[next_at] if next_at < len(line) else ""
    if nxt and _inside_quotation(line, term_at, next_at):
        return True  # 'a free “Private Property! No ICE” sign': the stop is the quoted title's, not the sentence's
    if nxt and term_at + 1 < next_at and line[term_at] in "!?…‼⁇⁈⁉" and nxt.islower():
        return True  # '"Estou presente!" e continuou': the quotation is inside the sentence
    if nxt and _HIRAGANA.match(nxt) and (line[term_at] in "？！?!" or line[next_at - 1] in _CLOSERS):
        return True  # "これは何ですか？という", "「そうだ。」と言った": a quotation inside the sentence
    if line[term_at] == "!":
        before_bang = _WORD_END.search(line[max(0, term_at - 12) : term_at])
        return bool(before_bang and before_bang.group(1).lower() in _BANG_NAMES)
    if line[term_at] != ".":
        return False
    # Look only at the few characters before the dot: searching the whole prefix for
    # each dot would make long paragraphs quadratic.
    window = line[max(0, term_at - 40) : term_at]
    if ordinal_dots and _ORDINAL_END.search(window):
        return True
    before = _WORD_END.search(window)
    if before:
        token = before.group(1).lower().strip(".")
        after_apostrophe = window[: before.start()].endswith(("'", "’"))  # "don't." is no initial
        if window[: before.start()][-1:].isdigit():
            return False  # "on June 21st. The shares": an ordinal, not "St." (Saint)
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha() and not after_apostrophe):
            return True
        if _INITIALS.fullmatch(before.group(1).strip(".")) and nxt[:1].isupper():
            return True  # initials before a name: "Mr. U.T. Khader"
    if next_at < len(line):
        nxt = line[next_at]
        if nxt.islower() or (nxt.isdigit() and line[term_at - 1 : term_at].isdigit()):
            return True
    return False


# Scripts whose writers end sentences with a space or their own signs, not with the terminators above.
_NO_STOP_SCRIPT = regex.compile(r"[\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}\p{Tibetan}]")


def ends_sentence(text: str) -> bool:
    """Whether `text` ends on a sentence terminator (closing quotes and brackets aside), or is
    written in a script that uses none."""
    last = text.rstrip().rstrip(_CLOSERS)[-1:]
    return bool(last) and (last in _TERM or last in _CJK_TERM or bool(_NO_STOP_SCRIPT.match(last)))


def join_sentences(parts: list[str]) -> str:
    """Join sentences back into running text: no space between two CJK sentences.

    `sentences` splits only at a terminator or at a line or paragraph end, so a sentence without
    a terminator ended where its block did (a quote line, a list item, a paragraph the author left
    open): a line break keeps that boundary, where a space would glue two blocks into one sentence
    ("... at the W3C I'll come out and say it.")."""
    out = ""
    for part in parts:
        if out:
            if not ends_sentence(out):
                out += "\n"
            else:
                cjk_stop = out[-1] in _CJK_TERM or out.rstrip(_CLOSERS)[-1:] in _CJK_TERM
                if not (cjk_stop and _CJK_CHAR.match(part)):
                    out += " "
        out += part
    return out


def words(text: str) -> list[str]:
    """Word tokens (an ideograph counts as one word)."""
    return list(_WORD.findall(text))


def graphemes(text: str) -> list[str]:
    """Extended grapheme clusters: what a reader sees as one character."""
    return list(_GRAPHEME.findall(text))


# Where a CJK sentence or clause may be cut; "｜" and "丨" (an ideograph used as a bar) separate a
# Chinese headline's parts ("极客之选年度评选丨年度真无线降噪耳机", GeekPark).
_CJK_PAUSE = "。、！？，；：｡､｜丨"


def _script(ch: str) -> str:
    if _HAN.match(ch):
        return "han"
    if _HIRAGANA.match(ch):
        return "hiragana"
    if _KATAKANA.match(ch):
        return "katakana"
    return "other"


def _cut_points(text: str) -> tuple[list[int], list[int], list[int]]:
    """Indices where text[:i] may end, best kind first: (1) before whitespace or after a CJK
    pause mark (。、！？), (2) where a CJK script changes (kanji to kana), (3) between any two
    ideographs or kana. A word, URL, hashtag, emoji sequence or grapheme is never split."""
    words: list[int] = []
    scripts: list[int] = []
    chars: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                words.append(i)
            prev_space = True
            continue
        if i and text[i - 1] in _CJK_PAUSE:
            words.append(i)
        elif not prev_space and i and _CJK_LETTER.match(ch) and _CJK_CHAR.match(text[i - 1]):
            (scripts if _script(ch) != _script(text[i - 1]) else chars).append(i)
        prev_space = False
    return words, scripts, chars


def cut_to_fit(text: str, fits: Callable[[str], bool], ellipsis: str = ELLIPSIS) -> str:
    """The longest prefix of `text` cut at the best kind of boundary that leaves something,
    plus `ellipsis`, for which `fits` holds; `text` itself if it fits; "" if nothing fits.

    A Japanese or Chinese title is cut at its last pause mark that fits, else where the script
    changes, and only then between two characters.
    """
    if fits(text):
        return text
    for points in _cut_points(text):
        best = _longest_fitting(text, _head_ends(text, points), fits, ellipsis)
        if best:
            return best
    return ""


def _longest_fitting(text: str, ends: list[int], fits: Callable[[str], bool], ellipsis: str) -> str:
    lo, hi, best = 0, len(ends) - 1, ""
    # Length grows with the prefix, so binary search keeps this O(log n) counts; only the
    # prefixes it tries are built (building every one made a long title quadratic).
    while lo <= hi:
        mid = (lo + hi) // 2
        attempt = _with_ellipsis(text[: ends[mid]], ellipsis)
        if fits(attempt):
            best, lo = attempt, mid + 1
        else:
            hi = mid - 1
    return best


def _head_ends(text: str, points: list[int]) -> list[int]:
    """Distinct ends of the cut candidates, in order: each cut point moved back over the
    punctuation and spaces that must not dangle at the end of a cut. One pass, linear."""
    runs = iter(_JUNK_RUN.finditer(text))
    run = next(runs, None)
    ends: list[int] = []
    for i in points:
        while run is not None and run.end() < i:
            run = next(runs, None)
        # text[:i] ends inside (or at the end of) this run of junk: the head stops where it starts.
        end = run.start() if run is not None and run.start() < i <= run.end() else i
        if end > 0 and (not ends or ends[-1] != end):
            ends.append(end)
    return ends


def _with_ellipsis(head: str, ellipsis: str) -> str:
    # "word." + "…" reads as a typo; a cut at a full stop needs no ellipsis at all.
    if head[-1] in _TERM or head[-1] in _CJK_TERM:
        return head
    return head + ellipsis
