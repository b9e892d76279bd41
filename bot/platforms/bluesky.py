"""Bluesky through the real atproto SDK (MarshalX's, pinned at 0.0.73): one record per post, exactly once.

- Sessions: logins are limited (about 30 per 5 minutes and 300 a day per account), and a `bot run --once`
  from cron is a new process every few minutes. The SDK's session string (handle, DID, access and refresh
  JWTs, PDS endpoint) is kept in the store, sealed with a key derived from the app password
  (bot.platforms.sealed), and saved again whenever the SDK refreshes it. One that cannot be unsealed or is
  refused (revoked, expired) is dropped and replaced by one fresh login; never one login per post.
- Exactly once: the record key is the row's send key, a TID chosen when the post was queued
  (bot.networks.bluesky.new_tid), so every attempt writes the same record. The SDK's `send_post` takes no
  key; `app.bsky.feed.post.create(repo, record, rkey=...)` does. A resend of a record that exists is
  answered 500 (not a clear "duplicate"), so an unknown outcome is settled by reading that record back
  (`getRecord`): there, or not.
- Text: the link and every hashtag Bluesky's own client would link become facets with UTF-8 byte offsets;
  never a mention facet, so "@name" in an article stays text. `langs` is the article's language, or none:
  never the SDK's default "en".
- A link card (app.bsky.embed.external, the image uploaded as its thumbnail) by default; with the account
  options `image = true` and `card = false`, the image itself with its alt text instead (a post carries one
  embed). An image that cannot be fetched or is over the 1,000,000-byte blob limit is left out, and said.
- Every call goes to the account's SERVICE_URL, then to the PDS the service names in the account's DID
  document (bsky.social hands each account to its own PDS host; the SDK follows it, as it must).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import httpx
from atproto_client import Client, models
from atproto_client import exceptions as xrpc
from atproto_client.client.session import Session, SessionEvent
from atproto_client.request import Request
from atproto_client.utils import facet_detection

from bot.errors import (
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
    StoreError,
    connection_problem,
)
from bot.models import Draft, PostResult
from bot.net.policy import Allowlist, DestinationRefused, Guard
from bot.networks.bluesky import short_link
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import DEFAULT_TIMEOUT, check_before_write
from bot.platforms.media import download_image
from bot.platforms.sealed import Unreadable, seal, unseal

log = logging.getLogger(__name__)
NAME = "bluesky"
DEFAULT_SERVICE_URL = "https://bsky.social"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_BLOB_BYTES = 1_000_000  # app.bsky.embed.images#image and external#thumb: maxSize
MAX_ALT_CHARS = 2000
CREATE_COST = 3  # write points a created record costs (the PDS's ratelimit-* headers count points)
IMAGE_BUDGET_SECONDS = 60.0
_TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_LANG = re.compile(r"^(i|[a-z]{2,3})(-[A-Za-z0-9]{1,8})*$")
# Answers that say the session, not the password, is at fault: refresh it, else log in once more.
_SESSION_ERRORS = {"ExpiredToken", "InvalidToken"}
_ACCOUNT_ERRORS = {"AccountTakedown", "AccountDeactivated", "AccountSuspended", "AuthFactorTokenRequired"}
T = TypeVar("T")


class _WriteCheckedTransport(httpx.HTTPTransport):
    """The last point a write can be stopped (bot.platforms.http.before_each_write: the lease check)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_before_write(request.method)
        return super().handle_request(request)


