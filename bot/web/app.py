"""The Flask app: the page (GET /, forms that work without JavaScript) and the JSON API, both calling the
same review actions as the CLI (bot.review)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, jsonify, redirect, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup, escape
from werkzeug.routing import BaseConverter, ValidationError

from bot import review, tokens
from bot.config import Config, Secret
from bot.store.base import POSTED, Delivery, Store
from bot.web import actions, audit, auth, desk, editors, oneoff, preview
from bot.web import alerts as page_alerts
from bot.web.proxy import ForwardedHeaders, Proxying
from bot.web.sessions import Sessions
from bot.web.throttle import Throttle

CARDS = 40  # posts drawn in full per account unless ?all=1
TIMELINE = 100  # timeline lines unless ?all=1
_HASHTAG = re.compile(r"(?<![\w&/])#\w+")
_CSP = ("default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'")


class _PostId(BaseConverter):
    """A post id as the databases store it (a signed 64-bit integer): a larger number is no post (404), not an
    overflow in the driver (an HTTP 500)."""

    regex = r"\d{1,20}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number >= 2**63:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


@dataclass(frozen=True)
class Account:
    name: str
    title: str
    paused: str | None
    items: list[review.QueueItem]
    total: int  # posts of the account under the filters (items may show only the first of them)
    sent: list[Delivery]
    token: str | None = None  # how long its token has left, on a network whose tokens expire (bot.tokens)


class _SessionCookies(SecureCookieSessionInterface):
    """Secure when configured so (off loopback, an https public URL), and whenever the request came over HTTPS
    (through a trusted proxy: bot.web.proxy), so that a cookie set over TLS is never sent back in clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def create_app(config: Config, store: Store, *, secure_cookies: bool,
               clock: Callable[[], float] = lambda: datetime.now(UTC).timestamp(),
               sign_in: Secret | None = None, proxying: Proxying | None = None,
               throttle: Throttle | None = None) -> Flask:
    """`sign_in`: a one-time sign-in token (bot web without BOT_WEB_TOKEN prints it as a link). Without it and
    without BOT_WEB_TOKEN nobody can sign in: the queue is never served to a request without a credential."""
    token = config.env.web_token
    proxying = proxying or Proxying()
    throttle = throttle or Throttle()
    one_time: list[Secret] = [sign_in] if sign_in else []  # emptied when used
    lifetime = timedelta(hours=12)
    sessions = Sessions(store, lifetime.total_seconds(), clock)
    app = Flask(__name__)
    app.wsgi_app = ForwardedHeaders(app.wsgi_app, proxying)  # type: ignore[method-assign]
    app.session_interface = _SessionCookies()
    app.url_map.converters["post"] = _PostId
    app.config.update(
        SECRET_KEY=auth.session_key(token), SESSION_COOKIE_NAME="bot_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=secure_cookies or proxying.public_https,
        PERMANENT_SESSION_LIFETIME=lifetime, MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.jinja_env.filters["rich"] = _rich
    tz = config.timezone  # every time a person reads is in [bot] timezone, with its zone (bot.report.clock)
    app.jinja_env.filters["when"] = lambda ts: _when(ts, tz)
    app.jinja_env.filters["preview"] = lambda item: preview.build(config, item.delivery,
                                                                  desk.network_of(config, item.delivery.platform))
    app.jinja_env.filters["hour"] = lambda ts: datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%H:%M")
    app.jinja_env.filters["isotime"] = lambda ts: review.iso(ts, tz)
    app.jinja_env.filters["direction"] = review.direction
    app.jinja_env.filters["host"] = lambda url: urlsplit(url or "").hostname or ""
    app.jinja_env.filters["web"] = lambda url: bool(url) and str(url).lower().startswith(("https://", "http://"))

    def logged_in() -> bool:
        """A live session, of an editor who is not revoked (revoking one signs only them out, at once)."""
        if not sessions.valid(session.get("sid")):
            return False
        name = session.get("editor")
        return not isinstance(name, str) or editors.active(store, name)

    def same_origin() -> bool:
        return auth.same_origin(request, proxying.public_origin)

    def who() -> str:
        """The editor acting, for the audit trail: a named editor, or "shared token" (BOT_WEB_TOKEN or the
        one-time sign-in link)."""
        name = g.get("editor") if auth.bearer(request) is not None else session.get("editor")
        return name if isinstance(name, str) else editors.SHARED

    def via() -> str:
        return "api" if request.path.startswith("/api/") else "page"

    def form_shown() -> bool:
        return token is not None or bool(store.editors())

    def client() -> str:
        return request.remote_addr or "?"

    def throttled() -> float:
        return throttle.wait(client())

    def credential_ok(given: str | None) -> bool:
        """The configured token, or the one-time sign-in token (spent by this call when it matches)."""
        if auth.token_matches(token, given):
            return True
        for once in one_time:
            if auth.token_matches(once, given):
                one_time.remove(once)
                return True
        return False

    def start_session(editor: str | None = None) -> None:
        session.clear()  # a new session (and CSRF token) on login: nothing set before it carries over
        session.permanent = True
        session["sid"] = sessions.start()
        if editor is not None:
            session["editor"] = editor
        auth.csrf_token()

    def api_caller() -> bool:
        """Bearer token, or a browser session (which then also needs its CSRF header on writes)."""
        given = auth.bearer(request)
        if given is not None:
            if throttled() > 0:
                return False
            if auth.token_matches(token, given):
                return True
            named = editors.verify(store, given)
            if named is not None:
                g.editor = named.name
                return True
            throttle.failed(client())
            return False
        return logged_in()

    def api_error(message: str, status: int) -> tuple[Response, int]:
        return jsonify(error=message), status

    def too_many(wait: float) -> tuple[str, int, dict[str, str]]:
        seconds = max(1, int(wait + 0.999))
        return (f"too many failed sign-ins: try again in {seconds} s", 429, {"Retry-After": str(seconds)})

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" even for this page's
        # own forms, and Origin is checked on every write (bot.web.auth.same_origin).
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(404)
    def not_found(_error: Exception) -> Any:
        if request.path.startswith("/api/"):  # scripts read JSON, never an HTML error page
            return api_error(f"not found: {request.path} (see GET /api/queue)", 404)
        return "not found", 404

    # --- page ---------------------------------------------------------------------------------

    @app.get("/login")
    def login_form() -> Any:
        given = request.args.get("token")
        if given is not None:  # the sign-in link `bot web` printed
            wait = throttled()
            if wait > 0:
                return too_many(wait)
            if credential_ok(given):
                throttle.succeeded(client())
                start_session()
                return redirect("/", 303)  # and out of the address bar and history
            throttle.failed(client())
            return render_template("login.html", csrf=auth.csrf_token(), form=form_shown(),
                                   error="that sign-in link is not valid (a link works once: restart "
                                         "`bot web` for a new one, or set BOT_WEB_TOKEN)"), 401
        return render_template("login.html", csrf=auth.csrf_token(), form=form_shown(),
                               error=session.pop("login_error", None))

    @app.post("/login")
    def login() -> Any:
        if not auth.csrf_ok(request.form.get(auth.CSRF_FIELD)) or not same_origin():
            return render_template("login.html", csrf=auth.csrf_token(), form=form_shown(),
                                   error="the form expired: try again"), 400
        wait = throttled()
        if wait > 0:
            return too_many(wait)
        given = request.form.get("token")
        named = None if auth.token_matches(token, given) else editors.verify(store, given)
        if named is None and not auth.token_matches(token, given):
            throttle.failed(client())
            return render_template("login.html", csrf=auth.csrf_token(), form=form_shown(),
                                   error="that is not a valid token"), 401
        throttle.succeeded(client())
        start_session(named.name if named else None)
        return redirect("/", 303)

    @app.post("/logout")
    def logout() -> Any:
        if auth.csrf_ok(request.form.get(auth.CSRF_FIELD)):
            sessions.end(session.get("sid"))  # on the server: a copy of the cookie opens nothing now
            session.clear()
        return redirect("/login", 303)

    def page(status: int = 200, failed: dict[str, Any] | None = None) -> Any:
        """The queue page. `failed`: an edit that was refused, shown beside its post with the typed text."""
        now = clock()
        notes = session.pop("notes", None)
        if not isinstance(notes, dict):
            notes = {"post": None, "lines": notes or []}
        filters = desk.Filters.from_args(config, request.args)
        every = review.queue(config, store, now)
        shown = [i for i in every if filters.keep(config, i)]
        # Cards are the page's weight (a preview, forms, an edit box each): an account shows its first CARDS
        # unless asked for all; the counts and the timeline above still cover every post.
        everything = request.args.get("all") == "1"
        accounts = _accounts(config, store, shown, filters, None if everything else CARDS, now)
        if notes["post"] not in {i.delivery.id for i in shown}:
            notes["post"] = None  # a skipped or sent post has left the queue: its notes go on top
        days: list[tuple[str, list[desk.Slot]]] = []
        slots = desk.timeline(shown, tz)
        for slot in slots if everything else slots[:TIMELINE]:
            if not days or days[-1][0] != slot.day:
                days.append((slot.day, []))
            days[-1][1].append(slot)
        counts = desk.counts(config, every)
        states = [s for s in desk.STATES if s in ("review", "queued") or any(c[s] for c in counts.values())]
        return render_template("index.html", accounts=accounts, csrf=auth.csrf_token(),
                               feeds=[f for f in store.all_feed_states() if f.last_error or f.flood_held],
                               alerts=page_alerts.current(config, store, now), notes=notes,
                               failed=failed or {}, now=now,
                               logout=True, counts=counts, states=states, days=days, filters=filters,
                               networks=desk.networks(config), all_states=desk.STATES, tz=tz,
                               paused={a.name for a in accounts if a.paused}, editor=who(),
                               more=0 if everything else max(0, len(slots) - TIMELINE),
                               all_url="/?" + urlencode({**request.args.to_dict(), "all": "1"}),
                               audit=store.audit(20)), status

    @app.get("/")
    def index() -> Any:
        if not logged_in():
            return redirect("/login", 303)
        return page()

    def form_ok() -> bool:
        return auth.csrf_ok(request.form.get(auth.CSRF_FIELD)) and same_origin()

    expired_form = "the form expired or came from another site: reload the page and try again"

    @app.post("/queue/<post:delivery_id>/<action>")
    def form_action(delivery_id: int, action: str) -> Any:
        if not logged_in():
            return redirect("/login", 303)
        if not form_ok():
            return expired_form, 400
        text = request.form.get("text")
        try:
            lines = actions.act(config, store, [delivery_id], action, text, _version(request.form.get("version")),
                                clock(), who(), via())
        except review.ReviewError as exc:
            if action == "edit":  # beside the post, the typed text kept, not a jump to the top
                return page(exc.status, {"post": delivery_id, "text": text or "", "error": exc.message})
            lines = [f"not done: {exc.message}"]
        session["notes"] = {"post": delivery_id, "lines": lines}
        return redirect(f"/#post-{delivery_id}", 303)

    @app.post("/queue/<action>")
    def form_bulk(action: str) -> Any:
        if not logged_in():
            return redirect("/login", 303)
        if not form_ok():
            return expired_form, 400
        try:
            lines = actions.act(config, store, actions.parse_ids(request.form.getlist("ids")), action, None, None,
                                clock(), who(), via())
        except review.ReviewError as exc:
            lines = [f"not done: {exc.message}"]
        session["notes"] = {"post": None, "lines": lines}
        return redirect("/#notes", 303)

    @app.post("/alerts/<alert_id>/ack")
    def form_ack(alert_id: str) -> Any:
        if not logged_in():
            return redirect("/login", 303)
        if not form_ok():
            return expired_form, 400
        done = page_alerts.acknowledge(config, store, alert_id, who(), clock())
        session["notes"] = {"post": None, "lines": [f"acknowledged: {done.text}" if done else
                                                    "that alert changed or is over: see the list as it is now"]}
        return redirect("/#alerts", 303)

    @app.get("/post")
    def post_form() -> Any:
        if not logged_in():
            return redirect("/login", 303)
        return render_template("post.html", csrf=auth.csrf_token(), accounts=list(config.platforms), chosen=[])

    @app.post("/post")
    def post_page() -> Any:
        if not logged_in():
            return redirect("/login", 303)
        if not form_ok():
            return expired_form, 400
        url = (request.form.get("url") or "").strip() or None
        text = (request.form.get("text") or "").replace("\r\n", "\n") or None
        wanted = request.form.getlist("platform")
        queue_it = request.form.get("do") == "queue"
        shown = {"csrf": auth.csrf_token(), "accounts": list(config.platforms), "chosen": wanted, "url": url,
                 "text": text}
        try:
            done = oneoff.make(config, store, url, text, wanted, clock(), queue_it, who(), via())
        except oneoff.OneOffError as exc:
            return render_template("post.html", error=exc.message, **shown), exc.status
        if queue_it:
            session["notes"] = {"post": None, "lines": done.lines}
            return redirect("/#notes", 303)
        previews = [(d.platform, review.network_rules(config, d.platform).name,
                     preview.build(config, d, desk.network_of(config, d.platform)),
                     d, "already posted or queued earlier: queuing it again does nothing" if d.platform in done.done
                     else "") for d in done.rows]
        return render_template("post.html", previews=previews, **shown)

    # --- JSON API -----------------------------------------------------------------------------

    @app.get("/api/audit")
    def api_audit() -> Any:
        """Who did what: newest first; ?post=ID for one post's."""
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        post = request.args.get("post", "")
        if post and not (post.isascii() and post.isdigit() and int(post) < 2**63):
            return api_error(f"post={post[:30]!r} is not a post id", 400)
        entries = store.audit(200, int(post) if post else None)
        return jsonify([audit.as_json(e, tz) for e in entries])

    @app.get("/api/alerts")
    def api_alerts() -> Any:
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        return jsonify([{"id": a.id, "key": a.key, "text": a.text, "since": review.iso(a.since, tz),
                         "acknowledged_by": a.acknowledged_by} for a in page_alerts.current(config, store, clock())])

    @app.post("/api/alerts/<alert_id>/ack")
    def api_ack(alert_id: str) -> Any:
        if refused := api_refused():
            return refused
        done = page_alerts.acknowledge(config, store, alert_id, who(), clock(), via="api")
        if done is None:
            return api_error(f"no alert {alert_id[:40]!r} holds now (it changed or is over: GET /api/alerts)", 404)
        return jsonify(ok=True, id=done.id, text=done.text)

    def api_refused() -> tuple[Response, int] | None:
        """Why this API call may not change anything, or None: a bearer token, or a session with its CSRF
        header from this site."""
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        if auth.bearer(request) is None and (
                not auth.csrf_ok(request.headers.get(auth.CSRF_HEADER)) or not same_origin()):
            return api_error(f"a browser session needs its {auth.CSRF_HEADER} header", 401)
        return None

    def json_body() -> dict[str, Any]:
        body = request.get_json(silent=True)
        if body is None and not request.get_data():
            return {}
        if not isinstance(body, dict):
            raise review.ReviewError("send a JSON object", 400)
        return body

    @app.get("/api/queue")
    def api_queue() -> Any:
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        platform = request.args.get("platform")
        if platform and platform not in config.platforms:
            return api_error(f"platform {platform!r} is not enabled", 400)
        return jsonify([i.as_json(tz) for i in review.queue(config, store, clock(), platform)])

    @app.get("/api/overview")
    def api_overview() -> Any:
        """The page's glance: counts per account and state, and the timeline with why each post waits."""
        if not api_caller():
            return api_error("authentication required: send Authorization: Bearer <BOT_WEB_TOKEN>", 401)
        filters = desk.Filters.from_args(config, request.args)
        items = [i for i in review.queue(config, store, clock()) if filters.keep(config, i)]
        return jsonify(desk.as_json(config, items, tz))

    @app.post("/api/queue/<post:delivery_id>/<action>")
    def api_action(delivery_id: int, action: str) -> Any:
        if refused := api_refused():
            return refused
        if action not in actions.ACTIONS:
            return api_error(f"unknown action {action!r}: {', '.join(actions.ACTIONS)}", 404)
        try:
            body = json_body()
            if action == "edit" and not isinstance(body.get("text"), str):
                return api_error('send a JSON body {"text": "..."}', 400)
            if "version" in body and (not isinstance(body["version"], int) or isinstance(body["version"], bool)):
                return api_error('"version" must be a whole number', 400)
            lines = actions.act(config, store, [delivery_id], action, body.get("text"), body.get("version"),
                                clock(), who(), via())
        except review.ReviewError as exc:
            return api_error(exc.message, exc.status)
        d = store.delivery(delivery_id)
        item = next((i for i in review.queue(config, store, clock(), d.platform) if i.delivery.id == delivery_id),
                    None) if d else None
        return jsonify(ok=True, message="; ".join(lines), post=item.as_json(tz) if item else None)

    @app.post("/api/queue/<action>")
    def api_bulk(action: str) -> Any:
        """Several posts at once ({"ids": [1, 2]}): every id is checked before any is changed."""
        if refused := api_refused():
            return refused
        if action not in actions.ACTIONS or action == "edit":
            return api_error(f"unknown bulk action {action!r}: approve, skip, unapprove or retry", 404)
        try:
            ids = json_body().get("ids")
            if not isinstance(ids, list):
                return api_error('send a JSON body {"ids": [1, 2, ...]}', 400)
            lines = actions.act(config, store, actions.parse_ids(ids), action, None, None, clock(), who(), via())
        except review.ReviewError as exc:
            return api_error(exc.message, exc.status)
        return jsonify(ok=True, message="; ".join(lines), lines=lines)

    @app.post("/api/post")
    def api_post() -> Any:
        """A one-off post: {"url": ...} or {"text": ...}, optionally "platforms": [...]; "queue": true queues
        it, else the drafts are only shown."""
        if refused := api_refused():
            return refused
        try:
            body = json_body()
            url, text, wanted = body.get("url"), body.get("text"), body.get("platforms", [])
            if not isinstance(url, str | None) or not isinstance(text, str | None) or not isinstance(wanted, list) \
                    or not all(isinstance(w, str) for w in wanted):
                return api_error('send {"url": "..."} or {"text": "..."}, optionally "platforms": ["..."]', 400)
            done = oneoff.make(config, store, url, text, wanted, clock(), body.get("queue") is True, who(), via())
        except (review.ReviewError, oneoff.OneOffError) as exc:
            return api_error(exc.message, exc.status)
        return jsonify(queued=done.queued, message="; ".join(done.lines),
                       drafts=[{"platform": d.platform, "text": d.text, "link": d.link, "image": d.image_url,
                                "image_alt": d.image_alt, "already": d.platform in done.done} for d in done.rows])

    @app.post("/api/count")
    def api_count() -> Any:
        """Texts counted as an account's network counts them (the page's live counter asks this)."""
        if refused := api_refused():
            return refused
        try:
            body = json_body()
        except review.ReviewError as exc:
            return api_error(exc.message, exc.status)
        platform, texts = body.get("platform"), body.get("texts")
        if not isinstance(platform, str) or platform not in config.platforms:
            return api_error(f"platform {str(platform)[:40]!r} is not enabled", 400)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts) or len(texts) > 1000:
            return api_error('send {"platform": "...", "texts": ["...", ...]} (at most 1000 texts)', 400)
        return jsonify(counts=actions.counts(config, platform, texts))

    return app


def _version(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() else None


def _accounts(config: Config, store: Store, items: list[review.QueueItem], filters: desk.Filters,
              cards: int | None, now: float) -> list[Account]:
    accounts = []
    for name in config.platforms:
        if (filters.account and name != filters.account) or \
                (filters.network and desk.network_of(config, name) != filters.network):
            continue
        state = store.platform_state(name)
        mine = [i for i in items if i.delivery.platform == name]
        accounts.append(Account(name, review.network_rules(config, name).name, state.paused_reason,
                                mine if cards is None else mine[:cards], len(mine),
                                store.deliveries(states=(POSTED,), platform=name, limit=5),
                                tokens.account_line(store, name, config.platforms[name].network, now)))
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


def _when(ts: float | None, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z") if ts else "-"
