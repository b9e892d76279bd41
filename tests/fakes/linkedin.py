"""A local server that plays LinkedIn's versioned Posts and Images APIs for one organization (company page).

Played as LinkedIn's reference states it (learn.microsoft.com, LinkedIn Marketing: "Posts API", "Images API",
"little Text Format", "Versioning"; this file imports nothing of the bot):
- every call carries `Authorization: Bearer <token>` (else 401 INVALID_ACCESS_TOKEN), and every /rest call a
  `LinkedIn-Version: YYYYMM` header naming an active version (none: 400 VERSION_MISSING; a retired or unknown
  one: 426 NONEXISTENT_VERSION) and `X-Restli-Protocol-Version: 2.0.0`. The active versions are the ones
  LinkedIn's pages showed live on 2026-12-08 (`ACTIVE_VERSIONS`), whatever today's date: each is supported a
  year from its release ("Versioning"); those the "Migrations" page lists as sunset answer 426.
- `POST /oauth/v2/introspectToken` (LinkedIn serves it on www.linkedin.com; "Token Introspection",
  learn.microsoft.com/linkedin/shared/authentication/token-introspection): form-encoded `client_id`,
  `client_secret` and `token`, all required, no bearer header; the app's own id and secret or 401
  invalid_client; a parameter it does not document, or one missing, is 400 invalid_request (the wording chosen
  here). Answer: `active`, `client_id`, `authorized_at`, `created_at`, `status`, `expires_at` (60 days after
  `created_at`), `scope`, `auth_type`; a token replaced by `set_token` is `active: false`, status revoked.
- `POST /rest/posts`: `author` must be the organization the token administers (else 403), `commentary` is
  little text, `visibility`, `distribution.feedDistribution`, `lifecycleState` PUBLISHED are required;
  `content.article` needs `source` (a URL) and `title`; its `thumbnail` must be an image URN this server
  handed out and whose bytes were uploaded. Answer: 201, empty body, the URN in `x-restli-id`.
- The commentary is parsed by little's grammar: a backslash escapes the reserved character after it (a
  backslash before anything else is itself unescaped); `{hashtag|\\#|name}`
  (or `#` / `＃` unescaped in the sign) is a hashtag template; `@[name](urn:li:...)` a mention; `#word` a
  hashtag element. Any other reserved character (`| { } @ [ ] ( ) < > # \\ * _ ~`) unescaped is refused here
  with a 422: LinkedIn itself answers 201 and cuts the post at that character, which a test could not see.
  Commentary as sent holds at most 3,000 characters.
- `GET /rest/posts?q=author&author=URN&count=N` with `X-RestLi-Method: FINDER`: the newest posts first.
- `POST /rest/images?action=initializeUpload` with `initializeUploadRequest.owner` the organization: an
  upload URL on this server and an image URN; `PUT` of the bytes there (bearer token) makes it AVAILABLE.

Fault methods take ``endpoint``, an fnmatch pattern over ``"METHOD /path"`` (default ``"POST /rest/posts"``).
"""

from __future__ import annotations

import copy
import itertools
import re
import time
from typing import Any, Literal

from ._base import FakeServerBase, Fault, Request, Response, json_response

MAX_COMMENTARY = 3000
RESERVED = set("|{}@[]()<>#\\*_~")
_TEMPLATE = re.compile(r"\{hashtag\|(?:\\#|#|＃)\|([^|{}\\]+)\}")
_MENTION = re.compile(r"@\[([^\]\\]+)\]\((urn:li:(?:person|organization):\d+)\)")
_ELEMENT = re.compile(r"#(\w+)")


class LittleError(ValueError):
    """The commentary is not little text LinkedIn would keep whole."""


