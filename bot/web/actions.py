"""What the page's forms and the JSON API do to posts: one dispatch for both, onto the review actions the CLI
uses (bot.review), so the page, the API and `bot approve/skip/edit` keep the same exactly-once checks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import review
from bot.config import Config
from bot.store.base import HELD, QUEUED, AuditEntry, Delivery, Store

ACTIONS = ("approve", "skip", "edit", "unapprove", "retry")
MAX_IDS = 500  # one bulk request; more is a mistake or a script that should page


def act(config: Config, store: Store, ids: Sequence[int], action: str, text: str | None, version: int | None,
        now: float, editor: str, via: str) -> list[str]:
    """Do `action` to the posts `ids` and put it in the audit trail (who, through what, an edit's before and
    after). Only what was done is recorded: a refused action raises before anything is written."""
    before = {i: store.delivery(i) for i in ids}
    lines = _do(config, store, ids, action, text, version, now)
    entries = []
    for delivery_id, line in zip(ids, lines, strict=False):
        d = before.get(delivery_id)
        after = store.delivery(delivery_id)
        editing = action == "edit" and d is not None and after is not None
        entries.append(AuditEntry(now, editor, via, action, delivery_id, d.platform if d else None,
                                  line + _moved(d, after), d.text if editing and d else None,
                                  after.text if editing and after else None))
    store.record_audit(entries)
    return lines


def _moved(before: Delivery | None, after: Delivery | None) -> str:
    """The state a post went from and to, for the trail ("" when it stayed: approving an approved post)."""
    if before is None or after is None or before.state == after.state:
        return ""
    return f" [{before.state} -> {after.state}]"


def approve_all(store: Store, now: float, platform: str | None, editor: str, via: str) -> list[str]:
    """`bot approve --all`: one audit row per post it released, as `bot approve ID` writes."""
    lines, approved = review.approve_all_rows(store, now, platform)
    store.record_audit([AuditEntry(now, editor, via, "approve", d.id, d.platform,
                                   f"#{d.id} {d.platform}: approved (approve --all) [{d.state} -> {QUEUED}]")
                        for d in approved])
    return lines


def requeue(store: Store, now: float, platform: str | None, editor: str, via: str) -> str:
    """`bot retry`: one audit row per post it queued again (failed) or released (held)."""
    line, done, unlisted = review.requeue(store, now, platform)
    entries = [AuditEntry(now, editor, via, "retry", d.id, d.platform,
                          f"#{d.id} {d.platform}: " + ("released, sent once more without a lookup" if d.state == HELD
                                                       else "queued again") + f" [{d.state} -> {QUEUED}]")
               for d in done]
    if unlisted:
        entries.append(AuditEntry(now, editor, via, "retry", None, platform,
                                  f"{unlisted} more post(s) that failed meanwhile queued again"))
    store.record_audit(entries)
    return line


def _do(config: Config, store: Store, ids: Sequence[int], action: str, text: str | None, version: int | None,
        now: float) -> list[str]:
    if action == "approve":
        return review.approve(store, ids, now)
    if action == "skip":
        return review.skip(store, ids, now)
    if action == "unapprove":
        return review.unapprove(config, store, ids, now)
    if action == "retry":
        return review.retry_now(store, ids, now)
    if action == "edit":
        if len(ids) != 1:
            raise review.ReviewError("edit one post at a time", 400)
        d = review.edit(config, store, ids[0], (text or "").replace("\r\n", "\n"), now, version)
        return [f"#{d.id} {d.platform}: text replaced (edit {d.edit_version})"]
    raise review.ReviewError(f"unknown action {action!r}: {', '.join(ACTIONS)}", 404)


def parse_ids(values: Sequence[Any]) -> list[int]:
    """Post ids from a form's checkboxes or a JSON list; a clear error for anything else."""
    if not values:
        raise review.ReviewError("no post selected", 400)
    if len(values) > MAX_IDS:
        raise review.ReviewError(f"{len(values)} posts at once: at most {MAX_IDS}", 400)
    ids = []
    for value in values:
        text = str(value)
        if isinstance(value, bool) or not text.isascii() or not text.isdigit() or int(text) >= 2**63:
            raise review.ReviewError(f"{text[:30]!r} is not a post id", 400)
        ids.append(int(text))
    return list(dict.fromkeys(ids))


def counts(config: Config, platform: str, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Each text counted as the account's network counts it: the same rules the server checks an edit with
    (bot.review.check_text), so the page's live counter is this one implementation."""
    rules = review.network_rules(config, platform)
    out = []
    for text in texts:
        length, size = rules.count(text), len(text.encode("utf-8"))
        over = length > rules.max_length or (rules.max_bytes is not None and size > rules.max_bytes)
        out.append({"length": length, "limit": rules.max_length, "bytes": size, "max_bytes": rules.max_bytes,
                    "over": over})
    return out
