"""The only reader of the config file and of os.environ.

Validates everything up front into frozen objects, so a mistake is one clear line
(file, line, key, fix) and exit code 2 before anything runs.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.feeds.filters import FeedFilter, compile_pattern
from bot.net.policy import Allowlist
from bot.redact import display_url, userinfo_secrets
from bot.retries import Tuning, env_number
from bot.schedule import QuietDates, ScheduleSyntaxError, Window, parse_quiet_dates, parse_window
from bot.tomllines import key_lines, line_of

DEFAULT_CONFIG = Path("config/bot.toml")
DEFAULT_DATABASE_URL = "sqlite:///bot.db"
DEFAULT_SHUTDOWN_GRACE = 20.0
MAX_SHUTDOWN_GRACE = 3600.0
MAX_DB_LOCK_TIMEOUT = 3600.0
DEFAULT_FETCH_DEADLINE = 30.0
DEFAULT_REVIEW_EXPIRES = timedelta(days=3)
DEFAULT_BURST = 5  # a normal poll's few posts go at once; a backfill of 50 does not
DEFAULT_BURST_GAP = timedelta(minutes=2)
_FETCH_DEADLINE_RANGE = (timedelta(seconds=1), timedelta(minutes=5))
# Third-party articles, bundled so the bot runs offline out of the box; never posted for real (bot.sandbox).
SAMPLE_FEED = Path(__file__).parent / "data" / "sample-feed.xml"

# An account's name is the prefix of its environment variables (X_FA -> X_FA_API_KEY).
_ACCOUNT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


@dataclass(frozen=True)
class FeedConfig:
    # The URL as configured, user info included: only the fetch uses it. Names, messages and the store use
    # `shown_url` (bot.redact.display_url).
    url: str
    name: str
    every: timedelta | None = timedelta(minutes=15)
    cron: str | None = None
    platforms: tuple[str, ...] = ()
    backfill: int = 0
    max_age_days: float = 2.0
    # More new articles than this in one poll is a flood (a CMS re-issuing every guid, a re-import):
    # none is queued, the feed pauses until an editor releases it (bot.poll, `bot retry --feed`).
    flood_limit: int = 20
    # Which entries to post (categories, keywords, patterns, max age); the default passes all but old ones.
    filter: FeedFilter = field(default_factory=FeedFilter)
    # platform -> template used for this feed's posts instead of the platform's template
    templates: tuple[tuple[str, str], ...] = ()
    # Hold this feed's posts for an editor (bot.review); None: as its platform says. Wins over the platform.
    review: bool | None = None
    review_expires: timedelta | None = None

    @property
    def shown_url(self) -> str:
        """The URL without its credentials: how it is shown, logged and stored (the feed state's key)."""
        return display_url(self.url)


@dataclass(frozen=True)
class PlatformConfig:
    """One enabled account (a `[platforms.NAME]` table): which network, its credentials and endpoint, how
    its posts are written and when they may go out. Its outbox rows, caps and state are keyed by `name`."""

    name: str
    network: str = ""  # a registered network (bot.networks); "" = the network called `name`
    template: str | None = None
    max_hashtags: int | None = None
    hashtag_mode: str = "append"
    hashtag_map: tuple[tuple[str, str], ...] = ()
    always_tags: tuple[str, ...] = ()
    never_tags: tuple[str, ...] = ()
    thread: bool = False
    thread_max: int = 4
    image: bool = True
    photo_posts: bool = False
    # When posts may go out (bot.schedule): caps count calendar days/months in `timezone`.
    daily_cap: int | None = None
    monthly_cap: int | None = None
    min_gap: timedelta = timedelta(0)
    # Pacing of a backlog (bot.schedule.burst_release): `burst` posts may go at once, then one per `burst_gap`,
    # so a backfill or a queue that piled up is not a flood. A zero gap turns it off.
    burst: int = DEFAULT_BURST
    burst_gap: timedelta = DEFAULT_BURST_GAP
    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()  # empty: any time
    quiet_dates: QuietDates = field(default_factory=QuietDates)
    # From <NAME>_<SUFFIX> variables: suffix -> value (Secret when secret); None when one is not set, and
    # `missing` names the variables (the account then runs in dry-run).
    credentials: tuple[tuple[str, str], ...] | None = None
    missing: tuple[str, ...] = ()
    endpoint: str = ""  # the API base URL, no trailing slash; "" = the network's default
    options: tuple[tuple[str, Any], ...] = ()  # the network's own keys (Network.options), defaults filled in

    # Hold posts for an editor's approval (bot.review); held longer than review_expires, a post is expired.
    review: bool = False
    review_expires: timedelta = DEFAULT_REVIEW_EXPIRES

    def __post_init__(self) -> None:
        if not self.network:
            object.__setattr__(self, "network", self.name)
        if not self.endpoint:
            from bot import networks

            object.__setattr__(self, "endpoint", (networks.get(self.network).default_endpoint or "").rstrip("/"))


class Secret(str):
    """A string that never shows itself in a repr (and so not in logs or tracebacks of dataclasses)."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class Environment:
    """What the bot takes from the environment: secrets, state and endpoints."""

    database_url: str = DEFAULT_DATABASE_URL
    # The environment as read: accounts take their credentials and endpoints from it once the config
    # names them (account_settings). Never shown: it holds the secrets.
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    # Seconds the worker gives in-flight work after SIGTERM (Heroku-style hosts kill at 30).
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    # Leases, backoff and probes of delivery (bot.retries); the defaults are production's.
    tuning: Tuning = field(default_factory=Tuning)
    # Longest wait for a database lock held by another process; None: the backend's default (bot.store).
    db_lock_timeout: float | None = None
    # The editors' page (bot.web): its access token; where alerts go (bot.alerts). Both are secrets.
    web_token: Secret | None = None
    alert_webhook: Secret | None = None
    web_port: int | None = None  # $PORT, as hosts set it for the web process
    # BOT_SECRET_KEY, a Fernet key: seals tokens the bot renews itself in the database (bot.tokens).
    secret_key: Secret | None = None

    def secrets(self) -> list[str]:
        """Every secret value, for redaction of logs and errors: the database's, and the credentials of each
        network's default account (`[platforms.twitter]` reads TWITTER_*), configured or not."""
        from bot import networks

        values = [v for n in networks.networks() for v in account_secrets(self, n.name, n.name)]
        values += userinfo_secrets(self.database_url, lone_user=False)  # Heroku's carries the database password
        values += [v for v in (self.web_token, self.alert_webhook, self.secret_key) if v]
        return [v for v in values if len(v) >= 4]


@dataclass(frozen=True)
class Config:
    path: Path | None
    feeds: tuple[FeedConfig, ...]
    platforms: Mapping[str, PlatformConfig]
    timezone: str = "UTC"
    env: Environment = field(default_factory=Environment)
    # How long an article's identities are remembered after it was last seen in a feed: an old
    # article that slides back into a feed within this time is recognised and not posted again.
    retention: timedelta = timedelta(days=365)
    # Set by load_config when no config file was found (why, for the user): the built-in defaults are
    # in force, and they are for trying the bot out, so nothing reaches a real account (bot.sandbox).
    missing_file: str | None = None

    # Intranet hosts and networks a feed's pages, images and redirects may reach (bot.net.policy).
    allow_private: Allowlist = field(default_factory=Allowlist)
    # Seconds one fetch (a feed, an article page) may take in all, however slowly the bytes arrive.
    fetch_deadline: float = DEFAULT_FETCH_DEADLINE

    # Categories that say nothing about an article on this site ("Inside", "Weekend"), added to the
    # built-in multilingual list (bot.compose.stopwords): never made into hashtags.
    generic_tags: tuple[str, ...] = ()
    # Every [platforms.NAME] table, enabled or not: the accounts whose past posts and secrets the bot knows.
    declared_accounts: tuple[tuple[str, str], ...] = ()  # (account, network)

    def secrets(self) -> list[str]:
        """The environment's secrets, every account's secret credentials and the credentials inside feed URLs:
        what the redaction hides."""
        accounts = [v for name, network in self._accounts() for v in account_secrets(self.env, name, network)]
        return self.env.secrets() + accounts + [s for feed in self.feeds for s in userinfo_secrets(feed.url)]

    def _accounts(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys([*((p.name, p.network) for p in self.platforms.values()), *self.declared_accounts]))

    def known_accounts(self) -> tuple[str, ...]:
        """Names `--platform` of history and retry accepts: the networks' default accounts and every
        declared account (a disabled one still has its past posts)."""
        from bot import networks

        return tuple(dict.fromkeys((*networks.names(), *(name for name, _ in self._accounts()))))


# --- schema: allowed keys per table, with the type each one takes -----------------------------
# A list type is written as (list, str): a list whose items must all be text.

_Type = type | tuple[type, ...]

_FEED_KEYS: dict[str, _Type] = {
    "url": str,
    "name": str,
    "every": str,
    "cron": str,
    "platforms": (list, str),
    "backfill": int,
    "max_age_days": (int, float),
    "flood_limit": int,
    "include_categories": (list, str),
    "exclude_categories": (list, str),
    "include_keywords": (list, str),
    "exclude_keywords": (list, str),
    "include_patterns": (list, str),
    "exclude_patterns": (list, str),
    "templates": dict,
    "review": bool,
    "review_expires": str,
}
_PLATFORM_KEYS: dict[str, _Type] = {
    "network": str,
    "enabled": bool,
    "template": str,
    "max_hashtags": int,
    "hashtag_mode": str,
    "hashtags": dict,
    "always_tags": (list, str),
    "never_tags": (list, str),
    "thread": bool,
    "thread_max": int,
    "image": bool,
    "photo_posts": bool,
    "daily_cap": int,
    "monthly_cap": int,
    "min_gap": str,
    "burst": int,
    "burst_gap": str,
    "timezone": str,
    "windows": (list, str),
    "quiet_dates": (list, str),
    "review": bool,
    "review_expires": str,
}
_TOP_KEYS: dict[str, _Type] = {"feeds": list, "platforms": dict, "bot": dict}
_BOT_KEYS: dict[str, _Type] = {"timezone": str, "retention_days": int, "allow_private": (list, str),
                               "fetch_deadline": str, "generic_tags": (list, str)}
_MIN_INTERVAL = timedelta(seconds=10)
# Upper bounds: beyond them a value is a typo, and some would overflow a date or a database integer.
MAX_DURATION = timedelta(days=365)
_MAX_RETENTION_DAYS = 36_500
_MAX_AGE_DAYS = 36_500
_MAX_COUNT = 1_000_000  # caps and backfill
_MAX_HASHTAGS = 30
_MAX_BURST = 1000
_MAX_THREAD = 25
MAX_CONFIG_BYTES = 1_000_000
_FEED_FILE = re.compile(r"\.(xml|rss|atom|json|rdf)$", re.IGNORECASE)  # "feed.xml" is a file, not a host
# Names editors reach for, and the template field they mean.
_FIELD_ALIASES = {"url": "link", "headline": "title", "description": "summary", "excerpt": "summary",
                  "tags": "hashtags", "byline": "author", "site_name": "site"}


class _Reader:
    """Turns raw TOML into errors that name the file, the line, the key and the fix."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.name = str(path) if path else "<built-in config>"
        self._text = text
        self._lines: dict[str, int] | None = None

    def where(self, key: str) -> str:
        # Each key's line is found only when a message needs one: for a valid config of 100 feeds, scanning
        # the file for them was half of reading it (issue 25).
        if self._lines is None:
            self._lines = key_lines(self._text)
        line = line_of(self._lines, key)
        return f"{self.name}:{line}" if line else self.name

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {key}: {problem}", hint=fix)

    def check_keys(self, table: Mapping[str, Any], allowed: Mapping[str, _Type], prefix: str) -> None:
        for key, value in table.items():
            full = f"{prefix}.{key}" if prefix else key
            if key not in allowed:
                raise self.fail(full, "unknown key", _did_you_mean(key, allowed, "allowed keys"))
            self.check_type(full, value, allowed[key])

    def check_type(self, key: str, value: Any, expected: _Type) -> None:
        if expected == (list, str):
            if not isinstance(value, list):
                raise self.fail(key, f"expected {_type_name(list)}, got {value!r}", f'write {key.rsplit(".", 1)[-1]} '
                                f'= [{value!r}]' if isinstance(value, str) else "fix the value")
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.fail(f"{key}[{index}]", f"expected {_type_name(str)}, got {item!r}",
                                    f'write "{item}" in quotes')
            return
        types = _as_tuple(expected)
        # TOML true/false are Python bools, which are ints: only a key that wants a bool takes one.
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise self.fail(key, f"expected {_type_name(expected)}, got {_show(value)}", _type_fix(key, expected))


def _did_you_mean(word: str, choices: Any, what: str) -> str:
    close = _close_matches(str(word), list(choices), n=1)
    return f"did you mean '{close[0]}'?" if close else f"{what}: {', '.join(sorted(choices))}"


def _as_tuple(t: _Type) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_name(t: _Type) -> str:
    names = {str: "text in quotes", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list like [\"a\", \"b\"]", dict: "a table"}
    return " or ".join(names.get(x, x.__name__) for x in _as_tuple(t))


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _type_fix(key: str, expected: _Type) -> str:
    leaf = key.rsplit(".", 1)[-1]
    examples = {str: f'{leaf} = "..."', int: f"{leaf} = 5", bool: f"{leaf} = true", dict: f"[...{leaf}] table"}
    first = _as_tuple(expected)[0]
    return f"write {examples[first]}" if first in examples else "fix the value"


def _close_matches(word: str, choices: Any, n: int) -> list[str]:
    """difflib's, imported only when a mistake needs a suggestion."""
    import difflib

    return difflib.get_close_matches(word, choices, n=n)


def parse_duration(text: str) -> timedelta | None:
    """'15m', '1h30m', '2d', '45s' -> timedelta, at most MAX_DURATION; None when it does not read as
    a duration. Raises OverflowError for a duration longer than MAX_DURATION."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    if any(len(g) > 12 for g in match.groups() if g):
        raise OverflowError(text)  # a huge count of digits: int() alone would refuse over 4,300
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total > MAX_DURATION.total_seconds():
        raise OverflowError(text)
    return timedelta(seconds=total)


def _duration(reader: _Reader, key: str, text: str, examples: str, what: str = "a duration") -> timedelta:
    try:
        parsed = parse_duration(text)
    except OverflowError:
        raise reader.fail(key, f"{text!r} is longer than {MAX_DURATION.days} days",
                          f"write a shorter duration, {examples}") from None
    if parsed is None:
        raise reader.fail(key, f"{text!r} is not {what}", f"write a duration {examples}")
    return parsed


def _at_most(reader: _Reader, key: str, value: float, limit: float, fix: str) -> None:
    if not math.isfinite(value):
        raise reader.fail(key, f"{value} is not a number", fix)
    if value > limit:
        shown = str(value) if isinstance(value, int) else f"{value:g}"
        raise reader.fail(key, f"{shown} is more than {limit:g}", fix)


def _feed_url(reader: _Reader, key: str, url: str, base_dir: Path) -> str:
    """An http(s) URL with a host, or a file path (relative to the config file) that exists."""
    from urllib.parse import urlsplit

    if "://" in url or re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:(?!\\)", url):
        shown = _shown(url)
        fix = "write the full address, e.g. \"https://example.org/feed/\""
        try:
            parts = urlsplit(url.strip())
        except ValueError:  # an unmatched [ or ]
            raise reader.fail(key, f"{shown!r} is not a feed URL (unmatched [ or ])", fix
                              + "; in a password write [ as %5B and ] as %5D") from None
        if parts.scheme == "file":
            return url
        if parts.scheme not in ("http", "https"):
            raise reader.fail(key, f"{shown!r} is not a feed URL (scheme {parts.scheme!r})", fix)
        host = parts.hostname or ""
        if not re.fullmatch(r"[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?", host) or not host.strip(".") or " " in url.strip():
            raise reader.fail(key, f"{shown!r} is not a feed URL (no valid host name)", fix)
        try:
            parts.port  # noqa: B018 - urlsplit raises only when the port is read
        except ValueError:
            raise reader.fail(key, f"{shown!r} is not a feed URL (bad port)", fix
                              + "; in a password write : as %3A, / as %2F and @ as %40") from None
        return url.strip()
    looks_like_host = re.match(r"^(www\.)?[\w-]+(\.[\w-]+)+(/|$)", url)
    if looks_like_host and not _FEED_FILE.search(url) and not (base_dir / url).exists():
        raise reader.fail(key, f"{url!r} is not a URL (no http:// or https://)", f'write "https://{url}"')
    path = Path(url)
    resolved = path if path.is_absolute() else (base_dir / path).resolve()
    if not resolved.is_file():
        raise reader.fail(key, f"{url!r} is neither a URL nor an existing file",
                          "write an https:// address, or a path relative to the config file")
    return str(resolved)


def _shown(url: str) -> str:
    """A feed URL for an error message. A malformed URL may hold a password where no parser finds it
    (an unencoded / or # in it), so everything between :// and the last @ is hidden."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return display_url(url)


def _feed(reader: _Reader, raw: Any, index: int, base_dir: Path, accounts: Sequence[str]) -> FeedConfig:
    prefix = f"feeds[{index}]"
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "each feed must be a [[feeds]] table", "write [[feeds]] then url = \"...\"")
    reader.check_keys(raw, _FEED_KEYS, prefix)
    if not raw.get("url"):
        raise reader.fail(prefix, "missing url", 'add url = "https://example.org/feed/"')
    url = _feed_url(reader, f"{prefix}.url", raw["url"], base_dir)
    every: timedelta | None = None
    cron = raw.get("cron")
    if "every" in raw and cron is not None:
        raise reader.fail(f"{prefix}.every", "both every and cron are set", "keep only one of them")
    if cron is not None:
        _check_cron(reader, f"{prefix}.cron", cron)
    else:
        every = _duration(reader, f"{prefix}.every", raw.get("every", "15m"), 'such as "15m", "1h" or "90s"',
                          "an interval")
        if every < _MIN_INTERVAL:
            raise reader.fail(f"{prefix}.every", f"{raw['every']!r} is too often", "use at least 10s")
    platforms = tuple(dict.fromkeys(raw.get("platforms", ())))
    for name in platforms:
        if name not in accounts:
            raise reader.fail(f"{prefix}.platforms", f"unknown platform {name!r}",
                              _did_you_mean(name, accounts, "use"))
    backfill = raw.get("backfill", 0)
    if backfill < 0:
        raise reader.fail(f"{prefix}.backfill", "must not be negative", "use 0 (post nothing old) or a count")
    _at_most(reader, f"{prefix}.backfill", backfill, _MAX_COUNT, "use a count of entries such as 5")
    max_age = float(raw.get("max_age_days", 2.0))
    if max_age <= 0:
        raise reader.fail(f"{prefix}.max_age_days", "must be more than 0", "use a number of days such as 2")
    _at_most(reader, f"{prefix}.max_age_days", max_age, _MAX_AGE_DAYS, "use a number of days such as 2")
    flood_limit = raw.get("flood_limit", FeedConfig.flood_limit)
    if flood_limit < 1:
        raise reader.fail(f"{prefix}.flood_limit", "must be at least 1",
                          f"use the most new articles one look may queue (default {FeedConfig.flood_limit})")
    templates: dict[str, str] = {}
    for platform, template in raw.get("templates", {}).items():
        key = f"{prefix}.templates.{platform}"
        if platform not in accounts:
            raise reader.fail(key, "unknown platform", _did_you_mean(platform, accounts, "use"))
        reader.check_type(key, template, str)
        _check_template(reader, key, template)
        templates[platform] = template
    name = str(raw.get("name", display_url(url)))  # the default name is shown everywhere: no credentials
    return FeedConfig(url=url, name=name, every=every, cron=cron, platforms=platforms,
                      backfill=backfill, max_age_days=max_age, flood_limit=flood_limit,
                      filter=_filter(reader, prefix, raw, max_age),
                      templates=tuple(sorted(templates.items())), review=raw.get("review"),
                      review_expires=_review_expires(reader, prefix, raw))


def _filter(reader: _Reader, prefix: str, raw: Mapping[str, Any], max_age: float) -> FeedFilter:
    for name in ("include_patterns", "exclude_patterns"):
        for index, pattern in enumerate(raw.get(name, ())):
            try:
                compile_pattern(pattern)  # as the filter will run it (bot.feeds.filters)
            except ValueError as exc:
                raise reader.fail(f"{prefix}.{name}[{index}]", f"{pattern!r} is not a regular expression ({exc})",
                                  "escape special characters with \\\\, or use include_keywords for plain words"
                                  ) from None
    return FeedFilter(
        include_categories=tuple(raw.get("include_categories", ())),
        exclude_categories=tuple(raw.get("exclude_categories", ())),
        include_keywords=tuple(raw.get("include_keywords", ())),
        exclude_keywords=tuple(raw.get("exclude_keywords", ())),
        include_patterns=tuple(raw.get("include_patterns", ())),
        exclude_patterns=tuple(raw.get("exclude_patterns", ())),
        max_age_days=max_age,
    )


def _check_cron(reader: _Reader, key: str, expression: str) -> None:
    from bot.schedule import cron_trigger

    try:
        cron_trigger(expression, "UTC")
    except ValueError as exc:
        raise reader.fail(key, f"{expression!r} is not a cron expression ({exc})",
                          'use five fields: minute hour day month weekday, e.g. "*/15 * * * *"') from None


def _check_template(reader: _Reader, key: str, template: str) -> None:
    from bot.compose import TEMPLATE_FIELDS, TemplateError, validate_template

    fields = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
    try:
        unknown = validate_template(template)
    except TemplateError:
        raise reader.fail(key, "unbalanced { or } in the template",
                          f"write {{{{ or }}}} for a literal brace; fields are {fields}") from None
    if unknown:
        close = _FIELD_ALIASES.get(unknown[0].lower()) or next(
            iter(_close_matches(unknown[0], TEMPLATE_FIELDS, n=1)), None)
        fix = f"did you mean {{{close}}}? fields are {fields}" if close else f"use one of {fields}"
        raise reader.fail(key, f"unknown field {{{unknown[0]}}}", fix)


def _network_of(reader: _Reader, name: str, raw: Any) -> str:
    """The registered network an account table names (its `network` key, else its own name)."""
    from bot import networks

    prefix = f"platforms.{name}"
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "must be a table", f"write [platforms.{name}]")
    known = networks.names()
    if "network" not in raw:
        if name not in known:
            close = _close_matches(name, known, n=1)
            raise reader.fail(prefix, "unknown platform", f"did you mean '{close[0]}'?" if close else
                              f'an account of another name says which network it is on: network = "{known[0]}" '
                              f"(networks: {', '.join(known)})")
        return name
    network = raw["network"]
    reader.check_type(f"{prefix}.network", network, str)
    if network not in known:
        raise reader.fail(f"{prefix}.network", f"unknown network {network!r}", _did_you_mean(network, known, "use"))
    if not _ACCOUNT_NAME.match(name):
        raise reader.fail(prefix, f"{name!r} cannot name environment variables",
                          "use letters, digits and _ (the variables are NAME_..., e.g. X_FA_API_KEY)")
    return str(network)