class BlueskyPlatform:
    def __init__(self, handle: str, app_password: str, service_url: str = DEFAULT_SERVICE_URL, *,
                 name: str = NAME, store: Any = None, card: bool = True, image: bool = False,
                 allow_private: Allowlist | None = None, timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.handle = handle.strip().lstrip("@")
        self._password = app_password
        self.service_url = service_url.rstrip("/")
        self._store = store  # bot.store.Store, or None (`bot check`): then the session lives in memory only
        self.card = card
        self.image = image
        self.allow_private = allow_private or Allowlist()
        self._timeout = httpx.Timeout(timeout[1], connect=timeout[0])
        self._clock = clock
        self._client: Client | None = None
        self._did: str | None = None
        self._quota: Quota | None = None

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        """Create the post's record under its send key."""
        if done:  # one record per post: it is there already
            return self._result(done[0])
        rkey = self._record_key(draft)
        text = draft.text
        size, graphemes = len(text.encode("utf-8")), _graphemes(text)
        if size > MAX_BYTES or graphemes > MAX_GRAPHEMES:
            raise RejectedError(f"the post is {graphemes} graphemes and {size} bytes; Bluesky takes at most "
                                f"{MAX_GRAPHEMES} and {MAX_BYTES}", platform=self.name)
        did = self._my_did()
        embed = self._embed(draft)
        record = models.AppBskyFeedPost.Record(
            created_at=_iso_now(self._clock()),
            text=text,
            facets=facets(text, draft.link) or None,
            langs=langs(draft.language),
            embed=embed,
        )
        created = self._call(lambda c: c.app.bsky.feed.post.create(did, record, rkey=rkey))
        return self._result(str(created.uri))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """Read back the record named by the send key: an earlier attempt made it, or nothing did."""
        if done or not draft.send_key or not _TID.match(draft.send_key):
            return None
        did = self._my_did()
        rkey = draft.send_key
        try:
            found = self._call(lambda c: c.app.bsky.feed.post.get(did, rkey))
        except RejectedError as exc:
            if exc.code == 404:  # RecordNotFound
                return None
            raise
        return self._result(str(found.uri))

    def quota(self) -> Quota | None:
        return self._quota

    def verify(self) -> Account:
        """com.atproto.server.getSession: the session works, and whom it posts as."""
        info = self._call(lambda c: c.com.atproto.server.get_session())
        self._did = str(info.did)
        return Account(id=self._did, name="@" + str(info.handle))

    def close(self) -> None:
        if self._client is not None:
            self._client.request.close()
            self._client = None

    # --- the session ------------------------------------------------------------------------------

    def _context(self) -> str:
        # The seal is bound to what the session belongs to: another account, handle or service cannot use it.
        return f"bluesky session\n{self.name}\n{self.handle.lower()}\n{self.service_url}"

    def _new_client(self) -> Client:
        request = Request(timeout=self._timeout, transport=_WriteCheckedTransport(),
                          event_hooks={"response": [self._remember_limits]})
        client = Client(base_url=self.service_url, request=request)
        client.on_session_change(self._session_changed)
        return client

    def _connect(self) -> Client:
        if self._client is not None:
            return self._client
        client = self._new_client()
        stored = self._load_session()
        if stored is not None:
            try:
                client.login(session_string=stored, fetch_bsky_profile=False)
            except (ValueError, xrpc.AtProtocolError):  # a session string the SDK cannot read
                log.warning("%s: the stored session could not be used; logging in again", self.name)
                self._drop_session()
                stored = None
        if stored is None:
            self._login(client)
        self._client = client
        self._did = Session.decode(client.export_session_string()).did
        return client

    def _login(self, client: Client) -> None:
        log.info("%s: logging in to %s as %s", self.name, self.service_url, self.handle)
        try:
            client.login(self.handle, self._password, fetch_bsky_profile=False)
        except xrpc.AtProtocolError as exc:
            error = convert_error(exc, self.name, self._clock())
            if isinstance(error, RetryableError):  # a login rate limit, an outage: try again later
                raise error from None
            raise NeedsHumanError(f"Bluesky refused the login of {self.handle}: {error.message}",
                                  platform=self.name, status=error.status,
                                  hint=f"check {self.name.upper()}_HANDLE and {self.name.upper()}_APP_PASSWORD "
                                       "(an app password: Settings > Privacy and security > App passwords)"
                                  ) from None
        except httpx.HTTPError as exc:
            raise _unreachable(exc, self.name) from None

    def _session_changed(self, event: SessionEvent, session: Session) -> None:
        """A login or a refresh: keep the new session for the next process (the old refresh token is spent)."""
        if event not in (SessionEvent.CREATE, SessionEvent.REFRESH) or self._store is None:
            return
        try:
            self._store.save_session(self.name, seal(session.export(), self._password, self._context()),
                                     self._clock())
        except StoreError as exc:  # the post can still go; the next process logs in again
            log.warning("%s: could not keep the session in the database (%s)", self.name, exc)

    def _load_session(self) -> str | None:
        if self._store is None:
            return None
        sealed = self._store.load_session(self.name)
        if sealed is None:
            return None
        try:
            return unseal(sealed, self._password, self._context())
        except Unreadable:
            # Sealed under another app password, handle or service (changed since): of no use any more.
            log.info("%s: the stored session belongs to other credentials; logging in again", self.name)
            self._drop_session()
            return None

    def _drop_session(self) -> None:
        if self._store is None:
            return
        try:
            self._store.drop_session(self.name)
        except StoreError as exc:
            log.warning("%s: could not drop the stored session (%s)", self.name, exc)

    def _renew(self, client: Client) -> None:
        """The server refused the access token: refresh it, and if the refresh token is refused too, drop the
        session and log in once more."""
        try:
            # The SDK refreshes on its own only from the token's exp claim; the server has the last word.
            client._refresh_and_set_session()
            return
        except xrpc.AtProtocolError as exc:
            if not _is_session_error(exc):
                raise convert_error(exc, self.name, self._clock()) from None
        except httpx.HTTPError as exc:
            raise _unreachable(exc, self.name) from None
        log.info("%s: the session was refused (expired or revoked); logging in again", self.name)
        self._drop_session()
        self.close()
        fresh = self._new_client()
        self._login(fresh)
        self._client = fresh

    def _call(self, call: Callable[[Client], T]) -> T:
        """One SDK call, its errors converted; a refused session is renewed once and the call made again (a
        refusal means the server did nothing)."""
        renewed = False
        while True:
            client = self._connect()
            try:
                return call(client)
            except xrpc.AtProtocolError as exc:
                if _is_session_error(exc) and not renewed:
                    renewed = True
                    self._renew(client)
                    continue
                raise convert_error(exc, self.name, self._clock()) from None
            except httpx.HTTPError as exc:
                raise _unreachable(exc, self.name) from None

    # --- helpers --------------------------------------------------------------------------------

    def _my_did(self) -> str:
        self._connect()
        assert self._did is not None
        return self._did

    def _record_key(self, draft: Draft) -> str:
        key = draft.send_key
        if not key or not _TID.match(key):
            # Without the key chosen at queueing, a retry could not tell whether the first attempt landed.
            raise RejectedError(f"the post has no record key (a TID) from its outbox row: {key!r}",
                                platform=self.name, hint="a bug: Bluesky posts are queued with a send key")
        return key

    def _result(self, uri: str) -> PostResult:
        # at://did/app.bsky.feed.post/rkey -> the post's page on bsky.app
        parts = uri.removeprefix("at://").split("/")
        url = f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}" if len(parts) == 3 else None
        return PostResult(remote_id=uri, url=url)

    def _remember_limits(self, response: httpx.Response) -> None:
        """The ratelimit-* headers of each write: its write points (3 a post) left, and when they return."""
        if not response.request.url.path.endswith("com.atproto.repo.createRecord"):
            return
        quota = write_quota(response.headers, self._clock())
        if quota is not None:
            self._quota = quota

    def _embed(self, draft: Draft) -> Any:
        if self.image and not self.card and draft.image:
            blob = self._upload_image(draft)
            if blob is not None:
                alt = (draft.image.alt or draft.title or "")[:MAX_ALT_CHARS]
                return models.AppBskyEmbedImages.Main(images=[models.AppBskyEmbedImages.Image(alt=alt, image=blob)])
        if not self.card or not draft.link:
            return None
        thumb = self._upload_image(draft) if draft.image else None
        return models.AppBskyEmbedExternal.Main(external=models.AppBskyEmbedExternal.External(
            uri=draft.link, title=draft.title, description=draft.description, thumb=thumb))

    def _upload_image(self, draft: Draft) -> Any:
        """The article's image as a blob; None (the post goes without it, and says why) when it cannot be."""
        assert draft.image is not None
        deadline = time.monotonic() + IMAGE_BUDGET_SECONDS
        try:
            guard = Guard(self.allow_private).trusting(draft.feed_url)
            data, media_type = download_image(draft.image.url, guard, deadline=deadline)
            if len(data) > MAX_BLOB_BYTES:
                raise ValueError(f"it is {len(data)} bytes; Bluesky takes at most {MAX_BLOB_BYTES}")
            uploaded = self._call(lambda c: c.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": media_type}))
            return uploaded.blob
        except (RejectedError, OSError, ValueError, DestinationRefused, httpx.HTTPError) as exc:
            log.warning("%s: posting %s without its image: %s", self.name, draft.article_key, _one_line(exc))
            return None
        except RetryableError as exc:
            if isinstance(exc, RateLimited):
                raise
            log.warning("%s: posting %s without its image: %s", self.name, draft.article_key, _one_line(exc))
            return None


def facets(text: str, link: str | None) -> list[models.AppBskyRichtextFacet.Main]:
    """The link (wherever the text carries it) and every hashtag Bluesky's own client would link, with UTF-8
    byte offsets. No mentions: "@name" in an article must not notify anyone."""
    found: list[models.AppBskyRichtextFacet.Main] = []
    taken: list[tuple[int, int]] = []
    # The post writes the link as the app shows it (bot.networks.bluesky.short_link) or, in an editor's
    # own text, in full: either way the facet carries the whole address.
    for written in dict.fromkeys([link, short_link(link)] if link else []):
        start = text.find(written)
        while start >= 0:
            end = start + len(written)
            if not any(s < end and start < e for s, e in taken):
                found.append(_facet(text, start, end, models.AppBskyRichtextFacet.Link(uri=link)))
                taken.append((start, end))
            start = text.find(written, end)
    # The SDK's port of Bluesky's detectFacets: the same hashtag rules as the app (no digits-only tags,
    # trailing punctuation dropped, at most 64 graphemes). Its links are not used: only the article's is
    # meant, and cashtags are not hashtags.
    for facet in facet_detection.detect_facets(text):
        feature = facet.features[0]
        if not isinstance(feature, models.AppBskyRichtextFacet.Tag) or feature.tag.startswith("$"):
            continue
        start_b, end_b = facet.index.byte_start, facet.index.byte_end
        if any(_byte(text, s) < end_b and start_b < _byte(text, e) for s, e in taken):
            continue
        found.append(facet)
    return sorted(found, key=lambda f: f.index.byte_start)


def _byte(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _facet(text: str, start: int, end: int, feature: Any) -> models.AppBskyRichtextFacet.Main:
    return models.AppBskyRichtextFacet.Main(features=[feature], index=models.AppBskyRichtextFacet.ByteSlice(
        byte_start=_byte(text, start), byte_end=_byte(text, end)))


def langs(language: str | None) -> list[str] | None:
    """The article's language as a BCP 47 tag ("fa", "pt-BR"); None when the feed gave none or nonsense:
    a post without langs is shown to everyone, one with a wrong one is hidden from the readers it is for."""
    if not language:
        return None
    parts = language.strip().replace("_", "-").split("-")
    tag = "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])
    return [tag] if _LANG.match(tag) else None


def write_quota(headers: Any, now: float) -> Quota | None:
    remaining, reset = headers.get("ratelimit-remaining"), headers.get("ratelimit-reset")
    if remaining is None or not str(remaining).isdigit():
        return None
    reset_at = float(reset) if reset and str(reset).isdigit() else None
    return Quota(int(remaining) // CREATE_COST, reset_at, "Bluesky write limit (points per hour)")


def convert_error(exc: xrpc.AtProtocolError, platform: str, now: float) -> PlatformError:
    """The SDK's exceptions, by what the delivery loop should do next."""
    response = getattr(exc, "response", None)
    status = response.status_code if response is not None else None
    content = response.content if response is not None else None
    error = getattr(content, "error", None) or ""
    message = getattr(content, "message", None) or error or (f"HTTP {status}" if status else type(exc).__name__)
    if isinstance(exc, xrpc.RateLimitExceededError):
        reset = exc.reset_at.timestamp() if exc.reset_at else None
        wait = exc.retry_after if exc.retry_after is not None else (max(reset - now, 1.0) if reset else None)
        return RateLimited(f"Bluesky rate limit reached: {message}", platform=platform, retry_after=wait,
                           status=status, hint="the post waits until Bluesky's reset time")
    if isinstance(exc, xrpc.UnauthorizedError) or error in _SESSION_ERRORS | _ACCOUNT_ERRORS:
        return NeedsHumanError(f"Bluesky refused the account: {message}", platform=platform, status=status,
                               hint="check the handle and app password, and that the account is active")
    if isinstance(exc, xrpc.BadRequestError):
        code = 404 if error == "RecordNotFound" else None
        return RejectedError(f"Bluesky rejected the post: {message}", platform=platform, status=status, code=code)
    if isinstance(exc, xrpc.InvokeTimeoutError):
        return RetryableError("Bluesky did not answer in time", platform=platform)
    if isinstance(exc, xrpc.NetworkError) and response is None:
        return RetryableError(f"Bluesky could not be reached: {connection_problem(exc)}", platform=platform)
    if isinstance(exc, xrpc.RequestErrorBase):
        # 5xx, 409/502 (the SDK files those under NetworkError): the write may or may not have happened;
        # a 500 is also what a record key that exists gets. Looked up before it is sent again.
        return RetryableError(f"Bluesky server error {status}: {message}", platform=platform, status=status)
    return RetryableError(f"Bluesky sent an answer the client could not read: {type(exc).__name__}",
                          platform=platform)


def _is_session_error(exc: xrpc.AtProtocolError) -> bool:
    response = getattr(exc, "response", None)
    content = response.content if response is not None else None
    return getattr(content, "error", None) in _SESSION_ERRORS


def _unreachable(exc: httpx.HTTPError, platform: str) -> RetryableError:
    # httpx's RemoteProtocolError (the connection closed without an answer) is not one the SDK converts.
    return RetryableError(f"Bluesky could not be reached: {connection_problem(exc)}", platform=platform,
                          hint="check the network, and the account's SERVICE_URL if you set it")


def _graphemes(text: str) -> int:
    from bot.compose.rules import graphemes

    return graphemes(text)


def _iso_now(now: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
