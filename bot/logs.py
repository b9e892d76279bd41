"""Logging to stdout, readable by default or JSON lines, with secrets redacted everywhere."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.redact import Redactor

__all__ = ["Redactor", "escape_controls", "learn_secrets", "redact_streams", "setup_logging"]

# Control characters that could start a fake log line or drive the terminal: C0 (but tab), DEL, C1, and the
# Unicode line and paragraph separators some log viewers break lines at.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def escape_controls(text: str) -> str:
    """One log line stays one line: a newline or an ANSI escape from a feed (a guid, a title) is written as
    its escape (\\n, \\x1b), so feed content can neither forge a line nor recolour the terminal."""
    return _CONTROL.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match[0]
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


class RedactingStream:
    """Wraps stdout/stderr so that whatever is printed (reports, warnings, a traceback) is redacted too:
    the formatter covers log lines, this covers everything else that reaches the terminal or the host's log."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self.stream = stream
        self.redact = redact

    def write(self, text: str) -> int:
        self.stream.write(self.redact(text))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def redact_streams(redact: Redactor) -> None:
    """Install (or re-arm) the redacting wrappers on sys.stdout and sys.stderr."""
    for name in ("stdout", "stderr"):
        current = getattr(sys, name)
        if isinstance(current, RedactingStream):
            current.redact = redact
        else:
            setattr(sys, name, RedactingStream(current, redact))


class _RedactingFormatter(logging.Formatter):
    def __init__(self, redact: Redactor, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
        self.redact = redact
        self.as_json = as_json

    def formatMessage(self, record: logging.LogRecord) -> str:
        # Only the message is escaped: a traceback below it keeps its lines.
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        # A traceback keeps its lines, but not a carriage return or a terminal escape quoted in it.
        return "\n".join(escape_controls(line) for line in super().formatException(ei).split("\n"))

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            return self.redact(super().format(record))
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            # Redacted before encoding too: JSON escaping could hide a secret holding a quote or backslash.
            "message": self.redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        # json escapes C0 controls; C1 controls and the line separators it leaves as they are.
        return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", self.redact(json.dumps(entry, ensure_ascii=False)))


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = (),
                  to_stderr: bool = False) -> Redactor:
    """`to_stderr`: for commands whose standard output is a document (`--json`), which a log line
    would break."""
    redact = Redactor(secrets)
    redact_streams(redact)
    handler = logging.StreamHandler(sys.stderr if to_stderr else sys.stdout)
    handler.setFormatter(_RedactingFormatter(redact, fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party debug logs print request bodies and headers (tweepy logs them at DEBUG); httpx (the atproto
    # SDK's client) logs every request at INFO, and its session tokens are no secret the redactor knows.
    # The scheduler library says "Adding job tentatively", "Added job", "Scheduler started" at INFO: its
    # workings, not the bot's; its warnings (a missed run) still show.
    for noisy in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "apscheduler", "trafilatura",
                  "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redact


def learn_secrets(secrets: Iterable[str]) -> None:
    """Teach the installed redaction more secrets (a reloaded config's feed URLs)."""
    current = sys.stdout
    if isinstance(current, RedactingStream):
        current.redact.learn(secrets)
