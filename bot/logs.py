"""Logging to stdout, readable by default or JSON lines, with secrets redacted everywhere."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

_TOKEN_PARAM = re.compile(r"(access_token|oauth_signature|oauth_token|input_token)=[^&\s\"']+")


class Redactor:
    """Replaces known secret values (and token-looking URL parameters) with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TOKEN_PARAM.sub(r"\1=***", text)


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
        return self.redact(json.dumps(entry, ensure_ascii=False))


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
    # Third-party debug logs print request bodies and headers (tweepy logs them at DEBUG).
    for noisy in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "apscheduler.executors", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redact
