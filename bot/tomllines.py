"""Where each key of a TOML file is written, so config errors can name the line.

tomllib returns values without positions. This scanner reads the text once and records
the line of every table header and `key =` it sees, under the same dotted path the
validator uses ("feeds[1].every", "platforms.twitter.windows"). It understands what
editors write (headers, arrays of tables, dotted and quoted keys, multi-line strings
and arrays); anything it cannot place falls back to the nearest enclosing key.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str] | None:
    """'a."b c".d' -> ['a', 'b c', 'd']; None when it is not a key."""
    parts: list[str] = []
    i = 0
    text = text.strip()
    while i < len(text):
        ch = text[i]
        if ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1:end])
            i = end + 1
        else:
            match = _BARE.match(text, i)
            if not match:
                return None
            parts.append(match.group(0))
            i = match.end()
        while i < len(text) and text[i] in " \t":
            i += 1
        if i < len(text):
            if text[i] != ".":
                return None
            i += 1
            while i < len(text) and text[i] in " \t":
                i += 1
    return parts or None


def _join(parts: list[str]) -> str:
    return ".".join(parts)


def _strip_strings(line: str) -> tuple[str, str | None]:
    """The line with string contents blanked out, and the multi-line string opener left open, if any."""
    out: list[str] = []
    i = 0
    while i < len(line):
        for quote in ('"""', "'''"):
            if line.startswith(quote, i):
                end = line.find(quote, i + 3)
                if end < 0:
                    return "".join(out), quote
                out.append('""')
                i = end + 3
                break
        else:
            ch = line[i]
            if ch == "#":
                break
            if ch in "\"'":
                j = i + 1
                while j < len(line) and line[j] != ch:
                    j += 2 if ch == '"' and line[j] == "\\" else 1
                out.append('""')
                i = j + 1
                continue
            out.append(ch)
            i += 1
    return "".join(out), None


def key_lines(text: str) -> dict[str, int]:
    """Dotted path -> 1-based line number, for every header and key in the text."""
    lines: dict[str, int] = {}
    table = ""  # the dotted path of the current table
    array_counts: dict[str, int] = {}
    open_string: str | None = None
    depth = 0  # open brackets of a multi-line array or inline table value
    for number, raw in enumerate(text.splitlines(), 1):
        if open_string:
            if open_string in raw:
                open_string = None
            continue
        line, open_string = _strip_strings(raw)
        if depth:
            depth = max(depth + line.count("[") + line.count("{") - line.count("]") - line.count("}"), 0)
            continue
        stripped = line.strip()
        if stripped.startswith("[[") and stripped.endswith("]]"):
            parts = _split_key(_quoted_header(raw, 2))
            if parts:
                parent = _resolve(parts[:-1], array_counts)
                name = f"{parent}.{parts[-1]}" if parent else parts[-1]
                index = array_counts.get(name, -1) + 1
                array_counts[name] = index
                # a new element starts: arrays nested in the previous one count afresh
                for key in [k for k in array_counts if k.startswith(name + "[")]:
                    del array_counts[key]
                table = f"{name}[{index}]"
                lines.setdefault(table, number)
            continue
        if stripped.startswith("["):
            parts = _split_key(_quoted_header(raw, 1))
            if parts:
                table = _resolve(parts, array_counts)
                lines.setdefault(table, number)
            continue
        if "=" in stripped:
            key_text, _, value = raw.partition("=")
            parts = _split_key(key_text)
            if parts:
                lines.setdefault(f"{table}.{_join(parts)}" if table else _join(parts), number)
            value_line, _ = _strip_strings(value)
            depth = max(value_line.count("[") + value_line.count("{") - value_line.count("]")
                        - value_line.count("}"), 0)
    return lines


def _quoted_header(raw: str, brackets: int) -> str:
    """The key text inside a header line, quotes kept (so dotted names inside quotes stay one part)."""
    body = raw.strip()
    if "#" in body:
        body = body[: _comment_start(body)].strip()
    return body[brackets:-brackets]


def _comment_start(line: str) -> int:
    quote: str | None = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return i
    return len(line)


def _resolve(parts: list[str], array_counts: dict[str, int]) -> str:
    """[feeds, templates] inside the current [[feeds]] element -> 'feeds[2].templates'."""
    out: list[str] = []
    for part in parts:
        prefix = _join([*out, part])
        if "[" not in part and prefix in array_counts:
            out.append(f"{part}[{array_counts[prefix]}]")
        else:
            out.append(part)
    return _join(out)


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, else of the nearest enclosing key or table that has one.

    A table only named through its sub-tables ([platform.twitter] for "platform") is found
    by its first sub-table."""
    inner = [n for key, n in lines.items() if key.startswith((path + ".", path + "["))]
    if path not in lines and inner:
        return min(inner)
    current = path
    while current:
        if current in lines:
            return lines[current]
        if current.endswith("]") and "[" in current.rsplit(".", 1)[-1]:
            trimmed = current[: current.rindex("[")]
            # "windows[1]" -> "windows"; but "feeds[1]" is itself a table header, tried above
            current = trimmed
            continue
        if "." not in current:
            return None
        current = current.rsplit(".", 1)[0]
    return None
