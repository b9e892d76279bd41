"""The only reader of the config file and of os.environ.

Validates everything up front into frozen objects, so a mistake is one clear line
(file, line, key, fix) and exit code 2 before anything runs.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.errors import ConfigError
from bot.feeds.filters import FeedFilter
from bot.retries import Tuning
from bot.schedule import QuietDates, ScheduleSyntaxError, Window, parse_quiet_dates, parse_window
from bot.tomllines import key_lines, line_of

DEFAULT_CONFIG = Path("config/bot.toml")
DEFAULT_DATABASE_URL = "sqlite:///bot.db"
DEFAULT_TWITTER_API_URL = "https://api.twitter.com"
DEFAULT_FACEBOOK_GRAPH_URL = "https://graph.facebook.com"
KNOWN_PLATFORMS = ("twitter", "facebook")
DEFAULT_SHUTDOWN_GRACE = 20.0
SAMPLE_FEED = Path(__file__).parent / "data" / "sample-feed.xml"

_DURATION = re.compile(r"^\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?\s*$")


@dataclass(frozen=True)
class FeedConfig:
    url: str
    name: str
    every: timedelta | None = timedelta(minutes=15)
    cron: str | None = None
    platforms: tuple[str, ...] = ()
    backfill: int = 0
    max_age_days: float = 2.0
    # Which entries to post (categories, keywords, patterns, max age); the default passes all but old ones.
    filter: FeedFilter = field(default_factory=FeedFilter)
    # platform -> template used for this feed's posts instead of the platform's template
    templates: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PlatformConfig:
    """One enabled network: how posts are written and when they may go out."""

    name: str
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
    timezone: str = "UTC"
    windows: tuple[Window, ...] = ()  # empty: any time
    quiet_dates: QuietDates = field(default_factory=QuietDates)


class Secret(str):
    """A string that never shows itself in a repr (and so not in logs or tracebacks of dataclasses)."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class TwitterCredentials:
    api_key: Secret
    api_secret: Secret
    access_token: Secret
    access_token_secret: Secret


@dataclass(frozen=True)
class FacebookCredentials:
    page_id: str
    page_token: Secret


@dataclass(frozen=True)
class Environment:
    """What the bot takes from the environment: secrets, state and endpoints."""

    database_url: str = DEFAULT_DATABASE_URL
    twitter: TwitterCredentials | None = None
    facebook: FacebookCredentials | None = None
    twitter_api_url: str = DEFAULT_TWITTER_API_URL
    facebook_graph_url: str = DEFAULT_FACEBOOK_GRAPH_URL
    # Seconds the worker gives in-flight work after SIGTERM (Heroku-style hosts kill at 30).
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    # Leases, backoff and probes of delivery (bot.retries); the defaults are production's.
    tuning: Tuning = field(default_factory=Tuning)

    def secrets(self) -> list[str]:
        """Every secret value, for redaction of logs and errors."""
        values: list[str] = []
        if self.twitter:
            t = self.twitter
            values += [t.api_key, t.api_secret, t.access_token, t.access_token_secret]
        if self.facebook:
            values.append(self.facebook.page_token)
        from urllib.parse import unquote, urlsplit

        try:
            password = urlsplit(self.database_url).password
        except ValueError:
            password = None
        if password:  # Heroku's DATABASE_URL carries the database password
            values += [password, unquote(password)]
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
    # Categories that say nothing about an article on this site ("Inside", "Weekend"), added to the
    # built-in multilingual list (bot.compose.stopwords): never made into hashtags.
    generic_tags: tuple[str, ...] = ()


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
    "include_categories": (list, str),
    "exclude_categories": (list, str),
    "include_keywords": (list, str),
    "exclude_keywords": (list, str),
    "include_patterns": (list, str),
    "exclude_patterns": (list, str),
    "templates": dict,
}
_PLATFORM_KEYS: dict[str, _Type] = {
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
    "timezone": str,
    "windows": (list, str),
    "quiet_dates": (list, str),
}
_TOP_KEYS: dict[str, _Type] = {"feeds": list, "platforms": dict, "bot": dict}
_BOT_KEYS: dict[str, _Type] = {"timezone": str, "retention_days": int, "generic_tags": (list, str)}
_MIN_INTERVAL = timedelta(seconds=10)
_FEED_FILE = re.compile(r"\.(xml|rss|atom|json|rdf)$", re.IGNORECASE)  # "feed.xml" is a file, not a host
# Names editors reach for, and the template field they mean.
_FIELD_ALIASES = {"url": "link", "headline": "title", "description": "summary", "excerpt": "summary",
                  "tags": "hashtags", "byline": "author", "site_name": "site"}


