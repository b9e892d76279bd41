"""Keeping secrets out of what the bot shows and stores: one redaction for logs, messages and the database.

Secrets are the values of the environment (tokens, the database password) and the user info of a
feed URL (`https://user:pass@host/feed`). The real URL is used only for the request itself; every
name, message and stored URL field uses `display_url` (`https://***@host/feed`). Free text that may
quote a secret (an API's error body, an exception) goes through a `Redactor`: the known values, and
anything that looks like a credential (token parameters, `Bearer ...`, OAuth header fields, URL user info,
a Telegram bot token).

Pure functions, no I/O: every layer may use them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "***"
# Secrets shorter than this are not searched for: replacing "ab" everywhere would garble every line.
MIN_SECRET = 4

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
# scheme://<userinfo>@host: the authority ends at the first / ? # or space, its user info at its last @.
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#\"'<>]*@")
_PATTERNS = (
    # access_token=..., oauth_signature=... in a URL or a form body
    (re.compile(r"\b(access_token|oauth_signature|oauth_token|input_token|client_secret|fb_exchange_token)="
                r"[^&\s\"']+", re.IGNORECASE), r"\1=" + MASK),
    # an OAuth 1.0a Authorization header quoted back: oauth_token="...", oauth_signature="..."
    (re.compile(r"\b(oauth_[a-z_]+)=\"[^\"]*\"", re.IGNORECASE), r'\1="' + MASK + '"'),
    # "Bearer <token>", "Basic <base64>", "OAuth <token>" (Graph takes that form too). A token has a digit or
    # ends in "=": "Basic information" in an article's text is left alone.
    (re.compile(r"\b(Bearer|Basic|OAuth)\s+(?!oauth_)(?=[A-Za-z._~+/-]*[0-9=])[A-Za-z0-9._~+/%-]{6,}=*"),
     r"\1 " + MASK),
    # a Telegram bot token, in a Bot API path (/bot<id>:<secret>/method) or bare: digits, a colon, 30+ more
    (re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"), r"\1" + MASK),
    (re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}"), MASK),
    # a libpq key=value password
    (re.compile(r"\bpassword\s*=\s*('[^']*'|[^\s&]+)", re.IGNORECASE), "password=" + MASK),
    (_URL_USERINFO, r"\1" + MASK + "@"),
)
_AUTHORITY_END = re.compile(r"[/?#\s]")


def _userinfo_span(url: str) -> tuple[int, int] | None:
    """Where the user info of an absolute URL is: (start, index of the "@" that ends it), or None."""
    scheme = _SCHEME.match(url)
    if not scheme:
        return None
    start = scheme.end()
    match = _AUTHORITY_END.search(url, start)
    at = url.rfind("@", start, match.start() if match else len(url))
    return (start, at) if at != -1 else None


def display_url(url: str) -> str:
    """The URL as it may be shown or stored: its user info (name and password) replaced by ***.

    A URL without user info comes back unchanged, character for character, so it stays a stable key.
    """
    span = _userinfo_span(url)
    return url if span is None else url[:span[0]] + MASK + url[span[1]:]


def strip_userinfo(url: str) -> str:
    """The URL without any user info: what a link resolved against it may carry into a post."""
    span = _userinfo_span(url)
    return url if span is None else url[:span[0]] + url[span[1] + 1:]


def userinfo_secrets(url: str, *, lone_user: bool = True) -> list[str]:
    """The secret parts of a URL's user info, raw and decoded: the password, or with `lone_user` a user name
    given without one (`https://TOKEN@host/`: a token; a database's user name alone is no secret)."""
    span = _userinfo_span(url)
    if span is None:
        return []
    user, colon, password = url[span[0]:span[1]].partition(":")
    if not colon and not lone_user:
        return []
    secret = password if colon else user
    return [v for v in dict.fromkeys((secret, unquote(secret))) if len(v) >= MIN_SECRET]


def reattach_userinfo(url: str, configured: str) -> str:
    """`url` (a stored, credential-free address the feed moved to) with the configured URL's user info put
    back when both are on the same scheme, host and port: requests sends credentials along such a redirect too."""
    span = _userinfo_span(configured)
    if span is None:
        return url
    bare = strip_userinfo(url)
    try:
        a, b = urlsplit(bare), urlsplit(configured)
        if (a.scheme, a.hostname, a.port) != (b.scheme, b.hostname, b.port):
            return url
    except ValueError:
        return url
    start = len(a.scheme) + 3
    return bare[:start] + configured[span[0]:span[1] + 1] + bare[start:]


class Redactor:
    """Replaces known secret values, and anything shaped like a credential, with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: list[str] = []
        self.learn(secrets)

    def learn(self, secrets: Iterable[str]) -> None:
        """Add secrets (a reloaded config's feed passwords); longest first, so a secret containing another
        is replaced whole."""
        known = set(self.secrets) | {s for s in secrets if s and len(s) >= MIN_SECRET}
        self.secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text
