"""A Facebook Page through the real facebook-sdk GraphAPI (3.1.0, unmaintained: handled with care)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any

import requests

from bot.errors import (
    DuplicateError,
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
    connection_problem,
)
from bot.models import Draft, PostResult
from bot.networks.facebook import DEFAULT_GRAPH_URL, NAME, FacebookCredentials
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import route_session

log = logging.getLogger(__name__)
GRAPH_VERSION = "v25.0"
_TEMPORARY = {1, 2}
_RATE_LIMIT = {4, 17, 32, 613, 80001}
_AUTH = {190, 10, 102}
_DUPLICATE = 506
# Usage (percent of Graph's allowance) from which posting pauses, before Graph starts refusing calls.
USAGE_CEILING = 95
USAGE_PAUSE_SECONDS = 300.0  # usage is a rolling one-hour figure: it falls back within minutes
# What a lookup reads of each post: the Post fields link, caption, name, ... were folded into attachments in
# Graph v3.3 and answer error #12 since (Graph's Post reference, "Limitations"; restfb issue 990).
LOOKUP_FIELDS = "id,message,attachments{unshimmed_url}"


class FacebookPlatform:
    name = NAME
    lookup_may_lag = True  # find_existing reads an eventually consistent listing (bot.platforms.base)

    def __init__(self, credentials: FacebookCredentials, graph_url: str = DEFAULT_GRAPH_URL,
                 photo_posts: bool = False, timeout: float = 15.0, name: str = NAME) -> None:
        self.name = name  # the account: its outbox rows and state are keyed by it
        import warnings

        with warnings.catch_warnings():
            # facebook-sdk's version regex is not a raw string: SyntaxWarning on 3.12+.
            warnings.simplefilter("ignore", SyntaxWarning)
            import facebook

        self._facebook = facebook
        self.page_id = credentials.page_id
        # The constructor only accepts versions 2.8-3.1; every method formats self.version, so set it after.
        self.graph = facebook.GraphAPI(access_token=credentials.page_token, timeout=timeout, version="3.1")
        self.graph.version = GRAPH_VERSION
        route_session(self.graph.session, DEFAULT_GRAPH_URL, graph_url)
        # facebook-sdk drops response headers; keep the last ones for the usage/regain-access figures.
        self._last_headers: dict[str, str] = {}
        self.graph.session.hooks["response"].append(self._remember_headers)
        self.photo_posts = photo_posts

    def _remember_headers(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_headers = dict(response.headers)

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        """A link post (Facebook draws the preview card), or a photo post with the link in its caption when
        the config asks for photo posts; a photo that fails falls back to the link post."""
        if done:  # a Page post is one part: it is already there
            return PostResult(remote_id=done[0], url=self._post_url(done[0]))
        if self.photo_posts and draft.image:
            caption = draft.text if not draft.link or draft.link in draft.text else f"{draft.text}\n\n{draft.link}"
            try:
                result = self._call(self.graph.put_object, self.page_id, "photos", url=draft.image.url,
                                    caption=caption)
                post_id = str(result.get("post_id") or result["id"])
                return PostResult(remote_id=post_id, url=self._post_url(post_id))
            except RejectedError as exc:
                if isinstance(exc, DuplicateError):
                    raise
                log.warning("Facebook: photo post failed (%s); posting %s as a link post", exc, draft.article_key)
        fields: dict[str, str] = {"message": draft.text}
        if draft.link:
            fields["link"] = draft.link
        result = self._call(self.graph.put_object, self.page_id, "feed", **fields)
        post_id = str(result["id"])
        return PostResult(remote_id=post_id, url=self._post_url(post_id))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """GET /{page-id}/feed?fields=id,message,attachments{unshimmed_url}: a link post by its attachment's
        unshimmed_url, a photo post by the link in its caption (its message), anything else by its exact text.

        Since Graph v3.3 a Post has no ``link`` field (asking for it answers error #12, for every post): the
        link lives in the attachment, whose ``url`` is Facebook's l.facebook.com redirect and whose
        ``unshimmed_url`` is the link as posted."""
        if done:
            return None
        result = self._call(self.graph.get_connections, self.page_id, "feed",
                            fields=LOOKUP_FIELDS, limit=100)
        for post in result.get("data", []):
            if not isinstance(post, dict) or not post.get("id"):
                continue
            message = str(post.get("message") or "")
            if (draft.link and (draft.link in _attached_links(post) or draft.link in message)) \
                    or message == draft.text:
                return PostResult(remote_id=str(post["id"]), url=self._post_url(str(post["id"])))
        return None

    def quota(self) -> Quota | None:
        return usage_quota(self._last_headers, time.time())

    def verify(self) -> Account:
        result = self._call(self.graph.get_object, self.page_id, fields="id,name")
        return Account(id=str(result["id"]), name=str(result.get("name", "")))

    def close(self) -> None:
        self.graph.session.close()

    # --- helpers --------------------------------------------------------------------------------

    def _post_url(self, post_id: str) -> str:
        return f"https://www.facebook.com/{post_id}"

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = method(*args, **kwargs)
            return result
        except self._facebook.GraphAPIError as exc:
            raise convert_error(exc, self._last_headers) from None
        except requests.RequestException as exc:
            # The URL of a failed request carries the token: name only the kind of failure.
            raise RetryableError(f"Facebook could not be reached: {connection_problem(exc)}", platform=NAME,
                                 hint="check the network, and FACEBOOK_GRAPH_URL if you set it") from None
        except ValueError as exc:  # a body that claims JSON but is not
            raise RetryableError(f"Facebook sent an unreadable answer: {type(exc).__name__}", platform=NAME) from None


def _attached_links(post: dict[str, Any]) -> set[str]:
    """The unshimmed URLs of a post's attachments (and of their subattachments)."""
    attachments = post.get("attachments")
    data = attachments.get("data") if isinstance(attachments, dict) else None
    links: set[str] = set()
    for attachment in data if isinstance(data, list) else []:
        if not isinstance(attachment, dict):
            continue
        if isinstance(attachment.get("unshimmed_url"), str):
            links.add(attachment["unshimmed_url"])
        links |= _attached_links({"attachments": attachment.get("subattachments")})
    return links


def convert_error(exc: Any, headers: dict[str, str]) -> PlatformError:
    code = exc.code
    result = exc.result if isinstance(exc.result, dict) else {}
    error = result.get("error", {}) if isinstance(result.get("error"), dict) else {}
    subcode = error.get("error_subcode")
    message = str(error.get("message") or exc.message or "unknown error")
    if code is None:
        # facebook-sdk turns a non-JSON answer (an HTML 5xx page from a proxy) into a bare message.
        return RetryableError(f"Facebook answered without JSON: {message}", platform=NAME)
    if code in _TEMPORARY:
        return RetryableError(f"Facebook temporary error {code}: {message}", platform=NAME, code=code)
    if code in _RATE_LIMIT:
        return RateLimited(f"Facebook rate limit (code {code}): {message}", platform=NAME, code=code,
                           retry_after=regain_access_seconds(headers))
    if code == _DUPLICATE:
        return DuplicateError(f"Facebook says this is a duplicate: {message}", platform=NAME, code=code)
    if code in _AUTH or 200 <= code <= 299:
        hint = ("the Page token expired or was revoked: make a new one (README: Facebook credentials)"
                if code == 190 else "the token lacks pages_manage_posts / pages_read_engagement")
        return NeedsHumanError(f"Facebook refused the token (code {code}{f'/{subcode}' if subcode else ''}): "
                               f"{message}", platform=NAME, code=code, hint=hint)
    if code == 368:
        return RateLimited(f"Facebook temporarily blocked posting (368): {message}", platform=NAME, code=code,
                           retry_after=3600.0)
    return RejectedError(f"Facebook rejected the post (code {code}): {message}", platform=NAME, code=code)


def usage_quota(headers: dict[str, str], now: float) -> Quota | None:
    """Graph reports usage in percent, not a count: near the ceiling, posting pauses until it falls back."""
    usage = usage_percent(headers)
    if usage is None:
        return None
    if usage < USAGE_CEILING:
        return Quota(None, None, f"Facebook usage {usage:.0f}%")
    wait = regain_access_seconds(headers) or USAGE_PAUSE_SECONDS
    return Quota(0, now + wait, f"Facebook usage {usage:.0f}% of its limit")


def _usage_entries(headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every object inside the JSON of X-App-Usage, X-Page-Usage and X-Business-Use-Case-Usage."""
    entries: list[dict[str, Any]] = []
    for name, value in headers.items():
        if name.lower() not in ("x-app-usage", "x-business-use-case-usage", "x-page-usage"):
            continue
        try:
            entries += _walk(json.loads(value))
        except ValueError:
            continue
    return entries


def usage_percent(headers: dict[str, str]) -> float | None:
    """Highest call_count / total_time / total_cputime in the usage headers."""
    figures = [float(entry[key]) for entry in _usage_entries(headers)
               for key in ("call_count", "total_time", "total_cputime") if isinstance(entry.get(key), int | float)]
    return max(figures, default=None)


def regain_access_seconds(headers: dict[str, str]) -> float | None:
    """Largest estimated_time_to_regain_access (given in minutes) in the usage headers."""
    minutes = [float(m) for entry in _usage_entries(headers)
               if isinstance(m := entry.get("estimated_time_to_regain_access"), int | float) and m > 0]
    return max(minutes, default=0.0) * 60 if minutes else None


def _walk(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value]
        for v in value.values():
            found += _walk(v)
        return found
    if isinstance(value, list):
        return [d for v in value for d in _walk(v)]
    return []


