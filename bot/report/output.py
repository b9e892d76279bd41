"""How drafts and records are shown to a person (dry-run, preview, status, history)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from bot.models import Draft

if TYPE_CHECKING:
    from bot.review import QueueItem


def count_and_limit(draft: Draft) -> tuple[int, int]:
    from bot.compose import rules_for

    rules = rules_for(draft.rules_name)
    return rules.count(draft.text), rules.max_length


def format_draft(platform: str, draft: Draft, title: str | None = None) -> str:
    used, limit = count_and_limit(draft)
    head = f"--- {platform} ({used}/{limit})" + (f" · {title}" if title else "")
    lines = [head, draft.text]
    if draft.link and draft.link not in draft.text:
        lines.append(f"[link: {draft.link}]")
    if draft.image:
        lines.append(f"[image: {draft.image.url}]")
    for number, extra in enumerate(draft.thread, start=2):
        lines.append(f"[thread {number}] {extra}")
    return "\n".join(lines)


def show_draft(platform: str, draft: Draft, out: TextIO | None = None) -> None:
    print(f"[dry-run] {format_draft(platform, draft)}\n", file=out or sys.stdout, flush=True)


def format_queue_item(item: QueueItem, tz: str = "UTC") -> str:
    """One post of `bot queue`: id, account, state, when, title; then the exact text, indented."""
    from bot.review import EXPIRED

    d = item.delivery
    if item.state == "review":
        when = f"waiting for review until {_ts(d.review_until, tz)}" if d.review_until else "waiting for review"
    elif item.state == EXPIRED:
        when = f"EXPIRED: held past {_ts(d.review_until, tz)}; sent only if approved again (bot approve {d.id})"
    elif item.not_before is not None:
        when = f"goes out {_ts(item.not_before, tz)}" + (f" [{item.wait_reason}]" if item.wait_reason else "")
    else:
        when = item.wait_reason or (d.last_error or "") if item.state != "sending" else "being sent now"
    lines = [f"#{d.id} {d.platform} {item.state} ({item.length}/{item.limit}) {d.title[:60]!r}: {when}"]
    lines += [("    " + line).rstrip() for line in d.text.splitlines() or [""]]
    extras = []
    if d.link and d.link not in d.text:
        extras.append(f"[link: {d.link}]")
    if d.image_url:
        extras.append(f"[image: {d.image_url}]")
    if d.edit_version:
        extras.append(f"[edited {d.edit_version}x]")
    if extras:
        lines.append("    " + " ".join(extras))
    return "\n".join(lines)


def _ts(value: float | None, tz: str) -> str:
    from bot.report.clock import local

    return local(value or None, tz)
