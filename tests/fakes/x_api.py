"""A local server that plays the X API v2 for the real tweepy.Client.

What it checks, like X does: OAuth 1.0a HMAC-SHA1 signatures (computed for the public URL,
``https://api.twitter.com`` by default, because tweepy signs the URL before the redirect adapter rewrites it;
the server's own URL is accepted too), stale timestamps and reused nonces, the 280-weighted-character
limit and URL detection (by ``twitter_text`` beside it, written from twitter-text's published rules and
checked against its conformance vectors; never the bot's own counter), duplicate text, the request schema
of POST /2/tweets (CreatePostsRequest), 15-minute and 24-hour limits with their headers, and media ids (only
finalized uploads of this server, within their `expires_after_secs` (``media_life``, 24 hours as X answers for
an image), may be attached; else 400 "Your media IDs are invalid.", as X answers: abraham/twitteroauth#1222,
PLhery/node-twitter-api-v2#375).

Errors use X's shapes: problem JSON ``{"title", "detail", "type", "status"}`` for 401/403/429/5xx, and
``{"errors": [{"message": ...}], "title": "Invalid Request", "detail": ..., "type": ...}`` for 400.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import itertools
import re
import struct
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypedDict

from . import twitter_text
from ._base import FakeServerBase, Fault, Request, Response, json_response
from .oauth1 import Credentials, OAuth1Verifier

PUBLIC_URL = "https://api.twitter.com"
MAX_WEIGHTED_LENGTH = 280
DUPLICATE_DETAIL = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG_MESSAGE = (
    "Your Tweet text is too long. For more information on how Twitter determines text length see "
    "https://github.com/twitter/twitter-text."
)
INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"

# (method, regex, route name); route names are what fault patterns and limits are keyed by
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/2/tweets"), "POST /2/tweets"),
    ("GET", re.compile(r"/2/tweets/(?P<id>\d{1,19})"), "GET /2/tweets/{id}"),
    ("DELETE", re.compile(r"/2/tweets/(?P<id>\d{1,19})"), "DELETE /2/tweets/{id}"),
    ("GET", re.compile(r"/2/users/me"), "GET /2/users/me"),
    ("GET", re.compile(r"/2/users/(?P<id>\d{1,19})/tweets"), "GET /2/users/{id}/tweets"),
    ("POST", re.compile(r"/2/media/upload/initialize"), "POST /2/media/upload/initialize"),
    ("POST", re.compile(r"/2/media/upload/(?P<id>\d{1,19})/append"), "POST /2/media/upload/{id}/append"),
    ("POST", re.compile(r"/2/media/upload/(?P<id>\d{1,19})/finalize"), "POST /2/media/upload/{id}/finalize"),
    ("POST", re.compile(r"/2/media/upload"), "POST /2/media/upload"),
    ("GET", re.compile(r"/2/media/upload"), "GET /2/media/upload"),
    ("POST", re.compile(r"/2/media/metadata"), "POST /2/media/metadata"),
]

_CREATE_KEYS = {
    "card_uri", "community_id", "direct_message_deep_link", "edit_options", "for_super_followers_only", "geo",
    "made_with_ai", "media", "nullcast", "paid_partnership", "poll", "quote_tweet_id", "reply",
    "reply_settings", "share_with_followers", "text",
}
_TIMELINE_PARAMS = {
    "max_results", "pagination_token", "since_id", "until_id", "start_time", "end_time", "exclude",
    "expansions", "tweet.fields", "media.fields", "poll.fields", "place.fields", "user.fields",
}
_MEDIA_TYPES = {
    "video/mp4", "video/webm", "video/mp2t", "video/quicktime", "text/srt", "text/vtt", "image/jpeg",
    "image/gif", "image/bmp", "image/png", "image/webp", "image/pjpeg", "image/tiff", "model/gltf-binary",
    "model/vnd.usdz+zip",
}
_MEDIA_CATEGORIES = {
    "amplify_video", "tweet_gif", "tweet_image", "tweet_video", "dm_gif", "dm_image", "dm_video", "subtitles",
}
# X's published per-user limits, requests per 15-minute window (docs.x.com/x-api/fundamentals/rate-limits,
# "Posts" tables; OAuth 1.0a user context is the per-user column). POST /2/tweets also has 10,000 per 24 hours
# per app (daily_app_limit). Routes the table gives no number for (media, /2/users/me) get WINDOW_UNPUBLISHED.
WINDOW_SECONDS = 900
WINDOW_LIMITS: dict[str, int] = {
    "POST /2/tweets": 100,
    "DELETE /2/tweets/{id}": 50,
    "GET /2/tweets/{id}": 900,
    "GET /2/users/{id}/tweets": 900,
}
WINDOW_UNPUBLISHED = 500
DAILY_APP_LIMIT = 10_000
# Open limits for tests whose subject is not pacing but a bulk of posts in a minute (kills, workers): pass them
# on purpose, as tests.helpers.fake_x does for the suite's shared fake.
BULK_LIMITS: dict[str, Any] = {"window_limit": 100_000, "daily_user_limit": 100_000, "daily_app_limit": 1_000_000}
_IMAGE_MAX = 5 * 1024 * 1024
_GIF_MAX = 15 * 1024 * 1024
_VIDEO_MAX = 512 * 1024 * 1024


class TweetRecord(TypedDict):
    id: str
    text: str  # as submitted
    display_text: str  # as X shows it: URLs replaced by t.co links
    urls: list[dict[str, Any]]  # entities.urls of display_text
    media_ids: list[str]
    reply_to: str | None
    created_at: float  # epoch seconds


class UploadRecord(TypedDict):
    id: str
    media_key: str
    media_type: str
    media_category: str
    total_bytes: int
    received_bytes: int
    segments: int
    finalized: bool
    one_shot: bool
    alt_text: str | None
    data: bytes


def _iso(ts: float) -> str:
    stamp = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _problem(status: int, title: str, detail: str, type_: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": type_, "status": status}


def _invalid(message: str, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message}
    error.update(extra)
    return {
        "errors": [error],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


_TITLES = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
    500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG; None if the bytes are none of those."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return int(w), int(h)
            i += 2 + length
        return 0, 0
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 0, 0
    return None


class FakeXServer(FakeServerBase):
    """X API v2 on 127.0.0.1; see the module docstring for what it enforces.

    Fault methods take ``endpoint``, an fnmatch pattern over ``"METHOD /path"`` (default ``"POST /2/tweets"``;
    ``"*"`` matches everything, ``"POST /2/media/*"`` every media call). Faults apply to requests that passed
    the signature check, in the order they were queued.
    """

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        user_id: str = "1000",
        username: str = "ourorg",
        *,
        name: str = "Our Org",
        public_url: str = PUBLIC_URL,
        bearer_token: str | None = None,
        daily_user_limit: int = DAILY_APP_LIMIT,
        daily_app_limit: int = DAILY_APP_LIMIT,
        window_limit: int | None = None,
        window_limits: Mapping[str, int] | None = None,
        length_fn: Callable[[str], int] | None = None,
        check_media_content: bool = True,
        oauth_max_skew: float = 300.0,
        visibility_lag: float = 0.0,
        media_life: float = 86400.0,
    ) -> None:
        self.user_id = user_id
        # Seconds an upload stays usable (X's `expires_after_secs`): an older media id is refused.
        self.media_life = media_life
        # Seconds before a new tweet shows in the user timeline (GET /2/users/:id/tweets): X's timelines are
        # eventually consistent; the tweet itself (GET /2/tweets/:id) and duplicate detection see it at once.
        self.visibility_lag = visibility_lag
        self.username = username
        self.name = name
        self.public_url = public_url.rstrip("/")
        self.bearer_token = bearer_token
        # X publishes no per-user day limit for POST /2/tweets now, but still sends x-user-limit-24hour-*:
        # by default they carry the app's figure.
        self.daily_user_limit = daily_user_limit
        self.daily_app_limit = daily_app_limit
        # Per route and 15-minute window: X's published numbers, or ``window_limit`` for every route (a test
        # that needs a burst), or ``window_limits`` for some.
        self.window_limits = {name: WINDOW_LIMITS.get(name, WINDOW_UNPUBLISHED) if window_limit is None
                              else window_limit for _, _, name in _ROUTES}
        self.window_limits.update(window_limits or {})
        self.check_media_content = check_media_content
        self._length_fn = length_fn
        # X refuses a request whose OAuth timestamp is far from its own clock; a test of a host with a skewed
        # clock that is about the database's clock can widen the tolerance.
        self._verifier = OAuth1Verifier(
            Credentials(consumer_key, consumer_secret, access_token, access_token_secret), max_skew=oauth_max_skew)
        self._tweets: list[TweetRecord] = []
        self._deleted: list[TweetRecord] = []
        self._uploads: dict[str, dict[str, Any]] = {}
        self._post_times: list[float] = []
        self._windows: dict[str, tuple[float, int]] = {}
        self._tweet_ids = itertools.count(1_900_000_000_000_000_001)
        self._media_ids = itertools.count(1_880_000_000_000_000_001)
        self._tco = itertools.count(1)
        super().__init__()

    # ---------------------------------------------------------------------------------------------
    # recording
    @property
    def tweets(self) -> list[TweetRecord]:
        """Tweets that exist now (posted and not deleted), oldest first."""
        with self._lock:
            return copy.deepcopy(self._tweets)

    @property
    def uploads(self) -> list[UploadRecord]:
        with self._lock:
            return [self._upload_record(u) for u in self._uploads.values()]

    def _upload_record(self, u: Mapping[str, Any]) -> UploadRecord:
        segments: dict[int, bytes] = u["segments"]
        data = b"".join(segments[i] for i in sorted(segments))
        return UploadRecord(
            id=u["id"], media_key=u["media_key"], media_type=u["media_type"],
            media_category=u["media_category"], total_bytes=u["total_bytes"], received_bytes=len(data),
            segments=len(segments), finalized=u["finalized"], one_shot=u["one_shot"],
            alt_text=u["alt_text"], data=data,
        )

    # ---------------------------------------------------------------------------------------------
    # test controls
    def fail(self, status: int, times: int = 1, headers: Mapping[str, str] | None = None,
             body: bytes | str | Mapping[str, Any] | None = None, endpoint: str = "POST /2/tweets") -> None:
        """Answer the next ``times`` matching requests with ``status`` (X problem JSON unless ``body``)."""
        raw: bytes | None
        if body is None:
            raw = None
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        else:
            import json
            raw = json.dumps(body).encode("utf-8")
        self.faults.add(Fault(endpoint, "fail", times, status=status, headers=dict(headers or {}), body=raw))

    def rate_limit(self, reset_in_seconds: float, times: int = 1, endpoint: str = "POST /2/tweets",
                   scope: Literal["window", "user24h", "app24h"] = "window") -> None:
        """Answer 429. ``scope`` says which limit looks exhausted: the 15-minute window (x-rate-limit-reset
        is then now+reset_in_seconds) or the 24-hour user/app limit (its x-*-24hour-reset is)."""
        self.faults.add(Fault(endpoint, "fail", times, status=429,
                              extra={"reset_in": reset_in_seconds, "scope": scope}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /2/tweets") -> None:
        """Do the work (the tweet is recorded), then drop the connection (``how="drop"``: requests raises
        ConnectionError) or answer 503 (``how="error"``: tweepy raises TwitterServerError)."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /2/tweets",
              commit: bool = True) -> None:
        """Hold the answer for ``seconds``. ``commit=True``: the work is done first (a slow answer, or an
        unknown outcome for a client that times out). ``commit=False``: nothing is done and the connection
        is closed after the wait (a hung gateway)."""
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /2/tweets") -> None:
        """Abort the TCP connection (RST) without doing anything; requests raises ConnectionError."""
        self.faults.add(Fault(endpoint, "reset", times))

    def drop_connection(self, times: int = 1, endpoint: str = "POST /2/tweets") -> None:
        """Close the connection without an answer and without doing anything."""
        self.faults.add(Fault(endpoint, "drop", times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_media(self, media_id: str) -> None:
        """Make an upload older than its life (X no longer takes it), however long the test really took."""
        with self._lock:
            self._uploads[media_id]["created"] -= self.media_life + 1

    def reset_limits(self) -> None:
        """Forget the 15-minute windows and the 24-hour post history (as if a day had passed)."""
        with self._lock:
            self._post_times.clear()
            self._windows.clear()

    def add_tweet(self, text: str, created_at: float | None = None, media_ids: list[str] | None = None,
                  reply_to: str | None = None) -> TweetRecord:
        """Seed a tweet as if posted earlier (no limits, no checks)."""
        with self._lock:
            return self._store_tweet(text, media_ids or [], reply_to, created_at or time.time())

    # ---------------------------------------------------------------------------------------------
    # HTTP
    def handle(self, request: Request) -> Response:
        route, params = self._route(request.method, request.path)
        request.notes["route"] = route
        if route is None:
            return json_response(404, _problem(404, "Not Found Error", f"{request.path} not found",
                                               "https://api.twitter.com/2/problems/resource-not-found"))
        reason = self._authenticate(request, route)
        if reason is not None:
            request.notes["auth_error"] = reason
            return json_response(401, _problem(401, "Unauthorized", "Unauthorized"))
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            request.notes["fault"] = fault.kind
        handler = getattr(self, "_h_" + re.sub(r"\W+", "_", route).strip("_"))

        def process() -> Response:
            limited = self._check_window(route)
            if limited is not None:
                return limited
            response: Response = handler(request, **params)
            response.headers.update(self._window_headers(route))
            return response

        return self.run_fault(fault, process, lambda f: self._failure(f, route), self._unknown_outcome)

    def _route(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for m, regex, name in _ROUTES:
            match = regex.fullmatch(path)
            if m == method and match:
                return name, match.groupdict()
        return None, {}

    def _authenticate(self, request: Request, route: str) -> str | None:
        authorization = request.header("Authorization")
        if authorization.lower().startswith("bearer "):
            if request.method != "GET" or route == "GET /2/users/me":
                return "app-only bearer token cannot be used for this endpoint"
            if self.bearer_token is None or authorization[7:] != self.bearer_token:
                return "bad bearer token"
            return None
        urls = [self.public_url + request.target, self.url + request.target]
        return self._verifier.verify(request.method, urls, request.query, request.form(), authorization)

    # limits ---------------------------------------------------------------------------------------
    def _check_window(self, route: str) -> Response | None:
        now = time.time()
        with self._lock:
            start, count = self._windows.get(route, (now, 0))
            if now - start >= WINDOW_SECONDS:
                start, count = now, 0
            if count >= self.window_limits[route]:
                self._windows[route] = (start, count)
                headers = self._window_headers(route)
                if route == "POST /2/tweets":
                    headers.update(self._daily_headers(now))
                return json_response(429, _problem(429, "Too Many Requests", "Too Many Requests"), headers)
            self._windows[route] = (start, count + 1)
        return None

    def _window_headers(self, route: str) -> dict[str, str]:
        with self._lock:
            start, count = self._windows.get(route, (time.time(), 0))
        limit = self.window_limits[route]
        return {
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": str(max(0, limit - count)),
            "x-rate-limit-reset": str(int(start + WINDOW_SECONDS)),
        }

    def _daily_headers(self, now: float) -> dict[str, str]:
        with self._lock:
            self._post_times[:] = [t for t in self._post_times if now - t < 86400]
            used = len(self._post_times)
            reset = int((self._post_times[0] if self._post_times else now) + 86400)
        return {
            "x-user-limit-24hour-limit": str(self.daily_user_limit),
            "x-user-limit-24hour-remaining": str(max(0, self.daily_user_limit - used)),
            "x-user-limit-24hour-reset": str(reset),
            "x-app-limit-24hour-limit": str(self.daily_app_limit),
            "x-app-limit-24hour-remaining": str(max(0, self.daily_app_limit - used)),
            "x-app-limit-24hour-reset": str(reset),
        }

    # faults ---------------------------------------------------------------------------------------
    def _failure(self, fault: Fault, route: str) -> Response:
        headers: dict[str, str] = {"Content-Type": "application/json; charset=utf-8"}
        if fault.status == 429:
            now = time.time()
            reset_in = float(fault.extra.get("reset_in", 900))
            scope = fault.extra.get("scope", "window")
            headers.update(self._window_headers(route))
            headers["x-rate-limit-remaining"] = "0"
            if route == "POST /2/tweets":
                headers.update(self._daily_headers(now))
            if scope == "window":
                headers["x-rate-limit-reset"] = str(int(now + reset_in))
            else:
                prefix = "x-user-limit-24hour" if scope == "user24h" else "x-app-limit-24hour"
                headers[f"{prefix}-remaining"] = "0"
                headers[f"{prefix}-reset"] = str(int(now + reset_in))
        headers.update(fault.headers)
        if fault.body is not None:
            return Response(fault.status, fault.body, headers)
        title = _TITLES.get(fault.status, "Error")
        return json_response(fault.status, _problem(fault.status, title, title), headers)

    def _unknown_outcome(self) -> Response:
        return json_response(503, _problem(503, "Service Unavailable", "Service Unavailable"))

    # ---------------------------------------------------------------------------------------------
    # tweets
    def _weighted_length(self, text: str) -> int:
        if self._length_fn is not None:
            return self._length_fn(text)
        return twitter_text.weighted_length(text)

    @staticmethod
    def _find_urls(text: str) -> list[tuple[str, int, int]]:
        """URLs X would link, as (url, start, end): the fake's own twitter-text rules, never the bot's."""
        return twitter_text.extract_urls(text)

    def _shorten(self, text: str) -> tuple[str, list[dict[str, Any]]]:
        """Replace URLs by t.co links as X does; return the display text and entities.urls."""
        out: list[str] = []
        urls: list[dict[str, Any]] = []
        pos = 0
        length = 0  # in code points, as X counts entity indices
        for url, start, end in self._find_urls(text):
            before = text[pos:start]
            out.append(before)
            length += len(before)
            code = base64.b32encode(hashlib.sha1(f"{url}{next(self._tco)}".encode()).digest()).decode()
            tco = "https://t.co/" + code[:10].lower()
            expanded = url if re.match(r"(?i)https?://", url) else "http://" + url
            display = re.sub(r"(?i)^https?://(www\.)?", "", url)
            if len(display) > 26:
                display = display[:25] + "…"
            urls.append({"start": length, "end": length + len(tco), "url": tco, "expanded_url": expanded,
                         "display_url": display})
            out.append(tco)
            length += len(tco)
            pos = end
        out.append(text[pos:])
        return "".join(out), urls

    def _store_tweet(self, text: str, media_ids: list[str], reply_to: str | None,
                     created_at: float) -> TweetRecord:
        display, urls = self._shorten(text)
        record = TweetRecord(id=str(next(self._tweet_ids)), text=text, display_text=display, urls=urls,
                             media_ids=list(media_ids), reply_to=reply_to, created_at=created_at)
        self._tweets.append(record)
        return record

    def _tweet_json(self, t: TweetRecord, fields: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": t["id"], "text": t["display_text"], "edit_history_tweet_ids": [t["id"]]}
        if "created_at" in fields:
            out["created_at"] = _iso(t["created_at"])
        if "author_id" in fields:
            out["author_id"] = self.user_id
        if "entities" in fields and t["urls"]:
            out["entities"] = {"urls": [dict(u) for u in t["urls"]]}
        if "attachments" in fields and t["media_ids"]:
            keys = [self._uploads[m]["media_key"] for m in t["media_ids"] if m in self._uploads]
            out["attachments"] = {"media_keys": keys}
        if "referenced_tweets" in fields and t["reply_to"]:
            out["referenced_tweets"] = [{"type": "replied_to", "id": t["reply_to"]}]
        if "in_reply_to_user_id" in fields and t["reply_to"]:
            out["in_reply_to_user_id"] = self.user_id
        return out

    def _h_POST_2_tweets(self, request: Request) -> Response:
        if request.content_type != "application/json":
            return json_response(400, _invalid("Request body must be JSON (Content-Type: application/json)."))
        try:
            body = request.json()
        except ValueError:
            return json_response(400, _invalid("Request body is not valid JSON."))
        if not isinstance(body, dict):
            return json_response(400, _invalid("Request body must be a JSON object."))
        for key in body:
            if key not in _CREATE_KEYS:
                return json_response(400, _invalid(
                    f"$.{key}: is not defined in the schema and the schema does not allow additional "
                    "properties"))
        text = body.get("text", "")
        if not isinstance(text, str):
            return json_response(400, _invalid("$.text: must be a string"))
        media = body.get("media")
        media_ids: list[str] = []
        if media is not None:
            ids = media.get("media_ids") if isinstance(media, dict) else None
            if (not isinstance(ids, list) or not 1 <= len(ids) <= 4
                    or not all(isinstance(i, str) and re.fullmatch(r"\d{1,19}", i) for i in ids)):
                return json_response(400, _invalid("$.media.media_ids: must be 1 to 4 numeric strings"))
            media_ids = list(ids)
        reply = body.get("reply")
        reply_to: str | None = None
        if reply is not None:
            target = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
            if not isinstance(target, str) or not re.fullmatch(r"\d{1,19}", target):
                return json_response(400, _invalid("$.reply.in_reply_to_tweet_id: must be a numeric string"))
            reply_to = target
        if not text.strip() and not media_ids:
            return json_response(400, _invalid("Post text or media is required."))
        if self._weighted_length(unicodedata.normalize("NFC", text)) > MAX_WEIGHTED_LENGTH:
            return json_response(400, _invalid(TOO_LONG_MESSAGE))
        now = time.time()
        with self._lock:
            bad = [m for m in media_ids if m not in self._uploads or not self._uploads[m]["finalized"]
                   or now - self._uploads[m]["created"] > self.media_life]
            if bad:
                return json_response(400, _invalid("Your media IDs are invalid.",
                                                   parameters={"media.media_ids": bad}))
            if reply_to is not None and all(t["id"] != reply_to for t in self._tweets):
                return json_response(403, _problem(
                    403, "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you."))
            if text.strip() and any(t["text"].strip() == text.strip() for t in self._tweets):
                request.notes["duplicate"] = True
                return json_response(403, _problem(403, "Forbidden", DUPLICATE_DETAIL))
            daily = self._daily_headers(now)
            if int(daily["x-user-limit-24hour-remaining"]) <= 0 or \
                    int(daily["x-app-limit-24hour-remaining"]) <= 0:
                return json_response(429, _problem(429, "Too Many Requests", "Too Many Requests"), daily)
            record = self._store_tweet(text, media_ids, reply_to, now)
            self._post_times.append(now)
            daily = self._daily_headers(now)
        data = {"id": record["id"], "text": record["display_text"],
                "edit_history_tweet_ids": [record["id"]]}
        return json_response(201, {"data": data}, daily)

    def _h_GET_2_tweets_id(self, request: Request, id: str) -> Response:
        fields = self._fields(request)
        with self._lock:
            found = [t for t in self._tweets if t["id"] == id]
            if found:
                return json_response(200, {"data": self._tweet_json(found[0], fields)})
        return json_response(200, {"errors": [{
            "value": id, "detail": f"Could not find tweet with id: [{id}].", "title": "Not Found Error",
            "resource_type": "tweet", "parameter": "id", "resource_id": id,
            "type": "https://api.twitter.com/2/problems/resource-not-found"}]})

    def _h_DELETE_2_tweets_id(self, request: Request, id: str) -> Response:
        with self._lock:
            found = [t for t in self._tweets if t["id"] == id]
            for t in found:
                self._tweets.remove(t)
                self._deleted.append(t)
        return json_response(200, {"data": {"deleted": bool(found)}})

    def _h_GET_2_users_me(self, request: Request) -> Response:
        user = {"id": self.user_id, "name": self.name, "username": self.username}
        return json_response(200, {"data": user})

    @staticmethod
    def _fields(request: Request) -> set[str]:
        return {f for v in (v for k, v in request.query if k == "tweet.fields") for f in v.split(",") if f}

    def _h_GET_2_users_id_tweets(self, request: Request, id: str) -> Response:
        query = dict(request.query)
        for key in query:
            if key not in _TIMELINE_PARAMS:
                return json_response(400, _invalid(f"The query parameter [{key}] is not one of "
                                                   f"[{','.join(sorted(_TIMELINE_PARAMS))}]"))
        try:
            max_results = int(query.get("max_results", "10"))
        except ValueError:
            max_results = -1
        if not 5 <= max_results <= 100:
            return json_response(400, _invalid(
                f"The `max_results` query parameter value [{query.get('max_results')}] is not between 5 "
                "and 100"))
        fields = self._fields(request)
        with self._lock:
            shown = [t for t in self._tweets if t["created_at"] <= time.time() - self.visibility_lag]
            tweets = list(reversed(shown)) if id == self.user_id else []
            if "since_id" in query:
                tweets = [t for t in tweets if int(t["id"]) > int(query["since_id"])]
            if "replies" in query.get("exclude", "").split(","):
                tweets = [t for t in tweets if t["reply_to"] is None]
            if "until_id" in query:
                tweets = [t for t in tweets if int(t["id"]) < int(query["until_id"])]
            offset = 0
            if "pagination_token" in query:
                try:
                    offset = int(base64.urlsafe_b64decode(query["pagination_token"]).decode())
                except ValueError:
                    return json_response(400, _invalid("The `pagination_token` query parameter is invalid"))
            page = tweets[offset:offset + max_results]
            data = [self._tweet_json(t, fields) for t in page]
        meta: dict[str, Any] = {"result_count": len(data)}
        if page:
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if offset + max_results < len(tweets):
            meta["next_token"] = base64.urlsafe_b64encode(str(offset + max_results).encode()).decode()
        payload: dict[str, Any] = {"meta": meta}
        if data:
            payload["data"] = data
        return json_response(200, payload)

    # ---------------------------------------------------------------------------------------------
    # media
    @staticmethod
    def _size_limit(category: str, media_type: str) -> int:
        if "video" in category or media_type.startswith("video/"):
            return _VIDEO_MAX
        if "gif" in category:
            return _GIF_MAX
        return _IMAGE_MAX

    def _new_upload(self, media_type: str, category: str, total: int, one_shot: bool) -> dict[str, Any]:
        media_id = str(next(self._media_ids))
        prefix = "7" if "video" in category else ("16" if "gif" in category else "3")
        upload: dict[str, Any] = {
            "id": media_id, "media_key": f"{prefix}_{media_id}", "media_type": media_type,
            "media_category": category, "total_bytes": total, "segments": {}, "finalized": False,
            "one_shot": one_shot, "alt_text": None, "created": time.time(),
        }
        self._uploads[media_id] = upload
        return upload

    def _finalize(self, upload: dict[str, Any]) -> Response | None:
        """Mark finalized, or return the error answer."""
        segments: dict[int, bytes] = upload["segments"]
        if sorted(segments) != list(range(len(segments))) or not segments:
            return json_response(400, _invalid("Segments are missing or out of order."))
        data = b"".join(segments[i] for i in sorted(segments))
        if len(data) != upload["total_bytes"]:
            return json_response(400, _invalid("Segments do not add up to provided total file size."))
        if len(data) > self._size_limit(upload["media_category"], upload["media_type"]):
            return json_response(400, _invalid("File size exceeds the limit for this media category."))
        if (self.check_media_content and upload["media_type"].startswith("image/")
                and upload["media_type"] not in ("image/bmp", "image/tiff")
                and _image_size(data) is None):
            return json_response(400, _invalid("media type unrecognized."))
        upload["finalized"] = True
        return None

    def _media_json(self, upload: dict[str, Any]) -> dict[str, Any]:
        segments: dict[int, bytes] = upload["segments"]
        data = b"".join(segments[i] for i in sorted(segments))
        out: dict[str, Any] = {"id": upload["id"], "media_key": upload["media_key"], "size": len(data),
                               "expires_after_secs": int(self.media_life)}
        if upload["media_type"].startswith("video/"):
            out["processing_info"] = {"state": "succeeded", "progress_percent": 100}
            out["video"] = {"video_type": upload["media_type"]}
        elif upload["media_type"].startswith("image/"):
            w, h = _image_size(data) or (0, 0)
            out["image"] = {"image_type": upload["media_type"], "w": w, "h": h}
        return out

    def _h_POST_2_media_upload_initialize(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return json_response(400, _invalid("Request body is not valid JSON."))
        if not isinstance(body, dict):
            return json_response(400, _invalid("Request body must be a JSON object."))
        allowed = {"additional_owners", "media_category", "media_type", "shared", "total_bytes"}
        extra = set(body) - allowed
        if extra:
            return json_response(400, _invalid(f"$.{sorted(extra)[0]}: is not defined in the schema"))
        media_type = body.get("media_type")
        total = body.get("total_bytes")
        category = body.get("media_category", "tweet_image")
        if media_type not in _MEDIA_TYPES:
            return json_response(400, _invalid(f"$.media_type: {media_type!r} is not a supported media type"))
        if category not in _MEDIA_CATEGORIES:
            return json_response(400, _invalid(f"$.media_category: {category!r} is not a valid category"))
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            return json_response(400, _invalid("$.total_bytes: a non-negative integer is required"))
        if total > self._size_limit(category, media_type):
            return json_response(400, _invalid("File size exceeds the limit for this media category."))
        with self._lock:
            upload = self._new_upload(media_type, category, total, one_shot=False)
        return json_response(200, {"data": {"id": upload["id"], "media_key": upload["media_key"],
                                            "expires_after_secs": int(self.media_life)}})

    def _read_media_fields(self, request: Request) -> dict[str, Any] | Response:
        if request.content_type == "multipart/form-data":
            parts = request.multipart()
            fields: dict[str, Any] = {
                k: v.decode("utf-8", "replace") for k, v in parts.items() if k != "media"}
            if "media" in parts:
                fields["media"] = parts["media"]
            return fields
        if request.content_type == "application/json":
            try:
                body = request.json()
            except ValueError:
                return json_response(400, _invalid("Request body is not valid JSON."))
            if not isinstance(body, dict):
                return json_response(400, _invalid("Request body must be a JSON object."))
            if isinstance(body.get("media"), str):
                try:
                    body["media"] = base64.b64decode(body["media"], validate=True)
                except ValueError:
                    return json_response(400, _invalid("$.media: not valid base64"))
            return body
        return json_response(400, _invalid("Use multipart/form-data or application/json."))

    def _h_POST_2_media_upload_id_append(self, request: Request, id: str) -> Response:
        fields = self._read_media_fields(request)
        if isinstance(fields, Response):
            return fields
        media = fields.get("media")
        try:
            index = int(fields.get("segment_index", ""))
        except (TypeError, ValueError):
            return json_response(400, _invalid("$.segment_index: an integer is required"))
        if not isinstance(media, bytes) or not media:
            return json_response(400, _invalid("$.media: a non-empty media chunk is required"))
        if not 0 <= index <= 999:
            return json_response(400, _invalid("$.segment_index: must be between 0 and 999"))
        with self._lock:
            upload = self._uploads.get(id)
            if upload is None or upload["one_shot"]:
                return json_response(400, _invalid(f"Media id {id} is not an upload in progress."))
            if upload["finalized"]:
                return json_response(400, _invalid(f"Media id {id} is already finalized."))
            segments: dict[int, bytes] = upload["segments"]
            received = sum(len(v) for k, v in segments.items() if k != index) + len(media)
            if received > upload["total_bytes"]:
                return json_response(400, _invalid("Segments exceed the declared total_bytes."))
            segments[index] = media
        return json_response(200, {"data": {"expires_at": int(time.time() + self.media_life)}})

    def _h_POST_2_media_upload_id_finalize(self, request: Request, id: str) -> Response:
        with self._lock:
            upload = self._uploads.get(id)
            if upload is None:
                return json_response(400, _invalid(f"Media id {id} is not an upload in progress."))
            if not upload["finalized"]:
                error = self._finalize(upload)
                if error is not None:
                    return error
            return json_response(200, {"data": self._media_json(upload)})

    def _h_POST_2_media_upload(self, request: Request) -> Response:
        fields = self._read_media_fields(request)
        if isinstance(fields, Response):
            return fields
        media = fields.get("media")
        category = fields.get("media_category")
        if not isinstance(media, bytes) or not media:
            return json_response(400, _invalid("$.media: is required"))
        if category not in _MEDIA_CATEGORIES:
            return json_response(400, _invalid(f"$.media_category: {category!r} is not a valid category"))
        media_type = fields.get("media_type")
        if not isinstance(media_type, str):
            media_type = "video/mp4" if "video" in category else ("image/gif" if "gif" in category else
                                                                  "image/jpeg")
            if media.startswith(b"\x89PNG"):
                media_type = "image/png"
        with self._lock:
            upload = self._new_upload(media_type, category, len(media), one_shot=True)
            upload["segments"][0] = media
            error = self._finalize(upload)
            if error is not None:
                del self._uploads[upload["id"]]
                return error
            return json_response(200, {"data": self._media_json(upload)})

    def _h_GET_2_media_upload(self, request: Request) -> Response:
        query = dict(request.query)
        with self._lock:
            upload = self._uploads.get(query.get("media_id", ""))
            if query.get("command", "STATUS") != "STATUS" or upload is None:
                return json_response(400, _invalid("Unknown media_id or command."))
            data = {"id": upload["id"], "media_key": upload["media_key"],
                    "processing_info": {"state": "succeeded" if upload["finalized"] else "pending",
                                        "progress_percent": 100 if upload["finalized"] else 0}}
        return json_response(200, {"data": data})

    def _h_POST_2_media_metadata(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            return json_response(400, _invalid("Request body is not valid JSON."))
        media_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(media_id, str):
            return json_response(400, _invalid("$.id: is required"))
        metadata = body.get("metadata") or {}
        alt = metadata.get("alt_text") if isinstance(metadata, dict) else None
        if alt is not None and (not isinstance(alt, dict) or not isinstance(alt.get("text"), str)):
            return json_response(400, _invalid("$.metadata.alt_text.text: a string is required"))
        if alt is not None and len(alt["text"]) > 1000:
            return json_response(400, _invalid("$.metadata.alt_text.text: longer than 1000 characters"))
        with self._lock:
            upload = self._uploads.get(media_id)
            if upload is None:
                return json_response(400, _invalid(f"Media id {media_id} not found."))
            if alt is not None:
                upload["alt_text"] = alt["text"]
        return json_response(200, {"data": {"id": media_id, "associated_metadata": metadata}})
