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

DEFAULT_CONFIG = Path("config/bot.toml")
DEFAULT_DATABASE_URL = "sqlite:///bot.db"
DEFAULT_TWITTER_API_URL = "https://api.twitter.com"
DEFAULT_FACEBOOK_GRAPH_URL = "https://graph.facebook.com"
KNOWN_PLATFORMS = ("twitter", "facebook")
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


@dataclass(frozen=True)
class PlatformConfig:
    """One enabled network: how posts are written and how often they may go out."""

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
    daily_cap: int | None = None
    monthly_cap: int | None = None
    min_gap: timedelta = timedelta(0)


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

    def secrets(self) -> list[str]:
        """Every secret value, for redaction of logs and errors."""
        values: list[str] = []
        if self.twitter:
            t = self.twitter
            values += [t.api_key, t.api_secret, t.access_token, t.access_token_secret]
        if self.facebook:
            values.append(self.facebook.page_token)
        return [v for v in values if len(v) >= 4]


@dataclass(frozen=True)
class Config:
    path: Path | None
    feeds: tuple[FeedConfig, ...]
    platforms: Mapping[str, PlatformConfig]
    timezone: str = "UTC"
    env: Environment = field(default_factory=Environment)


# --- schema: allowed keys per table, with the type each one takes -----------------------------

_FEED_KEYS: dict[str, type | tuple[type, ...]] = {
    "url": str,
    "name": str,
    "every": str,
    "cron": str,
    "platforms": list,
    "backfill": int,
    "max_age_days": (int, float),
}
_PLATFORM_KEYS: dict[str, type | tuple[type, ...]] = {
    "enabled": bool,
    "template": str,
    "max_hashtags": int,
    "hashtag_mode": str,
    "hashtags": dict,
    "always_tags": list,
    "never_tags": list,
    "thread": bool,
    "thread_max": int,
    "image": bool,
    "photo_posts": bool,
    "daily_cap": int,
    "monthly_cap": int,
    "min_gap": str,
}
_TOP_KEYS = {"feeds": list, "platforms": dict, "bot": dict}
_BOT_KEYS: dict[str, type | tuple[type, ...]] = {"timezone": str}


