"""Stand-ins of the networks for `bot demo`: each answers what a successful post asks, as the network's API
documents it, and keeps the text it received.

One class per network, registered by the network's name (bot.networks): the demo runs each registered network
that has one. Credentials are checked loosely (a token must be sent, and the one the demo set); nothing here is
the strict fake a test needs (tests/fakes)."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any, ClassVar

from bot.demo.server import Answer, LocalServer, as_json, form_or_json

TOKEN = "demo-token"  # every stand-in's one accepted secret; the demo sets it in the accounts' variables


class StandIn:
    """A network's stand-in: `env` is what points an account at it, `received` the texts it was sent."""

    network: ClassVar[str]
    # The account's keys in the demo's config: no image and no card, whose picture the bot would fetch from the
    # sample's site on the internet (the demo stays on this machine).
    settings: ClassVar[tuple[str, ...]] = ("image = false",)

    def __init__(self) -> None:
        self.received: list[str] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1001)
        self.server = LocalServer(self._answer)
        self.url = self.server.url

    def env(self, account: str) -> dict[str, str]:
        raise NotImplementedError

    def keep(self, text: str) -> str:
        with self._lock:
            self.received.append(text)
            return str(next(self._ids))

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        raise NotImplementedError

    def close(self) -> None:
        self.server.close()


def _bearer(headers: dict[str, str]) -> bool:
    return headers.get("authorization", "") == f"Bearer {TOKEN}"


class X(StandIn):
    """X API v2: POST /2/tweets (OAuth 1.0a user context), GET /2/users/me."""

    network = "twitter"

    def env(self, account: str) -> dict[str, str]:
        keys = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
        return {**{f"{account.upper()}_{k}": TOKEN for k in keys}, f"{account.upper()}_API_URL": self.url}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        if not headers.get("authorization", "").startswith("OAuth "):
            return as_json({"title": "Unauthorized", "status": 401}, 401)
        if (method, path) == ("POST", "/2/tweets"):
            text = str(json.loads(body)["text"])
            return as_json({"data": {"id": self.keep(text), "text": text, "edit_history_tweet_ids": []}}, 201)
        if (method, path) == ("GET", "/2/users/me"):
            return as_json({"data": {"id": "42", "name": "Demo newsroom", "username": "demo_newsroom"}})
        if method == "GET" and path.endswith("/tweets"):
            return as_json({"meta": {"result_count": 0}})
        return as_json({"title": "Not Found", "status": 404}, 404)


class FacebookPage(StandIn):
    """Graph API: POST /{version}/{page}/feed with a Page token; GET the Page."""

    network = "facebook"
    PAGE = "1234567890"

    def env(self, account: str) -> dict[str, str]:
        a = account.upper()
        return {f"{a}_PAGE_ID": self.PAGE, f"{a}_PAGE_TOKEN": TOKEN, f"{a}_GRAPH_URL": self.url}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        fields = {**query, **form_or_json(body, headers.get("content-type", ""))}
        if fields.get("access_token") != TOKEN and not _bearer(headers):
            return as_json({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException",
                                      "code": 190}}, 400)
        parts = path.strip("/").split("/")[1:]  # without the version
        if method == "POST" and parts == [self.PAGE, "feed"]:
            return as_json({"id": f"{self.PAGE}_{self.keep(str(fields.get('message', '')))}"})
        if method == "GET" and parts == [self.PAGE]:
            return as_json({"id": self.PAGE, "name": "Demo newsroom"})
        if method == "GET" and parts == [self.PAGE, "feed"]:
            return as_json({"data": []})
        return as_json({"error": {"message": "Unknown path", "type": "GraphMethodException", "code": 100}}, 400)


