"""OAuth 1.0a (RFC 5849) HMAC-SHA1 verification, as a server sees it.

Mirrors what requests-oauthlib (used by tweepy) signs: method, normalised base URI, query parameters,
form-encoded body parameters and the oauth_* parameters of the Authorization header. JSON and multipart
bodies are not part of the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit


def rfc3986(value: str) -> str:
    return quote(value, safe="~-._")


def parse_authorization(header: str) -> dict[str, str] | None:
    """Parse ``OAuth k="v", ...`` into a dict of decoded values; None if it is not an OAuth header."""
    if header[:6].lower() != "oauth ":
        return None
    params: dict[str, str] = {}
    for item in header[6:].split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            return None
        key, _, value = item.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        params[unquote(key.strip())] = unquote(value)
    return params


def base_string_uri(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


def signature_base_string(method: str, uri: str, params: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((rfc3986(k), rfc3986(v)) for k, v in params)
    normalized = "&".join(f"{k}={v}" for k, v in encoded)
    return "&".join([rfc3986(method.upper()), rfc3986(base_string_uri(uri)), rfc3986(normalized)])


def hmac_sha1(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{rfc3986(consumer_secret)}&{rfc3986(token_secret)}"
    digest = hmac.new(key.encode("utf-8"), base_string.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str


class OAuth1Verifier:
    """Checks signatures, timestamps (+-``max_skew`` seconds) and nonce reuse."""

    def __init__(self, credentials: Credentials, max_skew: float = 300.0) -> None:
        self.credentials = credentials
        self.max_skew = max_skew
        self._nonces: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def verify(
        self,
        method: str,
        urls: Iterable[str],
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
        authorization: str,
    ) -> str | None:
        """Return None when the request is properly signed, else the reason it is not.

        ``urls`` are the public URLs the request may have been signed for (path and query included,
        e.g. ``https://api.twitter.com/2/tweets``); any one matching is enough.
        """
        oauth = parse_authorization(authorization)
        if oauth is None:
            return "missing or malformed OAuth Authorization header"
        creds = self.credentials
        for required in ("oauth_consumer_key", "oauth_signature", "oauth_signature_method",
                         "oauth_timestamp", "oauth_nonce"):
            if required not in oauth:
                return f"missing {required}"
        if oauth["oauth_consumer_key"] != creds.consumer_key:
            return "unknown consumer key"
        if oauth.get("oauth_token") != creds.access_token:
            return "unknown access token"
        if oauth["oauth_signature_method"] != "HMAC-SHA1":
            return f"unsupported signature method {oauth['oauth_signature_method']}"
        if oauth.get("oauth_version", "1.0") != "1.0":
            return "bad oauth_version"
        try:
            timestamp = int(oauth["oauth_timestamp"])
        except ValueError:
            return "bad timestamp"
        now = time.time()
        if abs(now - timestamp) > self.max_skew:
            return "stale timestamp"
        signed = [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        params = [*query, *form, *signed]
        expected_any = [
            hmac_sha1(signature_base_string(method, url, params), creds.consumer_secret,
                      creds.access_token_secret)
            for url in urls
        ]
        if not any(hmac.compare_digest(e, oauth["oauth_signature"]) for e in expected_any):
            return "signature mismatch"
        key = (oauth["oauth_nonce"], oauth["oauth_timestamp"])
        with self._lock:
            # forget nonces old enough that their timestamp would be rejected anyway
            for old in [k for k, seen in self._nonces.items() if now - seen > 2 * self.max_skew]:
                del self._nonces[old]
            if key in self._nonces:
                return "nonce reused"
            self._nonces[key] = now
        return None
