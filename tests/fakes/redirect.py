"""Point a requests.Session (tweepy's ``client.session``, facebook-sdk's ``graph.session``) at a fake server.

The client still builds, signs and sends its requests for the public host; a transport adapter mounted for
that prefix rewrites the URL just before it goes on the wire. Whatever adapter the session already had for
the prefix (for instance one of the bot's own that adds a default timeout) keeps doing the sending, so call
this *after* the code under test has set its session up.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests
from requests.adapters import BaseAdapter


class RedirectAdapter(BaseAdapter):
    """Rewrites ``from_prefix`` to ``to_prefix`` and hands the request to ``inner``."""

    def __init__(self, from_prefix: str, to_prefix: str, inner: BaseAdapter) -> None:
        super().__init__()
        self.from_prefix = from_prefix
        self.to_prefix = to_prefix.rstrip("/") + ("/" if from_prefix.endswith("/") else "")
        self.inner = inner

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(self.from_prefix):
            request = request.copy()
            request.url = self.to_prefix + url[len(self.from_prefix):]
        return self.inner.send(request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                               proxies=proxies)

    def close(self) -> None:
        self.inner.close()


def redirect_session(session: requests.Session, from_prefix: str, to_prefix: str) -> RedirectAdapter:
    """Send every request of ``session`` whose URL starts with ``from_prefix`` to ``to_prefix`` instead.

    Example: ``redirect_session(client.session, "https://api.twitter.com", fake.url)``.
    """
    inner = session.get_adapter(from_prefix)
    if isinstance(inner, RedirectAdapter):  # re-pointing an already redirected session
        inner = inner.inner
    adapter = RedirectAdapter(from_prefix, to_prefix, inner)
    session.mount(from_prefix, adapter)
    return adapter
