"""Who may use the page: BOT_WEB_TOKEN, asked once by a login form, then a session cookie.

- Browsers: the login form takes the token, compared in constant time. The session lives on the server
  (bot.web.sessions: signing out ends it there, a copied cookie is then worth nothing) and its cookie is signed
  with a key the token is stretched into by scrypt, so a cookie does not let anyone test guesses of the token
  offline at speed. The cookie is HttpOnly, SameSite=Strict, and Secure off loopback or when the request came
  over HTTPS (through a configured proxy: bot.web.proxy). Each session has its own CSRF token, required on every
  form that changes anything (and as X-CSRF-Token on API calls made with the cookie).
- Scripts: `Authorization: Bearer <token>`; such a request carries no cookie, so it needs no CSRF token.
- No BOT_WEB_TOKEN (loopback only, bot.web.serve): the page is still never served to a request without a
  credential: a random sign-in link is printed at start, good for one sign-in (as notebook servers do).
- Failed sign-ins are throttled (bot.web.throttle); off loopback a short token is refused at start.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from flask import Request, session

from bot.config import Secret

CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


# Off loopback the token is all that stands between the internet and the queue: at least this long, with this
# many different characters ("aaaa...", "sunshine2024" are refused). token_urlsafe(32) gives 43.
MIN_TOKEN_CHARS = 24
MIN_TOKEN_DISTINCT = 10


def weak_token(token: Secret) -> str | None:
    """Why `token` is too weak to guard a page reachable from other machines, or None."""
    if len(token) < MIN_TOKEN_CHARS:
        return f"BOT_WEB_TOKEN has {len(token)} characters, fewer than {MIN_TOKEN_CHARS}"
    if len(set(token)) < MIN_TOKEN_DISTINCT:
        return f"BOT_WEB_TOKEN uses only {len(set(token))} different characters"
    return None


def session_key(token: Secret | None) -> bytes:
    """The cookie signing key: the token stretched by scrypt (one key for every web process, and each guess of
    the token from a cookie costs about 16 MB and tens of milliseconds), else random per process."""
    if token is None:
        return secrets.token_bytes(32)
    return hashlib.scrypt(token.encode(), salt=b"bot-web-session-v2", n=2**14, r=8, p=1, dklen=32)


def token_matches(token: Secret | None, given: str | None) -> bool:
    if token is None or not given:
        return False
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(token.encode()).digest())


def bearer(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    value = session.get(CSRF_FIELD)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = value
    return value


def csrf_ok(given: str | None) -> bool:
    expected = session.get(CSRF_FIELD)
    if not isinstance(expected, str) or not given:
        return False
    # As bytes: compare_digest refuses str with non-ASCII letters (a TypeError, an HTTP 500, for a forged 'é').
    return hmac.compare_digest(expected.encode(), str(given).encode("utf-8", "surrogatepass"))


def loopback_host(request: Request) -> bool:
    """The Host the browser asked for is this machine (not a rebinding attacker's name)."""
    from bot.web import is_loopback

    host = urlsplit(f"//{request.host}").hostname or ""
    return is_loopback(host)


def same_origin(request: Request, public_origin: str | None = None) -> bool:
    """A browser names the page that sent a request (Origin); one from another site is refused. The page's own
    origin is the configured public URL's, else the host the client asked for (after a trusted proxy's forwarded
    headers: bot.web.proxy)."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    parts = urlsplit(origin)
    if public_origin is not None:
        return f"{parts.scheme}://{parts.netloc}".lower() == public_origin
    return parts.netloc.lower() == request.host.lower()
