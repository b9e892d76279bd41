"""Resolving a name and keeping only the addresses a fetch may reach (stdlib only).

Shared by the requests adapter (bot.net.session) and the standard-library fetcher (bot.net.plain): a name is
resolved once, judged by the allowlist, and the connection goes to one of the very addresses judged.
"""

from __future__ import annotations

import ipaddress
import socket

from bot.net.policy import Allowlist, DestinationRefused


def addresses(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(host: str, address: str) -> DestinationRefused:
    return DestinationRefused(f"{host} is at {address}, a non-public address (not fetched: "
                              f"list it in [bot] allow_private if it is your intranet)")


def admitted(allow: Allowlist, host: str, found: list[str]) -> list[str]:
    """The addresses of `found` that `allow` admits; DestinationRefused when there are some and none is."""
    kept = [a for a in found if allow.admits(ipaddress.ip_address(a.split("%", 1)[0]))]
    if not kept and found:
        raise refusal(host, found[0])
    return kept
