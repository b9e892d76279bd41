"""A local server that plays the Telegram Bot API for one bot and one channel.

Every call is ``/bot<TOKEN>/<method>`` (GET or POST; JSON, form-encoded or multipart parameters, as the
Bot API accepts). A wrong token answers 401 Unauthorized, an unknown method 404, as Telegram does. Answers
are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "..."}`` (429s add
``parameters.retry_after``).

Methods: ``getMe``, ``getChat``, ``getChatMember`` (of the bot), ``sendMessage``, ``sendPhoto``.
``chat_id`` is the channel's ``@username`` or its numeric id; anything else is 400 "chat not found".
Posting needs the bot to be an administrator of the channel with the right to post (``bot_status``,
``can_post``). ``parse_mode=HTML`` is checked by the documented rules, strictly (the live API is more
lenient; the documentation is the contract): only the listed tags with their listed attributes,
properly nested; every other ``<``, ``>`` and ``&`` must be escaped; only ``&lt; &gt; &amp; &quot;``
and numeric entities. Lengths are counted after entity parsing, in UTF-16 code units as Telegram
counts: 4096 for a message, 1024 for a caption.

Flood control, as core.telegram.org/bots/faq ("My bot is hitting limits, how do I avoid this?") says: no more
than about 20 messages a minute to one group (and, @BotSupport says, channel). The 21st message inside a
sliding minute is answered 429 "Too Many Requests: retry after N" with ``parameters.retry_after`` = N, the
seconds until the oldest of the 20 leaves the window; nothing is posted. ``flood_limit`` / ``flood_window``
change the numbers (None: no limit) for tests that need bursts or a short wait.

Fault methods take ``endpoint``, an fnmatch pattern over ``"METHOD /<api method>"`` (the token never takes
part in matching; default ``"POST /send*"``: any post; ``"*"``: everything).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import time
from collections.abc import Mapping
from html import unescape
from typing import Any, Literal, TypedDict
from urllib.parse import unquote

from ._base import FakeServerBase, Fault, Request, Response

MAX_TEXT = 4096
MAX_CAPTION = 1024

_PATH = re.compile(r"^/bot(?P<token>[^/]*)/(?P<method>[A-Za-z]+)$")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_TAG = re.compile(r"<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>(?:\s+[A-Za-z-]+"
                  r"(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'|[^\s\"'<>=`]+))?)*)\s*>")
_ATTR = re.compile(r"\s+(?P<key>[A-Za-z-]+)(?:\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'<>=`]+)))?")
# Tag -> (entity type, the attributes it may carry). Documented at core.telegram.org/bots/api#html-style.
_TAGS: dict[str, tuple[str, frozenset[str]]] = {
    "b": ("bold", frozenset()), "strong": ("bold", frozenset()),
    "i": ("italic", frozenset()), "em": ("italic", frozenset()),
    "u": ("underline", frozenset()), "ins": ("underline", frozenset()),
    "s": ("strikethrough", frozenset()), "strike": ("strikethrough", frozenset()),
    "del": ("strikethrough", frozenset()),
    "span": ("spoiler", frozenset({"class"})), "tg-spoiler": ("spoiler", frozenset()),
    "a": ("text_link", frozenset({"href"})),
    "tg-emoji": ("custom_emoji", frozenset({"emoji-id"})),
    "code": ("code", frozenset({"class"})), "pre": ("pre", frozenset()),
    "blockquote": ("blockquote", frozenset({"expandable"})),
}
_PREVIEW_KEYS = {"is_disabled", "url", "prefer_small_media", "prefer_large_media", "show_above_text"}


class ParseError(ValueError):
    """The text is not valid Bot API HTML: the description Telegram would give."""


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """(plain text, entities with UTF-16 offsets) of a parse_mode=HTML text, or ParseError."""
    out: list[str] = []
    length = 0  # UTF-16 units of what is in `out`
    stack: list[tuple[str, int, dict[str, Any]]] = []  # tag, offset, entity
    entities: list[dict[str, Any]] = []
    i = 0

    def where(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < len(text):
        char = text[i]
        if char == "<":
            tag = _TAG.match(text, i)
            if tag is None:
                raise ParseError(f"Unsupported start tag at byte offset {where(i)}" if text[i + 1:i + 2].isalpha()
                                 else f"Unescaped \"<\" at byte offset {where(i)}")
            name = tag["name"].lower()
            if tag["close"]:
                if tag["attrs"].strip():
                    raise ParseError(f"Unexpected end tag at byte offset {where(i)}")
                if not stack or stack[-1][0] != name:
                    raise ParseError(f"Unmatched end tag at byte offset {where(i)}, expected \"</"
                                     f"{stack[-1][0] if stack else ''}>\", found \"</{name}>\"")
                _, start, entity = stack.pop()
                entity.update(offset=start, length=length - start)
                if entity["length"] > 0:
                    entities.append(entity)
            else:
                if name not in _TAGS:
                    raise ParseError(f"Unsupported start tag \"{name}\" at byte offset {where(i)}")
                kind, allowed = _TAGS[name]
                attrs: dict[str, str] = {}
                for attr in _ATTR.finditer(tag["attrs"]):
                    key = attr["key"].lower()
                    value = attr["dq"] if attr["dq"] is not None else attr["sq"] if attr["sq"] is not None \
                        else attr["bare"] or ""
                    if key not in allowed:
                        raise ParseError(f"Unsupported attribute \"{key}\" of tag \"{name}\" at byte offset "
                                         f"{where(i)}")
                    _check_entities(value, where(i))
                    attrs[key] = unescape(value)
                entity = {"type": kind}
                if name == "span":
                    if attrs.get("class") != "tg-spoiler":
                        raise ParseError(f"Tag \"span\" must have class \"tg-spoiler\" at byte offset {where(i)}")
                elif name == "a":
                    if not attrs.get("href"):
                        raise ParseError(f"Tag \"a\" must have attribute \"href\" at byte offset {where(i)}")
                    entity["url"] = attrs["href"]
                elif name == "tg-emoji":
                    if not attrs.get("emoji-id", "").isdigit():
                        raise ParseError(f"Tag \"tg-emoji\" must have attribute \"emoji-id\" at byte offset "
                                         f"{where(i)}")
                    entity["custom_emoji_id"] = attrs["emoji-id"]
                elif name == "blockquote" and "expandable" in attrs:
                    entity["type"] = "expandable_blockquote"
                stack.append((name, length, entity))
            i = tag.end()
            continue
        if char == ">":
            raise ParseError(f"Unescaped \">\" at byte offset {where(i)}")
        if char == "&":
            entity_match = _ENTITY.match(text, i)
            if entity_match is None:
                raise ParseError(f"Unescaped \"&\" at byte offset {where(i)}: only &lt; &gt; &amp; &quot; and "
                                 "numeric entities are supported")
            decoded = unescape(entity_match[0])
            out.append(decoded)
            length += utf16_len(decoded)
            i = entity_match.end()
            continue
        out.append(char)
        length += utf16_len(char)
        i += 1
    if stack:
        raise ParseError(f"Can't find end tag corresponding to start tag \"{stack[-1][0]}\"")
    return "".join(out), sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _check_entities(value: str, offset: int) -> None:
    for match in re.finditer("&", value):
        if _ENTITY.match(value, match.start()) is None:
            raise ParseError(f"Unescaped \"&\" in an attribute at byte offset {offset}")


# No flood control, for tests whose subject is a bulk of posts in a minute, not pacing (tests.helpers.fake_tg).
BULK_LIMITS: dict[str, Any] = {"flood_limit": None}


class MessageRecord(TypedDict):
    message_id: int
    kind: Literal["text", "photo"]
    chat_id: int
    text: str  # the text (or caption) as readers see it, after entity parsing
    html: str | None  # what was sent, when parse_mode was HTML
    entities: list[dict[str, Any]]
    photo: str | None  # the URL given, or "upload:<bytes>" for an uploaded file
    link_preview_options: dict[str, Any] | None
    date: int


class TelegramError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


class FakeTelegramServer(FakeServerBase):
    """The Bot API for one bot, an administrator (by default) of one channel."""

    def __init__(
        self,
        token: str = "123456789:AAE-test-token-0123456789abcdefghij",
        *,
        bot_id: int = 123456789,
        bot_username: str = "our_news_bot",
        chat_id: int = -1001234567890,
        chat_username: str = "ournews",
        chat_title: str = "Our News",
        bot_status: Literal["administrator", "member", "left"] = "administrator",
        can_post: bool = True,
        photo_fetch_ok: bool = True,
        flood_limit: int | None = 20,
        flood_window: float = 60.0,
    ) -> None:
        self._token = token
        self.bot_id, self.bot_username = bot_id, bot_username
        self.chat_id, self.chat_username, self.chat_title = chat_id, chat_username, chat_title
        self.bot_status = bot_status
        self.can_post = can_post
        self.photo_fetch_ok = photo_fetch_ok  # False: Telegram could not download a photo given by URL
        self._messages: list[MessageRecord] = []
        self._ids = itertools.count(101)
        self.flood_limit, self.flood_window = flood_limit, flood_window
        self._sent_at: list[float] = []  # when each message inside the flood window was posted
        super().__init__()

    # ---------------------------------------------------------------------------------------------
    # recording and controls
    @property
    def token(self) -> str:
        return self._token

    def set_token(self, new: str) -> None:
        """Revoke the old token (BotFather /revoke): only `new` works now."""
        with self._lock:
            self._token = new

    @property
    def messages(self) -> list[MessageRecord]:
        """What is in the channel, oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages)

    def rate_limit(self, retry_after: int = 7, times: int = 1, endpoint: str = "POST /send*") -> None:
        """429 "Too Many Requests: retry after N" with parameters.retry_after = N; nothing is posted."""
        self.faults.add(Fault(endpoint, "fail", times, status=429, extra={
            "description": f"Too Many Requests: retry after {retry_after}", "retry_after": retry_after}))

    def fail(self, status: int = 502, description: str = "Bad Gateway", times: int = 1,
             endpoint: str = "POST /send*") -> None:
        """Answer an error without doing anything (Telegram's 5xx come from its front ends)."""
        self.faults.add(Fault(endpoint, "fail", times, status=status, extra={"description": description}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /send*") -> None:
        """Post the message, then drop the connection (``how="drop"``) or answer 502: the message is in the
        channel but the client cannot know."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /send*", commit: bool = True) -> None:
        """Hold the answer ``seconds``. ``commit=True``: the message is posted first; ``False``: nothing is
        done and the connection is closed after the wait."""
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /send*") -> None:
        self.faults.add(Fault(endpoint, "reset", times))

    def drop_connection(self, times: int = 1, endpoint: str = "POST /send*") -> None:
        self.faults.add(Fault(endpoint, "drop", times))

    def clear_faults(self) -> None:
        self.faults.clear()

    # ---------------------------------------------------------------------------------------------
    # HTTP
    def handle(self, request: Request) -> Response:
        match = _PATH.match(request.path)
        if match is None:
            return _error(404, "Not Found")
        method = match["method"]
        request.notes["api_method"] = method
        with self._lock:
            token_ok = unquote(match["token"]) == self._token
        if not token_ok:
            request.notes["auth_error"] = "Unauthorized"
            return _error(401, "Unauthorized")
        try:
            params = self._params(request)
        except ValueError:
            return _error(400, "Bad Request: can't parse JSON object")
        request.notes["params"] = {k: v for k, v in params.items() if not isinstance(v, bytes)}
        fault = self.faults.take(request.method, f"/{method}")
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            try:
                return _ok(self._route(method, params))
            except TelegramError as exc:
                return _error(exc.status, exc.description, exc.retry_after)

        def failure(f: Fault) -> Response:
            return _error(f.status, str(f.extra.get("description", "Bad Gateway")), f.extra.get("retry_after"))

        def unknown() -> Response:
            return _error(502, "Bad Gateway")

        return self.run_fault(fault, process, failure, unknown)

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json" and request.body:
            body = request.json()
            if not isinstance(body, dict):
                raise ValueError("not an object")
            params.update(body)
        params.update(dict(request.form()))
        for name, value in request.multipart().items():
            params[name] = value if name == "photo" and not _is_text(value) else value.decode("utf-8", "replace")
        return params

    # ---------------------------------------------------------------------------------------------
    # methods
    def _route(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": self.bot_id, "is_bot": True, "first_name": "Our News Bot", "username": self.bot_username,
                    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        if method == "getChat":
            self._chat(params)
            return {"id": self.chat_id, "type": "channel", "title": self.chat_title, "username": self.chat_username,
                    "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {}}
        if method == "getChatMember":
            self._chat(params)
            if str(params.get("user_id")) != str(self.bot_id):
                raise TelegramError(400, "Bad Request: member not found")
            member: dict[str, Any] = {"user": {"id": self.bot_id, "is_bot": True, "first_name": "Our News Bot",
                                                "username": self.bot_username}, "status": self.bot_status}
            if self.bot_status == "administrator":
                member.update(can_be_edited=False, can_manage_chat=True, can_post_messages=self.can_post,
                              can_edit_messages=True, can_delete_messages=True)
            return member
        if method == "sendMessage":
            return self._send(params, "text")
        if method == "sendPhoto":
            return self._send(params, "photo")
        raise TelegramError(404, "Not Found")

    def _chat(self, params: Mapping[str, Any]) -> None:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise TelegramError(400, "Bad Request: chat_id is empty")
        value = str(raw).strip()
        if value.lower() != f"@{self.chat_username}".lower() and value != str(self.chat_id):
            raise TelegramError(400, "Bad Request: chat not found")

    def _send(self, params: Mapping[str, Any], kind: Literal["text", "photo"]) -> dict[str, Any]:
        self._chat(params)
        if self.bot_status != "administrator":
            raise TelegramError(403, "Forbidden: bot is not a member of the channel chat")
        if not self.can_post:
            raise TelegramError(400, "Bad Request: not enough rights to send text messages to the chat")
        field = "text" if kind == "text" else "caption"
        raw = str(params.get(field) or "")
        parse_mode = params.get("parse_mode")
        if parse_mode not in (None, "", "HTML"):
            raise TelegramError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")
        if parse_mode == "HTML":
            try:
                text, entities = parse_html(raw)
            except ParseError as exc:
                raise TelegramError(400, f"Bad Request: can't parse entities: {exc}") from None
        else:
            text, entities = raw, []
        stripped = text.strip()
        if kind == "text" and not stripped:
            raise TelegramError(400, "Bad Request: message text is empty")
        limit = MAX_TEXT if kind == "text" else MAX_CAPTION
        if utf16_len(stripped) > limit:
            raise TelegramError(400, "Bad Request: message is too long" if kind == "text"
                                else "Bad Request: message caption is too long")
        preview = self._preview(params) if kind == "text" else None
        photo: str | None = None
        if kind == "photo":
            value = params.get("photo")
            if isinstance(value, bytes):
                photo = f"upload:{len(value)}"
            elif isinstance(value, str) and re.match(r"(?i)https?://\S+$", value):
                if not self.photo_fetch_ok:
                    raise TelegramError(400, "Bad Request: failed to get HTTP URL content")
                photo = value
            else:
                raise TelegramError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        with self._lock:
            self._flood_check(time.time())
            record = MessageRecord(message_id=next(self._ids), kind=kind, chat_id=self.chat_id, text=stripped,
                                   html=raw if parse_mode == "HTML" else None, entities=entities, photo=photo,
                                   link_preview_options=preview, date=int(time.time()))
            self._messages.append(record)
        message: dict[str, Any] = {
            "message_id": record["message_id"], "date": record["date"],
            "chat": {"id": self.chat_id, "title": self.chat_title, "username": self.chat_username, "type": "channel"},
            "sender_chat": {"id": self.chat_id, "title": self.chat_title, "type": "channel"},
        }
        if kind == "text":
            message["text"] = stripped
            if entities:
                message["entities"] = entities
            if preview:
                message["link_preview_options"] = preview
        else:
            message["photo"] = [{"file_id": f"AgAC{record['message_id']}", "file_unique_id": "AQAD",
                                 "width": 1280, "height": 720}]
            if stripped:
                message["caption"] = stripped
            if entities:
                message["caption_entities"] = entities
        return message

    def _flood_check(self, now: float) -> None:
        """Count this message against the chat's flood limit (under the lock), or refuse it with 429."""
        self._sent_at[:] = [t for t in self._sent_at if now - t < self.flood_window]
        if self.flood_limit is not None and len(self._sent_at) >= self.flood_limit:
            wait = max(1, math.ceil(self._sent_at[0] + self.flood_window - now))
            raise TelegramError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        self._sent_at.append(now)

    @staticmethod
    def _preview(params: Mapping[str, Any]) -> dict[str, Any] | None:
        raw = params.get("link_preview_options")
        if raw is None:
            return None
        if isinstance(raw, str):  # form-encoded: a JSON-serialised object, as the Bot API documents
            try:
                raw = json.loads(raw)
            except ValueError:
                raise TelegramError(400, "Bad Request: can't parse link preview options JSON object") from None
        if not isinstance(raw, dict) or set(raw) - _PREVIEW_KEYS:
            raise TelegramError(400, "Bad Request: can't parse link preview options JSON object")
        if "url" in raw and not (isinstance(raw["url"], str) and re.match(r"(?i)https?://\S+$", raw["url"])):
            raise TelegramError(400, "Bad Request: link preview URL is invalid")
        return dict(raw)


def _is_text(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return value.startswith((b"http://", b"https://"))


def _ok(result: Any) -> Response:
    return _json(200, {"ok": True, "result": result})


def _error(status: int, description: str, retry_after: int | None = None) -> Response:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:  # in the body only: Telegram sends no Retry-After header
        payload["parameters"] = {"retry_after": retry_after}
    return _json(status, payload)


def _json(status: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
    merged = {"Content-Type": "application/json", "Server": "nginx/1.18.0",
              "Access-Control-Allow-Origin": "*"}
    merged.update(headers or {})
    return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), merged)
