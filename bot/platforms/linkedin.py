"""A LinkedIn company page through the versioned Posts API: plain HTTPS JSON calls on the project's own session.

What was verified (learn.microsoft.com, LinkedIn Marketing "Posts API", "Images API", "little Text Format",
the field guide's section 7), 2026-12:
- `POST /rest/posts` with `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` and
  `X-Restli-Protocol-Version: 2.0.0`; the body names the organization as `author` (`urn:li:organization:ID`),
  `commentary` (little text: bot.networks.linkedin.to_little), `visibility` PUBLIC, `distribution`
  (`feedDistribution` MAIN_FEED, empty target entities and channels), `lifecycleState` PUBLISHED, and for an
  article `content.article` (`source`, `title`, `description`, `thumbnail`). The answer is a 201 whose
  `x-restli-id` header is the post's URN.
- A thumbnail is an image URN: `POST /rest/images?action=initializeUpload` with
  `{"initializeUploadRequest": {"owner": <organization URN>}}` answers `value.uploadUrl` and `value.image`;
  the bytes go there in a PUT with the same bearer token.
- `GET /rest/posts?q=author&author=<URN>&count=N&sortBy=LAST_MODIFIED` with `X-RestLi-Method: FINDER` lists
  the organization's recent posts (`elements`): how an unknown outcome is settled, by the article's link.
- A retired version answers 426 (the account is paused, with the setting to change); 401 an expired or revoked
  token (they last 60 days); 403 a missing permission or a member who is no admin of the page; 429 a
  throttle.
The token never leaves the Authorization header: not in a URL, a message or a log (errors are redacted).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from bot.errors import (
    NeedsHumanError,
    PlatformError,
    RateLimited,
    RejectedError,
    RetryableError,
)
from bot.models import Draft, PostResult
from bot.net.policy import Allowlist, DestinationRefused, Guard
from bot.networks.linkedin import DEFAULT_VERSION, MAX_COMMENTARY, to_little
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import DEFAULT_TIMEOUT
from bot.platforms.media import download_image
from bot.platforms.rest import Answer, RestSession
from bot.redact import Redactor

if TYPE_CHECKING:
    from bot.tokens import TokenKeeper

log = logging.getLogger(__name__)
NAME = "linkedin"
LOOKUP_COUNT = 20
IMAGE_BUDGET_SECONDS = 60.0  # download and upload together; past it the post goes without its thumbnail
MAX_TITLE = 400
MAX_DESCRIPTION = 4086


class LinkedInPlatform:
    """One organization (company page), posted to by an admin's token."""

    lookup_may_lag = True  # the organization's post listing may not show a new post at once

    def __init__(self, token: str, organization_id: str, api_url: str, *, name: str = NAME,
                 version: str = DEFAULT_VERSION, image: bool = True, allow_private: Allowlist | None = None,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT, keeper: TokenKeeper | None = None) -> None:
        self.name = name
        self._token = token
        self.keeper = keeper  # counts the token's 60 days for the warnings (bot.tokens); LinkedIn's are not renewed
        self.organization = f"urn:li:organization:{organization_id.strip()}"
        self.version = version.strip()
        self.image = image
        self.allow_private = allow_private or Allowlist()
        self._var = f"{name.upper()}_"
        self._redact = Redactor([token])
        self.rest = RestSession(api_url, platform=name, what="LinkedIn",
                                hint=f"check the network, and {self._var}API_URL if you set it", timeout=timeout)
        self._api_host = urlsplit(self.rest.api_url).netloc.lower()

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        if done:
            return PostResult(remote_id=done[0], url=_post_url(done[0]))
        if self.keeper is not None:
            self.keeper.record()  # its first sight starts the count of its 60 days
        commentary = to_little(draft.text, draft.hashtags)
        if len(commentary) > MAX_COMMENTARY:
            raise RejectedError(f"the commentary is {len(commentary)} characters as sent (escapes included), over "
                                f"LinkedIn's {MAX_COMMENTARY}", platform=self.name)
        body: dict[str, Any] = {
            "author": self.organization,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [],
                             "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if draft.link:
            article: dict[str, Any] = {"source": draft.link, "title": (draft.title or draft.link)[:MAX_TITLE]}
            if draft.description:
                article["description"] = draft.description[:MAX_DESCRIPTION]
            thumbnail = self._thumbnail(draft) if self.image and draft.image else None
            if thumbnail:
                article["thumbnail"] = thumbnail
            body["content"] = {"article": article}
        answer = self._call("POST", "rest/posts", json_body=body, doing="posting")
        urn = answer.headers.get("x-restli-id") or ""
        if not urn:
            raise RetryableError("LinkedIn answered the post without its id (no x-restli-id)", platform=self.name)
        return PostResult(remote_id=urn, url=_post_url(urn))

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """The organization's recent posts: the one whose article is the draft's link, else the one with exactly
        the draft's commentary."""
        if done:
            return None  # one post per article
        answer = self._call("GET", "rest/posts", params={"q": "author", "author": self.organization,
                                                         "count": LOOKUP_COUNT, "sortBy": "LAST_MODIFIED"},
                            extra={"X-RestLi-Method": "FINDER"}, doing="reading the page's posts")
        commentary = to_little(draft.text, draft.hashtags)
        for post in (answer.body or {}).get("elements") or []:
            source = ((post.get("content") or {}).get("article") or {}).get("source")
            if (draft.link and source == draft.link) or post.get("commentary") == commentary:
                return PostResult(remote_id=str(post["id"]), url=_post_url(str(post["id"])))
        return None

    def quota(self) -> Quota | None:
        return None  # LinkedIn reports no allowance ahead of a 429

    def verify(self) -> Account:
        """The posts finder for the page: it proves the token, the version and the read permission at once."""
        self._call("GET", "rest/posts", params={"q": "author", "author": self.organization, "count": 1},
                   extra={"X-RestLi-Method": "FINDER"}, doing="reading the page's posts")
        limits = f"LinkedIn-Version {self.version}"
        if self.keeper is not None:
            from bot.tokens import describe

            limits += "; " + describe(self.keeper.record(), self.keeper.life, time.time())
        return Account(id=self.organization, name=f"the Page {self.organization}", limits=limits)

    def close(self) -> None:
        self.rest.close()

    # --- the thumbnail ----------------------------------------------------------------------------

    def _thumbnail(self, draft: Draft) -> str | None:
        """The article's image uploaded through the Images API; any failure posts without it and says why."""
        assert draft.image is not None
        deadline = time.monotonic() + IMAGE_BUDGET_SECONDS
        try:
            guard = Guard(self.allow_private).trusting(draft.feed_url)
            data, media_type = download_image(draft.image.url, guard, deadline=deadline)
            started = self._call("POST", "rest/images", params={"action": "initializeUpload"},
                                 json_body={"initializeUploadRequest": {"owner": self.organization}},
                                 doing="starting the image upload")
            value = (started.body or {}).get("value") or {}
            upload, image = str(value.get("uploadUrl") or ""), str(value.get("image") or "")
            host = urlsplit(upload).netloc.lower()
            # The token goes only to LinkedIn's own upload hosts (or the configured endpoint's).
            if not image or not (host == self._api_host or host == "linkedin.com" or host.endswith(".linkedin.com")):
                raise ValueError(f"LinkedIn gave an upload address on {host or 'no host'}")
            put = self.rest.call("PUT", upload, headers={"Authorization": f"Bearer {self._token}",
                                                         "Content-Type": media_type}, content=data)
            if not 200 <= put.status < 300:
                raise self._error(put, "uploading the image")
            return image
        except (PlatformError, OSError, ValueError, requests.RequestException, DestinationRefused) as exc:
            if isinstance(exc, NeedsHumanError):
                raise
            log.warning("%s: posting %s without its thumbnail: %s", self.name, draft.article_key,
                        self._redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__))
            return None

    # --- calls and errors ---------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, doing: str, params: dict[str, Any] | None = None,
              json_body: Any = None, extra: dict[str, str] | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self._token}", "LinkedIn-Version": self.version,
                   "X-Restli-Protocol-Version": "2.0.0", **(extra or {})}
        answer = self.rest.call(method, path, headers=headers, params=params, json_body=json_body)
        if 200 <= answer.status < 300:
            return answer
        raise self._error(answer, doing)

    def _error(self, answer: Answer, doing: str) -> PlatformError:
        body = answer.body if isinstance(answer.body, dict) else {}
        message = self._redact(str(body.get("message") or f"HTTP {answer.status}"))[:300]
        code = body.get("serviceErrorCode") if isinstance(body.get("serviceErrorCode"), int) else None
        said = f"LinkedIn ({doing}): {message}"
        status = answer.status
        if status == 426:
            return NeedsHumanError(
                f"LinkedIn no longer serves API version {self.version} ({message})", platform=self.name,
                status=status, code=code,
                hint=f'set version = "YYYYMM" under [platforms.{self.name}] to a version LinkedIn lists as active '
                     "(learn.microsoft.com/linkedin/marketing/versioning), e.g. this month's or last month's")
        if status == 401:
            return NeedsHumanError(said, platform=self.name, status=status, code=code,
                                   hint=f"make a new access token (they last 60 days) and set {self._var}ACCESS_TOKEN")
        if status == 403:
            return NeedsHumanError(said, platform=self.name, status=status, code=code,
                                   hint="the token needs w_organization_social and r_organization_social, from an "
                                        f"admin of the Page {self.organization}")
        if status == 429:
            after = answer.headers.get("retry-after", "")
            return RateLimited(said, platform=self.name, status=status, code=code,
                               retry_after=float(after) if after.isdigit() else None,
                               hint="the post waits and is tried again later")
        if status >= 500:
            return RetryableError(said, platform=self.name, status=status, code=code)
        return RejectedError(said, platform=self.name, status=status, code=code)


def _post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}/"