def _account_env(env: Environment, name: str, network: str) -> dict[str, Any]:
    """Credentials and endpoint of an account, from <NAME>_<SUFFIX> variables (bot.networks)."""
    from bot import networks

    net = networks.get(network)
    values: dict[str, str] = {}
    missing: list[str] = []
    for credential in net.credentials:
        variable = net.variable(name, credential.suffix)
        value = env.variables.get(variable, "")
        if value:
            values[credential.suffix] = Secret(value) if credential.secret else value
        else:
            missing.append(variable)
    endpoint = (env.variables.get(net.endpoint_variable(name)) or net.default_endpoint or "").rstrip("/")
    if not endpoint:
        missing.append(net.endpoint_variable(name))
    return {"credentials": None if missing else tuple(values.items()), "missing": tuple(missing),
            "endpoint": endpoint}


def account_missing(env: Environment, name: str, network: str) -> list[str]:
    """The variables of an account (credentials, a required endpoint) that are not set."""
    return list(_account_env(env, name, network)["missing"])


def account_secrets(env: Environment, name: str, network: str) -> list[str]:
    """The values of an account's secret variables that are set (for redaction)."""
    from bot import networks

    net = networks.get(network)
    values = [env.variables.get(net.variable(name, c.suffix), "") for c in net.credentials if c.secret]
    return [v for v in values if len(v) >= 4]


