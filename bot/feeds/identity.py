"""Identity of an article: its `key` and the `aliases` under which it may have been seen.

key: the guid when it is a usable identity, else the canonical URL, else a hash of title and
content. aliases: the other spellings of the same article (canonical link, guid with the other
scheme, WordPress "?p=123" id) so that a site that moves to https or changes its guid format is
still recognised.

Scope: an identity that is a URL (or derived from one, or from the text itself) names the article
wherever it appears, so the same article in a site's main feed and in a category feed is one
article. Any other identity (an opaque guid such as "1" or "urn:uuid:...") means something only
inside its feed: two systems both number their entries from 1. Parsing gives identities as the
feed states them; the poll scopes them by the feed's identity (`scoped`) before they meet the
store, where all feeds share one key space.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_",)
_TRACKING_KEYS = frozenset({
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_hsenc", "_hsmi",
    "yclid", "ref_src", "cmpid", "ito", "ns_mchannel", "ns_campaign", "ns_source", "ns_linkname",
    "ns_fee",
})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_WP_POST = re.compile(r"^(?:/|/index\.php)?$")


# Already canonical: lower-case http(s) host, no port, query or fragment. Most feed links are.
_SIMPLE = re.compile(r"https?://[a-z0-9.-]+/[^?#\s]*")


def canonical_url(url: str) -> str:
    """Normalise a URL for identity: lower-case scheme and host, no default port, no fragment,
    no tracking parameters (utm_*, fbclid, ...). Other query parameters keep their order, since
    some sites route by them. Non-HTTP strings come back stripped and otherwise untouched."""
    url = url.strip()
    if _SIMPLE.fullmatch(url) and not url.endswith("."):
        return url
    return _canonical(url)


def reader_link(url: str) -> str:
    """The link a post carries: the canonical form (no tracking parameters), but with the
    article's own #fragment, which identity drops and a reader clicking the link must not lose."""
    canonical = canonical_url(url)
    if "#" in canonical or "#" not in url:
        return canonical
    fragment = url.strip().split("#", 1)[1]
    return f"{canonical}#{fragment}" if fragment else canonical


@lru_cache(maxsize=4096)
def _canonical(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return url
    host = parts.hostname.rstrip(".")
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs
                if not (k.lower().startswith(_TRACKING_PREFIXES) or k.lower() in _TRACKING_KEYS)]
        if len(kept) != len(pairs):
            query = urlencode(kept)
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def _other_scheme(url: str) -> str | None:
    if url.startswith("http://"):
        return "https://" + url[7:]
    if url.startswith("https://"):
        return "http://" + url[8:]
    return None


def _wordpress_id(url: str) -> str | None:
    """`https://example.org/?p=123` -> `wp:example.org:123` (scheme- and www-independent)."""
    if "p=" not in url:
        return None
    parts = urlsplit(url)
    if not _WP_POST.match(parts.path):
        return None
    for k, v in parse_qsl(parts.query):
        if k == "p" and v.isdigit():
            host = (parts.hostname or "").removeprefix("www.")
            return f"wp:{host}:{v}"
    return None


def _is_url(s: str) -> bool:
    return s.startswith(("http://", "https://"))


_CONTENT = "sha256:"  # the prefix of a content hash

# Identities of these forms name an article wherever it appears: a URL, a WordPress post id (from a
# URL), a hash of the text. Migration 3 (bot/store/migrations.py) applies the same test in SQL to the
# identities recorded before scoping; a migration is frozen history, so it holds its own copy.
GLOBAL_PREFIXES = ("http://", "https://", "wp:", _CONTENT)


def scoped(ident: str, feed_id: str) -> str:
    """`ident` as the store keys it: unchanged when global, else qualified by the feed's identity
    (its configured URL, which survives the feed's redirects). A feed URL holds no space, so the
    space keeps two (feed, id) pairs apart."""
    return ident if ident.startswith(GLOBAL_PREFIXES) else f"feed:{feed_id} {ident}"


def content_hash(title: str, text: str) -> str:
    """Last-resort identity for entries without a guid or link that identifies them."""
    norm = " ".join((title + "\n" + text).split()).casefold()
    return _CONTENT + hashlib.sha256(norm.encode("utf-8")).hexdigest()[:32]


def is_content_key(key: str) -> bool:
    return key.startswith(_CONTENT)


def article_key(guid: str | None, url: str | None, title: str, text: str) -> str:
    guid = (guid or "").strip()
    if guid:
        return guid
    if url:
        return canonical_url(url)
    return content_hash(title, text)


def identities(guid: str | None, url: str | None) -> list[str]:
    """Every spelling of the article's identity that the guid and link give, in trust order."""
    out: list[str] = []
    for raw in (guid, url):
        raw = (raw or "").strip()
        if not raw:
            continue
        out.append(raw)
        if _is_url(raw):
            canon = canonical_url(raw)
            out.append(canon)
            other = _other_scheme(canon)
            if other:
                out.append(other)
            wp = _wordpress_id(canon)
            if wp:
                out.append(wp)
    return out


def article_aliases(key: str, guid: str | None, url: str | None) -> tuple[str, ...]:
    seen = {key}
    aliases: list[str] = []
    for ident in identities(guid, url):
        if ident not in seen:
            seen.add(ident)
            aliases.append(ident)
    return tuple(aliases)


def unshared(values: Sequence[str | None]) -> list[bool]:
    """Which values identify their entry: present, and held by no other entry of the feed. A guid
    shared by two entries identifies neither (some CMSs put the site URL there), nor does a link
    shared by several (a site that links every item to its home page): such entries fall back to
    the next identity, the link, then the content."""
    stripped = [(v or "").strip() for v in values]
    counts = Counter(v for v in stripped if v)
    return [bool(v) and counts[v] == 1 for v in stripped]


def drop_shared_aliases(alias_sets: Sequence[tuple[str, ...]], keys: Iterable[str]
                        ) -> list[tuple[str, ...]]:
    """Remove aliases that more than one entry of the same feed has (e.g. every item linking to
    the home page), or that equal another entry's key: they would make a new article look seen."""
    key_list = list(keys)
    counts: Counter[str] = Counter()
    for aliases in alias_sets:
        counts.update(set(aliases))
    key_set = Counter(key_list)
    out = []
    for own_key, aliases in zip(key_list, alias_sets, strict=True):
        out.append(tuple(a for a in aliases
                         if counts[a] == 1 and (a not in key_set or a == own_key)))
    return out
