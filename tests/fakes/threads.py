"""A local server that plays Meta's Threads API for one profile.

Played as the reference states it (developers.facebook.com/documentation/threads, "Publishing", "Overview",
"Troubleshooting"; the facts are listed in bot/platforms/threads.py's docstring, which this file does not
import):
- every call carries the profile's token (`Authorization: Bearer`, or the `access_token` parameter); a wrong
  or missing one is error 190 (OAuthException). Paths may start with the version (`/v1.0`); the profile is
  `me` or its id.
- `POST /{user}/threads` makes a container: `media_type` TEXT (`text` required), IMAGE (`image_url`
  required, an http(s) address), VIDEO or CAROUSEL (refused here: the bot never sends them); `link_attachment`
  only on TEXT. The text holds 500 characters with an emoji counted as its UTF-8 bytes; more than 5 links
  fail with THREADS_API__LINK_LIMIT_EXCEEDED. A TEXT container is FINISHED at once; an IMAGE container is
  IN_PROGRESS for the first `image_reads_in_progress` status reads (Meta's crawler fetching it), then
  FINISHED, or ERROR when `image_fetch_ok` is false.
- `GET /{container}?fields=status,error_message`: FINISHED, IN_PROGRESS, PUBLISHED, ERROR, EXPIRED.
- `POST /{user}/threads_publish` with `creation_id` publishes a FINISHED container of this profile, once.
  The 250-a-day limit is enforced here, over a moving 24 hours.
- `GET /{user}/threads` (newest first), `GET /{post}?fields=permalink`, `GET /me?fields=id,username`,
  `GET /{user}/threads_publishing_limit?fields=quota_usage,config`.
- `GET /refresh_access_token?grant_type=th_refresh_token&access_token=...` refreshes a long-lived token at least
  `min_refresh_age` old (a day, by the reference): a new token lasting 60 days (`expires_in`). The old one keeps
  working until it expires, unless `refresh_revokes_old` (which lets a test prove the new one is used).
- `GET /debug_token?input_token=...` ("Debug" reference, updated 2025-06-04) with a tester's token of the app as
  the caller's: `{"data": {"type", "application", "data_access_expires_at", "expires_at", "is_valid",
  "issued_at", "scopes", "user_id"}}`; a token of the app this fake does not know is `is_valid: false` with
  the error inside `data`. `tester=False` plays a profile that is no tester of the app (refused: code 100, the
  wording chosen here). A token lasts 60 days from when it was issued (`issued_ago` moves that back).
- The caller's token is taken from `Authorization: Bearer` or the `access_token` parameter: the reference shows
  the parameter, Meta's Postman collection of the API the header. Both token endpoints refuse a parameter they
  do not document, and say which (code 100).
Errors are Graph-shaped: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`.
Chosen here where the reference says nothing: publishing a container that is already PUBLISHED, or not
FINISHED, is a 400 (code 24); the 251st post in a day is a 400 with code 4 (the app's limit code); both are
logged, the first as a duplicate.

Fault methods take ``endpoint``, an fnmatch pattern over ``"METHOD /<path without the version>"``
(default ``"POST /*/threads_publish"``).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
import unicodedata
from typing import Any, Literal
from urllib.parse import unquote

from ._base import FakeServerBase, Fault, Request, Response, json_response

MAX_TEXT = 500
MAX_LINKS = 5
DAY = 86400
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_JOINERS = {"\u200d", "\ufe0f", "\ufe0e", "\u20e3"}


def threads_len(text: str) -> int:
    """The reference's rule: characters, an emoji counting its UTF-8 bytes."""
    def emoji(c: str) -> bool:
        code = ord(c)
        return (c in _JOINERS or 0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF
                or unicodedata.category(c) == "So")
    return sum(len(c.encode("utf-8")) if emoji(c) else 1 for c in text)


class GraphError(Exception):
    def __init__(self, status: int, code: int, message: str, subcode: int | None = None,
                 kind: str = "OAuthException") -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.subcode, self.kind = status, code, message, subcode, kind


