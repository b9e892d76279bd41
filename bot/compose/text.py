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
    rf"|[{regex.escape(_CJK_TERM)}]+[{regex.escape(_CLOSERS)}]*)\s*"
)
# Abbreviations after which a period does not end a sentence (lowercased, no dot).
_ABBREVIATION_LIST = (
    "mr mrs ms dr prof st sr jr vs etc eg ie cf al no nos vol pp gen gov sen rep col lt sgt capt cmdr adm rev "
    "hon inc ltd co corp dept univ est approx fig jan feb mar apr jun jul aug sep sept oct nov dec mt ft "
    "u.s u.k e.g i.e a.m p.m z.b bzw usw ca nr dh s.a sr.a sra srta av mme mlle m"
)
_ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
_WORD = regex.compile(
    r"[\p{Han}\p{Hiragana}\p{Katakana}]"  # one ideograph or kana = one token: no spaces in CJK
    r"|[\p{L}\p{M}\p{N}_\u200c\u200d]+(?:['’\-.][\p{L}\p{M}\p{N}_\u200c\u200d]+)*"
)
_GRAPHEME = regex.compile(r"\X")
_CJK_CHAR = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]")
_CJK_LETTER = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")
# Never leave these dangling at the end of a cut text.
_JUNK_RUN = regex.compile(rf"[\s,;:、，；：\-–—/|·•({regex.escape(_OPENERS)}]+")


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


def _is_false_stop(line: str, term_at: int, next_at: int, ordinal_dots: bool = False) -> bool:
    """A period after an abbreviation or an initial, or followed by a lowercase word."""
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
        if token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha()):
            return True
    if next_at < len(line):
        nxt = line[next_at]
        if nxt.islower() or (nxt.isdigit() and line[term_at - 1 : term_at].isdigit()):
            return True
    return False


def join_sentences(parts: list[str]) -> str:
    """Join sentences back into running text: no space between two CJK sentences."""
    out = ""
    for part in parts:
        if out:
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


def _cut_points(text: str) -> list[int]:
    """Indices where text[:i] ends on a word boundary: before whitespace, or between
    two ideographs/kana (CJK has no spaces, and any ideograph boundary is a word one)."""
    points: list[int] = []
    prev_space = True
    for i, ch in enumerate(text):
        if ch.isspace():
            if not prev_space:
                points.append(i)
            prev_space = True
            continue
        if not prev_space and i and _CJK_LETTER.match(ch) and _CJK_CHAR.match(text[i - 1]):
            points.append(i)
        prev_space = False
    return points


def cut_to_fit(text: str, fits: Callable[[str], bool], ellipsis: str = ELLIPSIS) -> str:
    """The longest prefix of `text` cut at a word boundary, plus `ellipsis`, for which
    `fits` holds; `text` itself if it fits; "" if not even one word fits.

    Cutting only at whitespace or between ideographs means a word, URL, hashtag,
    emoji sequence or grapheme cluster is never split.
    """
    if fits(text):
        return text
    ends = _head_ends(text)
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


def _head_ends(text: str) -> list[int]:
    """Distinct ends of the cut candidates, in order: each cut point moved back over the
    punctuation and spaces that must not dangle at the end of a cut. One pass, linear."""
    runs = iter(_JUNK_RUN.finditer(text))
    run = next(runs, None)
    ends: list[int] = []
    for i in _cut_points(text):
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
