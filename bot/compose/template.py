"""Post templates with named fields: "{title}\\n\\n{summary}\\n\\n{hashtags}".

str.format syntax ("{{" for a literal brace), but only plain field names: no
attribute access, indexing, conversions or format specs, so a config file can never
reach into Python objects.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

__all__ = ["TEMPLATE_FIELDS", "TemplateError", "parse_template", "render", "validate_template"]

TEMPLATE_FIELDS: tuple[str, ...] = ("title", "summary", "link", "hashtags", "author", "site")

Token = tuple[str, str | None]  # (literal text before, field name or None)

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template that cannot be parsed (unbalanced braces). The message is one line."""


def parse_template(template: str) -> list[Token]:
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as exc:
        raise TemplateError(f"template {template!r} is not valid: {exc} (write {{{{ for a literal brace)") from None
    tokens: list[Token] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            tokens.append((literal, None))
            continue
        full = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
        tokens.append((literal, full))
    return tokens


def validate_template(template: str) -> list[str]:
    """Unknown field names in `template`, in order of appearance, without repeats.

    Raises TemplateError for a template that does not parse (e.g. a lone "{").
    """
    unknown: list[str] = []
    for _, name in parse_template(template):
        if name is not None and name not in TEMPLATE_FIELDS and name not in unknown:
            unknown.append(name)
    return unknown


_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_BLANK_RUNS = re.compile(r"\n{3,}")


def render(tokens: list[Token], values: Mapping[str, str]) -> str:
    """Fill the fields; tidy up what empty fields leave behind (blank lines, spaces)."""
    out = "".join(literal + (values.get(name, "") if name else "") for literal, name in tokens)
    out = _TRAILING_SPACE.sub("\n", out)
    out = _BLANK_RUNS.sub("\n\n", out)
    lines = [re.sub(r"(?<=\S) {2,}", " ", line).strip() for line in out.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