class _Reader:
    """Turns raw TOML into errors that name the file, the line, the key and the fix."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def where(self, key: str) -> str:
        name = str(self.path) if self.path else "<built-in config>"
        leaf = key.rsplit(".", 1)[-1].split("[", 1)[0]
        pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"']*\b{re.escape(leaf)}\b")
        for number, line in enumerate(self.lines, 1):
            if pattern.match(line):
                return f"{name}:{number}"
        return name

    def fail(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {key}: {problem}", hint=fix)

    def check_keys(self, table: Mapping[str, Any], allowed: Mapping[str, Any], prefix: str) -> None:
        for key, value in table.items():
            full = f"{prefix}.{key}" if prefix else key
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1)
                fix = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(sorted(allowed))}"
                raise self.fail(full, "unknown key", fix)
            expected = allowed[key]
            if isinstance(value, bool) and expected is not bool and bool not in _as_tuple(expected):
                raise self.fail(full, f"expected {_type_name(expected)}, got {value!r}", "fix the value")
            if not isinstance(value, expected):
                raise self.fail(full, f"expected {_type_name(expected)}, got {value!r}", "fix the value")


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {str: "text in quotes", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list like [\"a\", \"b\"]", dict: "a table"}
    return " or ".join(names.get(x, x.__name__) for x in _as_tuple(t))


def parse_duration(text: str) -> timedelta | None:
    """'15m', '1h30m', '2d', '45s' -> timedelta; None when it does not read as a duration."""
    match = _DURATION.match(text)
    if not match or not any(match.groups()):
        return None
    days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _feed(reader: _Reader, raw: Any, index: int, base_dir: Path) -> FeedConfig:
    prefix = f"feeds[{index}]"
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "each feed must be a [[feeds]] table", "write [[feeds]] then url = \"...\"")
    reader.check_keys(raw, _FEED_KEYS, prefix)
    url = raw.get("url")
    if not url:
        raise reader.fail(prefix, "missing url", 'add url = "https://example.org/feed/"')
    if "://" in url:
        if not re.match(r"^(https?|file)://[^\s/$.?#][^\s]*$", url):
            raise reader.fail(f"{prefix}.url", f"{url!r} is not a feed URL", "use an http(s):// URL or a file path")
    else:
        path = Path(url)
        url = str(path if path.is_absolute() else (base_dir / path).resolve())
    every: timedelta | None = None
    cron = raw.get("cron")
    if "every" in raw and cron:
        raise reader.fail(f"{prefix}.every", "both every and cron are set", "keep only one of them")
    if cron:
        _check_cron(reader, f"{prefix}.cron", cron)
    else:
        every = parse_duration(raw.get("every", "15m"))
        if every is None or every.total_seconds() < 10:
            raise reader.fail(f"{prefix}.every", f"{raw['every']!r} is not an interval",
                              'write a duration such as "15m", "1h" or "90s" (at least 10s)')
    platforms = tuple(raw.get("platforms", ()))
    for name in platforms:
        if name not in KNOWN_PLATFORMS:
            close = difflib.get_close_matches(str(name), KNOWN_PLATFORMS, n=1)
            raise reader.fail(f"{prefix}.platforms", f"unknown platform {name!r}",
                              f"did you mean '{close[0]}'?" if close else f"use {', '.join(KNOWN_PLATFORMS)}")
    backfill = raw.get("backfill", 0)
    if backfill < 0:
        raise reader.fail(f"{prefix}.backfill", "must not be negative", "use 0 (post nothing old) or a count")
    max_age = float(raw.get("max_age_days", 2.0))
    if max_age <= 0:
        raise reader.fail(f"{prefix}.max_age_days", "must be more than 0", "use a number of days such as 2")
    return FeedConfig(url=url, name=str(raw.get("name", url)), every=every, cron=cron, platforms=platforms,
                      backfill=backfill, max_age_days=max_age)


def _check_cron(reader: _Reader, key: str, expression: str) -> None:
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(expression)
    except ValueError as exc:
        raise reader.fail(key, f"{expression!r} is not a cron expression ({exc})",
                          'use five fields: minute hour day month weekday, e.g. "*/15 * * * *"') from None


def _platform(reader: _Reader, name: str, raw: Any) -> PlatformConfig | None:
    prefix = f"platforms.{name}"
    if not isinstance(raw, dict):
        raise reader.fail(prefix, "must be a table", f"write [platforms.{name}]")
    reader.check_keys(raw, _PLATFORM_KEYS, prefix)
    if not raw.get("enabled", True):
        return None
    template = raw.get("template")
    if template is not None:
        from bot.compose import validate_template

        unknown = validate_template(template)
        if unknown:
            from bot.compose import TEMPLATE_FIELDS

            raise reader.fail(f"{prefix}.template", f"unknown field {{{unknown[0]}}}",
                              f"use one of {', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}")
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
    )


def parse_config(text: str, path: Path | None, env: Environment | None = None) -> Config:
    """Validate TOML text into a Config, or raise one ConfigError naming the place."""
    reader = _Reader(path, text)
    name = str(path) if path else "<built-in config>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}", hint="check quotes, brackets and '=' signs") from None
    reader.check_keys(raw, _TOP_KEYS, "")
    reader.check_keys(raw.get("bot", {}), _BOT_KEYS, "bot")
    timezone = raw.get("bot", {}).get("timezone", "UTC")
    _check_timezone(reader, timezone)
    base_dir = path.parent if path else Path.cwd()
    feeds = tuple(_feed(reader, f, i, base_dir) for i, f in enumerate(raw.get("feeds", [])))
    if not feeds:
        raise reader.fail("feeds", "no feeds configured", 'add a [[feeds]] table with url = "..."')
    platforms_raw = raw.get("platforms", {})
    for key in platforms_raw:
        if key not in KNOWN_PLATFORMS:
            close = difflib.get_close_matches(key, KNOWN_PLATFORMS, n=1)
            raise reader.fail(f"platforms.{key}", "unknown platform",
                              f"did you mean '{close[0]}'?" if close else f"use {', '.join(KNOWN_PLATFORMS)}")
    platforms = {}
    for key, value in platforms_raw.items():
        parsed = _platform(reader, key, value)
        if parsed is not None:
            platforms[key] = parsed
    return Config(path=path, feeds=feeds, platforms=platforms, timezone=timezone,
                  env=env if env is not None else Environment())


def _check_timezone(reader: _Reader, name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("bot.timezone", f"unknown time zone {name!r}",
                          'use an IANA name such as "Europe/Paris" or "UTC"') from None


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
    return Environment(
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
