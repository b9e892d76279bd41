"""A Threads profile through Meta's Threads API: plain HTTPS JSON calls on the project's own session.

What was verified in Meta's reference (developers.facebook.com/documentation/threads: "Publishing" updated
2026-04-20, "Overview" 2025-12-22, "Troubleshooting"), read 2026-12 with the search tool:
- Posting is two calls. `POST /{threads-user-id}/threads` makes a media container (`media_type` TEXT,
  IMAGE, VIDEO or CAROUSEL; `text`, UTF-8, required for a text post; `image_url`, required for IMAGE, fetched
  by Meta from a public address; `link_attachment`, a link preview, for text posts only) and answers its
  `id`. `POST /{threads-user-id}/threads_publish` with `creation_id` publishes it and answers the post's `id`.
- `GET /{container-id}?fields=status,error_message` says where a container is: FINISHED (ready to publish),
  IN_PROGRESS, PUBLISHED (its post is out), ERROR (with `error_message`), EXPIRED (not published within
  24 hours). Meta recommends waiting before publishing a media container, and polling the status about
  once a minute for at most five minutes.
- A post holds 500 characters, an emoji counting its UTF-8 bytes (bot.networks.threads.threads_length);
  at most 5 links (more fail at the container step: THREADS_API__LINK_LIMIT_EXCEEDED, since 2025-12-22).
- 250 API-published posts per profile in a moving 24 hours, enforced at threads_publish;
  `GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config` answers
  `{"data": [{"quota_usage": N, "config": {"quota_total": 250, "quota_duration": 86400}}]}`. Meta asks apps
  to enforce it themselves: the bot reads it before each new container and stops at the limit.
- Errors are Graph-shaped (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`):
  190 an invalid or expired token, 10 and 200-299 a missing permission, 4/17/32/613 rate limits.
- A long-lived token lasts 60 days and is refreshed, once it is at least a day old, with
  `GET /refresh_access_token?grant_type=th_refresh_token&access_token=...`, answering `access_token` and
  `expires_in` (the "Long-Lived Access Tokens" page): bot.tokens does it when BOT_SECRET_KEY is set.
Not found in the reference and chosen here: the token goes in the `Authorization: Bearer` header (the Graph
API's documented alternative to the `access_token` parameter), so no URL carries it into a log; the refresh,
documented with the parameter only, sends it so (and no message ever names a URL: bot.platforms.rest).

Exactly once: the container's id is written to the outbox row (as the row's one part, "container:ID",
through `on_part`) before threads_publish is called. An attempt cut short after that resumes the container:
FINISHED is published (Meta publishes a container once), PUBLISHED is found among the account's recent
threads, EXPIRED or ERROR made no post, so a new container is made. An attempt cut short before the id was
kept left at most an unpublished container, which expires unseen; its row is looked up among recent threads.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.errors import NeedsHumanError, PlatformError, RateLimited, RejectedError, RetryableError
from bot.models import Draft, PostResult
from bot.net.policy import is_web_url
from bot.networks.threads import MAX_LINKS, threads_length
from bot.platforms.base import Account, PartsCallback, Quota
from bot.platforms.http import DEFAULT_TIMEOUT
from bot.platforms.rest import Answer, RestSession
from bot.platforms.staged import CONTAINER as CONTAINER  # the part's prefix, where Threads' tests look for it
from bot.platforms.staged import container as staged_container
from bot.platforms.staged import container_part, posted
from bot.redact import Redactor

if TYPE_CHECKING:
    from bot.tokens import TokenKeeper

log = logging.getLogger(__name__)
NAME = "threads"
MAX_LENGTH = 500
LOOKUP_LIMIT = 25  # recent threads read to settle an unknown outcome
QUOTA_RECHECK_SECONDS = 3600.0  # the moving window frees a post when its oldest turns 24 h; Meta does not say when
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_RATE_CODES = {4, 17, 32, 613}
_TOKEN_CODES = {190, 102}


class ThreadsPlatform:
    """One Threads profile, posted to with its own long-lived token."""

    lookup_may_lag = True  # the profile's threads listing may not show a post at once (bot.platforms.base)

    def __init__(self, token: str, api_url: str, *, name: str = NAME, image: bool = True,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 status_waits: Sequence[float] = (1.0, 2.0, 4.0), sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.time, keeper: TokenKeeper | None = None) -> None:
        self.name = name
        self._token = token
        self.keeper = keeper  # the token's life: a renewed one kept sealed in the store (bot.tokens)
        self.image = image
        self._var = f"{name.upper()}_"
        self._redact = Redactor([token])
        self.rest = RestSession(api_url, platform=name, what="Threads",
                                hint=f"check the network, and {self._var}API_URL if you set it", timeout=timeout)
        # How long a container that is IN_PROGRESS is waited for within one attempt; past it the attempt ends
        # and the next one resumes the same container (it is in the outbox row).
        self.status_waits = tuple(status_waits)
        self._sleep = sleep
        self._clock = clock
        self._quota: Quota | None = None

    # --- Platform interface ---------------------------------------------------------------------

    def publish(self, draft: Draft, done: Sequence[str] = (), on_part: PartsCallback | None = None) -> PostResult:
        if posted(done):
            return PostResult(remote_id=posted(done)[0])  # the post is out: nothing follows it
        self._use_current_token()
        kept = staged_container(done)
        if kept is not None:
            resumed = self._resume(kept, draft)
            if resumed is not None:
                return resumed
        self._check(draft)
        self._check_quota()
        with_image = self.image and draft.image is not None and is_web_url(draft.image.url)
        container = self._create(draft, with_image)
        if on_part is not None:
            on_part([container_part(container)])  # kept before publishing: a crash from here resumes it
        status = self._wait(container)
        if status == "ERROR" and with_image:
            # Meta's crawler could not use the image (unreachable, too large): the post goes as text with the
            # link previewed, as it would without an image. The failed container can never be published.
            log.warning("%s: Threads could not use the image of %s; posting it with the link previewed instead",
                        self.name, draft.article_key)
            container = self._create(draft, False)
            if on_part is not None:
                on_part([container_part(container)])
            status = self._wait(container)
        return self._publish_when_ready(container, status)

    def find_existing(self, draft: Draft, done: Sequence[str] = ()) -> PostResult | None:
        """The profile's recent threads: the one carrying the article's link (as its preview or in its text),
        else the one with exactly the draft's text."""
        if done:
            return None  # one post per article (a staged container is settled by publish, never passed here)
        self._use_current_token()
        answer = self._ok(self.rest.call("GET", "me/threads", headers=self._auth(), params={
            "fields": "id,text,permalink,link_attachment_url,timestamp", "limit": LOOKUP_LIMIT}), "reading threads")
        for post in answer.get("data") or []:
            text = str(post.get("text") or "")
            if (draft.link and (post.get("link_attachment_url") == draft.link or draft.link in _URL.findall(text))) \
                    or text.strip() == draft.text.strip():
                return PostResult(remote_id=str(post["id"]), url=post.get("permalink"))
        return None

    def quota(self) -> Quota | None:
        return self._quota

    def verify(self) -> Account:
        self._use_current_token()
        me = self._ok(self.rest.call("GET", "me", headers=self._auth(), params={"fields": "id,username"}),
                      "reading the profile")
        used, total = self._read_limit()
        limits = f"{used} of {total} posts published through the API in the last 24 hours"
        if self.keeper is not None:
            from bot.tokens import describe

            limits += "; " + describe(self.keeper.record(), self.keeper.life, self._clock())
        return Account(id=str(me.get("id")), name=f"@{me.get('username')}", limits=limits)

    def close(self) -> None:
        self.rest.close()

    # --- the two steps ----------------------------------------------------------------------------

    def _check(self, draft: Draft) -> None:
        """What Threads would refuse, refused before any container is made."""
        if threads_length(draft.text) > MAX_LENGTH:
            raise RejectedError(f"the post is {threads_length(draft.text)} characters as Threads counts them, "
                                f"over its {MAX_LENGTH}", platform=self.name)
        links = set(_URL.findall(draft.text)) | ({draft.link} if draft.link else set())
        if len(links) > MAX_LINKS:
            raise RejectedError(f"the post has {len(links)} links; Threads takes at most {MAX_LINKS}",
                                platform=self.name)

    def _create(self, draft: Draft, with_image: bool) -> str:
        fields: dict[str, str] = {"text": draft.text}
        if with_image and draft.image is not None:
            # Meta's crawler fetches the image itself, so only a public address works; the link stays in the
            # text (a link preview is for text posts only).
            fields.update(media_type="IMAGE", image_url=draft.image.url)
            if draft.image.alt:
                fields["alt_text"] = draft.image.alt[:1000]
        else:
            fields["media_type"] = "TEXT"
            if draft.link:
                fields["link_attachment"] = draft.link
        answer = self._ok(self.rest.call("POST", "me/threads", headers=self._auth(), data=fields),
                          "making the container")
        return str(answer["id"])

    def _status(self, container: str) -> tuple[str, str]:
        answer = self._ok(self.rest.call("GET", container, headers=self._auth(),
                                         params={"fields": "id,status,error_message"}), "reading the container")
        return str(answer.get("status") or ""), str(answer.get("error_message") or "")

    def _wait(self, container: str) -> str:
        """The container's status once it is no longer IN_PROGRESS, or IN_PROGRESS after the waits."""
        status, _ = self._status(container)
        for pause in self.status_waits:
            if status != "IN_PROGRESS":
                break
            self._sleep(pause)
            status, _ = self._status(container)
        return status

    def _publish_when_ready(self, container: str, status: str) -> PostResult:
        if status == "IN_PROGRESS":
            raise RetryableError(f"Threads is still preparing the post (container {container})", platform=self.name,
                                 hint="the next attempt publishes the same container")
        if status not in ("FINISHED", ""):
            raise RejectedError(f"Threads could not prepare the post (container {container} is {status})",
                                platform=self.name)
        answer = self._ok(self.rest.call("POST", "me/threads_publish", headers=self._auth(),
                                         data={"creation_id": container}), "publishing")
        post_id = str(answer["id"])
        if self._quota is not None and self._quota.remaining is not None:
            self._quota = Quota(max(self._quota.remaining - 1, 0), self._quota.reset_at, self._quota.what)
        return PostResult(remote_id=post_id, url=self._permalink(post_id))

    def _resume(self, container: str, draft: Draft) -> PostResult | None:
        """An earlier attempt made this container: publish it, or find its post; None when it made no post."""
        try:
            status, error = self._status(container)
        except RejectedError:  # Meta no longer knows it: it can only have expired unpublished, or be out
            status, error = "GONE", ""
        if status == "IN_PROGRESS":
            status = self._wait(container)
        if status == "FINISHED":
            log.info("%s: publishing %s's container %s, made by an earlier attempt", self.name, draft.article_key,
                     container)
            return self._publish_when_ready(container, status)
        if status in ("PUBLISHED", "GONE"):
            found = self.find_existing(draft)
            if found is not None:
                log.info("%s: %s was already published from container %s before a crash or timeout (%s); "
                         "recorded, not published again", self.name, draft.article_key, container, found.remote_id)
                return found
            if status == "PUBLISHED":
                # Out, yet not listed yet: never publish again; the next attempt looks once more.
                raise RetryableError(f"{draft.article_key} is published on Threads (container {container}) but "
                                     "not listed among the profile's threads yet", platform=self.name)
            return None
        if status == "IN_PROGRESS":
            return self._publish_when_ready(container, status)  # raises: the next attempt resumes it again
        if status not in ("EXPIRED", "ERROR"):  # a state Meta does not document: never risk a second post
            raise RetryableError(f"Threads says container {container} of {draft.article_key} is {status or 'nothing'}",
                                 platform=self.name, hint="the next attempt looks at the container again")
        log.warning("%s: the container %s of %s is %s%s; making a new one", self.name, container, draft.article_key,
                    status, f" ({error})" if error else "")
        return None

    def _permalink(self, post_id: str) -> str | None:
        """The post's address; the post is out whatever this answers, so a failure only leaves it out."""
        try:
            answer = self._ok(self.rest.call("GET", post_id, headers=self._auth(), params={"fields": "permalink"}),
                              "reading the post")
        except PlatformError:
            return None
        link = answer.get("permalink")
        return str(link) if link else None

    # --- the publishing limit ---------------------------------------------------------------------

    def _read_limit(self) -> tuple[int, int]:
        answer = self._ok(self.rest.call("GET", "me/threads_publishing_limit", headers=self._auth(),
                                         params={"fields": "quota_usage,config"}), "reading the publishing limit")
        data = (answer.get("data") or [{}])[0]
        config = data.get("config") or {}
        used, total = data.get("quota_usage"), config.get("quota_total")
        return (used if isinstance(used, int) else 0), (total if isinstance(total, int) and total > 0 else 250)

    def _check_quota(self) -> None:
        """Stop before the 250th post of the moving day, as Meta asks apps to."""
        used, total = self._read_limit()
        left = max(total - used, 0)
        reset = self._clock() + QUOTA_RECHECK_SECONDS if left == 0 else None
        self._quota = Quota(left, reset, f"Threads limit of {total} posts in 24 hours")
        if left == 0:
            raise RateLimited(f"Threads: {used} of {total} posts published in the last 24 hours", platform=self.name,
                              retry_after=QUOTA_RECHECK_SECONDS, not_sent=True,
                              hint="the post waits until the moving 24-hour window frees a post")

    # --- calls and errors ---------------------------------------------------------------------------

    def _use_current_token(self) -> None:
        """The renewed token when one is kept (renewing it first when due), else the deployed one."""
        if self.keeper is None:
            return
        if self.keeper.due():
            self.keeper.renew(self._refresh)
        self._token = self.keeper.token()
        self._redact.learn([self._token])

    def _refresh(self, token: str) -> tuple[str, float]:
        """Meta's refresh of a long-lived token (once it is a day old): the new token and how long it lasts."""
        base = self.rest.api_url.removesuffix("/v1.0")
        answer = self.rest.call("GET", f"{base}/refresh_access_token",
                                params={"grant_type": "th_refresh_token", "access_token": token})
        body = self._ok(answer, "renewing the token")
        new, lasts = body.get("access_token"), body.get("expires_in")
        if not isinstance(new, str) or not new or not isinstance(lasts, int | float):
            raise RetryableError("Threads answered the renewal without a token", platform=self.name)
        self._redact.learn([new])
        return new, float(lasts)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _ok(self, answer: Answer, doing: str) -> dict[str, Any]:
        if 200 <= answer.status < 300 and isinstance(answer.body, dict) and "error" not in answer.body:
            return answer.body
        raise self._error(answer, doing)

    def _error(self, answer: Answer, doing: str) -> PlatformError:
        body = answer.body if isinstance(answer.body, dict) else {}
        raw = body.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        message = self._redact(str(error.get("error_user_msg") or error.get("message") or f"HTTP {answer.status}"))
        said = f"Threads ({doing}): {message[:300]}"
        status = answer.status
        if status == 429 or code in _RATE_CODES:
            return RateLimited(said, platform=self.name, status=status, code=code, retry_after=None,
                               hint="the post waits and is tried again later")
        if status == 401 or code in _TOKEN_CODES:
            return NeedsHumanError(said, platform=self.name, status=status, code=code,
                                   hint=f"make a new long-lived token and set {self._var}ACCESS_TOKEN (they last "
                                        "60 days)")
        if code == 10 or (code is not None and 200 <= code < 300) or status == 403:
            return NeedsHumanError(said, platform=self.name, status=status, code=code,
                                   hint="the token needs the threads_basic and threads_content_publish permissions")
        if status >= 500 or code in (1, 2):
            return RetryableError(said, platform=self.name, status=status, code=code)
        return RejectedError(said, platform=self.name, status=status, code=code)