class _Reader:
    """Turns raw TOML into errors that name the file, the line, the key and the fix."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.name = str(path) if path else "<built-in config>"
        self.lines = key_lines(text)

    def where(self, key: str) -> str:
        line = line_of(self.lines, key)
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
    close = difflib.get_close_matches(str(word), list(choices), n=1)
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


def parse_duration(text: str) -> timedelta | None:
    """'15m', '1h30m', '2d', '45s' -> timedelta; None when it does not read as a duration."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _feed_url(reader: _Reader, key: str, url: str, base_dir: Path) -> str:
    """An http(s) URL with a host, or a file path (relative to the config file) that exists."""
    from urllib.parse import urlsplit

    if "://" in url or re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:(?!\\)", url):
        parts = urlsplit(url.strip())
        if parts.scheme == "file":
            return url
        fix = "write the full address, e.g. \"https://example.org/feed/\""
        if parts.scheme not in ("http", "https"):
            raise reader.fail(key, f"{url!r} is not a feed URL (scheme {parts.scheme!r})", fix)
        host = parts.hostname or ""
        if not re.fullmatch(r"[A-Za-z0-9.-]+|\[?[0-9A-Fa-f:.]+\]?", host) or not host.strip(".") or " " in url.strip():
            raise reader.fail(key, f"{url!r} is not a feed URL (no valid host name)", fix)
        try:
            parts.port  # noqa: B018 - urlsplit raises only when the port is read
        except ValueError:
            raise reader.fail(key, f"{url!r} is not a feed URL (bad port)", fix) from None
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


def _feed(reader: _Reader, raw: Any, index: int, base_dir: Path) -> FeedConfig:
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
        every = parse_duration(raw.get("every", "15m"))
        if every is None:
            raise reader.fail(f"{prefix}.every", f"{raw['every']!r} is not an interval",
                              'write a duration such as "15m", "1h" or "90s"')
        if every < _MIN_INTERVAL:
            raise reader.fail(f"{prefix}.every", f"{raw['every']!r} is too often", "use at least 10s")
    platforms = tuple(raw.get("platforms", ()))
    for name in platforms:
        if name not in KNOWN_PLATFORMS:
            raise reader.fail(f"{prefix}.platforms", f"unknown platform {name!r}",
                              _did_you_mean(name, KNOWN_PLATFORMS, "use"))
    backfill = raw.get("backfill", 0)
    if backfill < 0:
        raise reader.fail(f"{prefix}.backfill", "must not be negative", "use 0 (post nothing old) or a count")
    max_age = float(raw.get("max_age_days", 2.0))
    if max_age <= 0:
        raise reader.fail(f"{prefix}.max_age_days", "must be more than 0", "use a number of days such as 2")
    templates: dict[str, str] = {}
    for platform, template in raw.get("templates", {}).items():
        key = f"{prefix}.templates.{platform}"
        if platform not in KNOWN_PLATFORMS:
            raise reader.fail(key, "unknown platform", _did_you_mean(platform, KNOWN_PLATFORMS, "use"))
        reader.check_type(key, template, str)
        _check_template(reader, key, template)
        templates[platform] = template
    return FeedConfig(url=url, name=str(raw.get("name", url)), every=every, cron=cron, platforms=platforms,
                      backfill=backfill, max_age_days=max_age, filter=_filter(reader, prefix, raw, max_age),
                      templates=tuple(sorted(templates.items())))


def _filter(reader: _Reader, prefix: str, raw: Mapping[str, Any], max_age: float) -> FeedFilter:
    for name in ("include_patterns", "exclude_patterns"):
        for index, pattern in enumerate(raw.get(name, ())):
            try:
                re.compile(pattern)
            except re.error as exc:
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
            iter(difflib.get_close_matches(unknown[0], TEMPLATE_FIELDS, n=1)), None)
        fix = f"did you mean {{{close}}}? fields are {fields}" if close else f"use one of {fields}"
        raise reader.fail(key, f"unknown field {{{unknown[0]}}}", fix)


