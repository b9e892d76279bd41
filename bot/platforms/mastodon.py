"""A Mastodon account through the real Mastodon.py client (2.3.3), every call to the account's instance.

Mastodon.py is built with `ratelimit_method="throw"` (its default sleeps up to five minutes inside the worker
on a 429; we schedule the retry) and no version check (its optional one reads the instance at construction).
Its `media_post` reads `/api/v1/instance/` once, to choose `/api/v2/media`.
"""

from __future__ import annotations

import html.parser
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests
from mastodon import Mastodon
from mastodon import errors as merrors

from bot.errors import (
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
    connection_problem,
)
from bot.models import Draft, PostResult
from bot.net.policy import Allowlist, DestinationRefused, Guard
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import DEFAULT_TIMEOUT, route_session
from bot.platforms.media import download_image
from bot.platforms.staged import media_part, posted, usable_media

log = logging.getLogger(__name__)
NAME = "mastodon"
VISIBILITIES = ("public", "unlisted", "private", "direct")
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_RESERVED_PER_URL = 23
MAX_DESCRIPTION = 1500  # Mastodon's limit on a media description
IMAGE_BUDGET_SECONDS = 60.0  # download and upload together; past it the status goes without the image
LOOKUP_LIMIT = 40  # the most statuses one page of an account's statuses gives
# How long an uploaded image stays usable unattached. Mastodon's answer does not say; its cleanup removes
# unattached media older than a day (mastodon/mastodon app/lib/vacuum/media_attachments_vacuum.rb:
# `TTL = 1.day`, `MediaAttachment.unattached.where(created_at < TTL.ago)`, run by the daily vacuum).
MEDIA_LIFE_SECONDS = 86400.0


@dataclass(frozen=True)
class InstanceLimits:
    """What the instance says a status may hold (`configuration.statuses`)."""

    max_characters: int = DEFAULT_MAX_CHARACTERS
    reserved_per_url: int = DEFAULT_RESERVED_PER_URL
    said: bool = True  # False: the instance did not say, these are Mastodon's defaults