class Mastodon(StandIn):
    """Mastodon 4.x: the public instance endpoints, POST /api/v1/statuses, verify_credentials."""

    network = "mastodon"

    def env(self, account: str) -> dict[str, str]:
        return {f"{account.upper()}_ACCESS_TOKEN": TOKEN, f"{account.upper()}_API_URL": self.url}

    def _account(self) -> dict[str, Any]:
        return {"id": "7", "username": "newsroom", "acct": "newsroom", "display_name": "Demo newsroom",
                "locked": False, "bot": True, "created_at": "2020-01-01T00:00:00.000Z", "url": f"{self.url}/@newsroom",
                "note": "", "avatar": "", "header": "", "emojis": [], "fields": [], "followers_count": 0,
                "following_count": 0, "statuses_count": len(self.received)}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        path = path.rstrip("/")  # Mastodon.py asks for /api/v2/instance/
        if path in ("/api/v1/instance", "/api/v2/instance"):
            return as_json({"uri": "127.0.0.1", "title": "Demo instance", "version": "4.3.0",
                            "configuration": {"statuses": {"max_characters": 500, "characters_reserved_per_url": 23}}})
        if not _bearer(headers):
            return as_json({"error": "The access token is invalid"}, 401)
        if (method, path) == ("GET", "/api/v1/accounts/verify_credentials"):
            return as_json(self._account())
        if (method, path) == ("POST", "/api/v1/statuses"):
            text = str(form_or_json(body, headers.get("content-type", "")).get("status", ""))
            status_id = self.keep(text)
            return as_json({"id": status_id, "created_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                            "url": f"{self.url}/@newsroom/{status_id}", "uri": f"{self.url}/statuses/{status_id}",
                            "content": f"<p>{text}</p>", "visibility": "public", "language": None,
                            "in_reply_to_id": None, "in_reply_to_account_id": None, "sensitive": False,
                            "spoiler_text": "", "reblog": None, "account": self._account(), "media_attachments": [],
                            "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None, "edited_at": None,
                            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0})
        if method == "GET" and path.startswith("/api/v1/accounts/") and path.endswith("/statuses"):
            return as_json([])
        return as_json({"error": "Record not found"}, 404)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Bluesky(StandIn):
    """A PDS: createSession (JWTs the SDK decodes for their expiry), createRecord, getRecord."""

    network = "bluesky"
    settings = ("image = false", "card = false")
    DID = "did:plc:demo0newsroom0demo0news"
    HANDLE = "newsroom.demo.test"

    def env(self, account: str) -> dict[str, str]:
        a = account.upper()
        return {f"{a}_HANDLE": self.HANDLE, f"{a}_APP_PASSWORD": TOKEN, f"{a}_SERVICE_URL": self.url}

    def _jwt(self, scope: str) -> str:
        now = int(time.time())
        payload = {"scope": scope, "sub": self.DID, "iat": now, "exp": now + 7200}
        return ".".join([_b64(b'{"typ":"at+jwt","alg":"ES256K"}'), _b64(json.dumps(payload).encode()),
                         _b64(b"demo-signature")])

    def _session(self) -> dict[str, Any]:
        return {"accessJwt": self._jwt("com.atproto.appPass"), "refreshJwt": self._jwt("com.atproto.refresh"),
                "handle": self.HANDLE, "did": self.DID, "active": True}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        nsid = path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            sent = json.loads(body)
            if sent.get("password") != TOKEN:
                return as_json({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}, 401)
            return as_json(self._session())
        if not headers.get("authorization", "").startswith("Bearer "):
            return as_json({"error": "AuthenticationRequired"}, 401)
        if nsid in ("com.atproto.server.refreshSession", "com.atproto.server.getSession"):
            return as_json(self._session())
        if nsid == "com.atproto.repo.createRecord":
            sent = json.loads(body)
            self.keep(str(sent["record"].get("text", "")))
            uri = f"at://{self.DID}/{sent['collection']}/{sent.get('rkey') or 'demo'}"
            return as_json({"uri": uri, "cid": "bafyreidemo", "validationStatus": "valid"})
        if nsid == "com.atproto.repo.getRecord":
            return as_json({"error": "RecordNotFound", "message": "Could not locate record"}, 400)
        if nsid == "app.bsky.actor.getProfile":
            return as_json({"did": self.DID, "handle": self.HANDLE, "displayName": "Demo newsroom"})
        return as_json({"error": "MethodNotImplemented"}, 501)


