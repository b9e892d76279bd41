"""bot.dataclass_code: a dataclass's methods are compiled once across processes, and behave exactly as before."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Counts the texts this process compiles (dataclass_code's compile, replaced).
COUNTING = """
import dataclasses, sys
from bot import dataclass_code
compiled = 0
real = compile
def counting(*args, **kwargs):
    global compiled
    compiled += 1
    return real(*args, **kwargs)
dataclass_code.compile = counting
"""

# Defines a frozen dataclass after install() and checks what the generated methods do; prints how many texts
# this process had to compile.
SCRIPT = COUNTING + """dataclass_code.install()
dataclass_code.install()  # twice is once

@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)

p = Point(1)
assert p == Point(1, 2, ()) and p != Point(1, 3) and hash(p) == hash(Point(1))
assert repr(p) == "Point(x=1, y=2, tags=())", repr(p)
try:
    p.x = 5
except dataclasses.FrozenInstanceError:
    pass
else:
    raise AssertionError("not frozen")
assert dataclasses.replace(p, y=7) == Point(1, 7) and [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags"]
try:
    Point()
except TypeError as exc:
    assert "missing 1 required positional argument: 'x'" in str(exc), exc
else:
    raise AssertionError("x has no default")
print(compiled)
"""


def _run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc")}
    return subprocess.run([sys.executable, "-c", SCRIPT], env={**base, **env}, cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=False)


def _cache(tmp_path: Path) -> Path:
    [found] = (tmp_path / "pyc").rglob("dataclass_code.*.marshal")
    return found


def test_the_second_process_compiles_nothing_and_its_class_behaves_the_same(tmp_path: Path) -> None:
    first = _run(tmp_path)
    assert first.returncode == 0, first.stderr
    assert int(first.stdout) == 6  # __init__, __repr__, __eq__, __setattr__, __delattr__, __hash__
    assert _cache(tmp_path).stat().st_size > 0
    second = _run(tmp_path)
    assert second.returncode == 0, second.stderr
    assert int(second.stdout) == 0


def test_a_broken_cache_is_no_cache_and_is_written_anew(tmp_path: Path) -> None:
    assert _run(tmp_path).returncode == 0
    cache = _cache(tmp_path)
    cache.write_bytes(b"\x00not marshal")
    again = _run(tmp_path)
    assert again.returncode == 0, again.stderr
    assert int(again.stdout) == 6
    assert int(_run(tmp_path).stdout) == 0
    assert not [p for p in cache.parent.iterdir() if p.name.endswith(".tmp")]


def test_nothing_is_written_where_bytecode_is_not(tmp_path: Path) -> None:
    done = _run(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 6
    assert not (tmp_path / "pyc").exists() or not list((tmp_path / "pyc").rglob("*.marshal"))


# One frozen class with fields named after argv[1], under a bound of 8 texts; prints the texts compiled.
BOUNDED = COUNTING + """dataclass_code._KEEP = 8
dataclass_code.install()
name = sys.argv[1]
Made = dataclasses.make_dataclass("Made", [(name, int)], frozen=True)
assert repr(Made(3)) == f"Made({name}=3)"
print(compiled)
"""


def test_past_its_bound_the_cache_keeps_only_what_a_process_used(tmp_path: Path) -> None:
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(tmp_path / "pyc")}

    def compiled(field: str) -> int:
        done = subprocess.run([sys.executable, "-c", BOUNDED, field], env=base, cwd=tmp_path, capture_output=True,
                              text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    assert compiled("a") == 6
    assert compiled("b") == 6  # 12 texts known, over 8: a's are dropped
    assert compiled("b") == 0
    assert compiled("a") == 6
