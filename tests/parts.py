"""What the crash tests count beyond root posts: each thread's replies and each uploaded image, read from the
fakes and held against the outbox (the thread the bot queued for each article, the root it recorded).

A thread is whole when each part is a reply to the part before, with the queued text, and nothing else
replies: a second reply after a kill is a part posted twice. An upload is an orphan when no post carries it:
an image uploaded by a run that was killed (or failed) before its post, and uploaded again by the next one.
orphans() counts them apart from media_faults(): the bot keeps an upload with its outbox row before the post
and reuses it (bot.platforms.staged), so only a kill between the upload's answer and that write leaves one.
"""

from __future__ import annotations

import struct
import zlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from bot.store.base import Delivery


def png(colour: int = 0x804020, width: int = 2, height: int = 2) -> bytes:
    """A small valid PNG of one colour (the fakes check an upload's bytes are an image; Bluesky names a blob by
    its content, so two articles' images must differ to be two blobs)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + colour.to_bytes(3, "big") * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def thread_faults(rows: Iterable[Delivery], posts: Iterable[tuple[str, str, str | None]]) -> list[str]:
    """Each posted row's thread against the posts on the network, given as (id, text, id replied to):
    the root is the row's remote id, then one reply per queued part, each to the one before, with that part's
    text, and no other reply anywhere. Returns what is wrong, one line each (empty: every thread whole)."""
    replies: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for post_id, text, reply_to in posts:
        if reply_to is not None:
            replies[reply_to].append((post_id, text))
    faults: list[str] = []
    expected = 0
    for row in rows:
        if row.remote_id is None:
            faults.append(f"#{row.id}: not posted")
            continue
        expected += len(row.thread)
        at = row.remote_id
        for n, part in enumerate(row.thread, start=2):
            children = replies.get(at, [])
            if len(children) != 1:
                faults.append(f"#{row.id} part {n}: {len(children)} replies to {at}, not 1")
                break
            at, text = children[0]
            if text != part:
                faults.append(f"#{row.id} part {n}: {text!r} is not the queued {part!r}")
        if replies.get(at):
            faults.append(f"#{row.id}: {len(replies[at])} replies after its last part")
    total = sum(len(v) for v in replies.values())
    if total != expected:
        faults.append(f"{total} replies on the network, {expected} parts queued")
    return faults


def x_posts(x: Any) -> list[tuple[str, str, str | None]]:
    return [(t["id"], t["text"], t["reply_to"]) for t in x.tweets]


def masto_posts(masto: Any) -> list[tuple[str, str, str | None]]:
    return [(s["id"], s["text"], s["in_reply_to_id"]) for s in masto.statuses]


def x_media(x: Any) -> tuple[list[str], dict[str, list[str]]]:
    """(ids of every upload, media ids carried by each tweet)."""
    return [u["id"] for u in x.uploads], {t["id"]: list(t["media_ids"]) for t in x.tweets}


def masto_media(masto: Any) -> tuple[list[str], dict[str, list[str]]]:
    return [m["id"] for m in masto.media], {s["id"]: list(s["media_ids"]) for s in masto.statuses}


def bsky_media(pds: Any) -> tuple[list[str], dict[str, list[str]]]:
    """(cid of every uploaded blob, blob cids each record refers to: its card's thumbnail or its images)."""
    def refs(value: Mapping[str, Any]) -> list[str]:
        embed = value.get("embed") or {}
        blobs = [(embed.get("external") or {}).get("thumb"), *[i.get("image") for i in embed.get("images") or []]]
        return [str(b["ref"]["$link"]) for b in blobs if b]
    return list(pds.blobs), {r["rkey"]: refs(r["value"]) for r in pds.records}


def orphans(uploads: list[str], carried: Mapping[str, list[str]]) -> list[str]:
    """Uploads no post carries."""
    used = {m for media in carried.values() for m in media}
    return [u for u in uploads if u not in used]


def media_faults(uploads: list[str], carried: Mapping[str, list[str]], roots: Iterable[str]) -> list[str]:
    """Every root post carrying exactly one image, no upload carried by two posts, no post carrying an image
    that was never uploaded. Returns what is wrong (empty: none of these). Orphans are counted apart."""
    users: dict[str, list[str]] = defaultdict(list)
    for post_id, media in carried.items():
        for media_id in media:
            users[media_id].append(post_id)
    faults = [f"upload {m} carried by {len(p)} posts" for m, p in users.items() if len(p) > 1]
    faults += [f"post {p} carries {m}, never uploaded" for m in users if m not in set(uploads)
               for p in users[m]]
    faults += [f"root {r} carries {len(carried.get(r, []))} images, not 1" for r in roots
               if len(carried.get(r, [])) != 1]
    return faults
