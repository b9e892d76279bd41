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
    """Run the page until stopped. The queue is never served to a request without a credential: with
    BOT_WEB_TOKEN, editors sign in with it (off loopback it must be long); without it the page serves only a
    loopback address and prints a random sign-in link, good for one sign-in, as notebook servers do."""
    import secrets
    import sys

    from waitress import serve as waitress_serve

    from bot.config import Secret
    from bot.store import open_store
    from bot.web import auth, proxy
    from bot.web.app import create_app

    host = host or DEFAULT_HOST
    port = port or config.env.web_port or DEFAULT_PORT
    loopback = is_loopback(host)
    token = config.env.web_token
    if token is None and not loopback:
        raise ConfigError(f"BOT_WEB_TOKEN is not set: refusing to serve the editors' page on {host}",
                          hint="set BOT_WEB_TOKEN to a long random value, or bind to 127.0.0.1")
    weak = auth.weak_token(token) if token is not None and not loopback else None
    if weak:
        raise ConfigError(f"{weak}: refusing to serve the editors' page on {host}",
                          hint='make one with python3 -c "import secrets; print(secrets.token_urlsafe(32))"')
    proxying = proxy.from_env(config.env.variables)
    sign_in = None if token is not None else Secret(secrets.token_urlsafe(32))
    store = open_store(config.env.database_url, secrets=config.secrets(), lock_timeout=config.env.db_lock_timeout)
    try:
        app = create_app(config, store, secure_cookies=not loopback, sign_in=sign_in, proxying=proxying)
        shown = host if ":" not in host else f"[{host}]"
        base = proxying.public_origin or f"http://{shown}:{port}"
        log.info("editors' page on http://%s:%d/", shown, port)
        if sign_in is not None:
            # On the terminal only, never through the log: the link is a credential until it is used once.
            sys.stderr.write(f"bot: no BOT_WEB_TOKEN: sign in once with {base}/login?token={sign_in}\n"
                             "     (the link works once; restart `bot web` for a new one)\n")
            sys.stderr.flush()
        waitress_serve(app, host=host, port=port, threads=4, ident="bot", _quiet=True)
    finally:
        store.close()
    return 0
