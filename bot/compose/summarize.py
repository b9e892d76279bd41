"""Extractive summary: rank the article's own sentences, never write new ones.

The lead is a strong baseline in news writing, so position carries the most weight;
overlap with the title and with the article's frequent words lift a sentence that
represents the whole; sentences that cannot stand alone ("However, they ...") or that
are truncated teasers ("[…]") sink. Boilerplate never gets this far (boilerplate.py).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

import regex  # type: ignore[import-untyped]

from bot.compose.boilerplate import article_paragraphs, normalise_for_compare
from bot.compose.stopwords import is_stopword
from bot.compose.text import ends_sentence, join_sentences, paragraphs, sentences, words

__all__ = ["Sentence", "in_order", "lead_paragraph", "opening", "points_back", "ranked_sentences", "summary_source"]


@dataclass(frozen=True)
class Sentence:
    text: str
    position: int  # order in the article
    score: float
    # Ends on a terminator (or in a script that has none), or another block follows it: a titled
    # post's summary never ends on a sentence that is not whole, which the feed may have cut off.
    whole: bool = True


# Openers that point back to an earlier sentence: fine inside the article, confusing
# as the first words a reader sees.
# Far enough into any article: past this, position makes a sentence a poor summary
# anyway, and a 60 KB podcast description would only cost time.
MAX_CANDIDATES = 80

_DANGLING = regex.compile(
    r"^[\"'“‘«„(\[]*(?:however|but|and|or|nor|plus|alas|otherwise|likewise|similarly|hence|so|also|then|thus|therefore|meanwhile|moreover|furthermore|still|yet|instead"
    r"|this|these|those|that|they|them|he|she|it|his|her|their|its|such|both|another|others|in addition"
    r"|as a result|for example|for instance"
    r"|(?:first|second|secondly|third|thirdly|finally|lastly)(?=,)"
    r"|mais|et|donc|cependant|aber|und|doch|pero|sin embargo|y|ma|però)\b",
    regex.IGNORECASE,
)
# A pronoun as the subject of a quote's attribution ('"...," she said.') also points back.
_ATTRIBUTION = regex.compile(
    r"\b(?:he|she|they|it|il|elle|ils|er|sie|él|ella)\s+(?:said|says|added|adds|told|noted|explained|wrote"
    r"|continued|insisted|argued|a dit|a déclaré|a ajouté|sagte|fügte|dijo|añadió)\b",
    regex.IGNORECASE,
)


# "If done right, each of these extensions ...": a demonstrative plural early on names what the
# sentence before said.
_EARLY_DEMONSTRATIVE = regex.compile(r"^(?:\S+\s+){0,5}(?:these|those|the latter|the former|ces|diese|estos|estas)\b",
                                     regex.IGNORECASE)


# "I've only seen a few of these; ...": a demonstrative standing for a noun (a stop or a comma right after it) names
# what came before.
_DEMONSTRATIVE_PRONOUN = regex.compile(r"\b(?:these|those|estos|estas|esos|esas|diese|questi|queste|deze)\s*[;,.!?)]",
                                       regex.IGNORECASE)


def points_back(sentence: str) -> bool:
    """True when the sentence leans on the one before it ("However, ...", "..., she said."):
    a summary may show it only together with that sentence."""
    return bool(_DANGLING.match(sentence) or _ATTRIBUTION.search(sentence) or _EARLY_DEMONSTRATIVE.match(sentence)
                or _DEMONSTRATIVE_PRONOUN.search(sentence))


# A sentence whose first word is all lowercase is the rest of a list or of a cut sentence
# ("extending UIFont so we could ..."): it never stands alone. "iPhone", "eBay" are names.
_LOWER_START = regex.compile(r"^[\"'“‘«„(\[]*\p{Ll}+(?![\p{Lu}\p{N}])\b")
# Cut off by the feed ("..., al limite..."): not a whole sentence, never a summary.
# "(...)" / "(…)" is the same cut, as some feeds write it.
_TRUNCATED = regex.compile(r"(?:[\[(]\s*(?:…|\.\.\.)\s*[\])]|(?<!\.)(?:…|\.\.\.))\s*$")


def may_end_inside_a_word(text: str) -> bool:
    """A text without a stop that a program clipped at a storage limit (255 characters: a VARCHAR, an
    itunes:summary) rather than a person ending it (a standfirst in a site's style, without a stop): its last
    word may be cut ("... at the demoli"). A feed that marked its cut ("...", "…", "[…]") left whole words."""
    n = len(text.strip())
    clipped_at_limit = n >= 200 and (n % 50 == 0 or (n & (n - 1)) == 0 or ((n + 1) & n) == 0)
    return clipped_at_limit and not _TRUNCATED.search(text)


# A code sample flattened into the prose ("// keep track ... override func awake(withContext ...)").
_CODE = regex.compile(r"(?:^|\s)//\s|\b(?:func|def|fn)\s+\w+\s*\(|\b(?:static\s+)?(?:var|let|const)\s+\w+\s*="
                      r"|\bimport\s+\p{Lu}\w+\s+(?:class|struct|func)\b|[{};]\s*$|\)\s*\{|\w\(\w+:\s")


# "One. OmniOutliner's outline view ...": the label of a list item is no sentence of its own.
_LIST_LABEL = regex.compile(
    r"^(?:\d{1,2}|[ivx]{1,4}|one|two|three|four|five|six|seven|eight|nine|ten|first|second|third"
    r"|un|deux|trois|eins|zwei|drei|uno|dos|tres|due)[.):]$",
    regex.IGNORECASE,
)


# Not the article's prose, in any language: a credit for its picture or video ("(Video by ...)", "Foto: ...",
# "Via ...", "عکس: ..."), a line of a chat log or transcript ("10:42 PM nick ...", "[21:07] <nick> ..."), and an
# app's instruction to its listener ("Download the app ...", "Lade dir die App herunter ...").
_MEDIA = (r"(?:photos?|fotos?|video|vídeo|vidéo|bild(?:er)?|images?|imagen|immagine|illustration|ilustración|credits?"
          r"|crédito|crédit|foto(?:grafía|grafia)?|фото|видео|عکس|ویدیو|فیلم|صورة|فيديو|写真|動画|画像|图片|视频)")
_CREDIT_LINE = regex.compile(
    rf"^[(\[]?\s*(?:(?i:{_MEDIA}(?:\s+\p{{Ll}}+)?\s*[:：]|{_MEDIA}\s+(?:by|de|di|von|por|par|van|av|از|من|от)\s)"
    # "Via Jim Coudal, ...": a link blog's credit to who it found the link through (a capital: a name follows).
    r"|(?i:via|vía)\s+\p{Lu})",
    regex.VERSION1,  # (scoped flags: the capital after "via" is a capital)
)
_CHAT_LINE = regex.compile(r"^[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?\s*(?:[AaPp]\.?[Mm]\.?\s+)?(?:<[^<>\s]{1,30}>|\S+)\s"
                           r"|^<[^<>\s]{1,30}>\s")
_APP = regex.compile(r"\b(?:apps?|app['’]s|application|aplicación|aplicativo|applicazione|anwendung|приложени\p{L}*"
                     r"|اپ|اپلیکیشن|تطبيق|アプリ|应用|settings|ajustes|configuración|einstellungen|paramètres"
                     r"|impostazioni|configurações|تنظیمات)(?![\p{L}\p{N}])", regex.IGNORECASE)
# An instruction opens on its verb, or on "you can" and its verb.
_INSTRUCTION = regex.compile(r"^(?:you can|puedes|podés|você pode|vous pouvez|du kannst|puoi|می‌توانید)?\s*"
                             r"(?:download|install|get|open|tap|click|head|go|enable|listen|subscribe|descarga"
                             r"|descargue|instala|abre|ir|baixe|instale|abra|lade|installier|öffne|télécharge"
                             r"|téléchargez|installez|ouvrez|scarica|installa|apri|دانلود|نصب)\b", regex.IGNORECASE)
_INSTRUCTION_WORDS = 20


# "RÜDESHEIM - (red).", "TORINO – (ansa).": a place in capitals and a dash (a dateline), a short credit in
# parentheses; what is left of a sentence without them is what it says.
_DATELINE_OPENING = regex.compile(r"^\p{Lu}[\p{Lu}\p{N} .'’/-]{1,40}?\s*[-–—]\s+")
_PAREN_CREDIT = regex.compile(r"[(（][^()（）]{1,24}[)）]")
# A label alone between brackets: "＜プレスリリース資料＞", "【新闻稿】", "[Pressemitteilung]".
_BRACKETED_LABEL = regex.compile(r"^\s*[\[<＜【〔〈《]\s*[^\[\]<>＜＞【】〔〕〈〉《》]{1,40}?\s*[\]>＞】〕〉》]"
                                 r"\s*[.。]?\s*$")
# A listing's field line: a short label, a colon, then an amount ("時給：1000円～", "月薪：8000元起", "Preis: 12 €").
_FIELD_LINE = regex.compile(r"^[\p{L}\p{M}]{1,12}(?:\s[\p{L}\p{M}]{1,12}){0,1}\s*[:：]\s*"
                            r"(?:\p{Sc}|[\p{N}][\p{N}.,]*\s*(?:\p{Sc}|円|元|万|ドル|块))")
_LABEL_WORDS = 4


def _is_label(sentence: str) -> bool:
    """A dateline and a credit with (almost) nothing else, a bracketed label, a listing's field line."""
    if _BRACKETED_LABEL.match(sentence) or _FIELD_LINE.match(sentence):
        return True
    rest = _PAREN_CREDIT.sub(" ", _DATELINE_OPENING.sub("", sentence, count=1))
    if rest == sentence:
        return False
    return len([w for w in words(rest) if any(c.isalpha() for c in w)]) < (2 if _CJK.search(rest) else _LABEL_WORDS)


def not_prose(sentence: str) -> bool:
    """A credit line, a chat-log line, an app's instruction or a label: never a summary, whatever the language."""
    return bool(_CREDIT_LINE.match(sentence) or _CHAT_LINE.match(sentence) or _is_label(sentence) or (
        len(words(sentence)) <= _INSTRUCTION_WORDS and _APP.search(sentence) and _INSTRUCTION.match(sentence)))


def can_be_summary(sentence: str, opens_article: bool = False) -> bool:
    """Whether a sentence may be shown at all; `opens_article`: it is the article's first words, where
    a lowercase name ("githubpub is a Node app ...") is how the author began, not a cut."""
    return not ((_LOWER_START.match(sentence) and not opens_article) or _TRUNCATED.search(sentence)
                or _CODE.search(sentence) or _sends_elsewhere(sentence) or not_prose(sentence))


# A web address in a sentence ("See acast.com/privacy for ...", "Read more at example.co.za!", "Join us at
# https://..."): it sends the reader elsewhere, as a platform's or site's promotional tail does; the post
# carries the article's own link. A bare domain in a longer sentence is what the article is about
# ("Google has reported feedvalidator.org as being hacked, ...") and stays.
_URL = regex.compile(r"https?://|\bwww\.|(?<![\p{L}\p{N}@.])[\p{Ll}\p{N}-]{2,}\.(?:\p{Ll}{2,3}\.)?\p{Ll}{2,6}/\S")
_DOMAIN = regex.compile(r"(?<![\p{L}\p{N}@.])[\p{L}\p{N}-]{2,}\.(?:\p{Ll}{2,3}\.)?\p{Ll}{2,6}(?![\p{L}\p{N}])(?<!\.js)")
_SHORT_SENTENCE_WORDS = 8


def _sends_elsewhere(sentence: str) -> bool:
    return bool(_URL.search(sentence) or (_DOMAIN.search(sentence) and len(words(sentence)) <= _SHORT_SENTENCE_WORDS))


# A "(…)" inside a text is a quotation's elision; at its end, the feed's cut.
_TEASER = regex.compile(r"\[\s*(?:…|\.\.\.)\s*\]|(?:\(\s*(?:…|\.\.\.)\s*\)|…|\.\.\.)\s*$"
                        r"|continue reading|read more", regex.IGNORECASE)
_ENDS_SENTENCE = regex.compile(r"[.!?…。！？؟۔।]['\"”’»)\]」』]*$")
# "MOSCOU, 24 SET (ANSA) - " / "Quito, 24 Set 2018 (AFP) - ": the wire's dateline is
# not part of the sentence a reader should see first.
_DATELINE = regex.compile(
    r"^[^()\n]{2,60}\((?:AFP|ANSA|AP|Reuters|EFE|dpa|DPA|Lusa|UPI|PA|IANS|PTI|Xinhua|TASS|ИТАР-ТАСС|РИА Новости)\)"
    r"\s*[-–—:]\s*"
)
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]")


