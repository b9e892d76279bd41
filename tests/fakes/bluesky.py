"""A local server that plays a Bluesky PDS (and its entryway) for the real atproto SDK (0.0.73).

What the SDK calls, and what this fake answers (checked in the SDK's source: atproto_client/client):
- ``POST /xrpc/com.atproto.server.createSession`` {identifier, password}: the handle (or DID) and the app
  password are checked; every login is counted (``logins``) and limited like the real one (30 per 5 minutes,
  300 a day per account: 429 with ``ratelimit-*`` headers). The answer carries access and refresh JWTs (the
  SDK decodes them for ``exp``, it does not check signatures) and a DID document whose ``#atproto_pds``
  service points at ``pds_url`` (this server by default): the SDK moves every later call there.
- ``POST /xrpc/com.atproto.server.refreshSession`` with the refresh JWT: a new pair; the used refresh token
  stays usable for ``refresh_grace`` seconds (the reference PDS's grace), then answers 400 ExpiredToken.
- ``GET /xrpc/com.atproto.server.getSession``, ``GET /xrpc/app.bsky.actor.getProfile``.
- ``POST /xrpc/com.atproto.repo.createRecord``: the post lexicon enforced: rkey a TID, an rkey that exists
  answers 500 InternalServerError (as the real PDS does today), text at most 300 graphemes and 3,000 UTF-8
  bytes, at most 3 langs, facets per app.bsky.richtext.facet (byte
  ranges are integers >= 0, not checked against the text; a link's uri must be a URI; unknown feature types are
  accepted: the union is open), createdAt an atproto datetime, an external
  card's thumb or each image an uploaded blob of at most 1,000,000 bytes, images with alt text, not both.
- ``GET /xrpc/com.atproto.repo.getRecord``: the record, or 400 RecordNotFound.
- ``POST /xrpc/com.atproto.repo.uploadBlob``: the raw bytes, at most ``max_blob_bytes`` (413 beyond).
Every answer carries ``ratelimit-limit/remaining/reset/policy``; writes spend the account's write points
(3 per record created, 5,000 an hour, as the reference PDS), and an empty budget answers 429.
Access tokens: an ``exp`` in the past or one the test expired (``expire_access_tokens``) answers
400 ExpiredToken, an unknown one 401 InvalidToken, none 401 AuthenticationRequired.
Faults are queued per ``"METHOD /xrpc/NSID"`` pattern (fnmatch): ``fail``, ``rate_limit``,
``fail_after_commit`` (the record is made, then the answer is lost), ``stall``, ``drop_connection``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
import math
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any, Literal

import regex  # type: ignore[import-untyped]

from ._base import FakeServerBase, Fault, Request, Response

CREATE_SESSION = "POST /xrpc/com.atproto.server.createSession"
REFRESH_SESSION = "POST /xrpc/com.atproto.server.refreshSession"
CREATE_RECORD = "POST /xrpc/com.atproto.repo.createRecord"
GET_RECORD = "GET /xrpc/com.atproto.repo.getRecord"
UPLOAD_BLOB = "POST /xrpc/com.atproto.repo.uploadBlob"

POST = "app.bsky.feed.post"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
LANG_RE = re.compile(r"^(i|[a-z]{2,3})(-[A-Za-z0-9-]+)?$")

# The atproto string formats (atproto.com/specs/lexicon, "String Formats"): a uri is a scheme, a colon and no
# whitespace; a datetime is RFC 3339 and ISO 8601 at once (upper-case T, seconds, a timezone, no -00:00).
URI_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(//)?[^\s/][^\s]*$")
DID_RE = re.compile(r"^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def valid_datetime(value: str) -> bool:
    if not _DATETIME_RE.match(value) or value.endswith("-00:00"):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
_GRAPHEME = regex.compile(r"\X")
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_IMAGE_BYTES = 1_000_000  # app.bsky.embed.images / external thumb: maxSize
WRITE_POINTS_PER_HOUR = 5000
CREATE_COST = 3


def tid(micros: int | None = None, clock_id: int = 0) -> str:
    value = ((micros if micros is not None else int(time.time() * 1_000_000)) << 10) | (clock_id & 0x3FF)
    return "".join(_TID_ALPHABET[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _cid(data: bytes) -> str:
    return "bafyrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]


def _graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def xrpc_error(error: str, message: str | None = None) -> dict[str, Any]:
    return {"error": error, "message": message} if message else {"error": error}


class _Refusal(Exception):
    def __init__(self, status: int, error: str, message: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message or error)
        self.status, self.error, self.message, self.headers = status, error, message, dict(headers or {})


class FakeBluesky(FakeServerBase):
    """One account on one PDS, served on 127.0.0.1."""

    def __init__(
        self,
        handle: str = "news.example.com",
        app_password: str = "abcd-efgh-ijkl-mnop",
        *,
        did: str = "did:plc:z72i7hdynmk6r22z27h6tvur",
        display_name: str = "Our Newsroom",
        access_lifetime: float = 2 * 3600.0,
        refresh_lifetime: float = 90 * 86400.0,
        refresh_grace: float = 2 * 3600.0,
        max_blob_bytes: int = MAX_IMAGE_BYTES,
        pds_url: str | None = None,
    ) -> None:
        self.account_handle = handle
        self.did = did
        self.display_name = display_name
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.refresh_grace = refresh_grace
        self.max_blob_bytes = max_blob_bytes
        self._pds_url = pds_url
        self._password = app_password
        self._access: dict[str, float] = {}  # access JWT -> exp
        self._expired: set[str] = set()
        self._refresh: dict[str, dict[str, Any]] = {}  # refresh JWT -> {"exp", "used_at", "next"}
        self._records: dict[str, dict[str, Any]] = {}  # rkey -> {"uri", "cid", "value", "created_at"}
        self._blobs: dict[str, dict[str, Any]] = {}  # cid -> {"mimeType", "size"}
        self._login_times: list[float] = []
        self.refreshes = 0
        self._write_points = WRITE_POINTS_PER_HOUR
        self._write_reset = time.time() + 3600
        super().__init__()

    # ---------------------------------------------------------------------------------------------
    # what happened, and controls
    @property
    def pds_url(self) -> str:
        return self._pds_url or self.url

    @property
    def logins(self) -> int:
        """Successful createSession calls so far."""
        with self._lock:
            return len(self._login_times)

    @property
    def records(self) -> list[dict[str, Any]]:
        """Posts that exist now, in the order they were made: {"rkey", "uri", "cid", "value", "created_at"}."""
        with self._lock:
            return [dict(copy.deepcopy(r), rkey=k) for k, r in self._records.items()]

    def record(self, rkey: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._records.get(rkey)
            return copy.deepcopy(found) if found else None

    @property
    def blobs(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(self._blobs)

    def set_app_password(self, new: str) -> None:
        """The account's app password changes (the old one was revoked); sessions made with it end too."""
        with self._lock:
            self._password = new
            self._access.clear()
            self._refresh.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 400 ExpiredToken, whatever its ``exp`` says."""
        with self._lock:
            self._expired.update(self._access)

    def revoke_sessions(self) -> None:
        """Every session ends: access and refresh tokens alike are refused."""
        with self._lock:
            self._expired.update(self._access)
            for entry in self._refresh.values():
                entry["revoked"] = True

    def set_write_budget(self, points: int, reset_in: float = 3600.0) -> None:
        with self._lock:
            self._write_points = points
            self._write_reset = time.time() + reset_in

    def fail(self, status: int, error: str = "InternalServerError", message: str | None = None, times: int = 1,
             endpoint: str = CREATE_RECORD, headers: Mapping[str, str] | None = None) -> None:
        """Answer ``status`` with an XRPC error body, doing nothing."""
        self.faults.add(Fault(endpoint, "fail", times, status=status, headers=dict(headers or {}),
                              extra={"error": error, "message": message}))

    def rate_limit(self, reset_in: float = 300.0, times: int = 1, endpoint: str = CREATE_RECORD,
                   limit: int = 5000) -> None:
        """429 RateLimitExceeded with ``ratelimit-remaining: 0`` and a reset ``reset_in`` seconds after each such
        answer (not after this call: a client may first answer it seconds later, as the Mastodon fake does)."""
        headers = {"ratelimit-limit": str(limit), "ratelimit-remaining": "0", "ratelimit-policy": f"{limit};w=3600"}
        self.faults.add(Fault(endpoint, "fail", times, status=429, headers=headers,
                              extra={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded",
                                     "reset_in": reset_in}))

    def fail_after_commit(self, times: int = 1, how: Literal["drop", "error"] = "drop",
                          endpoint: str = CREATE_RECORD) -> None:
        """Make the record, then lose the answer: the connection dropped (``"drop"``) or a 500 (``"error"``)."""
        self.faults.add(Fault(endpoint, "after_commit", times, how=how))

    def stall(self, seconds: float, times: int = 1, endpoint: str = CREATE_RECORD, commit: bool = True) -> None:
        self.faults.add(Fault(endpoint, "stall", times, seconds=seconds, commit=commit))

    def drop_connection(self, times: int = 1, endpoint: str = CREATE_RECORD) -> None:
        self.faults.add(Fault(endpoint, "drop", times))

    def clear_faults(self) -> None:
        self.faults.clear()

    # ---------------------------------------------------------------------------------------------
    # HTTP
    def handle(self, request: Request) -> Response:
        request.notes["host"] = request.header("Host")
        nsid = request.path.removeprefix("/xrpc/")
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            request.notes["fault"] = fault.kind

        def process() -> Response:
            try:
                status, payload, headers = self._route(request, nsid)
            except _Refusal as refusal:
                request.notes["refused"] = f"{refusal.error}: {refusal.message or ''}"
                return self._json(refusal.status, xrpc_error(refusal.error, refusal.message),
                                  {**self._rate_headers(), **refusal.headers})
            return self._json(status, payload, {**self._rate_headers(), **headers})

        def failure(f: Fault) -> Response:
            payload = xrpc_error(f.extra.get("error", "InternalServerError"), f.extra.get("message"))
            headers = dict(f.headers)
            if "reset_in" in f.extra:  # whole epoch seconds, as Bluesky sends them: rounded up, never early
                headers["ratelimit-reset"] = str(math.ceil(time.time() + float(f.extra["reset_in"])))
            return self._json(f.status, payload, {**self._rate_headers(), **headers})

        def unknown() -> Response:
            return self._json(500, xrpc_error("InternalServerError", "Internal Server Error"))

        return self.run_fault(fault, process, failure, unknown)

    def _json(self, status: int, payload: object, headers: Mapping[str, str] | None = None) -> Response:
        merged = {"Content-Type": "application/json; charset=utf-8"}
        merged.update(headers or {})
        return Response(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), merged)

    def _rate_headers(self) -> dict[str, str]:
        with self._lock:
            return {"ratelimit-limit": str(WRITE_POINTS_PER_HOUR), "ratelimit-remaining": str(self._write_points),
                    "ratelimit-reset": str(int(self._write_reset)),
                    "ratelimit-policy": f"{WRITE_POINTS_PER_HOUR};w=3600"}

    def _route(self, request: Request, nsid: str) -> tuple[int, Any, dict[str, str]]:
        routes = {
            ("POST", "com.atproto.server.createSession"): self._create_session,
            ("POST", "com.atproto.server.refreshSession"): self._refresh_session,
            ("GET", "com.atproto.server.getSession"): self._get_session,
            ("GET", "app.bsky.actor.getProfile"): self._get_profile,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("POST", "com.atproto.repo.uploadBlob"): self._upload_blob,
        }
        handler = routes.get((request.method, nsid))
        if handler is None:
            raise _Refusal(501, "MethodNotImplemented", "Method Not Implemented")
        return handler(request)

    # --- sessions ---------------------------------------------------------------------------------
    def _did_doc(self) -> dict[str, Any]:
        return {
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": self.did,
            "alsoKnownAs": [f"at://{self.account_handle}"],
            "verificationMethod": [{"id": f"{self.did}#atproto", "type": "Multikey", "controller": self.did,
                                    "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}],
            "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                         "serviceEndpoint": self.pds_url}],
        }

    def _jwt(self, scope: str, lifetime: float) -> tuple[str, float]:
        now = time.time()
        exp = now + lifetime
        header = {"typ": "at+jwt" if scope != "com.atproto.refresh" else "refresh+jwt", "alg": "ES256K"}
        payload = {"scope": scope, "sub": self.did, "aud": "did:web:fake.pds", "iat": int(now), "exp": int(exp),
                   "jti": secrets.token_hex(8)}
        token = ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                          _b64(secrets.token_bytes(32))])
        return token, exp

    def _new_session(self) -> dict[str, Any]:
        access, access_exp = self._jwt("com.atproto.appPass", self.access_lifetime)
        refresh, refresh_exp = self._jwt("com.atproto.refresh", self.refresh_lifetime)
        self._access[access] = access_exp
        self._refresh[refresh] = {"exp": refresh_exp, "used_at": None, "next": None, "revoked": False}
        return {"accessJwt": access, "refreshJwt": refresh, "handle": self.account_handle, "did": self.did,
                "didDoc": self._did_doc(), "active": True}

    def _login_limited(self, now: float) -> dict[str, str] | None:
        recent = [t for t in self._login_times if now - t < 300]
        day = [t for t in self._login_times if now - t < 86400]
        if len(recent) >= 30:
            return {"ratelimit-limit": "30", "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(min(recent) + 300)), "ratelimit-policy": "30;w=300"}
        if len(day) >= 300:
            return {"ratelimit-limit": "300", "ratelimit-remaining": "0",
                    "ratelimit-reset": str(int(min(day) + 86400)), "ratelimit-policy": "300;w=86400"}
        return None

    def _create_session(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        body = _body(request)
        identifier = str(body.get("identifier") or "").lower()
        password = body.get("password")
        now = time.time()
        with self._lock:
            limited = self._login_limited(now)
            if limited:
                raise _Refusal(429, "RateLimitExceeded", "Rate Limit Exceeded", limited)
            if identifier not in (self.account_handle.lower(), self.did) or password != self._password:
                raise _Refusal(401, "AuthenticationRequired", "Invalid identifier or password")
            self._login_times.append(now)
            return 200, self._new_session(), {}

    def _refresh_session(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        token = _bearer(request)
        now = time.time()
        with self._lock:
            entry = self._refresh.get(token)
            if entry is None:
                if token in self._access:
                    raise _Refusal(400, "InvalidToken", "Invalid token type")
                raise _Refusal(401, "InvalidToken", "Token could not be verified")
            if entry["revoked"] or entry["exp"] < now:
                raise _Refusal(400, "ExpiredToken", "Token has been revoked" if entry["revoked"] else
                               "Token has expired")
            if entry["used_at"] is not None:
                if now - entry["used_at"] > self.refresh_grace:
                    raise _Refusal(400, "ExpiredToken", "Token has been revoked")
                return 200, copy.deepcopy(entry["next"]), {}
            session = self._new_session()
            entry["used_at"], entry["next"] = now, session
            self.refreshes += 1
            return 200, session, {}

    def _authorise(self, request: Request) -> None:
        token = _bearer(request)
        with self._lock:
            if not token:
                raise _Refusal(401, "AuthenticationRequired", "Authentication Required")
            if token in self._refresh:
                raise _Refusal(400, "InvalidToken", "Invalid token type")
            exp = self._access.get(token)
            if exp is None:
                raise _Refusal(401, "InvalidToken", "Token could not be verified")
            if token in self._expired or exp < time.time():
                raise _Refusal(400, "ExpiredToken", "Token has expired")

    def _get_session(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self._authorise(request)
        return 200, {"handle": self.account_handle, "did": self.did, "didDoc": self._did_doc(), "active": True,
                     "emailConfirmed": True}, {}

    def _get_profile(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self._authorise(request)
        actor = dict(request.query).get("actor", "")
        if actor not in (self.account_handle, self.did):
            raise _Refusal(400, "InvalidRequest", "Profile not found")
        return 200, {"did": self.did, "handle": self.account_handle, "displayName": self.display_name}, {}

    # --- the repository ---------------------------------------------------------------------------
    def _spend(self, points: int) -> None:
        with self._lock:
            if time.time() >= self._write_reset:
                self._write_points, self._write_reset = WRITE_POINTS_PER_HOUR, time.time() + 3600
            if self._write_points < points:
                raise _Refusal(429, "RateLimitExceeded", "Rate Limit Exceeded", {
                    "ratelimit-remaining": str(self._write_points), "ratelimit-reset": str(int(self._write_reset))})
            self._write_points -= points

    def _create_record(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self._authorise(request)
        body = _body(request)
        if body.get("repo") not in (self.did, self.account_handle):
            raise _Refusal(400, "InvalidRequest", "Invalid repo")
        if body.get("collection") != POST:
            raise _Refusal(400, "InvalidRequest", f"this fake only stores {POST}")
        rkey = body.get("rkey")
        if rkey is None:
            rkey = tid()
        if not isinstance(rkey, str) or not TID_RE.match(rkey):
            raise _Refusal(400, "InvalidRequest", f"Invalid TID: {rkey!r}")
        record = body.get("record")
        self._validate_post(record)
        with self._lock:
            if rkey in self._records:
                # What the reference PDS answers today for a record key that exists: not a clear "duplicate"
                # to the client; the log says what it was (fleet tests count these).
                request.notes["duplicate"] = True
                raise _Refusal(500, "InternalServerError", "Internal Server Error")
            self._spend(CREATE_COST)
            uri = f"at://{self.did}/{POST}/{rkey}"
            cid = _cid(json.dumps(record, sort_keys=True).encode() + rkey.encode())
            self._records[rkey] = {"uri": uri, "cid": cid, "value": record, "created_at": time.time()}
            request.notes["rkey"] = rkey
            return 200, {"uri": uri, "cid": cid, "commit": {"cid": _cid(cid.encode()), "rev": tid()},
                         "validationStatus": "valid"}, {}

    def _validate_post(self, record: Any) -> None:
        def invalid(message: str) -> _Refusal:
            return _Refusal(400, "InvalidRecord", f"Invalid {POST} record: {message}")

        if not isinstance(record, dict) or record.get("$type") != POST:
            raise invalid("Record/$type must be app.bsky.feed.post")
        if not isinstance(record.get("createdAt"), str):
            raise invalid('Record must have the property "createdAt"')
        if not valid_datetime(record["createdAt"]):
            raise invalid("Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)")
        text = record.get("text")
        if not isinstance(text, str):
            raise invalid('Record must have the property "text"')
        encoded = text.encode("utf-8")
        if len(encoded) > MAX_BYTES:
            raise invalid(f"Record/text must not be longer than {MAX_BYTES} characters")
        if _graphemes(text) > MAX_GRAPHEMES:
            raise invalid(f"Record/text must not be longer than {MAX_GRAPHEMES} graphemes")
        langs = record.get("langs")
        if langs is not None:
            if not isinstance(langs, list) or len(langs) > 3:
                raise invalid("Record/langs must not have more than 3 elements")
            for lang in langs:
                if not isinstance(lang, str) or not LANG_RE.match(lang):
                    raise invalid(f"Record/langs must be valid language tags: {lang!r}")
        # app.bsky.richtext.facet: index (byteSlice: byteStart, byteEnd integers >= 0; nothing ties them to
        # the text, so a range past it or inside a character is stored as sent, and readers skip it) and
        # features, an open union: #mention (did), #link (uri, format uri), #tag (640 bytes, 64 graphemes), and
        # any other $type accepted as it is.
        for n, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") if isinstance(facet, dict) else None
            if not isinstance(index, dict) or not isinstance(facet.get("features"), list):
                raise invalid(f'Record/facets/{n} must have the properties "index" and "features"')
            for name in ("byteStart", "byteEnd"):
                value = index.get(name)
                if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                    raise invalid(f"Record/facets/{n}/index/{name} must be an integer, at least 0")
            for feature in facet["features"]:
                kind = feature.get("$type") if isinstance(feature, dict) else None
                if not isinstance(kind, str) or not kind:
                    raise invalid(f"Record/facets/{n}/features must be an object which includes the \"$type\" "
                                  "property")
                if kind == "app.bsky.richtext.facet#tag":
                    tag = feature.get("tag")
                    if not isinstance(tag, str) or len(tag.encode()) > 640 or _graphemes(tag) > 64:
                        raise invalid(f"Record/facets/{n}/features/tag must not be longer than 64 graphemes")
                for known, name, pattern in (("app.bsky.richtext.facet#link", "uri", URI_RE),
                                             ("app.bsky.richtext.facet#mention", "did", DID_RE)):
                    value = feature.get(name)
                    if kind == known and not (isinstance(value, str) and pattern.match(value)):
                        raise invalid(f"Record/facets/{n}/features/{name} must be a {name}")
        embed = record.get("embed")
        if embed is None:
            return
        kind = embed.get("$type")
        if kind == "app.bsky.embed.external":
            external = embed.get("external") or {}
            for key in ("uri", "title", "description"):
                if not isinstance(external.get(key), str):
                    raise invalid(f'Record/embed/external must have the property "{key}"')
            if external.get("thumb") is not None:
                self._check_blob(external["thumb"], "Record/embed/external/thumb", invalid)
        elif kind == "app.bsky.embed.images":
            images = embed.get("images")
            if not isinstance(images, list) or not 1 <= len(images) <= 4:
                raise invalid("Record/embed/images must have 1 to 4 elements")
            for n, image in enumerate(images):
                if not isinstance(image.get("alt"), str):
                    raise invalid(f'Record/embed/images/{n} must have the property "alt"')
                self._check_blob(image.get("image"), f"Record/embed/images/{n}/image", invalid)
        else:
            raise invalid(f"this fake does not take embeds of type {kind!r}")

    def _check_blob(self, blob: Any, where: str, invalid: Any) -> None:
        if not isinstance(blob, dict) or blob.get("$type") != "blob":
            raise invalid(f"{where} should be a blob ref")
        cid = (blob.get("ref") or {}).get("$link")
        with self._lock:
            known = self._blobs.get(str(cid))
        if known is None:
            raise _Refusal(400, "InvalidRequest", f"Could not find blob: {cid}")
        if not str(known["mimeType"]).startswith("image/"):
            raise invalid(f"{where} has the wrong mime type {known['mimeType']}")
        if known["size"] > MAX_IMAGE_BYTES:
            raise invalid(f"{where} is too big ({known['size']} > {MAX_IMAGE_BYTES} bytes)")

    def _get_record(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        params = dict(request.query)
        if params.get("repo") not in (self.did, self.account_handle) or params.get("collection") != POST:
            raise _Refusal(400, "RecordNotFound", "Could not locate record")
        with self._lock:
            found = self._records.get(params.get("rkey", ""))
            if found is None:
                raise _Refusal(400, "RecordNotFound",
                               f"Could not locate record: at://{self.did}/{POST}/{params.get('rkey')}")
            return 200, {"uri": found["uri"], "cid": found["cid"], "value": copy.deepcopy(found["value"])}, {}

    def _upload_blob(self, request: Request) -> tuple[int, Any, dict[str, str]]:
        self._authorise(request)
        data = request.body
        if len(data) > self.max_blob_bytes:
            raise _Refusal(413, "PayloadTooLarge", "request entity too large")
        mime = _sniff(data) or request.content_type or "application/octet-stream"
        cid = "bafkrei" + base64.b32encode(hashlib.sha256(data).digest()).decode().lower().rstrip("=")[:52]
        with self._lock:
            self._blobs[cid] = {"mimeType": mime, "size": len(data), "declared": request.content_type}
        return 200, {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}, {}


def _body(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError:
        raise _Refusal(400, "InvalidRequest", "Request body is not JSON") from None
    if not isinstance(body, dict):
        raise _Refusal(400, "InvalidRequest", "Request body must be an object")
    return body


def _bearer(request: Request) -> str:
    scheme, _, token = request.header("Authorization").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None
