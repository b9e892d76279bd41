"""Named editors (issue 22 item 5): each has their own token, shown once by `bot editors add NAME` and kept
only as a scrypt hash (hashlib, no extra dependency; argon2 is not installed here), found by a public id that
is part of the token so a sign-in costs one hash, not one per editor. Revoking an editor ends their sessions
and API access at the next request; the shared BOT_WEB_TOKEN keeps working beside them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from bot.store.base import AuditEntry, Editor, Store

PREFIX = "be_"
SHARED = "shared token"  # who acted, when it was someone with BOT_WEB_TOKEN
_ID_CHARS = 10
_NAME = re.compile(r"[\w.@-]{1,40}")
_N, _R, _P = 2**14, 8, 1  # about 16 MB and tens of ms a guess


class EditorError(ValueError):
    pass


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name == SHARED:
        raise EditorError(f"{name[:60]!r} is not an editor name: 1-40 letters, digits, '.', '_', '@' or '-'")
    return name


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def add(store: Store, name: str, now: float, by: str | None = None) -> str:
    """A new editor; returns their token, which is never stored nor shown again. `by`: who added them (`bot
    editors add` names the shell's user), for the audit trail."""
    check_name(name)
    token_id = secrets.token_hex(_ID_CHARS // 2)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    stored = f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(_hash(secret, salt))}"
    if not store.add_editor(Editor(name, token_id, stored, now)):
        raise EditorError(f"there is already an editor named {name!r} (a revoked one keeps the name: choose "
                          "another, so the audit trail keeps meaning one person)")
    if by is not None:
        store.record_audit([AuditEntry(now, by, "cli", "editor-add", None, None, f"editor {name!r} added")])
    return f"{PREFIX}{token_id}_{secret}"


def revoke(store: Store, name: str, now: float, by: str | None = None) -> bool:
    """Sign `name` out for good; False when there is no such active editor. `by`: who did it, for the trail."""
    done = store.revoke_editor(name, now)
    if done and by is not None:
        store.record_audit([AuditEntry(now, by, "cli", "editor-revoke", None, None,
                                       f"editor {name!r} revoked: signed out everywhere")])
    return done


def verify(store: Store, given: str | None) -> Editor | None:
    """The active editor whose token this is, or None."""
    if not given or not given.startswith(PREFIX) or len(given) < len(PREFIX) + _ID_CHARS + 2:
        return None
    token_id, sep, secret = given[len(PREFIX):].partition("_")
    if len(token_id) != _ID_CHARS or not sep or not secret.isascii():
        return None
    editor = store.editor_by_token_id(token_id)
    if editor is None or editor.revoked_at is not None:
        return None
    try:
        kind, n, r, p, salt, digest = editor.token_hash.split("$")
        ok = kind == "scrypt" and hmac.compare_digest(
            hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32),
            _unb64(digest))
    except ValueError:
        return None
    return editor if ok else None


def active(store: Store, name: str) -> bool:
    if name == SHARED:
        return True
    editor = store.editor(name)
    return editor is not None and editor.revoked_at is None
