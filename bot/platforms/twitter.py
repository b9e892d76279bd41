"""X (Twitter) through the real tweepy Client, with v2 media upload on the same OAuth 1.0a session."""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
import tweepy

from bot.config import DEFAULT_TWITTER_API_URL, TwitterCredentials
from bot.errors import (
    DuplicateError,
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
)
from bot.models import Draft, PostResult
from bot.platforms.base import Account
from bot.platforms.http import route_session
from bot.platforms.media import download_image

log = logging.getLogger(__name__)
NAME = "twitter"
_DUPLICATE = "duplicate content"
_CHUNK = 1024 * 1024


class TwitterPlatform:
    name = NAME

    def __init__(self, credentials: TwitterCredentials, api_url: str = DEFAULT_TWITTER_API_URL,
                 upload_images: bool = True) -> None:
        self._credentials = credentials
        self.client = tweepy.Client(
            consumer_key=credentials.api_key,
            consumer_secret=credentials.api_secret,
            access_token=credentials.access_token,
            access_token_secret=credentials.access_token_secret,
            return_type=requests.Response,  # keeps the rate-limit headers, which tweepy's Response drops
            wait_on_rate_limit=False,  # it would sleep for hours inside the worker; we schedule retries
        )
        route_session(self.client.session, DEFAULT_TWITTER_API_URL, api_url)
        self.upload_images = upload_images
        self._user_id: str | None = None
        # Posts left in the 24-hour window, from X's own headers; None until X tells us.
        self.quota_remaining: int | None = None
        self.quota_reset_at: float | None = None

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft) -> PostResult:
        media_ids = self._upload_image(draft) if draft.image and self.upload_images else []
        response = self._call(self.client.create_tweet, text=draft.text, media_ids=media_ids or None,
                              user_auth=True)
        first_id = str(response.json()["data"]["id"])
        previous = first_id
        for text in draft.thread:
            reply = self._call(self.client.create_tweet, text=text, in_reply_to_tweet_id=previous, user_auth=True)
            previous = str(reply.json()["data"]["id"])
        return PostResult(remote_id=first_id, url=self._post_url(first_id))

    def find_existing(self, draft: Draft) -> PostResult | None:
        user_id = self._me().id
        response = self._call(
            self.client.get_users_tweets, user_id, max_results=100,
            tweet_fields=["entities", "created_at"], user_auth=True,
        )
        for tweet in response.json().get("data") or []:
            urls = [u.get("expanded_url") for u in (tweet.get("entities") or {}).get("urls", [])]
            if (draft.link and draft.link in urls) or tweet.get("text") == draft.text:
                return PostResult(remote_id=str(tweet["id"]), url=self._post_url(str(tweet["id"])))
        return None

    def verify(self) -> Account:
        return self._me()

    def close(self) -> None:
        self.client.session.close()

    # --- helpers --------------------------------------------------------------------------------

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
            raise RetryableError(f"X could not be reached: {type(exc).__name__}", platform=NAME) from None
        self._note_quota(response.headers)
        return response

    def _note_quota(self, headers: Any) -> None:
        remaining = headers.get("x-user-limit-24hour-remaining") or headers.get("x-app-limit-24hour-remaining")
        reset = headers.get("x-user-limit-24hour-reset") or headers.get("x-app-limit-24hour-reset")
        if remaining is not None and str(remaining).isdigit():
            self.quota_remaining = int(remaining)
            self.quota_reset_at = float(reset) if reset and str(reset).isdigit() else None

    def _upload_image(self, draft: Draft) -> list[str]:
        """v2 chunked upload; any failure posts without the image and says why."""
        assert draft.image is not None
        try:
            data, media_type = download_image(draft.image.url)
            media_id = self._upload_bytes(data, media_type)
            if draft.image.alt:
                alt = {"id": media_id, "metadata": {"alt_text": {"text": draft.image.alt[:1000]}}}
                self._media_request("metadata", alt)
            return [media_id]
        except (PlatformError, OSError, ValueError, requests.RequestException, KeyError) as exc:
            log.warning("X: posting %s without its image: %s", draft.article_key, _one_line(exc))
            return []

    def _upload_bytes(self, data: bytes, media_type: str) -> str:
        init = self._media_request("initialize", {"media_type": media_type, "total_bytes": len(data),
                                                  "media_category": "tweet_image"})
        media_id = str(init["data"]["id"])
        for index, start in enumerate(range(0, len(data), _CHUNK)):
            self._media_request(f"{media_id}/append", None, form={"segment_index": str(index)},
                                files={"media": ("image", data[start:start + _CHUNK], "application/octet-stream")})
        final = self._media_request(f"{media_id}/finalize", None)
        info = final.get("data", {}).get("processing_info")
        deadline = time.monotonic() + 60
        while info and info.get("state") in ("pending", "in_progress") and time.monotonic() < deadline:
            time.sleep(min(float(info.get("check_after_secs", 1)), 5))
            status = self._session_call("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id})
            info = status.get("data", {}).get("processing_info")
        if info and info.get("state") == "failed":
            raise ValueError(f"X could not process the image: {info.get('error', {}).get('message', 'failed')}")
        return media_id

    def _media_request(self, action: str, body: dict[str, Any] | None, form: dict[str, str] | None = None,
                       files: dict[str, Any] | None = None) -> dict[str, Any]:
        path = "/2/media/metadata" if action == "metadata" else f"/2/media/upload/{action}"
        return self._session_call("POST", path, json=body, data=form, files=files)

    def _session_call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        c = self._credentials
        auth = tweepy.OAuth1UserHandler(c.api_key, c.api_secret, c.access_token, c.access_token_secret).apply_auth()
        try:
            response = self.client.session.request(method, DEFAULT_TWITTER_API_URL + path, auth=auth, **kwargs)
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


def _one_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
