"""Pure text work: clean text, summarise, hashtags, per-platform length rules -> Draft."""

from __future__ import annotations

from bot.compose.clean import clean_html, clean_text

__all__ = ["clean_html", "clean_text"]
