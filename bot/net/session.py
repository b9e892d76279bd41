"""`bot.net.policy` enforced on requests: a session whose every connection is checked at connect time.

A request to a host the guard trusts (the editor's own, or an allowed name) goes through the session's
ordinary adapters. Any other goes through a checking adapter whose connections resolve the name once,
keep only the addresses the allowlist admits (public ones, allowed networks), and connect to one of
those very addresses, while the Host header and TLS SNI keep the name: a name that resolves to a
public address for a check and to a private one for the connection cannot slip through, and nothing
is ever sent to a refused address (not even a TCP handshake). requests opens each redirect hop
through `get_adapter` again, so every hop is judged on its own.

The two kinds of connection live in separate pools, so a connection opened for one feed's trusted
intranet host is never reused by a request that does not trust it. Behind an HTTP proxy the proxy
connects: the target's addresses are then checked as resolved here, just before (best effort).
"""

from __future__ import annotations

import contextlib
import functools
import socket
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from bot.net.policy import Allowlist, Guard, host_and_port
from bot.net.resolve import addresses as _addresses
from bot.net.resolve import admitted as _admitted

_POOL = {"pool_connections": 16, "pool_maxsize": 16, "max_retries": 0}


def _checked_new_conn(conn: HTTPConnection, allow: Allowlist, base: Any) -> socket.socket:
    name = conn._dns_host
    try:
        addresses = _addresses(name, conn.port)
    except socket.gaierror as exc:
        raise NameResolutionError(conn.host, conn, exc) from exc
    last: Exception | None = None
    for address in _admitted(allow, name, addresses):
        # urllib3 connects to _dns_host; the TLS layer reads `host` after this returns, so SNI and
        # certificate checks keep the name.
        conn._dns_host = address
        try:
            sock: socket.socket = base(conn)
            return sock
        except (NewConnectionError, ConnectTimeoutError) as exc:
            last = exc
        finally:
            conn._dns_host = name
    assert last is not None
    raise last


@functools.lru_cache(maxsize=8)
def _pool_classes(allow: Allowlist) -> dict[str, type[HTTPConnectionPool]]:
    class CheckedHTTPConnection(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _checked_new_conn(self, allow, HTTPConnection._new_conn)

    class CheckedHTTPSConnection(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _checked_new_conn(self, allow, HTTPSConnection._new_conn)

    class CheckedHTTPPool(HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSPool(HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    return {"http": CheckedHTTPPool, "https": CheckedHTTPSPool}


class CheckingAdapter(HTTPAdapter):
    """Connections only to the addresses `allow` admits."""

    def __init__(self, allow: Allowlist) -> None:
        self.allow = allow  # read by init_poolmanager, which HTTPAdapter.__init__ calls
        super().__init__(**_POOL)  # type: ignore[arg-type]

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.allow)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Mapping[str, str] | None = None) -> requests.Response:
        if proxies and requests.utils.select_proxy(request.url or "", dict(proxies)):
            host, port = host_and_port(request.url or "")
            with contextlib.suppress(socket.gaierror):  # the proxy may know names this machine does not
                _admitted(self.allow, host, _addresses(host, port))
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)


class GuardedSession(requests.Session):
    """A session that sends each request (and each redirect hop) under `guard`; set it per fetch."""

    def __init__(self, guard: Guard | None = None) -> None:
        super().__init__()
        self.guard = guard or Guard()
        adapter = HTTPAdapter(**_POOL)  # type: ignore[arg-type]
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self._checking: dict[Allowlist, CheckingAdapter] = {}

    def get_adapter(self, url: str) -> Any:
        host, port = host_and_port(url)
        if self.guard.trusts(host, port):
            return super().get_adapter(url)
        adapter = self._checking.get(self.guard.allow)
        if adapter is None:
            adapter = self._checking[self.guard.allow] = CheckingAdapter(self.guard.allow)
        return adapter

    def close(self) -> None:
        super().close()
        for adapter in self._checking.values():
            adapter.close()