def _quotes_headline_then_more(key: str, title_key: str, inside: bool = False) -> bool:
    """`key` (a sentence, normalised) holds the whole headline of three words or more, then three words or more;
    `inside`: and after one to three words of its own, as a back-link names a post ("The post", "Der Beitrag"): a
    lead that opens with its headline, or tells of it at length, is not quoting it."""
    if title_key.count(" ") < 2:
        return False
    at = f" {key} ".find(f" {title_key} ")
    if at < 0 or key[at + len(title_key):].count(" ") < 3:
        return False
    return not inside or 1 <= len(key[:at].split()) <= 3


def _join_cut_lines(text: str) -> str:
    """The feed cut its text ("... de las..."): the lines that lead into the cut without a stop of their own are
    the feed's wrapping of the one sentence it cut ("Asier\nRiesgo y Marko\nDmitrović ... de las..."), not whole
    lines of their own."""
    lines = text.split("\n")
    i = len(lines) - 1
    while i > 0 and not _ENDS_SENTENCE.search(lines[i - 1].rstrip()):
        i -= 1
    return "\n".join([*lines[:i], " ".join(line.strip() for line in lines[i:])])


def summary_source(text: str, summary: str) -> str:
    """The fullest text to summarise: the article body, or the feed's summary when the
    body is missing or shorter (many feeds carry only a description)."""
    if len(text) >= len(summary) or not summary:
        return text
    return summary


