"""A local server that plays one Mastodon instance (4.x API) for the real Mastodon.py client.

What it checks, like Mastodon does: the `Authorization: Bearer` token (401 when missing or wrong, 403 when
the token lacks the `write` scope or the account is disabled), the status length by the server's own count
(grapheme clusters; every http(s) URL, found with the URL regex Mastodon.py ports from Mastodon, counts
`characters_reserved_per_url`; `@user@domain` counts as `@user`), visibility values, media ids (only this
account's unattached uploads, refused as PostStatusService#validate_media! does: 422 "Media ... not found or
already attached to another post"; ``vacuum_media`` plays Vacuum::MediaAttachmentsVacuum removing unattached
uploads a day old), the media description limit (1,500), and the `Idempotency-Key`: the same key
again (within an hour) answers the status it made the first time and makes none, once the first request has
written it: as in Mastodon's PostStatusService, the key is read before the status is made and written after,
without a lock, so two overlapping requests with one key make two statuses (``processing_seconds`` widens
that window; ``overlapping_keys`` counts requests that arrived inside it). ``idempotency_lock=True`` plays the
servers since mastodon/mastodon PR #37879 (merged 2026-02-16): PostStatusService#with_idempotency holds a Redis
lock per account and key (Lockable#with_redis_lock; the redis_lock gem retries for 10 s, ``lock_wait``), so a
second request waits for the first and answers its status, or, when the lock stays taken, raises
Mastodon::RaceConditionError, which Api::ErrorHandling answers 503 "There was a temporary problem serving your
request, please try again". No version answers 409.

It serves `/api/v2/instance` (or answers 404, for an old server: ``v2_instance=False``) and
`/api/v1/instance`, with `configuration.statuses.max_characters` and `characters_reserved_per_url` as
configured. Every authenticated answer carries `X-RateLimit-Limit/Remaining/Reset` (the reset as an ISO 8601
time, as Mastodon sends it). The limits are Mastodon's defaults (docs.joinmastodon.org/api/rate-limits;
config/initializers/rack_attack.rb and app/lib/rate_limiter.rb): 300 API requests per account per 5 minutes
(``api_limit`` / ``api_window``, windows aligned on the clock as Rack::Attack's are), 30 media uploads per 30
minutes (``media_limit`` / ``media_window``), and 300 statuses per 3 hours (``status_limit`` /
``status_window``). Past one, 429 ``{"error": "Too many requests"}`` with X-RateLimit-Remaining 0 and the reset.

Faults are queued per fnmatch pattern over ``"METHOD /path"`` (default ``"POST /api/v1/statuses"``), and apply
to requests that passed the token check.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal, TypedDict

import regex  # type: ignore[import-untyped]
from mastodon._url_regex import url_regex  # Mastodon's own URL regex, as Mastodon.py ports it

from ._base import FakeServerBase, Fault, Request, Response, json_response

MAX_DESCRIPTION = 1500
IDEMPOTENCY_TTL = 3600.0
_VISIBILITIES = ("public", "unlisted", "private", "direct")
# A few of Mastodon's supported language codes (LanguagesHelper::SUPPORTED_LOCALES): anything else, such as
# "fa-IR", is not an error there; the status just gets the account's default language instead.
_LANGUAGES = {"ar", "de", "en", "es", "fa", "fr", "he", "hi", "it", "ja", "ko", "nl", "pt", "ru", "tr", "uk",
              "ur", "zh", "zh-CN", "zh-TW", "pt-BR", "es-AR"}
_REMOTE_MENTION = regex.compile(r"(^|[^/\w])@(([a-z0-9_]+)@[a-z0-9\.\-]+[a-z0-9]+)", regex.IGNORECASE)
_GRAPHEME = regex.compile(r"\X")
# Mastodon's Tag::Naming (app/models/concerns/tag/naming.rb): a tag follows the start or a space; Ruby's
# [[:word:]] is Alphabetic, marks, digits and connectors, [[:alpha:]] is Alphabetic.
_W = r"\p{Alphabetic}\p{M}\p{Nd}\p{Pc}"
_SEP = "_\u00b7\u30fb\u200c"
_NAME = (rf"(?:[{_W}_][{_W}{_SEP}]*[\p{{Alphabetic}}{_SEP}][{_W}{_SEP}]*[{_W}_])"
         rf"|(?:[{_W}_]*\p{{Alphabetic}}[{_W}_]*)")
HASHTAG_RE = regex.compile(rf"(?<=^|\s)[#＃]({_NAME})", regex.VERSION1)
# Account::MENTION_RE (app/models/account.rb), with USERNAME_RE inside it.
MENTION_RE = regex.compile(r"(?<![=/\p{Alphabetic}\p{M}\p{Nd}\p{Pc}])@(([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)"
                           r"(?:@[\w]+(?:[.-]+[\w]+)*)?)", regex.IGNORECASE)


class StatusRecord(TypedDict):
    id: str
    text: str  # as submitted
    content: str  # as Mastodon renders it (HTML)
    visibility: str
    language: str | None  # what the status got
    language_sent: str | None  # what the client sent
    media_ids: list[str]
    tags: list[str]  # the hashtags Mastodon linked
    mentions: list[str]  # the accounts it would notify
    links: list[str]  # the URLs Mastodon linked
    idempotency_key: str | None
    in_reply_to_id: str | None
    created_at: float
    length: int  # by Mastodon's count


class MediaRecord(TypedDict):
    id: str
    mime_type: str
    size: int
    description: str | None
    attached: bool
    data: bytes


def status_length(text: str, reserved_per_url: int = 23) -> int:
    """Mastodon's StatusLengthValidator: graphemes after URLs become `reserved_per_url` placeholders and
    remote mentions lose their domain."""
    counted = url_regex.sub(lambda m: m.group(2) + "x" * reserved_per_url, text)
    counted = _REMOTE_MENTION.sub(r"\1@\3", counted)
    return len(_GRAPHEME.findall(counted))


def mentions(text: str) -> list[str]:
    """The accounts Mastodon would notify for `text`."""
    return [m.group(1) for m in MENTION_RE.finditer(text)]


def linked_hashtags(text: str) -> list[str]:
    return [m.group(1) for m in HASHTAG_RE.finditer(text)]


def _iso(ts: float) -> str:
    stamp = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


TEMPORARY_PROBLEM = "There was a temporary problem serving your request, please try again"  # errors.503
# Open limits for tests whose subject is a bulk of posts in a minute, not pacing (tests.helpers.fake_masto).
BULK_LIMITS: dict[str, Any] = {"api_limit": 100_000, "media_limit": 100_000, "status_limit": 100_000}


class FakeMastodonServer(FakeServerBase):
    """One account on one instance; see the module docstring."""

    def __init__(
        self,
        token: str = "MASTO-TOKEN",
        username: str = "ourorg",
        *,
        max_characters: int = 500,
        reserved_per_url: int = 23,
        v2_instance: bool = True,
        version: str = "4.3.2",
        status_limit: int = 300,
        status_window: float = 3 * 3600.0,
        api_limit: int = 300,
        api_window: float = 300.0,
        media_limit: int = 30,
        media_window: float = 1800.0,
        domain: str = "social.example",
        visibility_lag: float = 0.0,
        processing_seconds: float = 0.0,
        idempotency_lock: bool = False,
        lock_wait: float = 10.0,
    ) -> None:
        self.username = username
        # Seconds before a new status shows in GET /api/v1/accounts/:id/statuses (0: Mastodon reads it from
        # the database it was written to; a lag plays a replica or cache behind the API).
        self.visibility_lag = visibility_lag
        # How long PostStatusService works between reading the Idempotency-Key and writing it (validation,
        # the status's creation, mentions, hashtags, distribution): a request with the same key arriving
        # meanwhile finds no key and makes a second status, as on the real server.
        self.processing_seconds = processing_seconds
        self.idempotency_lock, self.lock_wait = idempotency_lock, lock_wait
        self._key_locks: dict[str, threading.Lock] = {}
        self.account_id = "109000000000000001"
        self.max_characters = max_characters
        self.reserved_per_url = reserved_per_url
        self.v2_instance = v2_instance
        self.version = version
        self.status_limit = status_limit
        self.status_window = status_window
        self.api_limit, self.api_window = api_limit, api_window
        self.media_limit, self.media_window = media_limit, media_window
        self._throttled: dict[str, tuple[int, int]] = {}  # throttle -> (window number, requests in it)
        self.domain = domain
        self._token = token
        self._scopes = {"read", "write"}
        self._disabled = False
        self._statuses: list[StatusRecord] = []
        self._media: dict[str, MediaRecord] = {}
        self._vacuumed: set[str] = set()  # uploads the cleanup removed (still listed in `media`, for counts)
        self._keys: dict[str, tuple[float, str]] = {}  # idempotency key -> (time, status id)
        self._keys_in_flight: dict[str, int] = {}  # idempotency key -> requests with it being processed now
        self.overlapping_keys = 0  # requests that arrived while another with the same key was being processed
        self._post_times: list[float] = []
        self._status_ids = itertools.count(113_000_000_000_000_001)
        self._media_ids = itertools.count(112_000_000_000_000_001)
        super().__init__()

    # ---------------------------------------------------------------------------------------------
    # recording and controls
    @property
    def statuses(self) -> list[StatusRecord]:
        """Statuses that exist now, oldest first."""
        with self._lock:
            return copy.deepcopy(self._statuses)

    @property
    def media(self) -> list[MediaRecord]:
        with self._lock:
            return copy.deepcopy(list(self._media.values()))

    def set_token(self, token: str) -> None:
        """Only `token` works from now on (the old one answers 401)."""
        with self._lock:
            self._token = token

    def set_scopes(self, *scopes: str) -> None:
        with self._lock:
            self._scopes = set(scopes)

    def disable_account(self) -> None:
        """Answer 403 "Your login is currently disabled" to authenticated calls."""
        with self._lock:
            self._disabled = True

    def add_status(self, text: str, created_at: float | None = None) -> StatusRecord:
        """Seed a status as if posted earlier (no checks)."""
        with self._lock:
            return self._store(text, "public", "en", None, [], None, None, created_at or time.time())

    def fail(self, status: int, times: int = 1, endpoint: str = "POST /api/v1/statuses",
             error: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with Mastodon's ``{"error": ...}`` body."""
        self.faults.add(Fault(endpoint, "fail", times, status=status, headers=dict(headers or {}),
                              extra={"error": error}))

    def fail_html(self, status: int = 502, times: int = 1, endpoint: str = "POST /api/v1/statuses") -> None:
        """A proxy's HTML error page instead of JSON."""
        body = f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
        self.faults.add(Fault(endpoint, "fail", times, status=status, body=body,
                              headers={"Content-Type": "text/html"}))

    def rate_limit(self, reset_in_seconds: float, times: int = 1, endpoint: str = "POST /api/v1/statuses") -> None:
        """Answer 429 with X-RateLimit-Remaining 0 and the reset ``reset_in_seconds`` from now."""
        self.faults.add(Fault(endpoint, "fail", times, status=429, extra={"reset_in": reset_in_seconds}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /api/v1/statuses") -> None:
        """Make the status, then drop the connection (``how="drop"``) or answer 503 (``how="error"``)."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /api/v1/statuses",
              commit: bool = True) -> None:
        """Hold the answer ``seconds`` (``commit=True``: the status is made first; ``False``: nothing is
        made and the connection is closed after the wait)."""
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /api/v1/statuses") -> None:
        self.faults.add(Fault(endpoint, "reset", times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def vacuum_media(self) -> None:
        """Remove every unattached upload, as the daily vacuum does once they are a day old (a status can no
        longer carry them); they stay listed in `media`, so a test still counts them as left unused."""
        with self._lock:
            self._vacuumed |= {m for m, media in self._media.items() if not media["attached"]}

    # ---------------------------------------------------------------------------------------------
    # HTTP
    def handle(self, request: Request) -> Response:
        path = request.path.rstrip("/") or "/"
        request.notes["route"] = path
        if request.method == "GET" and path in ("/api/v1/instance", "/api/v2/instance"):
            if path == "/api/v2/instance" and not self.v2_instance:
                return json_response(404, {"error": "Record not found"})
            return json_response(200, self._instance(v2=path.endswith("v2/instance")))
        refusal = self._check_token(request)
        if refusal is not None:
            return refusal
        throttled = self._throttle(request.method, path)
        if throttled is not None:
            request.notes["throttled"] = True
            return throttled
        fault = self.faults.take(request.method, path)
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            status, payload, extra = self._route(request, path)
            response = json_response(status, payload, extra)
            response.headers.update(self._limit_headers(path, request.method))
            return response

        def failure(f: Fault) -> Response:
            if f.body is not None:
                return Response(f.status, f.body, dict(f.headers))
            headers = self._limit_headers(path, request.method)
            if "reset_in" in f.extra:
                headers["X-RateLimit-Remaining"] = "0"
                headers["X-RateLimit-Reset"] = _iso(time.time() + float(f.extra["reset_in"]))
                return json_response(429, {"error": "Too many requests"}, headers)
            headers.update(f.headers)
            return json_response(f.status, {"error": f.extra.get("error") or _REASONS.get(f.status, "Error")},
                                 headers)

        def unknown() -> Response:
            return json_response(503, {"error": "Service Unavailable"})

        return self.run_fault(fault, process, failure, unknown)

    def _instance(self, v2: bool) -> dict[str, Any]:
        statuses = {"max_characters": self.max_characters, "max_media_attachments": 4,
                    "characters_reserved_per_url": self.reserved_per_url}
        media = {"supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                 "image_size_limit": 16 * 1024 * 1024, "description_limit": MAX_DESCRIPTION}
        configuration = {"statuses": statuses, "media_attachments": media,
                         "accounts": {"max_featured_tags": 10}}
        if v2:
            return {"domain": self.domain, "title": "Social Example", "version": self.version,
                    "source_url": "https://github.com/mastodon/mastodon", "description": "",
                    "languages": ["en"], "configuration": configuration, "api_versions": {"mastodon": 2},
                    "registrations": {"enabled": False}, "rules": []}
        return {"uri": self.domain, "title": "Social Example", "version": self.version,
                "short_description": "", "description": "", "languages": ["en"],
                "urls": {"streaming_api": f"wss://{self.domain}"}, "stats": {"user_count": 1},
                "configuration": configuration, "rules": []}

    def _check_token(self, request: Request) -> Response | None:
        authorization = request.header("Authorization")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            if not token or token != self._token:
                request.notes["auth_error"] = "bad token"
                return json_response(401, {"error": "The access token is invalid"})
            if self._disabled:
                return json_response(403, {"error": "Your login is currently disabled"})
            if request.method != "GET" and "write" not in self._scopes:
                return json_response(403, {"error": "This action is outside the authorized scopes"})
        return None

    def _limit_headers(self, path: str, method: str) -> dict[str, str]:
        now = time.time()
        if method == "POST" and path == "/api/v1/statuses":
            with self._lock:
                recent = [t for t in self._post_times if now - t < self.status_window]
            reset = (min(recent) if recent else now) + self.status_window
            remaining = max(0, self.status_limit - len(recent))
            return {"X-RateLimit-Limit": str(self.status_limit), "X-RateLimit-Remaining": str(remaining),
                    "X-RateLimit-Reset": _iso(reset)}
        with self._lock:
            number, count = self._throttled.get("api", (int(now // self.api_window), 0))
        return {"X-RateLimit-Limit": str(self.api_limit), "X-RateLimit-Remaining": str(max(0, self.api_limit - count)),
                "X-RateLimit-Reset": _iso((number + 1) * self.api_window)}

    def _throttle(self, method: str, path: str) -> Response | None:
        """Rack::Attack's throttles, counted before the request reaches the app: every API request of the
        account, and POSTs to /api/v*/media on their own; the first one past its limit answers 429."""
        now = time.time()
        throttles = [("api", self.api_limit, self.api_window)]
        if method == "POST" and path in ("/api/v1/media", "/api/v2/media"):
            throttles.append(("media", self.media_limit, self.media_window))
        with self._lock:
            for name, limit, window in throttles:
                number = int(now // window)
                seen, count = self._throttled.get(name, (number, 0))
                count = count + 1 if seen == number else 1
                self._throttled[name] = (number, count)
                if count > limit:
                    return json_response(429, {"error": "Too many requests"}, {
                        "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset": _iso((number + 1) * window)})
        return None

    def _route(self, request: Request, path: str) -> tuple[int, Any, dict[str, str]]:
        parts = path.strip("/").split("/")
        if request.method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return 200, self._account(), {}
        if request.method == "GET" and len(parts) == 5 and parts[:3] == ["api", "v1", "accounts"] \
                and parts[4] == "statuses":
            return self._account_statuses(parts[3], dict(request.query))
        if request.method == "GET" and len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"]:
            with self._lock:
                found = [s for s in self._statuses if s["id"] == parts[3]]
            return (200, self._status_json(found[0]), {}) if found else (404, {"error": "Record not found"}, {})
        if request.method == "POST" and path == "/api/v1/statuses":
            return self._post_status(request)
        if request.method == "POST" and path in ("/api/v2/media", "/api/v1/media"):
            return self._post_media(request)
        return 404, {"error": "Record not found"}, {}

    def _account(self) -> dict[str, Any]:
        return {"id": self.account_id, "username": self.username, "acct": self.username,
                "display_name": "Our Org", "locked": False, "bot": True, "created_at": _iso(0),
                "url": f"https://{self.domain}/@{self.username}", "note": "", "statuses_count": len(self._statuses),
                "followers_count": 0, "following_count": 0, "avatar": "", "header": "", "emojis": [],
                "fields": [], "source": {"privacy": "public", "language": "en", "note": "", "fields": []}}

    def _account_statuses(self, account_id: str, query: Mapping[str, str]) -> tuple[int, Any, dict[str, str]]:
        if account_id != self.account_id:
            return 404, {"error": "Record not found"}, {}
        try:
            limit = max(1, min(40, int(query.get("limit", "20"))))
        except ValueError:
            limit = 20
        with self._lock:
            found = [s for s in reversed(self._statuses) if s["created_at"] <= time.time() - self.visibility_lag]
        if query.get("exclude_replies") in ("1", "true"):
            found = [s for s in found if s["in_reply_to_id"] is None]
        if query.get("max_id"):
            found = [s for s in found if int(s["id"]) < int(query["max_id"])]
        page = found[:limit]
        headers: dict[str, str] = {}
        if len(found) > limit:
            base = f"{self.url}/api/v1/accounts/{account_id}/statuses"
            headers["Link"] = f'<{base}?limit={limit}&max_id={page[-1]["id"]}>; rel="next"'
        return 200, [self._status_json(s) for s in page], headers

    def _params(self, request: Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            body = request.json()
            return dict(body) if isinstance(body, dict) else {}
        params: dict[str, Any] = {}
        pairs = request.form() if request.content_type != "multipart/form-data" else [
            (k, v.decode("utf-8", "replace")) for k, v in request.multipart().items() if k != "file"]
        for key, value in pairs:
            if key.endswith("[]"):
                params.setdefault(key[:-2], []).append(value)
            else:
                params[key] = value
        return params

    def _post_status(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        """PostStatusService#call as Mastodon runs it (app/services/post_status_service.rb): the key is read
        (`idempotency_duplicate?`, a Redis GET) before the status is made and written (`redis.setex(..., 3_600,
        status.id)`) after, with no lock in between, nor in StatusesController#create. Two requests with one
        key that overlap both find no key and make two statuses; ``overlapping_keys`` counts such requests.
        With ``idempotency_lock`` (PR #37879), the second waits for the first's lock up to ``lock_wait``, then
        reads the key the first wrote; past the wait it is answered 503."""
        params = self._params(request)
        key = request.header("Idempotency-Key") or None
        request.notes["idempotency_key"] = key
        now = time.time()
        if key is not None:
            with self._lock:
                if self._keys_in_flight.get(key):
                    request.notes["key_in_flight"] = True
                    self.overlapping_keys += 1
                self._keys_in_flight[key] = self._keys_in_flight.get(key, 0) + 1
        try:
            if key is None or not self.idempotency_lock:
                return self._create_status(request, params, key, now)
            with self._lock:
                lock = self._key_locks.setdefault(key, threading.Lock())
            if not lock.acquire(timeout=self.lock_wait):
                request.notes["lock_busy"] = True
                return 503, {"error": TEMPORARY_PROBLEM}, {}
            try:
                return self._create_status(request, params, key, time.time())
            finally:
                lock.release()
        finally:
            if key is not None:
                with self._lock:
                    self._keys_in_flight[key] -= 1

    def _create_status(self, request: Request, params: dict[str, Any], key: str | None,
                       now: float) -> tuple[int, Any, dict[str, str]]:
        if key is not None:
            with self._lock:
                seen = self._keys.get(key)
                if seen is not None and now - seen[0] < IDEMPOTENCY_TTL:
                    request.notes["replayed"] = True
                    # Not a second status, but the same post sent twice: what fleet tests count.
                    request.notes["duplicate"] = True
                    original = [s for s in self._statuses if s["id"] == seen[1]]
                    if original:
                        return 200, self._status_json(original[0]), {}
        text = str(params.get("status") or "")
        media_ids = [str(m) for m in params.get("media_ids") or []]
        visibility = str(params.get("visibility") or "public")
        if visibility not in _VISIBILITIES:
            return 422, {"error": "Validation failed: Visibility is not included in the list"}, {}
        if not text.strip() and not media_ids:
            return 422, {"error": "Validation failed: Text can't be blank"}, {}
        length = status_length(text, self.reserved_per_url) + len(str(params.get("spoiler_text") or ""))
        request.notes["length"] = length
        if length > self.max_characters:
            return 422, {"error": f"Validation failed: Text character limit of {self.max_characters} "
                                  "exceeded"}, {}
        with self._lock:
            recent = [t for t in self._post_times if now - t < self.status_window]
            if len(recent) >= self.status_limit:
                return 429, {"error": "Too many requests"}, {}
            gone = [m for m in media_ids if m not in self._media or self._media[m]["attached"]
                    or m in self._vacuumed]
            if gone:  # Mastodon's en.yml media_attachments.validations.not_found
                return 422, {"error": f"Media {', '.join(gone)} not found or already attached to another "
                                      "post"}, {}
            for media_id in media_ids:
                self._media[media_id]["attached"] = True
            sent = params.get("language")
            language = str(sent) if sent in _LANGUAGES else "en"
            record = self._store(text, visibility, language, str(sent) if sent is not None else None, media_ids,
                                 key, params.get("in_reply_to_id"), now)
            self._post_times.append(now)
        if self.processing_seconds:
            self.sleep(self.processing_seconds)  # mentions, hashtags, distribution: the key is not written yet
        if key is not None:
            with self._lock:
                self._keys[key] = (now, record["id"])
        return 200, self._status_json(record), {}

    def _post_media(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        fields = request.multipart()
        data = fields.get("file")
        if not data:
            return 422, {"error": "Validation failed: File can't be blank"}, {}
        mime = _image_type(data)
        if mime is None:
            return 422, {"error": "Validation failed: File content type is invalid"}, {}
        description = fields["description"].decode("utf-8") if "description" in fields else None
        if description is not None and len(description) > MAX_DESCRIPTION:
            return 422, {"error": f"Validation failed: Description is too long (maximum is {MAX_DESCRIPTION} "
                                  "characters)"}, {}
        with self._lock:
            media_id = str(next(self._media_ids))
            self._media[media_id] = MediaRecord(id=media_id, mime_type=mime, size=len(data),
                                                description=description, attached=False, data=data)
        return 200, self._media_json(media_id), {}

    def _media_json(self, media_id: str) -> dict[str, Any]:
        m = self._media[media_id]
        return {"id": media_id, "type": "image", "url": f"https://files.{self.domain}/{media_id}.png",
                "preview_url": f"https://files.{self.domain}/{media_id}_small.png", "remote_url": None,
                "description": m["description"], "blurhash": None, "meta": {}}

    def _store(self, text: str, visibility: str, language: str | None, sent: str | None, media_ids: list[str],
               key: str | None, reply_to: Any, created_at: float) -> StatusRecord:
        record = StatusRecord(
            id=str(next(self._status_ids)), text=text, content=_render(text), visibility=visibility,
            language=language, language_sent=sent, media_ids=media_ids, tags=linked_hashtags(text),
            mentions=mentions(text),
            links=[m.group(3) for m in url_regex.finditer(text)], idempotency_key=key,
            in_reply_to_id=str(reply_to) if reply_to else None, created_at=created_at,
            length=status_length(text, self.reserved_per_url))
        self._statuses.append(record)
        return record

    def _status_json(self, s: StatusRecord) -> dict[str, Any]:
        url = f"https://{self.domain}/@{self.username}/{s['id']}"
        return {
            "id": s["id"], "created_at": _iso(s["created_at"]), "in_reply_to_id": s["in_reply_to_id"],
            "in_reply_to_account_id": None, "sensitive": False, "spoiler_text": "", "visibility": s["visibility"],
            "language": s["language"], "uri": f"https://{self.domain}/users/{self.username}/statuses/{s['id']}",
            "url": url, "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "edited_at": None,
            "content": s["content"], "reblog": None, "account": self._account(),
            "media_attachments": [self._media_json(m) for m in s["media_ids"] if m in self._media],
            "mentions": [], "emojis": [], "card": None, "poll": None,
            "tags": [{"name": t.lower(), "url": f"https://{self.domain}/tags/{t.lower()}"} for t in s["tags"]],
        }


_REASONS = {400: "Bad request", 401: "The access token is invalid", 403: "This action is not allowed",
            404: "Record not found", 410: "Gone", 422: "Validation failed", 429: "Too many requests",
            500: "Internal server error", 502: "Bad gateway", 503: "Service Unavailable"}


def _render(text: str) -> str:
    """Roughly Mastodon's TextFormatter: escaped text, links with the URL as href, hashtags linked,
    paragraphs on blank lines and <br /> inside them."""
    out: list[str] = []
    last = 0
    for m in url_regex.finditer(text):
        out.append(_tags_html(text[last:m.start(3)]))
        url = m.group(3)
        scheme, _, rest = url.partition("://")
        out.append(f'<a href="{html.escape(url, quote=True)}" rel="nofollow noopener" target="_blank">'
                   f'<span class="invisible">{html.escape(scheme)}://</span>'
                   f'<span class="ellipsis">{html.escape(rest[:30])}</span>'
                   f'<span class="invisible">{html.escape(rest[30:])}</span></a>')
        last = m.end(3)
    out.append(_tags_html(text[last:]))
    body = "".join(out)
    return "".join(f"<p>{p.replace(chr(10), '<br />')}</p>" for p in body.split("\n\n"))


def _tags_html(chunk: str) -> str:
    escaped: list[str] = []
    last = 0
    for m in HASHTAG_RE.finditer(chunk):
        escaped.append(html.escape(chunk[last:m.start()]))
        name = m.group(1)
        escaped.append(f'<a href="https://social.example/tags/{html.escape(name.lower())}" class="mention hashtag" '
                       f'rel="tag">#<span>{html.escape(name)}</span></a>')
        last = m.end()
    escaped.append(html.escape(chunk[last:]))
    return "".join(escaped)