class MastodonPlatform:
    name = NAME
    lookup_may_lag = True  # find_existing reads an eventually consistent listing (bot.platforms.base)

    def __init__(self, access_token: str, api_url: str, *, name: str = NAME, visibility: str = "public",
                 upload_images: bool = True, allow_private: Allowlist | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, clock: Callable[[], float] = time.time) -> None:
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, not {visibility!r}")
        self.name = name
        self.api_url = api_url.rstrip("/")
        self.visibility = visibility
        self.upload_images = upload_images
        self.allow_private = allow_private or Allowlist()
        self.client = Mastodon(access_token=access_token, api_base_url=self.api_url, ratelimit_method="throw",
                               request_timeout=timeout,  # type: ignore[arg-type]  # requests takes (connect, read)
                               version_check_mode="none", user_agent="bot/0.1",
                               debug_requests=False)
        # Same base in and out: the adapter only adds the timeout and the last check before each write.
        route_session(self.client.session, self.api_url, self.api_url, timeout)
        self._limits: InstanceLimits | None = None
        self._account_id: str | None = None
        self._quota: Quota | None = None
        self._clock = clock  # wall clock: an upload's expiry is kept with the outbox row, read on any host

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        """The status (with its image, when there is one), then each further part as a reply. Every part
        carries an Idempotency-Key made from the outbox row's send key, so a resend of an attempt whose
        answer was lost gets the status the first one made. The image is uploaded once: its media id is kept
        with the outbox row (on_part) before the status is sent, and an attempt that finds it there posts with
        it while the instance still holds it (bot.platforms.staged)."""
        texts = [draft.text, *draft.thread]
        ids = posted(done)  # a staged upload is not a post: the root is replaced for it below
        root_url: str | None = None
        for index in range(len(ids), len(texts)):
            fields: dict[str, Any] = {"visibility": self.visibility, "language": draft.language,
                                      "idempotency_key": _part_key(draft.send_key, index)}
            if index == 0:
                status = self._post_root(draft, fields, done, on_part)
            else:
                fields["in_reply_to_id"] = ids[-1]
                status = self._call(self.client.status_post, texts[index], **fields)
            self._quota = self._read_quota() or self._quota
            ids.append(str(status["id"]))
            if index == 0:
                root_url = status.get("url")
            if on_part is not None and len(ids) < len(texts):
                on_part(list(ids))
        return PostResult(remote_id=ids[0], url=root_url)

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """The account's recent statuses: the root by the article's link among its links (else its exact
        text), or the reply to the last part in `done`."""
        statuses = self._call(self.client.account_statuses, self._my_id(), limit=LOOKUP_LIMIT,
                              exclude_reblogs=True)
        for status in statuses:
            if done:
                matched = str(status.get("in_reply_to_id")) == done[-1]
            else:
                content = str(status.get("content") or "")
                card = status.get("card") or {}
                matched = bool(draft.link and (draft.link in _links(content) or card.get("url") == draft.link)) \
                    or _plain(content) == draft.text.replace("\n", "")
            if matched:
                return PostResult(remote_id=str(status["id"]), url=status.get("url"))
        return None

    def quota(self) -> Quota | None:
        return self._quota

    def verify(self) -> Account:
        me = self._call(self.client.account_verify_credentials)
        self._account_id = str(me["id"])
        limits = self.limits()
        said = (f"{'the instance allows' if limits.said else 'the instance did not say its limits: using'} "
                f"{limits.max_characters} characters a status, a URL counting {limits.reserved_per_url}")
        log.info("%s: %s", self.name, said)
        return Account(id=self._account_id, name="@" + str(me.get("acct") or me.get("username") or ""), limits=said)

    def close(self) -> None:
        self.client.session.close()

    # --- the instance ---------------------------------------------------------------------------

    def limits(self) -> InstanceLimits:
        """The instance's status limits, read once (v2, else v1), else Mastodon's defaults (500, 23)."""
        if self._limits is None:
            self._limits = self._read_limits()
        return self._limits

    def _read_limits(self) -> InstanceLimits:
        return _limits_of(self.client, self.name, self._call)

    # --- helpers --------------------------------------------------------------------------------

    def _my_id(self) -> str:
        if self._account_id is None:
            self._account_id = str(self._call(self.client.account_verify_credentials)["id"])
        return self._account_id

    def _read_quota(self) -> Quota | None:
        """What the last answer's X-RateLimit-* headers said (Mastodon.py keeps them)."""
        remaining = getattr(self.client, "ratelimit_remaining", None)
        reset = getattr(self.client, "ratelimit_reset", None)
        if not isinstance(remaining, int):
            return None
        return Quota(remaining, float(reset) if isinstance(reset, int | float) else None,
                     "Mastodon rate limit for the account")

    def _post_root(self, draft: Draft, fields: dict[str, Any], done: Sequence[str],
                   on_part: PartsCallback | None) -> Any:
        """The root status, with the image an earlier attempt uploaded while the instance still holds it, else
        a new upload."""
        if not (draft.image and self.upload_images):
            return self._call(self.client.status_post, draft.text, **fields)
        kept = usable_media(done, self._clock())
        if kept is not None:
            log.info("%s: posting %s with the image an earlier attempt uploaded (media %s)", self.name,
                     draft.article_key, kept)
            try:
                return self._call(self.client.status_post, draft.text, media_ids=[kept], **fields)
            except RejectedError as exc:
                # Gone sooner than expected (an admin's cleanup): PostStatusService#validate_media! answers 422
                # "Media ... not found or already attached to another post" before it makes a status or
                # writes the Idempotency-Key, so the same key may go again with a new upload.
                if exc.status != 422 or "media" not in exc.message.lower():
                    raise
                log.warning("%s: the instance no longer has the image uploaded for %s (%s); uploading it again",
                            self.name, draft.article_key, _one_line(exc))
        media = self._upload_image(draft, on_part)
        return self._call(self.client.status_post, draft.text, **fields, **({"media_ids": [media]} if media else {}))

    def _upload_image(self, draft: Draft, on_part: PartsCallback | None = None) -> str | None:
        """Upload the article's image with its alt text as the description; any failure posts the status
        without it and says why. The media id is kept with the outbox row (on_part) before the status is
        sent, so no attempt leaves it unattached."""
        assert draft.image is not None
        deadline = time.monotonic() + IMAGE_BUDGET_SECONDS
        try:
            guard = Guard(self.allow_private).trusting(draft.feed_url)
            data, media_type = download_image(draft.image.url, guard, deadline=deadline)
            alt = (draft.image.alt or "")[:MAX_DESCRIPTION] or None
            uploaded = self._clock()
            media_id = str(self._call(self.client.media_post, data, mime_type=media_type, description=alt)["id"])
        except (PlatformError, OSError, ValueError, requests.RequestException, KeyError, DestinationRefused) as exc:
            if isinstance(exc, NeedsHumanError):
                raise
            log.warning("%s: posting %s without its image: %s", self.name, draft.article_key, _one_line(exc))
            return None
        if on_part is not None:  # outside the try: a lost lease stops the post, it is no image failure
            on_part([media_part(media_id, uploaded + MEDIA_LIFE_SECONDS)])
        return media_id

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except merrors.MastodonNetworkError as exc:
            # Mastodon.py turns anything raised while sending into this, the adapter's last check too (a
            # lost lease): that one must stop the post as itself.
            cause = exc.__context__
            if cause is not None and not isinstance(cause, requests.RequestException | OSError):
                raise cause from None
            raise RetryableError(f"Mastodon could not be reached: {connection_problem(cause or exc)}",
                                 platform=self.name,
                                 hint=f"check the network and {self.name.upper()}_API_URL") from None
        except merrors.MastodonError as exc:
            raise convert_error(exc, self.name, self.client) from None


