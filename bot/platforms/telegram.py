"""A Telegram channel through the Bot API: plain HTTPS calls on the project's own HTTP session.

Why not python-telegram-bot (22.x): it is asyncio-only, so each post from our threaded worker would
need an event loop of its own; it brings a second HTTP stack (httpx) outside bot.net's connection
policy, outside the per-call timeouts and deadlines, and outside the last-moment write check that
delivery relies on (bot.platforms.http.before_each_write); and its errors and debug logs carry the
request URL, whose path holds the bot token. The Bot API itself is a handful of JSON POSTs
(`/bot<TOKEN>/<method>`) with a uniform answer (`ok`, `result`, `error_code`, `description`,
`parameters.retry_after`), so four calls and one error mapping are all it takes.

A post is `sendMessage` with parse_mode=HTML: every piece of the article's text is escaped, so nothing
in it (a `<script>`, an `&amp;`, a stray `</b>`) is read as markup; the article's link becomes an
`<a href>` (its attribute escaped with quotes) and is previewed (`link_preview_options`). With an image,
and when the post fits a caption (1,024 UTF-16 units, as Telegram counts), it is `sendPhoto` with the
post as caption; else, or when Telegram cannot use the image, the message with the link preview
(which shows the article's own picture).

The photo goes by URL, not uploaded: Telegram's servers fetch it (up to 5 MB, as for X), so no image
bytes pass through the worker and nothing on our side connects to the feed's image host at all; an
image Telegram cannot fetch is a 400 (nothing posted), after which the message goes instead.

The Bot API cannot read a channel's history and has no idempotency key, so an attempt whose outcome is
unknown (a timeout, a dropped answer) cannot be looked up: the network's descriptor says
unknown_outcome="hold", and delivery holds such a post for an editor instead of resending it.
`find_existing` therefore never claims "not there": it raises, so that nothing can resend on its word.

The token is in every URL's path. It never reaches a message: connection failures are named by kind
(bot.errors.connection_problem), never by the exception's text, and whatever Telegram answers goes
through a Redactor that knows the token.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from html import escape
from typing import Any

import requests

from bot.errors import (
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
    connection_problem,
)
from bot.models import Draft, PostResult
from bot.net.policy import Guard, is_web_url
from bot.net.session import GuardedSession
from bot.networks.telegram import utf16_length
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import DEFAULT_TIMEOUT, read_capped, route_session
from bot.redact import Redactor

log = logging.getLogger(__name__)
NAME = "telegram"
DEFAULT_API_URL = "https://api.telegram.org"
MAX_TEXT = 4096
MAX_CAPTION = 1024
# One call, answer included: the read timeout bounds each read, this bounds a server that trickles.
CALL_BUDGET_SECONDS = 30.0
MAX_ANSWER_BYTES = 1024 * 1024  # a Bot API answer is a few kB
_FLOOD = "Telegram flood control (retry_after)"
_PERMISSION = ("not enough rights", "need administrator rights", "bot is not a member", "bot was kicked",
               "chat_write_forbidden", "have no rights", "not a member")


class TelegramPlatform:
    """One channel, posted to by one bot."""

    def __init__(self, token: str, chat_id: str, api_url: str = DEFAULT_API_URL, *, name: str = NAME,
                 photos: bool = True, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        self.name = name
        self._token = token
        self.chat_id = chat_id.strip()
        self.api_url = api_url.rstrip("/")
        self.photos = photos
        self._redact = Redactor([token])
        self._var = f"{name.upper()}_"  # the account's environment variables, for hints
        # Set by a 429: flood control holds the whole chat, not only the post that met it. Delivery saves it
        # (bot.delivery.loop._save_quota), so no worker sends anything to this channel before retry_after is over.
        self._quota: Quota | None = None
        # The endpoint is the operator's choice (as TWITTER_API_URL is): trusted, but every call still gets
        # a timeout and delivery's write check through the adapter route_session mounts. Nothing else is
        # ever fetched here (a photo goes by URL).
        self.session = GuardedSession(Guard().trusting(self.api_url))
        route_session(self.session, self.api_url, self.api_url, timeout)

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        if done:  # a channel post is one part: it is already there
            return PostResult(remote_id=done[0], url=self._post_url(done[0]))
        html = to_html(draft.text, draft.link)
        if self._as_photo(draft):
            assert draft.image is not None
            try:
                message = self._call("sendPhoto", {"chat_id": self.chat_id, "photo": draft.image.url,
                                                   "caption": html, "parse_mode": "HTML"})
                return self._result(message)
            except RejectedError as exc:  # a 400: nothing was posted
                log.warning("%s: the photo of %s was refused (%s); posting it as a message with the link "
                            "previewed", self.name, draft.article_key, exc.message)
        fields: dict[str, Any] = {"chat_id": self.chat_id, "text": html, "parse_mode": "HTML"}
        if draft.link:
            fields["link_preview_options"] = {"url": draft.link, "prefer_large_media": True}
        return self._result(self._call("sendMessage", fields))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """The Bot API cannot read a channel's history: nothing can be found, and "not found" would be a lie
        that leads to a second post. The descriptor's unknown_outcome="hold" keeps delivery from asking;
        should anything ask anyway, the post is refused (final, nothing resent) and says a human must look."""
        if done:
            return None  # one part, already known: nothing follows it
        raise RejectedError(
            f"{self.name}: whether {draft.article_key} reached the channel is unknown, and Telegram cannot "
            "look it up", platform=self.name,
            hint=f"check the channel, then `bot retry --platform {self.name}` sends it if it is not there")

    def quota(self) -> Quota | None:
        """None until a 429; then nothing left until its retry_after is over; after the next message that
        goes, "not said" again (Telegram reports no allowance ahead of a 429)."""
        return self._quota

    def verify(self) -> Account:
        """getMe (who posts), getChat (which channel) and getChatMember (whether the bot may post there)."""
        me = self._call("getMe", {})
        chat = self._call("getChat", {"chat_id": self.chat_id})
        member = self._call("getChatMember", {"chat_id": self.chat_id, "user_id": me.get("id")})
        status = member.get("status")
        if status != "creator" and not (status == "administrator" and member.get("can_post_messages", True)):
            raise NeedsHumanError(
                f"{self.name}: @{me.get('username')} is {status or 'not a member'} in {chat.get('title')!r}, "
                "not an administrator allowed to post", platform=self.name,
                hint="in the channel's settings, add the bot as an administrator with 'Post messages'")
        title = str(chat.get("title") or "")
        where = f"@{chat['username']}" if chat.get("username") else str(chat.get("id"))
        return Account(id=str(chat.get("id")), name=f"@{me.get('username')} in {title} ({where})")

    def close(self) -> None:
        self.session.close()

    # --- helpers --------------------------------------------------------------------------------

    def _as_photo(self, draft: Draft) -> bool:
        return (self.photos and draft.image is not None and is_web_url(draft.image.url)
                and utf16_length(draft.text) <= MAX_CAPTION)

    def _result(self, message: dict[str, Any]) -> PostResult:
        message_id = str(message["message_id"])
        return PostResult(remote_id=message_id, url=self._post_url(message_id, message.get("chat")))

    def _post_url(self, message_id: str, chat: Any = None) -> str | None:
        username = chat.get("username") if isinstance(chat, dict) else None
        if not username and self.chat_id.startswith("@"):
            username = self.chat_id[1:]
        if username:
            return f"https://t.me/{username}/{message_id}"
        # A private channel (-100<id>) has links of the form t.me/c/<id>/<message> for its members.
        if self.chat_id.startswith("-100") and self.chat_id[4:].isdigit():
            return f"https://t.me/c/{self.chat_id[4:]}/{message_id}"
        return None

    def _call(self, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.api_url}/bot{self._token}/{method}"
        deadline = time.monotonic() + CALL_BUDGET_SECONDS
        failure: str | None = None
        not_sent = False
        status, body = 0, None
        try:
            # The Bot API never redirects; following one would carry the token's path to wherever it points.
            with self.session.post(url, json=fields, stream=True, allow_redirects=False) as response:
                status = response.status_code
                body = read_capped(response, deadline, MAX_ANSWER_BYTES)
        except requests.RequestException as exc:
            failure = connection_problem(exc)
            not_sent = never_connected(exc)
        if body is None:
            # Raised outside the except block: the request's exception names its URL, which holds the token,
            # and must not even ride along as __context__.
            raise RetryableError(f"Telegram could not be reached ({method}): {failure or 'its answer was too large'}",
                                 platform=self.name, not_sent=not_sent,
                                 hint=f"check the network, and {self._var}API_URL if you set it")
        try:
            answer = json.loads(body.decode("utf-8"))
            if not isinstance(answer, dict):
                raise ValueError("not an object")
        except ValueError:  # a proxy's HTML error page, or an answer cut off at the deadline
            raise RetryableError(f"Telegram sent an unreadable answer to {method} (HTTP {status})",
                                 platform=self.name, status=status) from None
        if answer.get("ok") is True and isinstance(answer.get("result"), dict):
            result: dict[str, Any] = answer["result"]
            if method.startswith("send") and self._quota is not None:
                self._quota = Quota(None, None, _FLOOD)
            return result
        error = self._error(method, status, answer)
        if isinstance(error, RateLimited) and error.retry_after is not None:
            self._quota = Quota(0, time.time() + error.retry_after, _FLOOD)
        raise error

    def _error(self, method: str, status: int, answer: dict[str, Any]) -> PlatformError:
        raw_code, raw_parameters = answer.get("error_code"), answer.get("parameters")
        code = raw_code if isinstance(raw_code, int) else status
        description = self._redact(str(answer.get("description") or f"HTTP {status}"))[:300]
        parameters: dict[str, Any] = raw_parameters if isinstance(raw_parameters, dict) else {}
        return convert_error(self.name, self._var, method, code, description, parameters)


def convert_error(name: str, var: str, method: str, code: int, description: str,
                  parameters: dict[str, Any]) -> PlatformError:
    """What the delivery loop should do with an `ok: false` answer."""
    lowered = description.lower()
    said = f"Telegram {method}: {description}"
    if code == 429:
        retry_after = parameters.get("retry_after")
        wait = float(retry_after) if isinstance(retry_after, int | float) and retry_after >= 0 else None
        return RateLimited(said, platform=name, status=code, code=code, retry_after=wait,
                           hint="the post waits as long as Telegram asked")
    if code in (401, 404):
        # A revoked or mistyped token is a 401; one of the wrong shape (or a wrong API URL) a 404.
        return NeedsHumanError(f"Telegram refused the bot token ({code} {description})", platform=name,
                               status=code, code=code,
                               hint=f"put the token @BotFather gave the bot in {var}BOT_TOKEN"
                                    + (f", and check {var}API_URL" if code == 404 else ""))
    if "chat not found" in lowered or "chat_id is empty" in lowered:
        return NeedsHumanError(said, platform=name, status=code, code=code,
                               hint=f"{var}CHAT_ID is the channel's @username or its numeric id (-100...), "
                                    "and the bot must be a member of the channel")
    if "migrate_to_chat_id" in parameters:
        return NeedsHumanError(said, platform=name, status=code, code=code,
                               hint=f"set {var}CHAT_ID to {parameters['migrate_to_chat_id']}")
    if code == 403 or any(p in lowered for p in _PERMISSION):
        return NeedsHumanError(said, platform=name, status=code, code=code,
                               hint="add the bot to the channel as an administrator with 'Post messages'")
    if code >= 500:
        return RetryableError(said, platform=name, status=code, code=code)
    return RejectedError(said, platform=name, status=code, code=code)


def never_connected(exc: BaseException) -> bool:
    """Whether the request failed before its connection opened (name not found, refused, connect timeout),
    so that Telegram cannot have received it: then there is no unknown outcome to hold."""
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        err = todo.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, NewConnectionError | NameResolutionError | ConnectTimeoutError):
            return True
        todo += [err.__cause__, err.__context__, getattr(err, "reason", None), *err.args]
    return False


def to_html(text: str, link: str | None) -> str:
    """The post as Bot API HTML: all of the text escaped, the article's link (its first occurrence) as an
    anchor whose href is escaped with its quotes, so it can neither close the attribute nor the tag."""
    if link and link in text:
        before, _, after = text.partition(link)
        anchor = f'<a href="{escape(link, quote=True)}">{escape(link, quote=False)}</a>'
        return escape(before, quote=False) + anchor + escape(after, quote=False)
    return escape(text, quote=False)
