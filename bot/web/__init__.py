"""The editors' page and JSON API (`bot web`): the review queue as it will look, approve/skip/edit, status.

Served by waitress (pure Python, threaded, production-grade) from a Flask app (bot.web.app); pages are
Jinja2 templates with no front-end build. Access: BOT_WEB_TOKEN (bot.web.auth).
"""

from __future__ import annotations

import ipaddress
import logging

from bot.config import Config
from bot.errors import ConfigError

log = logging.getLogger(__name__)
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(config: Config, host: str | None, port: int | None) -> int:
    """Run the page until stopped. Without BOT_WEB_TOKEN it refuses any address but a loopback one: the
    page can approve and change public posts."""
    from waitress import serve as waitress_serve

    from bot.store import open_store
    from bot.web.app import create_app

    host = host or DEFAULT_HOST
    port = port or config.env.web_port or DEFAULT_PORT
    loopback = is_loopback(host)
    if config.env.web_token is None and not loopback:
        raise ConfigError(f"BOT_WEB_TOKEN is not set: refusing to serve the editors' page on {host}",
                          hint="set BOT_WEB_TOKEN to a long random value, or bind to 127.0.0.1")
    store = open_store(config.env.database_url, secrets=config.secrets(), lock_timeout=config.env.db_lock_timeout)
    try:
        app = create_app(config, store, secure_cookies=not loopback)
        log.info("editors' page on http://%s:%d/%s", host if ":" not in host else f"[{host}]", port,
                 "" if config.env.web_token else " (no BOT_WEB_TOKEN: open to anyone on this machine)")
        waitress_serve(app, host=host, port=port, threads=4, ident="bot", _quiet=True)
    finally:
        store.close()
    return 0
