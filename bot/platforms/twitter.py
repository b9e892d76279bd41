"""X (Twitter) through the real tweepy Client, with v2 media upload on the same OAuth 1.0a session."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
import tweepy

from bot.errors import (
    DuplicateError,
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
    connection_problem,
)
from bot.models import Draft, PostResult
from bot.net.policy import Allowlist, DestinationRefused, Guard
from bot.networks.twitter import DEFAULT_API_URL, NAME, NETWORK, TwitterCredentials
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import route_session
from bot.platforms.media import download_image
from bot.platforms.staged import media_part, posted, usable_media

log = logging.getLogger(__name__)
_DUPLICATE = "duplicate content"
_CHUNK = 1024 * 1024
# Download and upload of an image together: past this the post goes without it. With each call's own
# timeout this bounds a publish well inside the delivery lease (300 s by default).
IMAGE_BUDGET_SECONDS = 60.0
# How long an uploaded image stays usable when X's answer does not say (its INIT and FINALIZE answers carry
# `expires_after_secs`, 86400 for an image): the figure X's media upload documentation gives.
DEFAULT_MEDIA_LIFE_SECONDS = 86400.0


class TwitterPlatform:
    name = NAME
    lookup_may_lag = True  # find_existing reads an eventually consistent listing (bot.platforms.base)

    def __init__(self, credentials: TwitterCredentials, api_url: str = DEFAULT_API_URL,
                 upload_images: bool = True, allow_private: Allowlist | None = None, name: str = NAME,
                 clock: Callable[[], float] = time.time) -> None:
        self.name = name  # the account: its outbox rows and state are keyed by it
        self._credentials = credentials
        self.client = tweepy.Client(
            consumer_key=credentials.api_key,
            consumer_secret=credentials.api_secret,
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
            return_type=requests.Response,  # keeps the rate-limit headers, which tweepy's Response drops
            wait_on_rate_limit=False,  # it would sleep for hours inside the worker; we schedule retries
        )
        route_session(self.client.session, DEFAULT_API_URL, api_url)
        self.upload_images = upload_images
        # Intranet hosts an image may come from, beside the host of the feed it came with.
        self.allow_private = allow_private or Allowlist()
        self._user_id: str | None = None
        self._quota: Quota | None = None  # from the headers of the last POST /2/tweets
        self._clock = clock  # wall clock: an upload's expiry is kept with the outbox row, read on any host

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        """The post, then each further part of a thread as a reply to the one before. The image is uploaded
        once: its media id is kept with the outbox row (on_part) before the post is sent, and an attempt that
        finds it there posts with it while X still holds it (bot.platforms.staged)."""
        texts = [draft.text, *draft.thread]
        ids = posted(done)  # a staged upload is not a post: the root is replaced for it below
        for index in range(len(ids), len(texts)):
            if index == 0:
                response = self._create_root(draft, done, on_part)
            else:
                response = self._create(text=texts[index], in_reply_to_tweet_id=ids[-1])
            ids.append(str(response.json()["data"]["id"]))
            if on_part is not None and len(ids) < len(texts):
                on_part(list(ids))
        return PostResult(remote_id=ids[0], url=self._post_url(ids[0]))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """GET /2/users/{id}/tweets with expanded URLs: the root by the article's link (else its exact
        text), or the reply to the last part in `done`."""
        response = self._call(
            self.client.get_users_tweets, self._my_id(), max_results=100,
            tweet_fields=["entities", "referenced_tweets", "created_at"], user_auth=True,
        )
        for tweet in response.json().get("data") or []:
            if done:
                replied = [r.get("id") for r in tweet.get("referenced_tweets") or [] if r.get("type") == "replied_to"]
                matched = done[-1] in replied
            else:
                urls = [u.get("expanded_url") for u in (tweet.get("entities") or {}).get("urls", [])]
                matched = bool(draft.link and draft.link in urls) or tweet.get("text") == draft.text
            if matched:
                return PostResult(remote_id=str(tweet["id"]), url=self._post_url(str(tweet["id"])))
        return None

    def quota(self) -> Quota | None:
        return self._quota

    def verify(self) -> Account:
        return self._me()

    def close(self) -> None:
        self.client.session.close()

    # --- helpers --------------------------------------------------------------------------------

    def _my_id(self) -> str:
        return self._user_id or self._me().id

    def _me(self) -> Account:
        response = self._call(self.client.get_me, user_auth=True)
        data = response.json()["data"]
        self._user_id = str(data["id"])
        return Account(id=self._user_id, name="@" + str(data.get("username", data.get("name", ""))))

    def _post_url(self, tweet_id: str) -> str:
        return f"https://x.com/i/web/status/{tweet_id}"

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            response: requests.Response = method(*args, **kwargs)
        except tweepy.errors.TweepyException as exc:
            raise convert_error(exc) from None
        except requests.RequestException as exc:
            # The account's own variable (X_FA_API_URL for x_fa), as its network's descriptor names it.
            raise RetryableError(f"X could not be reached: {connection_problem(exc)}", platform=self.name,
                                 hint=f"check the network, and {NETWORK.endpoint_variable(self.name)} if you set it"
                                 ) from None
        return response

    def _create(self, **fields: Any) -> requests.Response:
        response = self._call(self.client.create_tweet, user_auth=True, **fields)
        self._quota = post_quota(response.headers) or self._quota
        return response

    def _create_root(self, draft: Draft, done: Sequence[str], on_part: PartsCallback | None) -> requests.Response:
        """The root post, with the image an earlier attempt uploaded while X still holds it, else a new upload."""
        if not (draft.image and self.upload_images):
            return self._create(text=draft.text)
        kept = usable_media(done, self._clock())
        if kept is not None:
            log.info("%s: posting %s with the image an earlier attempt uploaded (media %s)", self.name,
                     draft.article_key, kept)
            try:
                return self._create(text=draft.text, media_ids=[kept])
            except RejectedError as exc:
                # X forgot it sooner than it said (400 "Your media IDs are invalid."): nothing was posted.
                if exc.status != 400 or "media" not in exc.message.lower():
                    raise
                log.warning("%s: X no longer has the image uploaded for %s (%s); uploading it again", self.name,
                            draft.article_key, _one_line(exc))
        media_ids = self._upload_image(draft, on_part)
        return self._create(text=draft.text, media_ids=media_ids or None)

    def _upload_image(self, draft: Draft, on_part: PartsCallback | None = None) -> list[str]:
        """v2 chunked upload; any failure posts without the image and says why. The media id is kept with the
        outbox row (on_part) before the post is sent, so no attempt leaves it unused."""
        assert draft.image is not None
        deadline = time.monotonic() + IMAGE_BUDGET_SECONDS
        try:
            guard = Guard(self.allow_private).trusting(draft.feed_url)
            data, media_type = download_image(draft.image.url, guard, deadline=deadline)
            media_id, life = self._upload_bytes(data, media_type, deadline)
            if draft.image.alt:
                alt = {"id": media_id, "metadata": {"alt_text": {"text": draft.image.alt[:1000]}}}
                self._media_request("metadata", alt)
        except (PlatformError, OSError, ValueError, requests.RequestException, KeyError, DestinationRefused) as exc:
            log.warning("X: posting %s without its image: %s", draft.article_key, _one_line(exc))
            return []
        if on_part is not None:  # outside the try: a lost lease stops the post, it is no image failure
            on_part([media_part(media_id, self._clock() + life)])
        return [media_id]

    def _upload_bytes(self, data: bytes, media_type: str, deadline: float) -> tuple[str, float]:
        """The media id and how long X keeps it unused (`expires_after_secs`, from FINALIZE, else INIT)."""
        init = self._media_request("initialize", {"media_type": media_type, "total_bytes": len(data),
                                                  "media_category": "tweet_image"})
        media_id = str(init["data"]["id"])
        for index, start in enumerate(range(0, len(data), _CHUNK)):
            if time.monotonic() > deadline:
                raise ValueError(f"the upload took longer than {IMAGE_BUDGET_SECONDS:.0f} s")
            self._media_request(f"{media_id}/append", None, form={"segment_index": str(index)},
                                files={"media": ("image", data[start:start + _CHUNK], "application/octet-stream")})
        final = self._media_request(f"{media_id}/finalize", None)
        info = final.get("data", {}).get("processing_info")
        while info and info.get("state") in ("pending", "in_progress") and time.monotonic() < deadline:
            time.sleep(min(float(info.get("check_after_secs", 1)), 5))
            status = self._session_call("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id})
            info = status.get("data", {}).get("processing_info")
        if info and info.get("state") == "failed":
            raise ValueError(f"X could not process the image: {info.get('error', {}).get('message', 'failed')}")
        return media_id, _life(final.get("data"), init.get("data"))

    def _media_request(self, action: str, body: dict[str, Any] | None, form: dict[str, str] | None = None,
                       files: dict[str, Any] | None = None) -> dict[str, Any]:
        path = "/2/media/metadata" if action == "metadata" else f"/2/media/upload/{action}"
        return self._session_call("POST", path, json=body, data=form, files=files)

    def _session_call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        c = self._credentials
        auth = tweepy.OAuth1UserHandler(c.api_key, c.api_secret, c.access_token, c.access_token_secret).apply_auth()
        try:
            response = self.client.session.request(method, DEFAULT_API_URL + path, auth=auth, **kwargs)
        except requests.RequestException as exc:
            raise RetryableError(f"X media upload failed: {type(exc).__name__}", platform=NAME) from None
        if response.status_code >= 400:
            raise RejectedError(f"X media upload answered {response.status_code}: {response.text[:200]}",
                                platform=NAME, status=response.status_code)
        result: dict[str, Any] = response.json() if response.content else {}
        return result


def convert_error(exc: tweepy.errors.TweepyException) -> PlatformError:
    """Map tweepy's exceptions to what the delivery loop should do."""
    if not isinstance(exc, tweepy.errors.HTTPException):
        return RetryableError(f"X call failed: {exc}", platform=NAME)
    status = exc.response.status_code
    message = "; ".join(str(m) for m in exc.api_messages) or exc.response.reason or f"HTTP {status}"
    headers = exc.response.headers
    if isinstance(exc, tweepy.errors.TooManyRequests):
        reset = _reset_time(headers)
        wait = max(reset - time.time(), 1.0) if reset else None
        return RateLimited(f"X rate limit reached: {message}", platform=NAME, retry_after=wait, status=status,
                           hint="the post waits until X's reset time")
    if isinstance(exc, tweepy.errors.Unauthorized):
        return NeedsHumanError(f"X rejected the credentials: {message}", platform=NAME, status=status,
                               hint="check TWITTER_API_KEY/SECRET and TWITTER_ACCESS_TOKEN/SECRET")
    if isinstance(exc, tweepy.errors.Forbidden):
        if _DUPLICATE in message.lower():
            return DuplicateError(f"X says this is a duplicate: {message}", platform=NAME, status=status)
        if _is_auth_problem(message):
            return NeedsHumanError(f"X refused the app or account: {message}", platform=NAME, status=status,
                                   hint="check the app's permissions (Read and write) and regenerate the tokens")
        return RejectedError(f"X refused the post: {message}", platform=NAME, status=status)
    if isinstance(exc, tweepy.errors.TwitterServerError):
        return RetryableError(f"X server error {status}: {message}", platform=NAME, status=status)
    return RejectedError(f"X rejected the post ({status}): {message}", platform=NAME, status=status)


