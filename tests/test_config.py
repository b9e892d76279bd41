"""A valid config: what each key becomes, the example file and the README cover every key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import config as config_module
from bot.config import Environment, load_config, parse_config, read_environment
from bot.errors import ConfigError
from bot.tomllines import key_lines, line_of

ROOT = Path(__file__).resolve().parents[1]
ALL_KEYS = {
    "bot": set(config_module._BOT_KEYS),
    "feeds": set(config_module._FEED_KEYS),
    "platforms": set(config_module._PLATFORM_KEYS),
}


def test_full_config(tmp_path: Path) -> None:
    text = """
[bot]
timezone = "Europe/Paris"

[[feeds]]
url = "https://example.org/feed/"
name = "news"
cron = "*/10 7-22 * * 1-5"
platforms = ["twitter"]
include_categories = ["Iran"]
exclude_keywords = ["sponsored"]
exclude_patterns = ["^\\\\[Ad\\\\]"]
[feeds.templates]
twitter = "{title} {link}"

[platforms.twitter]
windows = ["Mon-Fri 08:00-20:00", "Sat 10:00-14:00"]
quiet_dates = ["12-25"]
min_gap = "20m"
daily_cap = 5
monthly_cap = 100
timezone = "America/New_York"
[platforms.facebook]
enabled = false
"""
    config = parse_config(text, tmp_path / "bot.toml")
    feed = config.feeds[0]
    assert feed.cron == "*/10 7-22 * * 1-5" and feed.every is None and feed.platforms == ("twitter",)
    assert dict(feed.templates) == {"twitter": "{title} {link}"}
    assert feed.filter.include_categories == ("Iran",) and feed.filter.exclude_patterns == (r"^\[Ad\]",)
    assert feed.filter.max_age_days == 2.0
    twitter = config.platforms["twitter"]
    assert [w.text for w in twitter.windows] == ["Mon-Fri 08:00-20:00", "Sat 10:00-14:00"]
    assert twitter.timezone == "America/New_York" and twitter.min_gap == timedelta(minutes=20)
    assert (twitter.daily_cap, twitter.monthly_cap) == (5, 100)
    assert "facebook" not in config.platforms


def test_platform_time_zone_defaults_to_the_bot_one(tmp_path: Path) -> None:
    config = parse_config('[bot]\ntimezone = "Asia/Tehran"\n[[feeds]]\nurl = "https://e.org/f"\n'
                          "[platforms.twitter]\n", tmp_path / "bot.toml")
    assert config.platforms["twitter"].timezone == "Asia/Tehran"


def test_shipped_configs_are_valid() -> None:
    for name in ("bot.toml", "example.toml"):
        assert load_config(str(ROOT / "config" / name), environ={}).feeds


@pytest.mark.parametrize("table", sorted(ALL_KEYS))
def test_example_and_readme_document_every_key(table: str) -> None:
    example = (ROOT / "config" / "example.toml").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for key in ALL_KEYS[table]:
        written = (f"\n{key} =", f"\n# {key} =", f".{key}]\n")  # a key, a commented key, or a [table.key]
        assert any(w in example for w in written), f"config/example.toml lacks {table}.{key}"
        assert f"`{key}`" in readme, f"README config reference lacks {table}.{key}"


def test_database_password_is_a_secret() -> None:
    env = read_environment({"DATABASE_URL": "postgres://u:p%40ss-w0rd@db.example.org:5432/bot"})
    assert "p%40ss-w0rd" in env.secrets() and "p@ss-w0rd" in env.secrets()
    assert Environment().secrets() == []


def test_bad_shutdown_grace_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="BOT_SHUTDOWN_GRACE"):
        read_environment({"BOT_SHUTDOWN_GRACE": "soon"})
    assert read_environment({"BOT_SHUTDOWN_GRACE": "5"}).shutdown_grace == 5.0


def test_key_lines_follow_tables_arrays_and_multiline_strings() -> None:
    text = '''[[feeds]]
url = "a"
[feeds.templates]
twitter = """{title}
every = "not a key"
"""
[[feeds]]
url = "b"
include_keywords = [
  "x = y",
]
every = "1m"
[platforms.twitter.hashtags]
"Human rights" = "HR"
'''
    lines = key_lines(text)
    assert lines["feeds[0].templates.twitter"] == 4
    assert "feeds[0].templates.every" not in lines
    assert lines["feeds[1].url"] == 8 and lines["feeds[1].every"] == 12
    assert lines["platforms.twitter.hashtags.Human rights"] == 14
    assert line_of(lines, "feeds[1].include_keywords[0]") == 9
    assert line_of(lines, "platforms.twitter.hashtags.Other") == 13
    assert line_of(lines, "platforms") == 13


def test_retention_days(tmp_path: Path) -> None:
    base = '[[feeds]]\nurl = "https://example.org/feed/"\n[platforms.twitter]\n'
    assert parse_config(base, None).retention == timedelta(days=365)
    assert parse_config("[bot]\nretention_days = 90\n" + base, None).retention == timedelta(days=90)
    path = tmp_path / "bot.toml"
    with pytest.raises(ConfigError) as raised:
        parse_config("[bot]\nretention_days = 7\n" + base, path)
    assert str(raised.value).startswith(f"{path}:2: bot.retention_days:") and "at least 30" in str(raised.value)
