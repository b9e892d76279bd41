"""A feed's language tag as the ISO 639 code networks label posts with ("fa-IR" -> "fa")."""

from __future__ import annotations

import re

_PRIMARY = re.compile(r"[A-Za-z]{2,3}")
# Valid ISO 639 codes that name no language a reader could read.
_NOT_A_LANGUAGE = {"und", "mul", "zxx", "mis"}


def iso639(tag: str | None) -> str | None:
    """The primary subtag of a BCP 47 / RSS language tag, lower case: "fa-IR", "fa_IR", "FA" -> "fa",
    "fil" stays "fil" (it has no two-letter code); None when there is none ("", "x-klingon", "english")."""
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip(), maxsplit=1)[0]
    if not _PRIMARY.fullmatch(primary):
        return None
    code = primary.lower()
    return None if code in _NOT_A_LANGUAGE else code