def _options(reader: _Reader, prefix: str, network: str, raw: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    from bot import networks

    found: list[tuple[str, Any]] = []
    for key, option in networks.get(network).options.items():
        value = raw.get(key, option.default)
        if key in raw and option.choices and value not in option.choices:
            raise reader.fail(f"{prefix}.{key}", f"{value!r} is not one of {', '.join(map(repr, option.choices))}",
                              _did_you_mean(value, [str(c) for c in option.choices], "use"))
        found.append((key, value))
    return tuple(found)


def _platform(reader: _Reader, name: str, raw: Any, default_tz: str, network: str,
              env: Environment) -> PlatformConfig | None:
    from bot import networks

    prefix = f"platforms.{name}"
    own = {key: option.type for key, option in networks.get(network).options.items()}
    reader.check_keys(raw, {**_PLATFORM_KEYS, **own}, prefix)
    template = raw.get("template")
    if template is not None:
        _check_template(reader, f"{prefix}.template", template)
    mode = raw.get("hashtag_mode", "append")
    if mode not in ("append", "inline"):
        raise reader.fail(f"{prefix}.hashtag_mode", f"{mode!r} is not a mode", 'use "append" or "inline"')
    for key, most in (("max_hashtags", _MAX_HASHTAGS), ("daily_cap", _MAX_COUNT), ("monthly_cap", _MAX_COUNT),
                      ("thread_max", _MAX_THREAD)):
        if key in raw and raw[key] < 0:
            raise reader.fail(f"{prefix}.{key}", "must not be negative", "use 0 or more")
        if key in raw:
            _at_most(reader, f"{prefix}.{key}", raw[key], most, f"use 0 to {most}")
    gap = _duration(reader, f"{prefix}.min_gap", raw["min_gap"], 'e.g. "30m"') if "min_gap" in raw else timedelta(0)
    burst = raw.get("burst", DEFAULT_BURST)
    if burst < 1:
        raise reader.fail(f"{prefix}.burst", "must be 1 or more", "use how many posts may go at once, e.g. 5")
    _at_most(reader, f"{prefix}.burst", burst, _MAX_BURST, f"use 1 to {_MAX_BURST}")
    burst_gap = (_duration(reader, f"{prefix}.burst_gap", raw["burst_gap"], 'e.g. "2m", or "0s" for no pacing')
                 if "burst_gap" in raw else DEFAULT_BURST_GAP)
    hashtags = raw.get("hashtags", {})
    for key, value in hashtags.items():
        if not isinstance(value, str):
            raise reader.fail(f"{prefix}.hashtags.{key}", "expected a hashtag in quotes", f'write {key} = "Tag"')
    timezone = raw.get("timezone", default_tz)
    if "timezone" in raw:
        _check_timezone(reader, f"{prefix}.timezone", timezone)
    windows: list[Window] = []
    for index, text in enumerate(raw.get("windows", ())):
        try:
            windows.append(parse_window(text))
        except ScheduleSyntaxError as exc:
            raise reader.fail(f"{prefix}.windows[{index}]", exc.problem, exc.fix) from None
    try:
        quiet = parse_quiet_dates(raw.get("quiet_dates", ()))
    except ScheduleSyntaxError as exc:
        raise reader.fail(f"{prefix}.quiet_dates", exc.problem, exc.fix) from None
    options = _options(reader, prefix, network, raw)
    if not raw.get("enabled", True):
        return None  # checked all the same: turning it back on must not reveal old mistakes
    _check_partial_credentials(reader, prefix, name, network, env)
    return PlatformConfig(
        name=name,
        network=network,
        options=options,
        **_account_env(env, name, network),
        template=template,
        max_hashtags=raw.get("max_hashtags"),
        hashtag_mode=mode,
        hashtag_map=tuple(sorted(hashtags.items())),
        always_tags=tuple(raw.get("always_tags", ())),
        never_tags=tuple(raw.get("never_tags", ())),
        thread=raw.get("thread", False),
        thread_max=raw.get("thread_max", 4),
        image=raw.get("image", True),
        photo_posts=raw.get("photo_posts", False),
        daily_cap=raw.get("daily_cap"),
        monthly_cap=raw.get("monthly_cap"),
        min_gap=gap,
        burst=burst,
        burst_gap=burst_gap,
        timezone=timezone,
        windows=tuple(windows),
        quiet_dates=quiet,
        review=raw.get("review", False),
        review_expires=_review_expires(reader, prefix, raw) or DEFAULT_REVIEW_EXPIRES,
    )


def _check_partial_credentials(reader: _Reader, prefix: str, name: str, network: str, env: Environment) -> None:
    """Some credentials of an account set and others not is a typo or a forgotten one, never a choice: running
    dry then would record its posts as shown, and they would never go out once it is fixed (bot.credentials)."""
    from bot import credentials

    found = credentials.partial(env.variables, name, network)
    if found is None:
        return
    have, missing = found
    typos = [typo for typo, meant in credentials.lookalikes(env.variables, [(name, network)]) if meant == missing[0]]
    fix = (f"{typos[0]} is set: did you mean {missing[0]}?" if typos else
           f"set {', '.join(missing)}, or unset {', '.join(have)} to run the account dry-run")
    raise reader.fail(prefix, f"{missing[0]} is not set, but {have[0]} is: the account's credentials are "
                      f"incomplete ({len(missing)} of {len(have) + len(missing)} variables missing)", fix)


def _review_expires(reader: _Reader, prefix: str, raw: Mapping[str, Any]) -> timedelta | None:
    if "review_expires" not in raw:
        return None
    parsed = _duration(reader, f"{prefix}.review_expires", raw["review_expires"], 'e.g. "3d" or "12h"')
    if parsed <= timedelta(0):
        raise reader.fail(f"{prefix}.review_expires", "must be longer than 0", 'use e.g. "3d" (the default)')
    return parsed


def _toml_error(name: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """tomllib says '... (at line 3, column 7)': move the line to the front, like every other message."""
    text = str(exc)
    match = re.search(r"\s*\(at line (\d+), column \d+\)$", text)
    if match:
        return ConfigError(f"{name}:{match[1]}: not valid TOML: {text[: match.start()]}",
                           hint='check quotes, brackets and "=" signs on that line')
    return ConfigError(f"{name}: not valid TOML: {text}", hint='check quotes, brackets and "=" signs')


def parse_config(text: str, path: Path | None, env: Environment | None = None) -> Config:
    """Validate TOML text into a Config, or raise one ConfigError naming the place."""
    reader = _Reader(path, text)
    if text.startswith("\ufeff"):
        raise ConfigError(f"{reader.name}:1: the file starts with a byte order mark (BOM)",
                          hint="save it as UTF-8 without BOM, in your editor's encoding menu")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(reader.name, exc) from None
    except RecursionError:
        raise ConfigError(f"{reader.name}: not valid TOML: tables or lists nested too deeply",
                          hint="a config needs a few levels at most: look for a run of [ or {") from None
    reader.check_keys(raw, _TOP_KEYS, "")
    reader.check_keys(raw.get("bot", {}), _BOT_KEYS, "bot")
    timezone = raw.get("bot", {}).get("timezone", "UTC")
    _check_timezone(reader, "bot.timezone", timezone)
    retention_days = raw.get("bot", {}).get("retention_days", 365)
    if retention_days < 30:
        raise reader.fail("bot.retention_days", f"{retention_days} days is too short to recognise old articles",
                          "use at least 30 (default 365): feeds keep articles for weeks")
    _at_most(reader, "bot.retention_days", retention_days, _MAX_RETENTION_DAYS, "use 30 to 36500; the default is 365")
    allow_private = _allow_private(reader, raw.get("bot", {}).get("allow_private", ()))
    fetch_deadline = _fetch_deadline(reader, raw.get("bot", {}).get("fetch_deadline"))
    env = env if env is not None else Environment()
    platforms_raw = raw.get("platforms", {})
    declared = {key: _network_of(reader, key, value) for key, value in platforms_raw.items()}
    platforms = {}
    for key, value in platforms_raw.items():
        parsed = _platform(reader, key, value, timezone, declared[key], env)
        if parsed is not None:
            platforms[key] = parsed
    base_dir = path.parent if path else Path.cwd()
    from bot import networks

    accounts = tuple(dict.fromkeys((*networks.names(), *declared)))
    feeds = tuple(_feed(reader, f, i, base_dir, accounts) for i, f in enumerate(raw.get("feeds", [])))
    if not feeds:
        raise reader.fail("feeds", "no feeds configured", 'add a [[feeds]] table with url = "..."')
    seen: dict[str, int] = {}
    for index, feed in enumerate(feeds):
        # Compared without credentials: the shown URL is the feed's key in the store.
        if feed.shown_url in seen:
            raise reader.fail(f"feeds[{index}].url", f"the same feed as feeds[{seen[feed.shown_url]}]",
                              "remove one of them (a feed may list several platforms)")
        seen[feed.shown_url] = index
    _check_routing(reader, feeds, platforms, declared)
    return Config(path=path, feeds=feeds, platforms=platforms, timezone=timezone,
                  declared_accounts=tuple(declared.items()), env=env, retention=timedelta(days=retention_days),
                  allow_private=allow_private, fetch_deadline=fetch_deadline,
                  generic_tags=tuple(raw.get("bot", {}).get("generic_tags", ())))


def _check_routing(reader: _Reader, feeds: Sequence[FeedConfig], enabled: Mapping[str, PlatformConfig],
                   declared: Mapping[str, str]) -> None:
    """A feed reaches at most one account per network: the networks' automation rules forbid posting the
    same content to several accounts. A feed's list counts every account it names (enabled or not: turning
    one back on must not make the config wrong); a feed that names none reaches every enabled account."""
    from bot import networks

    for index, feed in enumerate(feeds):
        if feed.platforms:
            names, key = [n for n in feed.platforms if n in declared], f"feeds[{index}].platforms"
        else:
            names, key = list(enabled), f"feeds[{index}]"
        by_network: dict[str, list[str]] = {}
        for name in names:
            by_network.setdefault(declared[name], []).append(name)
        for network, accounts in by_network.items():
            if len(accounts) > 1:
                how = "lists" if feed.platforms else "lists no platforms, so it reaches every enabled account, and"
                raise reader.fail(key, f"feed {feed.name!r} {how} {len(accounts)} accounts of "
                                  f"{networks.get(network).title}: {', '.join(accounts)}",
                                  "a feed may reach one account per network: list the one it is for in its "
                                  f"platforms = [...] (e.g. platforms = [\"{accounts[0]}\"])")


def _allow_private(reader: _Reader, entries: list[str] | tuple[str, ...]) -> Allowlist:
    for index, entry in enumerate(entries):
        try:
            Allowlist.parse([entry])
        except ValueError:
            raise reader.fail(f"bot.allow_private[{index}]", f"{entry!r} is neither a host name nor a network",
                              'write a host name like "intranet.example.org", an address like "10.1.2.3" '
                              'or a network like "10.1.0.0/16"') from None
    return Allowlist.parse(entries)


def _fetch_deadline(reader: _Reader, text: str | None) -> float:
    if text is None:
        return DEFAULT_FETCH_DEADLINE
    parsed = _duration(reader, "bot.fetch_deadline", text, 'e.g. "30s" or "1m"')
    low, high = _FETCH_DEADLINE_RANGE
    if not low <= parsed <= high:
        raise reader.fail("bot.fetch_deadline", f"{text!r} is out of range",
                          'use between "1s" and "5m" (default "30s")')
    return parsed.total_seconds()


def _check_timezone(reader: _Reader, key: str, name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Only on the error path: listing the zones reads the tz database.
    zones = {z.lower(): z for z in available_timezones()}
    close = _close_matches(name.lower().replace(" ", "_"), list(zones), n=1)
    fix = f'did you mean "{zones[close[0]]}"?' if close else 'use an IANA name such as "Europe/Paris" or "UTC"'
    raise reader.fail(key, f"unknown time zone {name!r}", fix)


def default_config_text() -> str:
    """The embedded defaults: the bundled sample feed shown for every network (always dry-run: bot.sandbox)."""
    from bot import networks

    return (
        "[[feeds]]\n"
        f"url = {str(SAMPLE_FEED)!r}\n"
        'name = "sample"\n'
        "backfill = 3\n"
        "max_age_days = 36500\n"
        + "".join(f"[platforms.{name}]\n" for name in networks.names())
    )


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """Secrets, state and endpoints from the environment (a .env file is loaded by the CLI first)."""
    env = os.environ if environ is None else environ
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    check_database_url(database_url)
    web_token, webhook = env.get("BOT_WEB_TOKEN", "").strip(), env.get("BOT_ALERT_WEBHOOK", "").strip()
    secret_key = env.get("BOT_SECRET_KEY", "").strip()
    if secret_key:
        check_secret_key(secret_key)
    port = env.get("PORT", "").strip()
    if port and not (port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"PORT {port[:20]!r} is not a port number", hint="use a number from 1 to 65535")
    return Environment(
        web_port=int(port) if port else None,
        web_token=Secret(web_token) if web_token else None,
        alert_webhook=Secret(webhook) if webhook else None,
        secret_key=Secret(secret_key) if secret_key else None,
        shutdown_grace=env_number(env, "BOT_SHUTDOWN_GRACE", DEFAULT_SHUTDOWN_GRACE, MAX_SHUTDOWN_GRACE),
        tuning=Tuning.from_env(env),
        db_lock_timeout=env_number(env, "BOT_DB_LOCK_TIMEOUT_SECONDS", 0.0, MAX_DB_LOCK_TIMEOUT) or None,
        database_url=database_url,
        variables=dict(env),
    )


def check_secret_key(key: str) -> None:
    """BOT_SECRET_KEY must be a Fernet key (32 bytes, URL-safe base64): one line naming it otherwise."""
    import base64
    import binascii

    try:
        ok = len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, binascii.Error, UnicodeError):
        ok = False
    if not ok:
        raise ConfigError("BOT_SECRET_KEY is not a Fernet key (32 bytes in URL-safe base64)",
                          hint="make one with: python -c 'from cryptography.fernet import Fernet; "
                               "print(Fernet.generate_key().decode())'")


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_DATABASE_HINT = "e.g. sqlite:///bot.db or postgres://user:pass@host:5432/db"


def check_database_url(url: str) -> None:
    """A ConfigError naming the part of DATABASE_URL that is wrong. The value itself is never shown: a
    malformed URL is exactly the one whose password no parser can find to hide."""
    from bot.store import BACKENDS

    def bad(problem: str, fix: str = _DATABASE_HINT) -> ConfigError:
        return ConfigError(f"DATABASE_URL {problem}; its value is not shown, as it may hold a password", hint=fix)

    scheme_match = _URL_SCHEME.match(url)
    if not scheme_match:
        if "=" in url:
            raise bad("is a list of key=value settings (host=... password=...), not a URL",
                      "write it as postgres://user:pass@host:5432/db")
        raise bad("is not a URL: it has no scheme such as sqlite: or postgres:")
    scheme = scheme_match[0][:-1]
    base = scheme.split("+", 1)[0].lower()
    if base not in BACKENDS:
        raise bad(f"scheme {scheme!r} is not supported", f"use {_DATABASE_HINT}")
    rest = url[scheme_match.end():]
    if base == "sqlite":
        if not rest.startswith("///"):
            raise bad("needs three slashes after 'sqlite:' (four for an absolute path)",
                      "e.g. sqlite:///bot.db or sqlite:////var/lib/bot/bot.db")
        return
    if not rest.startswith("//"):
        raise bad(f"needs '//' after '{scheme}:'", "e.g. postgres://user:pass@host:5432/db")
    if "#" in url:
        raise bad("contains '#', which ends a URL", "in the password write '#' as %23")
    if re.search(r"%(?![0-9A-Fa-f]{2})", url):
        raise bad("contains a '%' that is not followed by two hex digits", "in the password write '%' as %25")
    authority, _, path = rest[2:].partition("/")
    authority, _, query = authority.partition("?")
    if authority.count("@") > 1:
        raise bad("has more than one '@' before the host", "in the password write '@' as %40")
    if "@" in path or "@" in query:
        raise bad("has an '@' after the host", "in the password write '/' as %2F, '?' as %3F and '@' as %40")
    from urllib.parse import urlsplit

    try:
        urlsplit(url).port  # noqa: B018 - urlsplit raises only when the port is read
    except ValueError as exc:
        if "IPv6" in str(exc) or "[" in authority or "]" in authority:
            raise bad("has an unmatched '[' or ']' in the host part",
                      "write an IPv6 host as [::1]; in the password write '[' as %5B and ']' as %5D") from None
        raise bad("has a port that is not a number after the host",
                  "in the password write ':' as %3A, '/' as %2F and '@' as %40") from None


def missing_credentials(platform: PlatformConfig) -> list[str]:
    """Names of the environment variables an account still needs (empty when it can post for real)."""
    if platform.credentials is not None:
        return []
    if platform.missing:
        return list(platform.missing)
    from bot import networks

    return networks.get(platform.network).credential_variables(platform.name)


def config_path(cli_path: str | None, environ: Mapping[str, str] | None = None) -> Path | None:
    """--config, else BOT_CONFIG, else config/bot.toml; None means the embedded defaults."""
    env = os.environ if environ is None else environ
    chosen = cli_path or env.get("BOT_CONFIG")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise ConfigError(f"{path}: config file not found", hint="check the path given to --config or BOT_CONFIG")
        return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def _why_no_file() -> str:
    where = Path.cwd() / DEFAULT_CONFIG
    if DEFAULT_CONFIG.exists():
        return f"{where} is not a file, and neither --config nor BOT_CONFIG is given"
    return f"no {where}, and neither --config nor BOT_CONFIG is given"


def load_config(cli_path: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    path = config_path(cli_path, environ)
    env = read_environment(environ)
    if path is None:
        return replace(parse_config(default_config_text(), None, env), missing_file=_why_no_file())
    return parse_config(read_config_text(path), path, env)


def read_config_text(path: Path) -> str:
    """The file as text: at most MAX_CONFIG_BYTES, UTF-8, or one line saying where it is not."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: the config file is over {MAX_CONFIG_BYTES:,} bytes",
                          hint="a config is a few kilobytes: check that this is the right file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"{path}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column})",
                          hint="save the file as UTF-8, in your editor's encoding menu") from None
