"""The methods dataclasses generate, compiled once per source text and kept on disk like bytecode.

The dataclass decorator writes each class's `__init__`, `__repr__`, `__eq__`, `__hash__` and, when frozen,
`__setattr__` and `__delattr__` as Python source and compiles it, in every process: about 0.9 ms a frozen class,
a fifth of a `bot run --once` over unchanged feeds (issue 25), for the same text each time. Here the module's
`exec` (the one name dataclasses calls it by) compiles a text only once: the code objects are kept by their exact
source in `__pycache__` next to the package's bytecode, tagged with the interpreter's, and the functions are still
made by dataclasses in this process from its own globals and values. A text not found is compiled as before;
a cache that cannot be read or written is no cache (a read-only install, PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import dataclasses
import marshal
import os
import sys
from types import CodeType
from typing import Any

# Past this many texts, a save keeps only those this process used: classes edited over many upgrades leave
# texts that no process asks for again, and every process loads the whole file (a run --once uses ~320 texts,
# 400 KB, loaded in 1.4 ms).
_KEEP = 1000

_compile_and_exec = builtins.exec
_codes: dict[str, CodeType] = {}
_used: set[str] = set()
_new = False


def _path() -> str | None:
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    here = os.path.dirname(os.path.abspath(__file__))
    folder = (os.path.join(sys.pycache_prefix, here.lstrip(os.sep)) if sys.pycache_prefix
              else os.path.join(here, "__pycache__"))
    return os.path.join(folder, f"dataclass_code.{tag}.marshal")


def _exec(source: Any, globals_: Any = None, locals_: Any = None) -> None:
    """exec, as dataclasses calls it, with the compiled text taken from the cache when it is there."""
    global _new
    if not isinstance(source, str):
        return _compile_and_exec(source, globals_, locals_)
    code = _codes.get(source)
    if code is None:
        code = _codes[source] = compile(source, "<string>", "exec")  # as exec(source) compiles it
        _new = True
    _used.add(source)
    return _compile_and_exec(code, globals_, locals_)


def _load(path: str) -> None:
    try:
        with open(path, "rb") as f:
            loaded = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return
    if isinstance(loaded, dict):
        _codes.update((k, v) for k, v in loaded.items() if isinstance(k, str) and isinstance(v, CodeType))


def _save(path: str) -> None:
    if not _new or sys.dont_write_bytecode:
        return
    kept = _codes if len(_codes) <= _KEEP else {k: v for k, v in _codes.items() if k in _used}
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "wb") as f:
            marshal.dump(kept, f)
        os.replace(temporary, path)  # whole or not at all: processes may start while another writes
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def install() -> None:
    """From now on, dataclasses created in this process compile each method's text at most once across runs."""
    if getattr(dataclasses, "exec", None) is _exec:
        return
    path = _path()
    if path is None:
        return
    _load(path)
    dataclasses.exec = _exec  # type: ignore[attr-defined]  # shadows the builtin in that module only
    atexit.register(_save, path)
