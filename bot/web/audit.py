"""The audit trail as people read it: `bot history --audit`, GET /api/audit and the page's "Who did what"."""

from __future__ import annotations

import getpass
from typing import Any

from bot.report.clock import iso, local
from bot.store.base import AuditEntry, Store


def cli_editor() -> str:
    """Who runs a CLI command: the login name of the shell (there is no sign-in on the CLI)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def as_json(entry: AuditEntry, tz: str) -> dict[str, Any]:
    return {"at": iso(entry.at, tz), "editor": entry.editor, "via": entry.via, "action": entry.action,
            "post": entry.delivery_id, "platform": entry.platform, "note": entry.note,
            "before": entry.before_text, "after": entry.after_text}


def lines(store: Store, limit: int, tz: str) -> list[str]:
    out = []
    for e in store.audit(limit):
        out.append(f"{local(e.at, tz)}  {e.editor} ({e.via}) {e.action}: {e.note}")
        if e.before_text is not None:
            out.append(f"    before: {e.before_text!r}")
            out.append(f"    after:  {e.after_text!r}")
    return out or ["no action recorded yet"]


def record_release(store: Store, now: float, editor: str, line: str) -> None:
    """`bot retry --feed NAME`: a feed paused by a flood released by an editor (its posts were queued by the
    feed's reading, as any new article's)."""
    store.record_audit([AuditEntry(now, editor, "cli", "release", None, None, line)])