def _content_words(sentence: str) -> list[str]:
    return [w.casefold() for w in words(sentence) if not is_stopword(w) and (len(w) > 2 or _CJK.match(w))]


@functools.lru_cache(maxsize=256)
def ranked_sentences(text: str, title: str, language: str | None = None) -> tuple[Sentence, ...]:
    """Candidate summary sentences, best first. Cached: X and Facebook rank the same article."""
    paras = article_paragraphs(text, title)
    body = [p for p in paras if p.kind == "body"]
    if not body and not title.strip():
        body = list(paras)  # an untitled micro post: its one short line is all there is to say
    candidates: list[str] = []
    followed: list[bool] = []  # another sentence of the body comes after it
    title_key = normalise_for_compare(title)
    seen = {title_key}
    after_headline = False
    for n, para in enumerate(body):
        if len(candidates) >= MAX_CANDIDATES:
            break
        text = _DATELINE.sub("", para.text, count=1)
        if n == len(body) - 1 and _TRUNCATED.search(text):
            text = _join_cut_lines(text)
        for j, s in enumerate(sentences(text, language)):
            if followed:
                followed[-1] = True
            key = normalise_for_compare(s)
            if not candidates and key == title_key:
                after_headline = True  # the text opens with its headline: what follows may point back at it
            if not key or key in seen or _LIST_LABEL.match(s) or not can_be_summary(s, para.index == 0 and j == 0):
                continue  # repeats the title or an earlier sentence (pull quotes, teasers)
            seen.add(key)
            candidates.append(s)
            followed.append(len(candidates) >= MAX_CANDIDATES)
            if len(candidates) >= MAX_CANDIDATES:
                break
    if len(candidates) > 1 and not followed[-1] and _quotes_headline_then_more(
            normalise_for_compare(candidates[-1]), title_key):
        # The text's last sentence quotes the whole headline and goes on: the site's back-link in any language
        # ("Der Beitrag <title> erschien zuerst auf <site>.", "The post <title> appeared first on <site>.").
        candidates.pop()
        followed.pop()
    elif len(candidates) == 1 and not _CJK.search(candidates[0]) and _quotes_headline_then_more(
            normalise_for_compare(candidates[0]), title_key, inside=True):
        # The text is one sentence that names the whole headline after words of its own and goes on: the
        # site's back-link standing alone ("The post <title> first appeared on <site>."), not a summary. (Where
        # words are not spaced, a character is no word: a headline is not told from a lead that way.)
        candidates.pop()
        followed.pop()
    if not candidates:
        return ()
    bags = [_content_words(s) for s in candidates]
    tf = Counter(w for bag in bags for w in set(bag))
    top = max(tf.values(), default=1)
    title_words = set(_content_words(title))
    ranked: list[Sentence] = []
    for i, (s, bag) in enumerate(zip(candidates, bags, strict=True)):
        n_words = len(words(s))
        position = 1.0 / (1.0 + 0.5 * i)
        centrality = sum(math.log1p(tf[w]) for w in set(bag)) / (math.log1p(top) * max(len(set(bag)), 1))
        overlap = len(title_words & set(bag)) / len(title_words) if title_words else 0.0
        score = 0.55 * position + 0.25 * overlap + 0.2 * centrality
        if (i or after_headline) and points_back(s):
            score -= 0.25
        if n_words < 6:
            score -= 0.3
        elif n_words > 60:
            score -= 0.2
        if _TEASER.search(s) or not _ENDS_SENTENCE.search(s):
            score -= 0.6
        # Without a terminator, a sentence ended where its block did: whole when the author began another
        # block after it (a standfirst, a quote line); at the very end of the text the feed may have cut it
        # ("... and get in the mud at the demoli": an itunes:summary cut at 255 characters).
        # A sentence ending on a colon announces what follows it ("Shared:", "... this video:"): not whole alone.
        whole = (ends_sentence(s) or followed[i]) and not s.rstrip().endswith((":", "："))
        # After a headline the text opened with, the first sentence left is not the article's first: it may
        # stand first only if it does not lean on what came before (fit.opener).
        ranked.append(Sentence(s, i + after_headline, score, whole))
    # Position breaks ties, so the order never depends on anything but the text.
    ranked.sort(key=lambda s: (-round(s.score, 9), s.position))
    return tuple(ranked)


@functools.lru_cache(maxsize=64)  # each network's post of one article asks for it
def lead_paragraph(text: str, title: str) -> str:
    """The first body paragraph (for keyword extraction), or the first paragraph at all."""
    for p in article_paragraphs(text, title):
        if p.kind == "body":
            return p.text
    paras = paragraphs(text)
    return paras[0] if paras else ""


def opening(text: str, title: str, chars: int = 1500) -> str:
    """The first body paragraphs, up to about `chars`: what a reader sees before deciding."""
    out: list[str] = []
    size = 0
    for p in article_paragraphs(text, title):
        if p.kind != "body":
            continue
        out.append(p.text)
        size += len(p.text)
        if size >= chars:
            break
    return "\n\n".join(out)


def in_order(chosen: list[Sentence]) -> str:
    return join_sentences([s.text for s in sorted(chosen, key=lambda s: s.position)])