def parse_little(text: str) -> tuple[str, list[str]]:
    """(the text as readers see it, the hashtags), or LittleError at the first unescaped reserved character."""
    out: list[str] = []
    tags: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or text[i + 1] not in RESERVED:
                raise LittleError(f"unescaped reserved character '\\\\' at offset {i}: a backslash escapes only a "
                                  "reserved character")
            out.append(text[i + 1])
            i += 2
            continue
        if char == "{" and (match := _TEMPLATE.match(text, i)):
            out.append("#" + match[1])
            tags.append(match[1])
            i = match.end()
            continue
        if char == "@" and (match := _MENTION.match(text, i)):
            out.append(match[1])
            i = match.end()
            continue
        if char == "#" and (match := _ELEMENT.match(text, i)) and "_" not in match[1]:
            out.append(match[0])
            tags.append(match[1])
            i = match.end()
            continue
        if char in RESERVED:
            raise LittleError(f"unescaped reserved character {char!r} at offset {i}: LinkedIn would cut the "
                              "post there")
        out.append(char)
        i += 1
    return "".join(out), tags


# Live on 2026-12-08, as LinkedIn's pages say: 202601-202603 ("Migrations", Active, sunset January-March 2027),
# 202605-202607 (their "Recent Marketing API Changes" sections), 202608 ("August 2026 - Version 202608 (Latest)",
# learn.microsoft.com/linkedin/marketing/integrations/recent-changes). Sunset ("Migrations"): 202510 on
# 2026-10-15, 202511 on 2026-11-16, and every one before.
ACTIVE_VERSIONS = ("202601", "202602", "202603", "202605", "202606", "202607", "202608")
DAY = 86400
CLIENT_ID = "86linkedinapp42"
CLIENT_SECRET = "WPL_AP1.linkedin-client-secret-test.77"