class Telegram(StandIn):
    """The Bot API: /bot<token>/sendMessage and getMe, getChat."""

    network = "telegram"
    CHAT = "@demo_newsroom"

    def env(self, account: str) -> dict[str, str]:
        a = account.upper()
        return {f"{a}_BOT_TOKEN": f"123456:{TOKEN}", f"{a}_CHAT_ID": self.CHAT, f"{a}_API_URL": self.url}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        prefix = f"/bot123456:{TOKEN}/"
        if not path.startswith(prefix):
            return as_json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        call = path[len(prefix):]
        fields = {**query, **form_or_json(body, headers.get("content-type", ""))}
        chat = {"id": -1001234567890, "type": "channel", "title": "Demo newsroom", "username": self.CHAT[1:]}
        if call == "sendMessage":
            text = str(fields.get("text", ""))
            return as_json({"ok": True, "result": {"message_id": int(self.keep(text)), "chat": chat,
                                                   "date": int(time.time()), "text": text}})
        if call == "getMe":
            return as_json({"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Demo",
                                                   "username": "demo_bot"}})
        if call == "getChat":
            return as_json({"ok": True, "result": chat})
        return as_json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)


class Threads(StandIn):
    """Threads: a container (POST me/threads), its status, then POST me/threads_publish."""

    network = "threads"

    def __init__(self) -> None:
        super().__init__()
        self._containers: dict[str, str] = {}  # made, not yet published
        self._container_ids = itertools.count(1)

    def env(self, account: str) -> dict[str, str]:
        return {f"{account.upper()}_ACCESS_TOKEN": TOKEN, f"{account.upper()}_API_URL": self.url}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        fields = {**query, **form_or_json(body, headers.get("content-type", ""))}
        if not _bearer(headers) and fields.get("access_token") != TOKEN:
            return as_json({"error": {"message": "Invalid OAuth access token.", "code": 190}}, 400)
        parts = [p for p in path.split("/") if p]
        if method == "POST" and parts == ["me", "threads"]:
            with self._lock:
                container = f"c{next(self._container_ids)}"
                self._containers[container] = str(fields.get("text", ""))
            return as_json({"id": container})
        if method == "POST" and parts == ["me", "threads_publish"]:
            with self._lock:
                text = self._containers.pop(str(fields.get("creation_id")), None)
            if text is None:
                return as_json({"error": {"message": "Unknown container", "code": 100}}, 400)
            return as_json({"id": self.keep(text)})
        if method == "GET" and parts == ["me", "threads_publishing_limit"]:
            return as_json({"data": [{"quota_usage": len(self.received), "config": {"quota_total": 250}}]})
        if method == "GET" and parts == ["me", "threads"]:
            return as_json({"data": []})
        if method == "GET" and parts == ["me"]:
            return as_json({"id": "99", "username": "demo_newsroom"})
        if method == "GET" and len(parts) == 1 and parts[0] in self._containers:
            return as_json({"id": parts[0], "status": "FINISHED"})
        if method == "GET" and len(parts) == 1:
            return as_json({"id": parts[0], "permalink": f"https://www.threads.net/@demo_newsroom/post/{parts[0]}"})
        return as_json({"error": {"message": "Unknown path", "code": 100}}, 400)


class LinkedIn(StandIn):
    """LinkedIn's Posts API as an organization: POST /rest/posts answers 201 with the post's URN in x-restli-id."""

    network = "linkedin"
    ORGANIZATION = "2414183"

    def env(self, account: str) -> dict[str, str]:
        a = account.upper()
        return {f"{a}_ACCESS_TOKEN": TOKEN, f"{a}_ORGANIZATION_ID": self.ORGANIZATION, f"{a}_API_URL": self.url}

    def _answer(self, method: str, path: str, query: dict[str, str], body: bytes, headers: dict[str, str]) -> Answer:
        if not _bearer(headers):
            return as_json({"status": 401, "message": "Invalid access token", "serviceErrorCode": 65600}, 401)
        if not headers.get("linkedin-version"):
            return as_json({"status": 400, "message": "A version header is required"}, 400)
        if (method, path.rstrip("/")) == ("POST", "/rest/posts"):
            post_id = self.keep(str(json.loads(body).get("commentary", "")))
            return 201, "application/json", b"", {"x-restli-id": f"urn:li:share:{post_id}"}
        if (method, path.rstrip("/")) == ("GET", "/rest/posts"):
            return as_json({"elements": [], "paging": {"count": 0, "start": 0}})
        return as_json({"status": 404, "message": "Not found"}, 404)


STAND_INS: dict[str, type[StandIn]] = {cls.network: cls for cls in (X, FacebookPage, Mastodon, Bluesky, Telegram,
                                                                     Threads, LinkedIn)}
