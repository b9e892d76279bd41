"""How drafts and records are shown to a person (dry-run, preview, status, history)."""

from __future__ import annotations

import sys
from typing import TextIO

from bot.models import Draft


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