def _platform(reader: _Reader, name: str, raw: Any, default_tz: str) -> PlatformConfig | None:
    prefix = f"platforms.{name}"
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "must be a table", f"write [platforms.{name}]")
    reader.check_keys(raw, _PLATFORM_KEYS, prefix)
    template = raw.get("template")
    if template is not None:
        _check_template(reader, f"{prefix}.template", template)
    mode = raw.get("hashtag_mode", "append")
    if mode not in ("append", "inline"):
        raise reader.fail(f"{prefix}.hashtag_mode", f"{mode!r} is not a mode", 'use "append" or "inline"')
    for key in ("max_hashtags", "daily_cap", "monthly_cap", "thread_max"):
        if key in raw and raw[key] < 0:
            raise reader.fail(f"{prefix}.{key}", "must not be negative", "use 0 or more")
    gap = timedelta(0)
    if "min_gap" in raw:
        parsed = parse_duration(raw["min_gap"])
        if parsed is None:
            raise reader.fail(f"{prefix}.min_gap", f"{raw['min_gap']!r} is not a duration", 'write e.g. "30m"')
        gap = parsed
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
    if not raw.get("enabled", True):
        return None  # checked all the same: turning it back on must not reveal old mistakes
    return PlatformConfig(
        name=name,
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
        timezone=timezone,
        windows=tuple(windows),
        quiet_dates=quiet,
    )


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
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(reader.name, exc) from None
    reader.check_keys(raw, _TOP_KEYS, "")
    reader.check_keys(raw.get("bot", {}), _BOT_KEYS, "bot")
    timezone = raw.get("bot", {}).get("timezone", "UTC")
    _check_timezone(reader, "bot.timezone", timezone)
    retention_days = raw.get("bot", {}).get("retention_days", 365)
    if retention_days < 30:
        raise reader.fail("bot.retention_days", f"{retention_days} days is too short to recognise old articles",
                          "use at least 30 (default 365): feeds keep articles for weeks")
    platforms_raw = raw.get("platforms", {})
    for key in platforms_raw:
        if key not in KNOWN_PLATFORMS:
            raise reader.fail(f"platforms.{key}", "unknown platform", _did_you_mean(key, KNOWN_PLATFORMS, "use"))
    platforms = {}
    for key, value in platforms_raw.items():
        parsed = _platform(reader, key, value, timezone)
        if parsed is not None:
            platforms[key] = parsed
    base_dir = path.parent if path else Path.cwd()
    feeds = tuple(_feed(reader, f, i, base_dir) for i, f in enumerate(raw.get("feeds", [])))
    if not feeds:
        raise reader.fail("feeds", "no feeds configured", 'add a [[feeds]] table with url = "..."')
    seen: dict[str, int] = {}
    for index, feed in enumerate(feeds):
        if feed.url in seen:
            raise reader.fail(f"feeds[{index}].url", f"the same feed as feeds[{seen[feed.url]}]",
                              "remove one of them (a feed may list several platforms)")
        seen[feed.url] = index
    return Config(path=path, feeds=feeds, platforms=platforms, timezone=timezone,
                  env=env if env is not None else Environment(), retention=timedelta(days=retention_days),
                  generic_tags=tuple(raw.get("bot", {}).get("generic_tags", ())))


def _check_timezone(reader: _Reader, key: str, name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return
    except (ZoneInfoNotFoundError, ValueError):
        pass
    # Only on the error path: listing the zones reads the tz database.
    zones = {z.lower(): z for z in available_timezones()}
    close = difflib.get_close_matches(name.lower().replace(" ", "_"), list(zones), n=1)
    fix = f'did you mean "{zones[close[0]]}"?' if close else 'use an IANA name such as "Europe/Paris" or "UTC"'
    raise reader.fail(key, f"unknown time zone {name!r}", fix)


def default_config_text() -> str:
    """The embedded defaults: the bundled sample feed posted to both networks (dry-run without secrets)."""
    return (
        "[[feeds]]\n"
        f"url = {str(SAMPLE_FEED)!r}\n"
        'name = "sample"\n'
        "backfill = 3\n"
        "max_age_days = 36500\n"
        "[platforms.twitter]\n"
        "[platforms.facebook]\n"
    )


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """Secrets, state and endpoints from the environment (a .env file is loaded by the CLI first)."""
    env = os.environ if environ is None else environ
    twitter_vars = ("TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET")
    twitter = None
    if all(env.get(v) for v in twitter_vars):
        twitter = TwitterCredentials(*(Secret(env[v]) for v in twitter_vars))
    facebook = None
    if env.get("FACEBOOK_PAGE_ID") and env.get("FACEBOOK_PAGE_TOKEN"):
        facebook = FacebookCredentials(page_id=env["FACEBOOK_PAGE_ID"], page_token=Secret(env["FACEBOOK_PAGE_TOKEN"]))
    grace_text = env.get("BOT_SHUTDOWN_GRACE") or str(DEFAULT_SHUTDOWN_GRACE)
    try:
        grace = float(grace_text)
    except ValueError:
        raise ConfigError(f"BOT_SHUTDOWN_GRACE={grace_text!r} is not a number of seconds",
                          hint="unset it (20 s) or give e.g. 25") from None
    return Environment(
        shutdown_grace=grace,
        tuning=Tuning.from_env(env),
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        twitter=twitter,
        facebook=facebook,
        twitter_api_url=(env.get("TWITTER_API_URL") or DEFAULT_TWITTER_API_URL).rstrip("/"),
        facebook_graph_url=(env.get("FACEBOOK_GRAPH_URL") or DEFAULT_FACEBOOK_GRAPH_URL).rstrip("/"),
    )


def missing_credentials(env: Environment, platform: str) -> list[str]:
    """Names of the environment variables a platform still needs (empty when it can post for real)."""
    needed = {
        "twitter": ["TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN", "TWITTER_ACCESS_TOKEN_SECRET"],
        "facebook": ["FACEBOOK_PAGE_ID", "FACEBOOK_PAGE_TOKEN"],
    }[platform]
    have = {"twitter": env.twitter is not None, "facebook": env.facebook is not None}[platform]
    return [] if have else needed


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


def load_config(cli_path: str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    path = config_path(cli_path, environ)
    env = read_environment(environ)
    if path is None:
        return parse_config(default_config_text(), None, env)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc}") from None
    return parse_config(text, path, env)
