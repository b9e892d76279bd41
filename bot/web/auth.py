"""Who may use the page: BOT_WEB_TOKEN, asked once by a login form, then a signed session cookie.

- Browsers: the login form takes the token, compared in constant time; the session cookie is signed with a
  key derived from the token (changing the token logs everyone out), HttpOnly, SameSite=Strict, and Secure
  unless the page is served on loopback. Each session has its own CSRF token, required on every form that
  changes anything (and as X-CSRF-Token on API calls made with the cookie).
- Scripts: `Authorization: Bearer <token>`; such a request carries no cookie, so it needs no CSRF token.
- No token (loopback only, bot.web.serve): anyone on this machine is let in, but a state change still needs
  the session's CSRF token or a JSON body (which no cross-site form can send without a CORS preflight, never
  answered here), and the Host must be a loopback name (a DNS-rebinding page is refused).
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


def session_key(token: Secret | None) -> bytes:
    """The cookie signing key: from the token (one key for every web process), else random per process."""
    if token is None:
        return secrets.token_bytes(32)
    return hmac.new(token.encode(), b"bot-web-session-v1", hashlib.sha256).digest()


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
    return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, str(given))


def loopback_host(request: Request) -> bool:
    """The Host the browser asked for is this machine (not a rebinding attacker's name)."""
    from bot.web import is_loopback

    host = urlsplit(f"//{request.host}").hostname or ""
    return is_loopback(host)


def same_origin(request: Request) -> bool:
    """A browser names the page that sent a request (Origin); one from another site is refused."""
    origin = request.headers.get("Origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.host
