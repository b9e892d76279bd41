"""A local server that plays the Facebook Graph API (Pages) for the real facebook-sdk GraphAPI.

Paths may carry any version prefix (``/v25.0/...``) or none; the version used is recorded in ``requests``
(``"version"``) so a test can check the client was moved off facebook-sdk's default 3.1. Calls to a version
older than ``oldest_version`` are served as that version (as Graph upgrades expired versions), and the
``facebook-api-version`` header says so.

The access token is read from the query, the form body, a multipart field or an
``Authorization: OAuth|Bearer`` header. Only the current page token works: an expired one answers
code 190 subcode 463, a token rotated away 190 subcode 460, anything else 190 "Cannot parse access
token"; none at all, code 104.
Errors are Graph's ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``.

Reading posts (``GET /{page-id}/feed|posts|published_posts``, ``GET /{post-id}``) checks ``fields`` as Graph
does since v3.3 (Post reference, "Limitations"; restfb issue 990): the Post fields folded into attachments
(``link``, ``caption``, ``description``, ``name``, ``picture``, ``source``, ``type``, ``object_id``) answer
error #12 ``deprecate_post_aggregated_fields_for_attachement``, a field a Post never had answers #100
"Tried accessing nonexisting field". A link post's link is ``attachments{unshimmed_url}`` (``url`` is
Facebook's l.facebook.com redirect to it), a photo post's attachment is the photo, its caption ``message``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any, Literal, TypedDict
from urllib.parse import quote, urlencode

from ._base import FakeServerBase, Fault, Request, Response

_VERSION_RE = re.compile(r"/v(\d+)\.(\d+)(?=/|$)")
_RATE_LIMIT_CODES = {4, 17, 32, 613, 80001}

# Post fields gone since Graph v3.3 (the Post reference's "Limitations"; restfb issue 990 maps each to its
# attachments{...} successor): asking for one answers #12, whatever else the request asks for.
DEPRECATED_POST_FIELDS = frozenset({"caption", "description", "link", "name", "object_id", "picture", "source",
                                    "type"})
# Fields of the Post node (Graph reference: Post) the fake accepts; those it does not model are left out of
# the answer, as Graph leaves out a field without a value.
POST_FIELDS = frozenset({
    "id", "message", "created_time", "updated_time", "permalink_url", "full_picture", "attachments", "from",
    "story", "status_type", "is_published", "is_hidden", "is_expired", "is_popular", "is_spherical",
    "message_tags", "icon", "parent_id", "privacy", "promotable_id", "properties", "scheduled_publish_time",
    "shares", "story_tags", "targeting", "timeline_visibility", "actions", "admin_creator", "application",
    "backdated_time", "call_to_action", "can_reply_privately", "child_attachments", "coordinates",
    "event", "expanded_height", "expanded_width", "feed_targeting", "height", "is_eligible_for_promotion",
    "is_inline_created", "is_instagram_eligible", "multi_share_end_card", "multi_share_optimized", "place",
    "sponsor_tags", "subscribed", "width",
})
# Fields of a StoryAttachment (Graph reference: Story Attachment).
ATTACHMENT_FIELDS = frozenset({"description", "description_tags", "media", "media_type", "target", "title",
                               "type", "unshimmed_url", "url", "subattachments"})
_DEPRECATED_MESSAGE = ("(#12) deprecate_post_aggregated_fields_for_attachement is deprecated for versions v3.3 "
                       "and higher")

# code -> (message, type, default HTTP status, is_transient)
_ERRORS: dict[int, tuple[str, str, int, bool]] = {
    1: ("An unknown error occurred", "OAuthException", 500, True),
    2: ("An unexpected error has occurred. Please retry your request later.", "OAuthException", 500, True),
    4: ("(#4) Application request limit reached", "OAuthException", 403, True),
    10: ("(#10) Application does not have permission for this action", "OAuthException", 403, False),
    17: ("(#17) User request limit reached", "OAuthException", 403, True),
    32: ("(#32) Page request limit reached", "OAuthException", 403, True),
    12: (_DEPRECATED_MESSAGE, "OAuthException", 400, False),
    100: ("(#100) Invalid parameter", "OAuthException", 400, False),
    104: ("An access token is required to request this resource.", "OAuthException", 400, False),
    190: ("Error validating access token: Session has expired.", "OAuthException", 400, False),
    200: ("(#200) If posting to a page, requires both pages_read_engagement and pages_manage_posts "
          "permission with page token", "OAuthException", 403, False),
    368: ("The action attempted has been deemed abusive or is otherwise disallowed", "OAuthException", 400,
          False),
    506: ("(#506) Duplicate status message", "OAuthException", 400, False),
    613: ("(#613) Calls to this api have exceeded the rate limit.", "OAuthException", 400, True),
    80001: ("(#80001) There have been too many calls to this Page account. Wait a bit and try again. "
            "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
            "OAuthException", 400, True),
}


class PostRecord(TypedDict):
    id: str  # "PAGEID_POSTID"
    kind: Literal["feed", "photo"]
    message: str | None
    link: str | None
    url: str | None  # photos: the image URL given
    caption: str | None  # photos
    photo_id: str | None  # photos
    source_bytes: int | None  # photos uploaded as multipart "source"
    created_at: float


FieldTree = list[tuple[str, "FieldTree | None"]]


def parse_fields(raw: str) -> FieldTree:
    """Graph's field expansion: ``a,b{c,d{e}},f.limit(5)`` -> [(a, None), (b, [(c, None), (d, [(e, None)])]),
    (f, None)] (modifiers such as ``.limit(5)`` are dropped). Unbalanced braces raise ValueError."""
    tree, rest = _parse_fields(raw.replace(" ", ""), 0)
    if rest != len(raw.replace(" ", "")):
        raise ValueError("unbalanced braces")
    return tree


def _parse_fields(raw: str, i: int) -> tuple[FieldTree, int]:
    tree: FieldTree = []
    name = ""
    sub: FieldTree | None = None
    depth_paren = 0
    while i < len(raw):
        ch = raw[i]
        if depth_paren:
            depth_paren += {"(": 1, ")": -1}.get(ch, 0)
        elif ch == "(":
            depth_paren = 1
        elif ch == "{":
            sub, i = _parse_fields(raw, i + 1)
            if i >= len(raw) or raw[i] != "}":
                raise ValueError("unbalanced braces")
        elif ch == "}":
            break
        elif ch == ",":
            if name:
                tree.append((name.split(".")[0], sub))
            name, sub = "", None
        else:
            name += ch
        i += 1
    if name:
        tree.append((name.split(".")[0], sub))
    return tree, i


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _trace_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(8)).decode().rstrip("=")


def graph_error(code: int, message: str | None = None, subcode: int | None = None,
                type_: str | None = None) -> dict[str, Any]:
    default_message, default_type, _, transient = _ERRORS.get(code, (f"(#{code}) Error", "OAuthException",
                                                                     400, False))
    error: dict[str, Any] = {"message": message or default_message, "type": type_ or default_type,
                             "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    error["fbtrace_id"] = _trace_id()
    return {"error": error}


class FakeGraphServer(FakeServerBase):
    """Graph API for one Page. Fault methods take ``endpoint``, an fnmatch pattern over ``"METHOD /path"``
    with the version prefix removed (default ``"POST /*"``: any write; ``"*"``: everything)."""

    def __init__(
        self,
        page_id: str = "1234567890",
        page_token: str = "PAGE-TOKEN",
        page_name: str = "Our Org",
        *,
        duplicate_window_seconds: float = 600.0,
        oldest_version: str = "v21.0",
        visibility_lag: float = 0.0,
    ) -> None:
        self.page_id = page_id
        # Seconds before a new post shows on the Page's feed edges (/feed, /posts, /published_posts): Graph's
        # feeds are eventually consistent; the post node (GET /{post-id}) and duplicate detection see it at once.
        self.visibility_lag = visibility_lag
        self.page_name = page_name
        self.duplicate_window_seconds = duplicate_window_seconds
        self.oldest_version = oldest_version
        self._token = page_token
        self._expired: set[str] = set()
        self._retired: set[str] = set()
        self._posts: list[PostRecord] = []
        self._post_ids = itertools.count(1_000_000_000_000_001)
        self._photo_ids = itertools.count(2_000_000_000_000_001)
        super().__init__()

    # ---------------------------------------------------------------------------------------------
    # recording and controls
    @property
    def posts(self) -> list[PostRecord]:
        """Posts that exist now, oldest first."""
        with self._lock:
            return copy.deepcopy(self._posts)

    @property
    def token(self) -> str:
        return self._token

    def set_token(self, new: str) -> None:
        """Rotate: ``new`` becomes the only valid token; the old one answers 190/460."""
        with self._lock:
            if new != self._token:
                self._retired.add(self._token)
            self._retired.discard(new)
            self._expired.discard(new)
            self._token = new

    def expire_token(self) -> None:
        """The current token now answers 190/463 (session expired) until ``set_token`` gives a new one."""
        with self._lock:
            self._expired.add(self._token)

    def add_post(self, message: str | None = None, link: str | None = None,
                 created_at: float | None = None) -> PostRecord:
        """Seed a feed post as if made earlier (no checks)."""
        with self._lock:
            return self._store("feed", message, link, None, None, None, None, created_at or time.time())

    def fail(self, code: int, http_status: int | None = None, times: int = 1, subcode: int | None = None,
             headers: Mapping[str, str] | None = None, *, message: str | None = None,
             endpoint: str = "POST /*", regain_access_minutes: int | None = None) -> None:
        """Answer Graph error ``code`` (HTTP status: Graph's usual one for the code unless given).

        For the rate-limit codes (4, 17, 32, 613, 80001), or when ``regain_access_minutes`` is given,
        X-App-Usage and X-Business-Use-Case-Usage headers are added (usage 100%,
        estimated_time_to_regain_access = ``regain_access_minutes`` or 0); ``headers`` override them.
        """
        status = http_status if http_status is not None else _ERRORS.get(code, ("", "", 400, False))[2]
        extra: dict[str, Any] = {"code": code, "subcode": subcode, "message": message,
                                 "regain": regain_access_minutes}
        self.faults.add(Fault(endpoint, "fail", times, status=status, headers=dict(headers or {}),
                              extra=extra))

    def fail_non_json(self, status: int = 502, times: int = 1, endpoint: str = "POST /*") -> None:
        """Answer an HTML error page (facebook-sdk: GraphAPIError "Maintype was not text, image, or
        querystring", code None)."""
        body = f"<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway</h1></body></html>"
        self.faults.add(Fault(endpoint, "fail", times, status=status, body=body.encode(),
                              headers={"Content-Type": "text/html; charset=utf-8"}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = "POST /*") -> None:
        """Make the post, then drop the connection (``how="drop"``) or answer code 2 with HTTP 500
        (``how="error"``): the outcome is unknown to the client, but the post exists."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = "POST /*", commit: bool = True) -> None:
        """Hold the answer ``seconds``. ``commit=True``: the work is done first; ``commit=False``: nothing is
        done and the connection is closed after the wait."""
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def reset_connection(self, times: int = 1, endpoint: str = "POST /*") -> None:
        """Abort the TCP connection (RST) without doing anything."""
        self.faults.add(Fault(endpoint, "reset", times))

    def drop_connection(self, times: int = 1, endpoint: str = "POST /*") -> None:
        self.faults.add(Fault(endpoint, "drop", times))

    def clear_faults(self) -> None:
        self.faults.clear()

    # ---------------------------------------------------------------------------------------------
    # HTTP
    def handle(self, request: Request) -> Response:
        path = request.path
        requested_version: str | None = None
        match = _VERSION_RE.match(path)
        if match:
            requested_version = f"v{match.group(1)}.{match.group(2)}"
            path = path[match.end():] or "/"
        request.notes["version"] = requested_version
        request.notes["graph_path"] = path
        version = self._served_version(requested_version)
        params = self._params(request)
        token_error = self._check_token(request, params)
        if token_error is not None:
            request.notes["auth_error"] = token_error["error"]["message"]
            return self._json(400, token_error, version)
        fault = self.faults.take(request.method, path)
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            status, payload = self._route(request.method, path, params)
            if payload.get("error", {}).get("code") == 506:
                request.notes["duplicate"] = True
            return self._json(status, payload, version)

        def failure(f: Fault) -> Response:
            if f.body is not None:
                return Response(f.status, f.body, dict(f.headers))
            code = int(f.extra["code"])
            headers = self._usage_headers(code, f.extra.get("regain"))
            headers.update(f.headers)
            payload = graph_error(code, f.extra.get("message"), f.extra.get("subcode"))
            return self._json(f.status, payload, version, headers)

        def unknown() -> Response:
            return self._json(500, graph_error(2), version)

        return self.run_fault(fault, process, failure, unknown)

    def _served_version(self, requested: str | None) -> str:
        def key(v: str) -> tuple[int, int]:
            major, _, minor = v[1:].partition(".")
            return int(major), int(minor or 0)

        if requested is None or key(requested) < key(self.oldest_version):
            return self.oldest_version
        return requested

    def _usage_headers(self, code: int, regain: int | None) -> dict[str, str]:
        if code not in _RATE_LIMIT_CODES and regain is None:
            return {}
        minutes = regain or 0
        app = {"call_count": 100, "total_cputime": 100, "total_time": 100}
        buc = {self.page_id: [{"type": "pages", "call_count": 100, "total_cputime": 100, "total_time": 100,
                               "estimated_time_to_regain_access": minutes}]}
        return {"X-App-Usage": json.dumps(app), "X-Business-Use-Case-Usage": json.dumps(buc)}

    def _json(self, status: int, payload: object, version: str,
              headers: Mapping[str, str] | None = None) -> Response:
        merged = {
            "Content-Type": "application/json; charset=UTF-8",
            "facebook-api-version": version,
            "x-fb-trace-id": _trace_id(),
            "x-fb-rev": "1000000",
        }
        if status < 300:
            merged["X-App-Usage"] = json.dumps({"call_count": 1, "total_cputime": 1, "total_time": 1})
        merged.update(headers or {})
        return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), merged)

    @staticmethod
    def _params(request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        params.update(dict(request.form()))
        for name, value in request.multipart().items():
            if name == "source":
                params["source"] = value
            else:
                params[name] = value.decode("utf-8", "replace")
        return params

    def _check_token(self, request: Request, params: Mapping[str, Any]) -> dict[str, Any] | None:
        token = params.get("access_token")
        authorization = request.header("Authorization")
        if token is None and authorization.split(" ", 1)[0].lower() in ("oauth", "bearer"):
            token = authorization.split(" ", 1)[1].strip() if " " in authorization else ""
        with self._lock:
            if not token:
                return graph_error(104)
            if token in self._expired:
                now = dt.datetime.now(tz=dt.UTC)
                stamp = "%A, %d-%b-%y %H:%M:%S UTC"
                return graph_error(
                    190, "Error validating access token: Session has expired on "
                    f"{(now - dt.timedelta(hours=1)).strftime(stamp)}. The current time is "
                    f"{now.strftime(stamp)}.", 463)
            if token in self._retired:
                return graph_error(
                    190, "Error validating access token: The session has been invalidated because the user "
                    "changed their password or Facebook has changed the session for security reasons.", 460)
            if token != self._token:
                return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        return None

    # ---------------------------------------------------------------------------------------------
    # routes
    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if parts and parts[0] == "me":
            parts[0] = self.page_id
        if method == "GET" and len(parts) == 1 and parts[0] == self.page_id:
            return 200, self._page_json(params)
        if method == "GET" and len(parts) == 2 and parts[0] == self.page_id and \
                parts[1] in ("feed", "posts", "published_posts"):
            tree = self._post_fields(params)
            if isinstance(tree, dict):
                return 400, tree
            return 200, self._feed_json(params, parts[1], tree)
        if method == "POST" and len(parts) == 2 and parts[0] == self.page_id and parts[1] == "feed":
            return self._post_feed(params)
        if method == "POST" and len(parts) == 2 and parts[0] == self.page_id and parts[1] == "photos":
            return self._post_photo(params)
        if len(parts) == 1 and "_" in parts[0]:
            with self._lock:
                found = [p for p in self._posts if p["id"] == parts[0]]
                if method == "GET" and found:
                    tree = self._post_fields(params)
                    if isinstance(tree, dict):
                        return 400, tree
                    return 200, self._post_json(found[0], tree)
                if method == "DELETE" and found:
                    self._posts.remove(found[0])
                    return 200, {"success": True}
        target = parts[0] if parts else ""
        return 400, graph_error(
            100, f"Unsupported {method.lower()} request. Object with ID '{target}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation. Please read the Graph "
            "API documentation at https://developers.facebook.com/docs/graph-api", 33, "GraphMethodException")

    @staticmethod
    def _fields(params: Mapping[str, Any], default: str) -> list[str]:
        raw = params.get("fields") or default
        return [f.strip() for f in str(raw).split(",") if f.strip()]

    def _page_json(self, params: Mapping[str, Any]) -> dict[str, Any]:
        values = {"id": self.page_id, "name": self.page_name, "link": f"https://www.facebook.com/{self.page_id}"}
        return {k: values[k] for k in self._fields(params, "id,name") if k in values}

    @staticmethod
    def _post_fields(params: Mapping[str, Any]) -> FieldTree | dict[str, Any]:
        """The requested Post fields, or Graph's error for the first one Graph refuses (in request order)."""
        try:
            tree = parse_fields(str(params.get("fields") or "id,message,created_time"))
        except ValueError:
            return graph_error(100, "(#100) Syntax error \"Expected end of string instead of \"}\".\" at "
                               "character 0: " + str(params.get("fields")))
        for name, sub in tree:
            if name in DEPRECATED_POST_FIELDS:
                return graph_error(12)
            if name not in POST_FIELDS:
                return graph_error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type (Post)")
            if name == "attachments" and sub is not None:
                for sub_name, _ in sub:
                    if sub_name not in ATTACHMENT_FIELDS:
                        return graph_error(100, f"(#100) Tried accessing nonexisting field ({sub_name}) on node "
                                           "type (StoryAttachment)")
        return tree

    def _attachment(self, post: PostRecord) -> dict[str, Any] | None:
        """The post's StoryAttachment as Graph shows it: a link share's ``url`` is Facebook's redirect
        (l.facebook.com), ``unshimmed_url`` the link itself; a photo's both are the photo's page."""
        if post["kind"] == "photo":
            page = f"https://www.facebook.com/photo.php?fbid={post['photo_id']}"
            return {"media_type": "photo", "type": "photo", "url": page, "unshimmed_url": page,
                    "target": {"id": post["photo_id"], "url": page},
                    "media": {"image": {"height": 720, "width": 720, "src": post["url"] or ""}}}
        if post["link"] is None:
            return None
        shim = f"https://l.facebook.com/l.php?u={quote(post['link'], safe='')}&h=AT0{_trace_id()}"
        return {"media_type": "link", "type": "share", "url": shim, "unshimmed_url": post["link"],
                "target": {"url": shim}, "title": post["link"].split("//", 1)[-1].split("/", 1)[0]}

    def _post_json(self, post: PostRecord, fields: FieldTree) -> dict[str, Any]:
        attachment = self._attachment(post)
        values: dict[str, Any] = {
            "id": post["id"],
            "message": post["message"],
            "created_time": _iso(post["created_at"]),
            "permalink_url": f"https://www.facebook.com/{post['id'].replace('_', '/posts/')}",
            "full_picture": post["url"],
        }
        out: dict[str, Any] = {}
        for name, sub in fields:
            if name == "attachments":
                if attachment is not None:
                    chosen = attachment if sub is None else {k: attachment[k] for k, _ in sub if k in attachment}
                    out["attachments"] = {"data": [chosen]}
            elif values.get(name) is not None:
                out[name] = values[name]
        return out

    def _feed_json(self, params: Mapping[str, Any], edge: str, fields: FieldTree) -> dict[str, Any]:
        try:
            limit = max(1, min(100, int(params.get("limit", 25))))
        except ValueError:
            limit = 25
        offset = 0
        if params.get("after"):
            try:
                offset = int(base64.urlsafe_b64decode(str(params["after"])).decode())
            except ValueError:
                offset = 0
        with self._lock:
            posts = [p for p in reversed(self._posts) if p["created_at"] <= time.time() - self.visibility_lag]
            page = posts[offset:offset + limit]
            data = [self._post_json(p, fields) for p in page]
        out: dict[str, Any] = {"data": data}
        if page:
            before = base64.urlsafe_b64encode(str(offset).encode()).decode()
            after = base64.urlsafe_b64encode(str(offset + len(page)).encode()).decode()
            paging: dict[str, Any] = {"cursors": {"before": before, "after": after}}
            if offset + limit < len(posts):
                paging["next"] = (f"https://graph.facebook.com/{self.oldest_version}/{self.page_id}/{edge}"
                                  f"?{urlencode({'fields': params.get('fields') or 'id,message,created_time'})}"
                                  f"&limit={limit}&after={after}")
            out["paging"] = paging
        return out

    def _store(self, kind: Literal["feed", "photo"], message: str | None, link: str | None, url: str | None,
               caption: str | None, photo_id: str | None, source_bytes: int | None,
               created_at: float) -> PostRecord:
        record = PostRecord(id=f"{self.page_id}_{next(self._post_ids)}", kind=kind, message=message,
                            link=link, url=url, caption=caption, photo_id=photo_id, source_bytes=source_bytes,
                            created_at=created_at)
        self._posts.append(record)
        return record

    def _is_duplicate(self, message: str | None, link: str | None, now: float) -> bool:
        return any(
            p["message"] == message and p["link"] == link
            and now - p["created_at"] < self.duplicate_window_seconds
            for p in self._posts
        )

    def _post_feed(self, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        message = params.get("message") or None
        link = params.get("link") or None
        if message is None and link is None:
            return 400, graph_error(100, "(#100) Missing message or attachment")
        if link is not None and not re.match(r"(?i)https?://[^\s/]+\.[^\s]+$", str(link)):
            return 400, graph_error(100, "(#100) The parameter link is not a valid URL")
        now = time.time()
        with self._lock:
            if self._is_duplicate(message, link, now):
                return 400, graph_error(506)
            record = self._store("feed", message, link, None, None, None, None, now)
        return 200, {"id": record["id"]}

    def _post_photo(self, params: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
        url = params.get("url") or None
        source = params.get("source")
        caption = params.get("caption") or params.get("message") or None
        if url is None and not isinstance(source, bytes):
            return 400, graph_error(324, "(#324) Requires upload file")
        if url is not None and not re.match(r"(?i)https?://\S+$", str(url)):
            return 400, graph_error(100, "(#100) url should represent a valid URL")
        now = time.time()
        with self._lock:
            if caption is not None and self._is_duplicate(caption, None, now):
                return 400, graph_error(506)
            photo_id = str(next(self._photo_ids))
            record = self._store("photo", caption, None, url, caption, photo_id,
                                 len(source) if isinstance(source, bytes) else None, now)
        return 200, {"id": photo_id, "post_id": record["id"]}