_QUOTA_HEADERS = (
    ("x-user-limit-24hour", "X 24-hour post limit for the account"),
    ("x-app-limit-24hour", "X 24-hour post limit for the app"),
    ("x-rate-limit", "X 15-minute post limit"),
)


def post_quota(headers: Any) -> Quota | None:
    """The tightest of the limits X reports on POST /2/tweets: it is honoured before X answers 429."""
    found: list[Quota] = []
    for prefix, what in _QUOTA_HEADERS:
        remaining, reset = headers.get(f"{prefix}-remaining"), headers.get(f"{prefix}-reset")
        if remaining is not None and str(remaining).isdigit():
            found.append(Quota(int(remaining), float(reset) if reset and str(reset).isdigit() else None, what))
    return min(found, key=lambda q: q.remaining if q.remaining is not None else 0) if found else None


def _reset_time(headers: Any) -> float | None:
    for name in ("x-user-limit-24hour-reset", "x-app-limit-24hour-reset", "x-rate-limit-reset"):
        remaining = headers.get(name.replace("-reset", "-remaining"))
        value = headers.get(name)
        if value and str(value).isdigit() and (remaining is None or str(remaining) == "0"):
            return float(value)
    return None


def _is_auth_problem(message: str) -> bool:
    lowered = message.lower()
    return any(w in lowered for w in ("permission", "oauth", "not permitted", "suspended", "client-not-enrolled",
                                      "attached to a project"))


def _life(*answers: Any) -> float:
    """`expires_after_secs` from the first answer that gives it, else X's documented 24 hours."""
    for data in answers:
        value = data.get("expires_after_secs") if isinstance(data, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
    return DEFAULT_MEDIA_LIFE_SECONDS


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
