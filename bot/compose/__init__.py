"""Pure text work: clean text, summarise, hashtags, per-platform length rules -> Draft.

No I/O and no heavy imports here (YAKE is imported on first keyword extraction), so
the CLI can import this package to preview and count without a startup cost.
"""

from __future__ import annotations

from bot.compose.clean import clean_html, clean_text
from bot.compose.core import compose
from bot.compose.rules import NetworkRules, known_platforms, register, rules_for
from bot.compose.spec import ComposeSpec, FrozenMap, HashtagMode
from bot.compose.template import TEMPLATE_FIELDS, TemplateError, validate_template

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