class FakeThreads(FakeServerBase):
    """The Threads API for one profile and its long-lived token."""

    def __init__(self, token: str = "THAA-threads-token-test-1357", *, user_id: str = "17841400000000001",
                 username: str = "ournews", quota_total: int = 250, image_reads_in_progress: int = 1,
                 image_fetch_ok: bool = True, list_lag: float = 0.0, min_refresh_age: float = 86400.0,
                 refresh_revokes_old: bool = False, tester: bool = True) -> None:
        self._token = token
        self._issued = time.time()
        self._issued_at: dict[str, float] = {token: self._issued}  # every token of the app: when it was issued
        self.tester = tester  # whether the profile is a tester of the app (debug_token answers only then)
        self.min_refresh_age = min_refresh_age  # a token younger than this is not refreshed (a day, by Meta)
        self.refresh_revokes_old = refresh_revokes_old  # True: only the new token works after a refresh
        self._old_tokens: set[str] = set()
        self.refreshes = 0
        self.user_id, self.username = user_id, username
        self.quota_total = quota_total
        self.image_reads_in_progress = image_reads_in_progress
        self.image_fetch_ok = image_fetch_ok
        self.list_lag = list_lag  # seconds before a new post shows in GET /{user}/threads
        self._containers: dict[str, dict[str, Any]] = {}
        self._posts: list[dict[str, Any]] = []
        self._earlier_publishes: list[float] = []  # publishes before the test began (preset usage)
        self._ids = itertools.count(18000000000000001)
        super().__init__()

    # --- recording and controls -------------------------------------------------------------------------
    @property
    def posts(self) -> list[dict[str, Any]]:
        """What is on the profile, oldest first: id, text, media_type, image_url, link_attachment_url,
        container, permalink, time."""
        with self._lock:
            return copy.deepcopy(self._posts)

    @property
    def containers(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._containers)

    def set_token(self, new: str) -> None:
        with self._lock:
            self._token = new
            self._issued = self._issued_at.setdefault(new, time.time())

    def issued_at(self, token: str) -> float:
        """When the app issued `token` (a Unix time: debug_token answers it whole seconds)."""
        with self._lock:
            return self._issued_at[token]

    def issued_ago(self, seconds: float) -> None:
        """The current token was issued `seconds` ago (debug_token's `issued_at`, `expires_at`; its refresh age)."""
        with self._lock:
            self._issued = self._issued_at[self._token] = time.time() - seconds

    def used_today(self, count: int) -> None:
        """`count` posts published through the API in the last 24 hours, before the test's own."""
        with self._lock:
            self._earlier_publishes = [time.time() - 60.0] * count

    def expire(self, container: str) -> None:
        """The container was not published within 24 hours."""
        with self._lock:
            self._containers[container]["status"] = "EXPIRED"

    def rate_limit(self, times: int = 1, endpoint: str = "POST /*/threads_publish", code: int = 4) -> None:
        """Error `code` (4, 17, 32, 613: Graph's rate limits) as a 400; nothing is done."""
        self.faults.add(Fault(endpoint, "fail", times, status=400, extra={
            "code": code, "message": "Application request limit reached"}))

    def fail(self, status: int = 500, code: int = 2, message: str = "Service temporarily unavailable",
             times: int = 1, endpoint: str = "POST /*/threads_publish") -> None:
        self.faults.add(Fault(endpoint, "fail", times, status=status, extra={"code": code, "message": message}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /*/threads_publish") -> None:
        """Do the call (make the container, publish the post), then drop the connection or answer 500."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /*/threads_publish",
              commit: bool = True) -> None:
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def drop_connection(self, times: int = 1, endpoint: str = "POST /*/threads_publish") -> None:
        self.faults.add(Fault(endpoint, "drop", times))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /*/threads_publish") -> None:
        self.faults.add(Fault(endpoint, "reset", times))

    # --- HTTP ------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        path = unquote(request.path)
        path = path[len("/v1.0"):] if path.startswith("/v1.0/") else path
        params: dict[str, str] = dict(request.query)
        params.update(dict(request.form()))
        request.notes["params"] = {k: v for k, v in params.items() if k != "access_token"}
        given = _caller_token(request, params)
        with self._lock:
            token_ok = given == self._token or (given in self._old_tokens and not self.refresh_revokes_old)
        if not token_ok:
            request.notes["auth_error"] = "190"
            return _error(GraphError(400, 190, "Invalid OAuth access token - Cannot parse access token"))
        fault = self.faults.take(request.method, path)
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            try:
                return json_response(200, self._route(request, path, params))
            except GraphError as exc:
                return _error(exc)

        def failure(f: Fault) -> Response:
            return _error(GraphError(f.status, int(f.extra.get("code", 2)), str(f.extra.get("message", "error"))))

        def unknown() -> Response:
            return _error(GraphError(500, 2, "Service temporarily unavailable"))

        return self.run_fault(fault, process, failure, unknown)

    def _user(self, part: str) -> None:
        if part not in ("me", self.user_id):
            raise GraphError(400, 100, f"Unsupported request - object with ID '{part}' does not exist")

    def _route(self, request: Request, path: str, params: dict[str, str]) -> Any:
        parts = [p for p in path.split("/") if p]
        if request.method == "GET" and parts == ["refresh_access_token"]:
            _only(params, required=("grant_type",), optional=("access_token",))
            return self._refresh(params, request)
        if request.method == "GET" and parts == ["debug_token"]:
            _only(params, required=("input_token",), optional=("access_token",))
            return self._debug(params["input_token"])
        if request.method == "GET" and parts == ["me"]:
            return {"id": self.user_id, "username": self.username}
        if len(parts) == 2:
            self._user(parts[0])
            if request.method == "POST" and parts[1] == "threads":
                return self._create(params, request)
            if request.method == "POST" and parts[1] == "threads_publish":
                return self._publish(params, request)
            if request.method == "GET" and parts[1] == "threads":
                return self._list(params)
            if request.method == "GET" and parts[1] == "threads_publishing_limit":
                return {"data": [{"quota_usage": self._usage(),
                                  "config": {"quota_total": self.quota_total, "quota_duration": DAY}}]}
        if request.method == "GET" and len(parts) == 1:
            return self._object(parts[0])
        raise GraphError(400, 100, "Unsupported request")

    def _debug(self, inspected: str) -> dict[str, Any]:
        if not self.tester:
            raise GraphError(400, 100, "(#100) The caller's access token must belong to a Threads tester of the app")
        with self._lock:
            issued = self._issued_at.get(inspected)
            revoked = inspected != self._token and (self.refresh_revokes_old or inspected not in self._old_tokens)
        if issued is None or revoked:
            return {"data": {"is_valid": False, "scopes": [], "error": {
                "code": 190, "message": "Error validating access token: the session is invalid"}}}
        return {"data": {"type": "USER", "application": "Our news bot",
                         "data_access_expires_at": int(issued) + 90 * DAY,
                         "expires_at": int(issued) + 60 * DAY, "is_valid": True, "issued_at": int(issued),
                         "scopes": ["threads_basic", "threads_content_publish"], "user_id": self.user_id}}

    def _refresh(self, params: dict[str, str], request: Request) -> dict[str, Any]:
        if params.get("grant_type") != "th_refresh_token":
            raise GraphError(400, 100, "Param grant_type must be th_refresh_token")
        with self._lock:
            if _caller_token(request, params) != self._token:
                raise GraphError(400, 190, "Only the current long-lived token can be refreshed")
            if time.time() - self._issued < self.min_refresh_age:
                raise GraphError(400, 190, "The token must be at least 24 hours old to be refreshed")
            self._old_tokens.add(self._token)
            self.refreshes += 1
            self._token = f"THAA-refreshed-{self.refreshes}-{next(self._ids)}"
            self._issued = self._issued_at[self._token] = time.time()
            return {"access_token": self._token, "token_type": "bearer", "expires_in": 5183944}

    @property
    def token(self) -> str:
        with self._lock:
            return self._token

    def _create(self, params: dict[str, str], request: Request) -> dict[str, str]:
        kind = params.get("media_type")
        text = params.get("text", "")
        if kind not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise GraphError(400, 100, "Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
        if kind in ("VIDEO", "CAROUSEL"):
            raise GraphError(400, 100, f"this fake does not play {kind} containers")
        if kind == "TEXT" and not text.strip():
            raise GraphError(400, 100, "Param text is required for a TEXT post")
        if kind == "IMAGE" and not re.match(r"(?i)https?://\S+$", params.get("image_url", "")):
            raise GraphError(400, 100, "Param image_url is required and must be a URL for an IMAGE post")
        if "link_attachment" in params and kind != "TEXT":
            raise GraphError(400, 100, "link_attachment is only available for text posts")
        if "link_attachment" in params and not re.match(r"(?i)https?://\S+$", params["link_attachment"]):
            raise GraphError(400, 100, "Param link_attachment must be a URL")
        if threads_len(text) > MAX_TEXT:
            raise GraphError(400, 100, f"The text is too long: {threads_len(text)} characters, at most {MAX_TEXT}")
        links = set(_URL.findall(text)) | ({params["link_attachment"]} if "link_attachment" in params else set())
        if len(links) > MAX_LINKS:
            raise GraphError(400, 100, "THREADS_API__LINK_LIMIT_EXCEEDED: a post may have at most 5 links",
                             subcode=4279026)
        with self._lock:
            container = str(next(self._ids))
            status = "FINISHED" if kind == "TEXT" else "IN_PROGRESS"
            self._containers[container] = {
                "id": container, "media_type": kind, "text": text, "image_url": params.get("image_url"),
                "link_attachment": params.get("link_attachment"), "status": status, "reads": 0,
                "created": time.time()}
        request.notes["container"] = container
        return {"id": container}

    def _container_status(self, container: dict[str, Any]) -> str:
        if container["status"] == "IN_PROGRESS":
            container["reads"] += 1
            if container["reads"] > self.image_reads_in_progress:
                container["status"] = "FINISHED" if self.image_fetch_ok else "ERROR"
        return str(container["status"])

    def _publish(self, params: dict[str, str], request: Request) -> dict[str, str]:
        creation = params.get("creation_id", "")
        with self._lock:
            container = self._containers.get(creation)
            if container is None:
                raise GraphError(400, 100, f"Unsupported post request - object with ID '{creation}' does not exist")
            if container["status"] == "PUBLISHED":
                request.notes["duplicate"] = True
                raise GraphError(400, 24, "The media has already been published", subcode=4279009)
            if container["status"] != "FINISHED":
                raise GraphError(400, 24, f"The media is not ready to be published ({container['status']})",
                                 subcode=4279009)
            if self._usage() >= self.quota_total:
                raise GraphError(400, 4, "The profile reached its limit of API-published posts for 24 hours")
            post_id = str(next(self._ids))
            container["status"] = "PUBLISHED"
            self._posts.append({
                "id": post_id, "text": container["text"], "media_type": container["media_type"] + "_POST"
                if container["media_type"] == "TEXT" else "IMAGE", "image_url": container["image_url"],
                "link_attachment_url": container["link_attachment"], "container": creation,
                "permalink": f"https://www.threads.net/@{self.username}/post/P{post_id[-8:]}", "time": time.time()})
        request.notes["published"] = post_id
        return {"id": post_id}

    def _usage(self) -> int:
        since = time.time() - DAY
        return sum(1 for t in self._earlier_publishes if t > since) + sum(1 for p in self._posts if p["time"] > since)

    def _list(self, params: dict[str, str]) -> dict[str, Any]:
        limit = int(params.get("limit") or 25)
        if not 1 <= limit <= 100:
            raise GraphError(400, 100, "Param limit must be between 1 and 100")
        fields = set((params.get("fields") or "id").split(","))
        shown = [p for p in reversed(self._posts) if time.time() - p["time"] >= self.list_lag][:limit]
        return {"data": [self._fields(p, fields) for p in shown], "paging": {"cursors": {}}}

    @staticmethod
    def _fields(post: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        whole = {"id": post["id"], "text": post["text"], "permalink": post["permalink"],
                 "media_type": post["media_type"], "link_attachment_url": post["link_attachment_url"],
                 "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(post["time"]))}
        return {k: v for k, v in whole.items() if k in fields | {"id"} and v is not None}

    def _object(self, object_id: str) -> dict[str, Any]:
        with self._lock:
            container = self._containers.get(object_id)
            if container is not None:
                status = self._container_status(container)
                answer: dict[str, Any] = {"id": object_id, "status": status}
                if status == "ERROR":
                    answer["error_message"] = "FAILED_DOWNLOADING_IMAGE"
                return answer
            for post in self._posts:
                if post["id"] == object_id:
                    return {"id": object_id, "permalink": post["permalink"]}
        raise GraphError(400, 100, f"Unsupported get request. Object with ID '{object_id}' does not exist")


def _caller_token(request: Request, params: dict[str, str]) -> str:
    auth = request.header("Authorization")
    return auth[len("Bearer "):] if auth.startswith("Bearer ") else params.get("access_token", "")


def _only(params: dict[str, str], required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    """A token endpoint's parameters as documented: each required one present, no other."""
    for name in params:
        if name not in required + optional:
            raise GraphError(400, 100, f"(#100) Unsupported parameter: {name}")
    for name in required:
        if not params.get(name):
            raise GraphError(400, 100, f"(#100) The parameter {name} is required")


def _error(exc: GraphError) -> Response:
    error: dict[str, Any] = {"message": exc.message, "type": exc.kind, "code": exc.code, "fbtrace_id": "AbCdEfGh123"}
    if exc.subcode is not None:
        error["error_subcode"] = exc.subcode
    return json_response(exc.status, {"error": error})
