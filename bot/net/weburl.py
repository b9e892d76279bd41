"""A feed's link read as a browser reads it (the WHATWG URL Standard), before anything else uses it.

Python's urlsplit and a browser disagree on some addresses, and the difference is a host: in
`https://evil.example\\@good.example/story` Python sees the host good.example (after the "@"), while a browser
treats a backslash in an http(s) address as a slash, so the host is evil.example and "good.example" is
only the path. The editors' card showed one host and a click opened the other. So every link a feed gives
(entries, images, the site) is rewritten here the way the standard parses it, in the parts where
the two disagree about the host or the path:
- leading and trailing spaces and control characters are dropped, tabs and newlines anywhere;
- a backslash is a slash before the query (special schemes: http and https);
- any number of slashes or backslashes after "https:" start the host (`https:\\\\\\\\evil.example`), and
  `https:evil.example` with no base of that scheme is the host evil.example; with one it is a relative path;
- a host written with percent escapes is decoded, as a browser does (`evil%2Eexample`).
An address whose host a browser would refuse (a space, a bracket out of place, a slash from an escape, a
bad port) is refused with the reason: never posted as something else than what a click opens.
Links of other schemes are left alone (they are never fetched or posted as links: bot.net.policy.is_web_url).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urljoin, urlsplit

_SPECIAL = ("http", "https")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space (the standard's "C0 control or space")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# The standard's forbidden domain code points (after percent-decoding): a browser refuses such a host.
_FORBIDDEN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")


class BadLink(ValueError):
    """A browser would not open this address (or would open another host than it seems to name)."""


def browser_url(url: str, base: str | None = None) -> str:
    """`url` (absolute, or relative to `base`) as a browser resolves it; BadLink when it cannot."""
    url = _TAB_OR_NEWLINE.sub("", url.strip(_EDGES))
    match = _SCHEME.match(url)
    if match:
        scheme = match.group()[:-1].lower()
        if scheme not in _SPECIAL:
            return url
        rest = _slashes(url[match.end():])
        if not rest.startswith("//") and base and _scheme(base) == scheme:
            return _checked(urljoin(base, f"{scheme}:{rest}"))  # "https:story" is a path relative to the base
        return _checked(f"{scheme}://{rest.lstrip('/')}")
    if not base or _scheme(base) not in _SPECIAL:
        try:
            return urljoin(base, url) if base else url  # a feed read from a file: its folder
        except ValueError as exc:
            raise BadLink(str(exc)) from None
    rest = _slashes(url)
    if rest.startswith("//"):
        rest = "//" + rest.lstrip("/")  # any run of them starts a host, as "//" does
    return _checked(urljoin(base, rest))


def _scheme(url: str) -> str:
    match = _SCHEME.match(url.strip(_EDGES))
    return match.group()[:-1].lower() if match else ""


def _slashes(rest: str) -> str:
    """Backslashes before the query or fragment become slashes (after it they are data)."""
    end = min((i for i in (rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    return rest[:end].replace("\\", "/") + rest[end:]


def _checked(url: str) -> str:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port  # .port raises ValueError for a bad one
    except ValueError as exc:
        raise BadLink(f"{exc}") from None
    if not host:
        raise BadLink("no host")
    if "%" in host:
        decoded = unquote(host)
        if _FORBIDDEN_HOST.search(decoded):
            raise BadLink(f"its host {host!r} decodes to {decoded!r}")
        user, at, _ = parts.netloc.rpartition("@")
        netloc = f"{user}{at}{decoded.lower()}" + (f":{port}" if port is not None else "")
        return parts._replace(netloc=netloc).geturl()
    if ":" in host and parts.netloc.rpartition("@")[2].startswith("["):
        return url  # an IPv6 address in brackets (urlsplit has checked them)
    if _FORBIDDEN_HOST.search(host):
        raise BadLink(f"its host {host!r} has a character no host may have")
    return url
