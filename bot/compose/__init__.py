"""Pure text work: clean text, summarise, hashtags, per-platform length rules -> Draft.

No I/O and no heavy imports here (YAKE is imported on first keyword extraction), so
the CLI can import this package to preview and count without a startup cost. The names below are
loaded on first use: the network registry imports bot.compose.rules whenever a config is read, and
that must not cost the import of the whole composer (xtext's tables, the summariser).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.compose.clean import clean_html, clean_text
    from bot.compose.core import compose
    from bot.compose.rules import NetworkRules, known_platforms, register, rules_for
    from bot.compose.spec import ComposeSpec, FrozenMap, HashtagMode
    from bot.compose.template import TEMPLATE_FIELDS, TemplateError, validate_template

_WHERE = {
    "clean_html": "clean", "clean_text": "clean", "compose": "core", "NetworkRules": "rules",
    "known_platforms": "rules", "register": "rules", "rules_for": "rules", "ComposeSpec": "spec",
    "FrozenMap": "spec", "HashtagMode": "spec", "TEMPLATE_FIELDS": "template", "TemplateError": "template",
    "validate_template": "template",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'bot.compose' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"bot.compose.{_WHERE[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "TEMPLATE_FIELDS",
    "ComposeSpec",
    "FrozenMap",
    "HashtagMode",
    "NetworkRules",
    "TemplateError",
    "clean_html",
    "clean_text",
    "compose",
    "known_platforms",
    "register",
    "rules_for",
    "validate_template",
]
