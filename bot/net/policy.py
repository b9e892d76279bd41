"""Which destinations a fetch may reach. Pure (stdlib only): the config and the compose side import it.

Feeds decide most of what the bot fetches (article pages, images, redirects), so a feed could point
the bot at its own machine or network (http://127.0.0.1:6379/, the cloud metadata service on
169.254.169.254) and have the answer published. A destination is allowed when

- its address is public: not loopback, private, link-local, unique-local (fc00::/7), shared
  (100.64.0.0/10), multicast, reserved or unspecified, IPv4 inside IPv6 judged as the IPv4; or
- its host is one the editor chose (`Guard.trusting`): a configured feed's URL, the URL given to
  `bot post`. Trust is by host name and port (the web ports 80 and 443 count as one site), so
  `localhost`, `127.0.0.1` and `127.0.0.2` are three hosts; or
- the config names it (`[bot] allow_private`): a host name (exact, any address, any port), or a
  network its address is in.

`bot.net.session` applies this to the address actually connected to, on every redirect hop.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_WEB_PORTS = (80, 443)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(Exception):
    """A fetch would have reached a non-public address the config does not allow (or a non-web URL).

    Deliberately not an OSError: urllib3 and requests wrap and retry those; this must surface as is.
    """


def is_web_url(url: str) -> bool:
    """http(s) only: a feed can say javascript:, data: or file:, which are never fetched or posted."""
    return url[:8].lower().startswith(("http://", "https://"))


def is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified or ip.is_loopback
                                 or ip.is_link_local)


def host_and_port(url: str) -> tuple[str, int]:
    """(lower-case host without a trailing dot, port with the scheme's default); DestinationRefused
    for anything but an http(s) URL with a host."""
    if not is_web_url(url):
        raise DestinationRefused(f"{url[:80]!r} is not an http(s) address")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DestinationRefused(f"{url[:80]!r} is not a valid address") from None
    host = (parts.hostname or "").rstrip(".")
    if not host.isascii():  # an ASCII name is its own punycode (and the idna codec costs its tables' import)
        with contextlib.suppress(UnicodeError):  # compared as requests sends it: punycode
            host = host.encode("idna").decode("ascii")
    if not host:
        raise DestinationRefused(f"{url[:80]!r} has no host")
    return host, port or (443 if parts.scheme.lower() == "https" else 80)


@dataclass(frozen=True)
class Allowlist:
    """`[bot] allow_private`: intranet hosts and networks the editor lets the bot reach."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        """Raises ValueError naming the first entry that is neither a host name nor a network."""
        names: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            text = entry.strip().lower().rstrip(".")
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
                continue
            except ValueError:
                pass
            labels = text.split(".")
            if not text or not all(label and len(label) <= 63 and label.replace("-", "").isalnum()
                                   and label.isascii() for label in labels):
                raise ValueError(entry)
            names.add(text)
        return cls(frozenset(names), tuple(networks))

    def admits(self, ip: IPAddress) -> bool:
        """Public, or inside one of the allowed networks."""
        if is_public(ip):
            return True
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return any(ip in net or (mapped is not None and mapped in net) for net in self.networks)


@dataclass(frozen=True)
class Guard:
    """The policy of one fetch: the allowlist plus the hosts the editor chose for it."""

    allow: Allowlist = field(default_factory=Allowlist)
    trusted: frozenset[tuple[str, int]] = frozenset()

    def trusting(self, url: str) -> Guard:
        """This guard, also trusting the host of `url` (a configured feed, `bot post`'s URL). A URL
        that is not http(s) (a feed file, "cli") adds nothing."""
        try:
            origin = host_and_port(url)
        except DestinationRefused:
            return self
        return Guard(self.allow, self.trusted | {origin})

    def trusts(self, host: str, port: int) -> bool:
        """Whether any address of this host may be reached, unchecked."""
        host = host.lower().rstrip(".")
        if host in self.allow.names or (host, port) in self.trusted:
            return True
        return port in _WEB_PORTS and any((host, p) in self.trusted for p in _WEB_PORTS)
