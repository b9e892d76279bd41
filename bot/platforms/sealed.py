"""Sealing a network session for the database: encrypted with a key only the account's secret can make.

Secrets never appear in the database. A session (Bluesky's access and refresh tokens) is a secret too, yet
it must outlive a process so that a `bot run --once` from cron does not log in every few minutes. It is
stored sealed: AES-256-GCM under a key derived (HKDF-SHA256) from the app password, bound to the account,
handle and service it belongs to. Whoever reads the database without the password learns nothing; a
changed password, handle or service makes the old session unreadable, and it is simply replaced.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = "v1"
_SALT = b"bot session seal v1"


class Unreadable(ValueError):
    """The sealed text was not made with this secret for this context (or was damaged)."""


def _key(secret: str, context: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=context.encode("utf-8"))
    return hkdf.derive(secret.encode("utf-8"))


def seal(plaintext: str, secret: str, context: str) -> str:
    nonce = os.urandom(12)
    data = AESGCM(_key(secret, context)).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + data).decode('ascii')}"


def unseal(sealed: str, secret: str, context: str) -> str:
    version, _, body = sealed.partition(":")
    if version != _VERSION:
        raise Unreadable(f"unknown seal version {version[:8]!r}")
    try:
        raw = base64.urlsafe_b64decode(body.encode("ascii"))
        plain = AESGCM(_key(secret, context)).decrypt(raw[:12], raw[12:], context.encode("utf-8"))
        return plain.decode("utf-8")
    except (InvalidTag, ValueError, UnicodeError) as exc:
        raise Unreadable(type(exc).__name__) from None