class FakeLinkedIn(FakeServerBase):
    """The Posts and Images APIs for one organization and one admin's token."""

    def __init__(self, token: str = "AQV-linkedin-token-test-2468", organization_id: str = "5515715", *,
                 active_versions: tuple[str, ...] = ACTIVE_VERSIONS, list_lag: float = 0.0,
                 client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self._token = token
        self._created: dict[str, float] = {token: time.time()}  # every token of the app: when it was made
        self.client_id, self.client_secret = client_id, client_secret
        self.organization = f"urn:li:organization:{organization_id}"
        self.active_versions = set(active_versions)
        self.list_lag = list_lag
        self._posts: list[dict[str, Any]] = []
        self._images: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(7400000000000000001)
        super().__init__()

    # --- recording and controls -------------------------------------------------------------------------
    @property
    def posts(self) -> list[dict[str, Any]]:
        """What is on the page, oldest first: id, body (as sent), text (as readers see it), hashtags, version."""
        with self._lock:
            return copy.deepcopy(self._posts)

    @property
    def images(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._images)

    def set_token(self, new: str) -> None:
        """A new token for the member; the one before is revoked."""
        with self._lock:
            self._token = new
            self._created.setdefault(new, time.time())

    def issued_ago(self, seconds: float) -> None:
        """The current token was made `seconds` ago (introspection's `created_at` and `expires_at`)."""
        with self._lock:
            self._created[self._token] = time.time() - seconds

    def retire(self, version: str) -> None:
        with self._lock:
            self.active_versions.discard(version)

    def rate_limit(self, times: int = 1, endpoint: str = "POST /rest/posts", retry_after: int | None = None) -> None:
        self.faults.add(Fault(endpoint, "fail", times, status=429, extra={
            "message": "Resource level throttle limit for calls to this resource is reached.",
            "retry_after": retry_after}))

    def fail(self, status: int = 500, times: int = 1, endpoint: str = "POST /rest/posts",
             message: str = "Internal Server Error") -> None:
        self.faults.add(Fault(endpoint, "fail", times, status=status, extra={"message": message}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /rest/posts") -> None:
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /rest/posts", commit: bool = True) -> None:
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def drop_connection(self, times: int = 1, endpoint: str = "POST /rest/posts") -> None:
        self.faults.add(Fault(endpoint, "drop", times))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /rest/posts") -> None:
        self.faults.add(Fault(endpoint, "reset", times))

    # --- HTTP ------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        if request.path == "/oauth/v2/introspectToken":
            return self._introspect(request)  # the app authenticates with its client secret, not a bearer token
        with self._lock:
            token_ok = request.header("Authorization") == f"Bearer {self._token}"
        if not token_ok:
            request.notes["auth_error"] = "401"
            return _error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
        if request.path.startswith("/rest/"):
            version = request.header("LinkedIn-Version")
            request.notes["version"] = version
            if not version:
                return _error(400, "A version must be present. Please specify a version by adding the "
                                   "LinkedIn-Version header.", "VERSION_MISSING")
            if not re.fullmatch(r"20\d{4}(\.\d{2})?", version) or version not in self.active_versions:
                return _error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
            if request.header("X-Restli-Protocol-Version") != "2.0.0":
                return _error(400, "X-Restli-Protocol-Version 2.0.0 is required", "ILLEGAL_ARGUMENT")
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            try:
                return self._route(request)
            except _Refused as exc:
                return _error(exc.status, exc.message, exc.code)

        def failure(f: Fault) -> Response:
            headers = {"Retry-After": str(f.extra["retry_after"])} if f.extra.get("retry_after") is not None else {}
            return _error(f.status, str(f.extra.get("message", "error")), headers=headers)

        def unknown() -> Response:
            return _error(504, "Gateway Timeout")

        return self.run_fault(fault, process, failure, unknown)

    def _route(self, request: Request) -> Response:
        query = dict(request.query)
        if request.method == "POST" and request.path == "/rest/posts":
            return self._create(request)
        if request.method == "GET" and request.path == "/rest/posts":
            if request.header("X-RestLi-Method").upper() != "FINDER" or query.get("q") != "author":
                raise _Refused(400, "a finder needs X-RestLi-Method: FINDER and q=author")
            if query.get("author") != self.organization:
                raise _Refused(403, f"Not enough permissions to access posts of {query.get('author')}")
            count = int(query.get("count") or 10)
            shown = [p for p in reversed(self._posts) if time.time() - p["time"] >= self.list_lag][:count]
            return json_response(200, {"elements": [{"id": p["id"], **p["body"]} for p in shown],
                                       "paging": {"start": 0, "count": count, "links": []}})
        if request.method == "POST" and request.path == "/rest/images" and query.get("action") == "initializeUpload":
            owner = ((request.json() or {}).get("initializeUploadRequest") or {}).get("owner")
            if owner != self.organization:
                raise _Refused(403, f"Not enough permissions to upload images for {owner}")
            with self._lock:
                number = next(self._ids)
                image = f"urn:li:image:D4E10AQ{number}"
                self._images[image] = {"status": "WAITING_UPLOAD", "bytes": 0, "key": str(number)}
            return json_response(200, {"value": {"uploadUrlExpiresAt": int(time.time() * 1000) + 3600_000,
                                                 "uploadUrl": f"{self.url}/dms-uploads/{number}", "image": image}})
        if request.method == "PUT" and request.path.startswith("/dms-uploads/"):
            key = request.path.rsplit("/", 1)[-1]
            with self._lock:
                for entry in self._images.values():
                    if entry["key"] == key:
                        if not request.body:
                            raise _Refused(400, "empty upload")
                        entry.update(status="AVAILABLE", bytes=len(request.body),
                                     content_type=request.header("Content-Type"))
                        return Response(201)
            raise _Refused(404, "no such upload")
        raise _Refused(404, f"No resource {request.method} {request.path}")

    def _create(self, request: Request) -> Response:
        try:
            body = request.json()
        except ValueError:
            raise _Refused(400, "Request body could not be converted to data map", "ILLEGAL_ARGUMENT") from None
        if not isinstance(body, dict):
            raise _Refused(400, "Request body could not be converted to data map", "ILLEGAL_ARGUMENT")
        missing = [k for k in ("author", "commentary", "visibility", "distribution", "lifecycleState") if k not in body]
        if missing:
            raise _Refused(422, "".join(f"ERROR :: /{k} :: field is required but not found and has no default value\n"
                                        for k in missing), "UNPROCESSABLE_ENTITY")
        if body["author"] != self.organization:
            raise _Refused(403, f"Not enough permissions to post as {body['author']}")
        if body["visibility"] not in ("PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"):
            raise _Refused(422, "ERROR :: /visibility :: invalid enum value")
        if (body["distribution"] or {}).get("feedDistribution") not in ("MAIN_FEED", "NONE"):
            raise _Refused(422, "ERROR :: /distribution/feedDistribution :: invalid enum value")
        if body["lifecycleState"] != "PUBLISHED":
            raise _Refused(422, "ERROR :: /lifecycleState :: only PUBLISHED is played here")
        commentary = str(body["commentary"])
        if len(commentary) > MAX_COMMENTARY:
            raise _Refused(422, f"ERROR :: /commentary :: length {len(commentary)} exceeds {MAX_COMMENTARY}")
        try:
            text, tags = parse_little(commentary)
        except LittleError as exc:
            request.notes["refused"] = str(exc)
            raise _Refused(422, f"ERROR :: /commentary :: {exc}") from None
        article = ((body.get("content") or {}).get("article"))
        if article is not None:
            if not re.match(r"(?i)https?://\S+$", str(article.get("source") or "")) or not article.get("title"):
                raise _Refused(422, "ERROR :: /content/article :: source (a URL) and title are required")
            thumbnail = article.get("thumbnail")
            if thumbnail is not None and (self._images.get(thumbnail) or {}).get("status") != "AVAILABLE":
                raise _Refused(422, f"ERROR :: /content/article/thumbnail :: {thumbnail} is not an uploaded image")
        with self._lock:
            urn = f"urn:li:share:{next(self._ids)}"
            self._posts.append({"id": urn, "body": body, "text": text, "hashtags": tags,
                                "version": request.header("LinkedIn-Version"), "time": time.time()})
        request.notes["post"] = urn
        return Response(201, b"", {"x-restli-id": urn, "x-linkedin-id": urn})


    def _introspect(self, request: Request) -> Response:
        def oauth_error(status: int, error: str, description: str) -> Response:
            return json_response(status, {"error": error, "error_description": description})

        if request.method != "POST":
            return oauth_error(405, "invalid_request", "introspectToken takes a POST")
        if request.content_type != "application/x-www-form-urlencoded":
            return oauth_error(400, "invalid_request", "the request must be application/x-www-form-urlencoded")
        if request.query:
            return oauth_error(400, "invalid_request", "introspectToken takes its parameters in the body")
        form = dict(request.form())
        unknown = sorted(set(form) - {"client_id", "client_secret", "token"})
        if unknown:
            return oauth_error(400, "invalid_request", f"unknown parameter: {unknown[0]}")
        missing = [k for k in ("client_id", "client_secret", "token") if not form.get(k)]
        if missing:
            return oauth_error(400, "invalid_request", f"A required parameter \"{missing[0]}\" is missing")
        if form["client_id"] != self.client_id or form["client_secret"] != self.client_secret:
            return oauth_error(401, "invalid_client", "Client authentication failed")
        with self._lock:
            created = self._created.get(form["token"])
            current = form["token"] == self._token
        if created is None:
            return json_response(200, {"active": False})
        if not current:
            return json_response(200, {"active": False, "status": "revoked", "client_id": self.client_id})
        return json_response(200, {
            "active": True, "client_id": self.client_id, "authorized_at": int(created), "created_at": int(created),
            "status": "active", "expires_at": int(created) + 60 * DAY,
            "scope": "r_organization_social,w_organization_social", "auth_type": "3L"})


class _Refused(Exception):
    def __init__(self, status: int, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def _error(status: int, message: str, code: str = "", service_code: int | None = None,
           headers: dict[str, str] | None = None) -> Response:
    payload: dict[str, Any] = {"status": status, "message": message}
    if code:
        payload["code"] = code
    if service_code is not None:
        payload["serviceErrorCode"] = service_code
    return json_response(status, payload, headers)
