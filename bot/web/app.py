"""The Flask app: the page (GET /, forms that work without JavaScript) and the JSON API, both calling the
same review actions as the CLI (bot.review)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, redirect, render_template, request, session
from markupsafe import Markup, escape

from bot import review
from bot.config import Config
from bot.store.base import POSTED, Delivery, Store
from bot.web import auth

_HASHTAG = re.compile(r"(?<![\w&/])#\w+")
_CSP = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


@dataclass(frozen=True)
class Account:
    name: str
    title: str
    paused: str | None
    items: list[review.QueueItem]
    sent: list[Delivery]


def create_app(config: Config, store: Store, *, secure_cookies: bool,
               clock: Callable[[], float] = lambda: datetime.now(UTC).timestamp()) -> Flask:
    token = config.env.web_token
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=auth.session_key(token), SESSION_COOKIE_NAME="bot_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12), MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.jinja_env.filters["rich"] = _rich
    app.jinja_env.filters["when"] = _when
    app.jinja_env.filters["direction"] = review.direction
    app.jinja_env.filters["host"] = lambda url: urlsplit(url or "").hostname or ""
    app.jinja_env.filters["web"] = lambda url: bool(url) and str(url).lower().startswith(("https://", "http://"))

    def logged_in() -> bool:
        return token is None or session.get("auth") is True

    def api_caller() -> bool:
        """Bearer token, or a browser session (which then also needs its CSRF header on writes)."""
        if auth.token_matches(token, auth.bearer(request)):
            return True
        return logged_in() and (token is not None or auth.loopback_host(request))

    def api_error(message: str, status: int) -> tuple[Response, int]:
        return jsonify(error=message), status

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" even for this page's
        # own forms, and Origin is checked on every write (bot.web.auth.same_origin).
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- page ---------------------------------------------------------------------------------

    @app.get("/login")
    def login_form() -> Any:
        if token is None:
            return redirect("/", 303)
        return render_template("login.html", csrf=auth.csrf_token(), error=session.pop("login_error", None))

    @app.post("/login")
    def login() -> Any:
        if token is None:
            return redirect("/", 303)
        if not auth.csrf_ok(request.form.get(auth.CSRF_FIELD)) or not auth.same_origin(request):
            return render_template("login.html", csrf=auth.csrf_token(), error="the form expired: try again"), 400
        if not auth.token_matches(token, request.form.get("token")):
            return render_template("login.html", csrf=auth.csrf_token(), error="that is not the token"), 401
        session.clear()  # a new session (and CSRF token) on login: nothing set before it carries over
        session.permanent = True
        session["auth"] = True
        auth.csrf_token()
        return redirect("/", 303)

    @app.post("/logout")
    def logout() -> Any:
        if auth.csrf_ok(request.form.get(auth.CSRF_FIELD)):
            session.clear()
        return redirect("/login" if token else "/", 303)

    @app.get("/")
    def index() -> Any:
        if token is None and not auth.loopback_host(request):
            return "this page is served for this machine only", 403
        if not logged_in():
            return redirect("/login", 303)
        now = clock()
        return render_template("index.html", accounts=_accounts(config, store, now), csrf=auth.csrf_token(),
                               feeds=[f for f in store.all_feed_states() if f.last_error or f.flood_held],
                               alerts=store.alerts(20), notes=session.pop("notes", []), now=now,
                               logout=token is not None)

    @app.post("/queue/<int:delivery_id>/<action>")
    def form_action(delivery_id: int, action: str) -> Any:
        if not logged_in() or (token is None and not auth.loopback_host(request)):
            return redirect("/login", 303)
        if not auth.csrf_ok(request.form.get(auth.CSRF_FIELD)) or not auth.same_origin(request):
            return "the form expired or came from another site: reload the page and try again", 400
        notes: list[str] = []
        try:
            notes += _act(config, store, delivery_id, action, request.form.get("text"),
                          _version(request.form.get("version")), clock())
        except review.ReviewError as exc:
            notes.append(f"not done: {exc.message}")
        session["notes"] = notes
        return redirect(f"/#post-{delivery_id}", 303)

    # --- JSON API -----------------------------------------------------------------------------

    @app.get("/api/queue")
    def api_queue() -> Any:
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        platform = request.args.get("platform")
        if platform and platform not in config.platforms:
            return api_error(f"platform {platform!r} is not enabled", 400)
        return jsonify([i.as_json() for i in review.queue(config, store, clock(), platform)])

    @app.post("/api/queue/<int:delivery_id>/<action>")
    def api_action(delivery_id: int, action: str) -> Any:
        by_token = auth.token_matches(token, auth.bearer(request))
        if not by_token:
            if not api_caller():
                return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
            json_body = request.mimetype == "application/json" and token is None
            if not (auth.csrf_ok(request.headers.get(auth.CSRF_HEADER)) or json_body) or not auth.same_origin(
                    request):
                return api_error(f"a browser session needs its {auth.CSRF_HEADER} header", 401)
        if action not in ("approve", "skip", "edit"):
            return api_error(f"unknown action {action!r}: approve, skip or edit", 404)
        body: Any = {}
        if action == "edit":
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("text"), str):
                return api_error('send a JSON body {"text": "..."}', 400)
            if "version" in body and not isinstance(body["version"], int):
                return api_error('"version" must be a whole number', 400)
        try:
            notes = _act(config, store, delivery_id, action, body.get("text"), body.get("version"), clock())
        except review.ReviewError as exc:
            return api_error(exc.message, exc.status)
        d = store.delivery(delivery_id)
        item = next((i for i in review.queue(config, store, clock(), d.platform) if i.delivery.id == delivery_id),
                    None) if d else None
        return jsonify(ok=True, message="; ".join(notes), post=item.as_json() if item else None)

    return app


def _act(config: Config, store: Store, delivery_id: int, action: str, text: str | None, version: int | None,
         now: float) -> list[str]:
    if action == "approve":
        return review.approve(store, [delivery_id], now)
    if action == "skip":
        return review.skip(store, [delivery_id], now)
    if action == "edit":
        d = review.edit(config, store, delivery_id, (text or "").replace("\r\n", "\n"), now, version)
        return [f"#{d.id} {d.platform}: text replaced (edit {d.edit_version})"]
    raise review.ReviewError(f"unknown action {action!r}: approve, skip or edit", 404)


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _accounts(config: Config, store: Store, now: float) -> list[Account]:
    items = review.queue(config, store, now)
    accounts = []
    for name in config.platforms:
        state = store.platform_state(name)
        accounts.append(Account(name, review.network_rules(config, name).name, state.paused_reason,
                                [i for i in items if i.delivery.platform == name],
                                store.deliveries(states=(POSTED,), platform=name, limit=5)))
    return accounts


def _rich(text: str) -> Markup:
    """The post's text, escaped, with its hashtags marked (line breaks are kept by CSS: pre-wrap)."""
    out, last = [], 0
    for match in _HASHTAG.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(Markup('<span class="tag">{}</span>').format(match.group()))
        last = match.end()
    out.append(escape(text[last:]))
    return Markup("").join(out)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"
