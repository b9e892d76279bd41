"""Entries that are not articles: nothing an organisation would post in its own voice.

A password-protected post (WordPress titles it "Protected: ..." and gives no text), an
advertising entry slipped into the feed, an item with neither title nor text. `bot run`
skips them with a log line, and `bot preview` skips them too, so it shows what would go out.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from bot.models import Article

__all__ = ["is_ad_label", "not_an_article"]

_PROTECTED = re.compile(r"^(?:protected|private|geschützt|privat|protégé|privé|protegido|privado|protetto"
                        r"|privato|защищено|личное)\s*[:：]", re.IGNORECASE)
_PROTECTED_TEXT = re.compile(r"^there is no excerpt because this is a protected post\.?$", re.IGNORECASE)
_AD_LABEL = re.compile(
    r"^(?:featured advertiser|sponsored(?: post| content)?|advertisement|advertorial|paid (?:post|content)"
    r"|promoted|anzeige|werbung|publicité|publicidad|publicidade|pubblicità|реклама|تبلیغات|إعلان|広告|广告)\b",
    re.IGNORECASE,
)
# "[Sponsor] Timing — ..." (Daring Fireball), "Ad: ...": a bare "Sponsor a child" is no advert.
_AD_TAG = re.compile(r"^(?:\[(?:sponsor|sponsored|sponsorship|ad|advert|advertisement|anzeige|werbung|pub)\]"
                     r"|(?:sponsor|ad|advert)\s*:)", re.IGNORECASE)
# Hosts that serve advertising, never an article of the organisation's own.
_AD_HOST = re.compile(
    r"(?:^|\.)(?:doubleclick\.net|googleadservices\.com|googlesyndication\.com|adservice\.google\.[a-z.]+"
    r"|adnxs\.com|adform\.net|taboola\.com|outbrain\.com|criteo\.com|pubmatic\.com|rubiconproject\.com)$"
    r"|^(?:ads?|adserver|adclick|adclk|banners?|track\.adform)\.",
    re.IGNORECASE,
)


_TAG = re.compile(r"<[^>]*>")
_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]+")


# Elements whose content a reader never sees (bot.compose.clean drops it too).
_UNSHOWN = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def _visible(text: str) -> str:
    """What a reader would see of a title or text: an item whose only content is markup ("<p></p>") or
    spaces has nothing to post, as one with no text at all."""
    return _INVISIBLE.sub("", html.unescape(_TAG.sub("", _UNSHOWN.sub("", text))))


def is_ad_label(category: str) -> bool:
    """A category that files an item under advertising ("Sponsored", "Anzeige", "إعلان")."""
    return bool(_AD_LABEL.match(category)) and len(category) <= 40


def not_an_article(article: Article) -> str | None:
    """Why this entry is not an article (for the log line), or None when it is one."""
    title, text = article.title.strip(), article.text.strip()
    if not _visible(title) and not _visible(text):
        return "empty item (no title, no text)"
    if _PROTECTED.match(title) or _PROTECTED_TEXT.match(text):
        return "password-protected post"
    if (_AD_LABEL.match(title) or _AD_TAG.match(title)
            or any(is_ad_label(c) for c in article.categories)):
        return "advertising entry"
    try:
        host = urlsplit(article.url).hostname or ""
    except ValueError:
        host = ""
    if host and _AD_HOST.search(host):
        return f"advertising entry (links to the ad server {host})"
    return None
