"""The page behind a reverse proxy (nginx, Caddy): whose request it is, over what, for which host.

A proxy connects from its own address and usually rewrites Host; it says what the browser asked for in the
standard headers (`Forwarded`, RFC 7239, or `X-Forwarded-For/-Proto/-Host`). Anyone can send those headers,
so they are read only from the proxies named in BOT_WEB_TRUSTED_PROXIES (addresses or networks), and only the
last hop's value (the one that proxy wrote). What they give is used for the same-origin check of forms, the
Secure flag of the session cookie, and throttling sign-ins per client.

BOT_WEB_PUBLIC_URL (`https://bot.example.org`) names the page's public origin instead: the same-origin check
then compares a form's Origin with it, whatever Host the proxy sends, and cookies are Secure when it is https.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::\d{1,5})?|\[[0-9A-Fa-f:.]+\](?::\d{1,5})?")


@dataclass(frozen=True)
class Proxying:
    trusted: tuple[IPNetwork, ...] = ()
    public_origin: str | None = None  # "https://bot.example.org", lower case, no path

    @property
    def public_https(self) -> bool:
        return bool(self.public_origin and self.public_origin.startswith("https://"))


def from_env(variables: Mapping[str, str]) -> Proxying:
    trusted: list[IPNetwork] = []
    for item in re.split(r"[\s,]+", variables.get("BOT_WEB_TRUSTED_PROXIES", "").strip()):
        if not item:
            continue
        try:
            trusted.append(ipaddress.ip_network(item.strip("[]"), strict=False))
        except ValueError:
            raise ConfigError(f"BOT_WEB_TRUSTED_PROXIES: {item[:60]!r} is not an address or network",
                              hint="e.g. 127.0.0.1 or 10.0.0.0/8, separated by commas") from None
    public = variables.get("BOT_WEB_PUBLIC_URL", "").strip()
    origin = None
    if public:
        parts = urlsplit(public)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
            raise ConfigError(f"BOT_WEB_PUBLIC_URL {public[:80]!r} is not an http(s) address",
                              hint="the address editors open, e.g. https://bot.example.org")
        origin = f"{parts.scheme}://{parts.netloc}".lower()
    return Proxying(tuple(trusted), origin)


def _trusted(address: str, networks: Iterable[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    return any(ip in n for n in networks)


def _last(value: str) -> str:
    return value.rsplit(",", 1)[-1].strip()


def _forwarded_element(header: str) -> dict[str, str]:
    """The last element of an RFC 7239 `Forwarded` header: {"for": ..., "proto": ..., "host": ...}."""
    out: dict[str, str] = {}
    for pair in _last(header).split(";"):
        name, _, value = pair.partition("=")
        out[name.strip().lower()] = value.strip().strip('"')
    return out


def _client_address(value: str) -> str:
    value = value.strip()
    if value.startswith("["):  # "[2001:db8::1]:4711"
        return value[1:value.find("]")] if "]" in value else ""
    return value.split(":")[0] if value.count(":") == 1 else value


class ForwardedHeaders:
    """WSGI middleware: the forwarded client, scheme and host, from a trusted proxy only."""

    def __init__(self, app: Callable[..., Any], proxying: Proxying) -> None:
        self.app, self.proxying = app, proxying

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if self.proxying.trusted and _trusted(environ.get("REMOTE_ADDR", ""), self.proxying.trusted):
            self._apply(environ)
        return self.app(environ, start_response)

    def _apply(self, environ: dict[str, Any]) -> None:
        if environ.get("HTTP_FORWARDED"):
            element = _forwarded_element(environ["HTTP_FORWARDED"])
            client, proto, host = element.get("for", ""), element.get("proto", ""), element.get("host", "")
        else:
            client = _last(environ.get("HTTP_X_FORWARDED_FOR", ""))
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", ""))
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
        address = _client_address(client)
        # "unknown", an obfuscated name ("_hidden"): keep the proxy's own address.
        with contextlib.suppress(ValueError):
            environ["REMOTE_ADDR"] = str(ipaddress.ip_address(address))
        if proto.lower() in ("http", "https"):
            environ["wsgi.url_scheme"] = proto.lower()
        if host and _HOST.fullmatch(host):
            environ["HTTP_HOST"] = host
