"""Logging to stdout, readable by default or JSON lines, with secrets redacted everywhere."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime

_TOKEN_PARAM = re.compile(r"(access_token|oauth_signature|oauth_token|input_token)=[^&\s\"']+")


class Redactor:
    """Replaces known secret values (and token-looking URL parameters) with ***."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TOKEN_PARAM.sub(r"\1=***", text)


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
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(entry, ensure_ascii=False))


def setup_logging(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = ()) -> Redactor:
    redact = Redactor(secrets)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_RedactingFormatter(redact, fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Third-party debug logs print request bodies and headers (tweepy logs them at DEBUG).
    for noisy in ("tweepy", "urllib3", "requests_oauthlib", "oauthlib", "apscheduler.executors", "trafilatura"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return redact