def read_limits(api_url: str, timeout: tuple[float, float] = DEFAULT_TIMEOUT) -> InstanceLimits:
    """An instance's status limits without an account (the instance endpoints are public)."""
    platform = MastodonPlatform("", api_url, timeout=timeout)
    platform.client.access_token = None  # send no Authorization header at all
    try:
        return platform.limits()
    finally:
        platform.close()


def _limits_of(client: Any, name: str, call: Any) -> InstanceLimits:
    for read in (client.instance_v2, client.instance_v1):
        try:
            info = call(read)
        except PlatformError as exc:
            log.debug("%s: %s", name, exc)
            continue
        statuses = ((info.get("configuration") or {}).get("statuses") or {})
        most = statuses.get("max_characters") or info.get("max_toot_chars")  # the latter: older servers
        per_url = statuses.get("characters_reserved_per_url")
        if isinstance(most, int) and most > 0:
            return InstanceLimits(most, per_url if isinstance(per_url, int) and per_url >= 0
                                  else DEFAULT_RESERVED_PER_URL)
    log.warning("%s: the instance did not say its limits; using %d characters, %d a URL", name,
                DEFAULT_MAX_CHARACTERS, DEFAULT_RESERVED_PER_URL)
    return InstanceLimits(said=False)


def convert_error(exc: Exception, platform: str, client: Any = None) -> PlatformError:
    """Map Mastodon.py's exceptions to what the delivery loop should do."""
    if isinstance(exc, merrors.MastodonRatelimitError):
        reset = getattr(client, "ratelimit_reset", None)
        wait = max(float(reset) - time.time(), 1.0) if isinstance(reset, int | float) else None
        return RateLimited("Mastodon rate limit reached", platform=platform, retry_after=wait, status=429,
                           hint="the post waits until the instance's reset time")
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    message = str(args[3]) if len(args) > 3 and args[3] else (str(args[2]) if len(args) > 2 else type(exc).__name__)
    if status == 401:
        return NeedsHumanError(f"Mastodon refused the access token: {message}", platform=platform,
                               status=status,
                               hint=f"make an access token with the write scope; set {platform.upper()}_ACCESS_TOKEN")
    if status in (403, 410):
        return NeedsHumanError(f"Mastodon refused the account: {message}", platform=platform, status=status,
                               hint="check the account and that the token has the write:statuses scope")
    if status is not None and (status >= 500 or status == 408):
        # Mastodon never answers 409 to a status (PostStatusService). With one Idempotency-Key in flight twice,
        # servers before mastodon/mastodon PR #37879 (February 2026) make a second status (so the bot never
        # sends one key twice at once: one post in flight per account), and later ones make the second request
        # wait for the first's lock up to 10 s, then answer the first status, or 503 "temporary problem"
        # (Mastodon::RaceConditionError) if the lock stayed taken: retried here, and the resend with the same
        # key gets that status. 408 is a proxy's timeout.
        return RetryableError(f"Mastodon server error {status}: {message}", platform=platform, status=status)
    if status == 404:
        return RejectedError(f"Mastodon answered 404: {message}", platform=platform, status=status,
                             hint=f"check {platform.upper()}_API_URL: it is the instance's base URL")
    if status is None:
        return RetryableError(f"Mastodon call failed: {type(exc).__name__}", platform=platform)
    return RejectedError(f"Mastodon refused the status ({status}): {message}", platform=platform, status=status)


def _part_key(send_key: str | None, index: int) -> str | None:
    if send_key is None:
        return None
    return send_key if index == 0 else f"{send_key}-{index}"


class _Content(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links += [v for k, v in attrs if k == "href" and v]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _links(content: str) -> list[str]:
    parser = _Content()
    parser.feed(content)
    return parser.links


def _plain(content: str) -> str:
    parser = _Content()
    parser.feed(content)
    return "".join(parser.text)


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
