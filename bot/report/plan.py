"""What `bot schedule` prints: the next looks at each feed and when each queued post goes out, and why.

Built once as data (for `--json`) and rendered as text from it, so the two never disagree. Every time is in
`[bot] timezone` (an account's own zone still decides its windows and caps: bot.schedule).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.config import Config, missing_credentials
from bot.delivery.awaiting import awaits_credentials
from bot.report.clock import iso
from bot.schedule import describe_rules, format_local, next_checks, plan_posts
from bot.store.base import QUEUED, RETRY, REVIEW, Store


def plan(config: Config, store: Store, now: float, limit: int, checks: int) -> dict[str, Any]:
    tz = config.timezone
    feeds = []
    due = {s.url: s.next_due for s in store.feed_schedules()}
    for feed in config.feeds:
        state = store.feed_state(feed.url)
        times = next_checks(feed, tz, now, state.last_checked_at if state else None, checks, due.get(feed.shown_url))
        note = None
        if state and state.flood_held:
            times, note = [], f"PAUSED by a flood of {state.flood_held} new articles: see `bot status`"
        elif state and state.next_attempt_at and state.next_attempt_at > now:
            times = [t for t in times if t >= state.next_attempt_at] or [state.next_attempt_at]
            note = f"failing, backing off: {state.last_error}"
        how = f"cron {feed.cron}" if feed.cron else f"every {_every(feed.every)}"
        feeds.append({"name": feed.name, "how": how, "next": [iso(t, tz) for t in times], "note": note,
                      "_times": times})
    platforms = []
    for name, pconf in config.platforms.items():
        pstate = store.platform_state(name)
        start, limit_until = now, None
        if pstate.quota_remaining == 0 and pstate.quota_reset_at and pstate.quota_reset_at > now:
            start = limit_until = pstate.quota_reset_at
        rows = store.deliveries(states=(QUEUED, RETRY), platform=name, limit=10_000, newest_first=False)
        posts = [{"id": p.item.id, "title": p.item.title, "at": iso(p.at, tz), "reason": p.reason, "_at": p.at}
                 for p in plan_posts(pconf, [(r, r.due_at) for r in rows], start, store)[:limit]]
        # Posts waiting for an editor are queued too: an empty plan while they wait would say there is nothing.
        review = [{"id": d.id, "title": d.title, "until": iso(d.review_until, tz), "_until": d.review_until,
                   "expired": d.review_until is not None and d.review_until <= now}
                  for d in store.deliveries(states=(REVIEW,), platform=name, limit=10_000, newest_first=False)]
        waits = awaits_credentials(config, name)
        platforms.append({"name": name, "rules": describe_rules(pconf), "dry_run": bool(missing_credentials(pconf)),
                          "waiting_for_credentials": waits,
                          "paused": pstate.paused_reason, "limit_until": iso(limit_until, tz), "_limit": limit_until,
                          "posts": posts, "more": max(len(rows) - limit, 0), "review": review[:limit],
                          "review_more": max(len(review) - limit, 0)})
    return {"timezone": tz, "feeds": feeds, "platforms": platforms}


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The plan without the raw timestamps the text needs (keys starting with '_')."""
    if isinstance(data, dict):
        return {k: public(v) for k, v in data.items() if not k.startswith("_")}  # type: ignore[return-value]
    if isinstance(data, list):
        return [public(v) for v in data]  # type: ignore[return-value]
    return data


def plan_lines(data: dict[str, Any]) -> Iterator[str]:
    tz = data["timezone"]
    yield f"feeds (times in {tz}):"
    for f in data["feeds"]:
        note = f" ({f['note']})" if f["note"] else ""
        yield f"  {f['name']}: {f['how']}; next: {', '.join(format_local(t, tz) for t in f['_times']) or 'none'}{note}"
    for p in data["platforms"]:
        yield f"{p['name']}: {p['rules']}"
        if p["waiting_for_credentials"]:
            yield (f"  waiting for credentials ({', '.join(p['waiting_for_credentials'])} unset in this "
                   "environment): a run here leaves its posts queued; once they are set they go out as below")
        elif p["dry_run"]:
            yield "  dry-run (no config file: the built-in defaults): posts are shown, never sent"
        if p["paused"]:
            yield f"  PAUSED, nothing goes out until a human fixes it: {p['paused']}"
        if p["_limit"]:
            yield f"  the platform's own limit is used up until {format_local(p['_limit'], tz)}"
        for post in p["posts"]:
            when = format_local(post["_at"], tz) if post["_at"] is not None else "not scheduled"
            why = f"  [{post['reason']}]" if post["reason"] else ""
            yield f"  {when}  {post['title'][:60]!r}{why}"
        if p["more"]:
            yield f"  ... and {p['more']} more"
        for r in p["review"]:
            if r["expired"]:
                why = f"EXPIRED: held past {format_local(r['_until'], tz)}; sent only if approved again"
            else:
                until = f" (expires {format_local(r['_until'], tz)})" if r["_until"] else ""
                why = f"waiting for an editor's review{until}"
            yield f"  #{r['id']} {r['title'][:60]!r}  [{why}: `bot approve {r['id']}`]"
        if p["review_more"]:
            yield f"  ... and {p['review_more']} more waiting for review"
        if not p["posts"] and not p["review"]:
            yield "  queue empty"


def _every(value: Any) -> str:
    from bot.schedule import format_duration

    return format_duration(value) if value else "15m"
