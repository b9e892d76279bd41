"""Every editor mistake is one line naming the file, the line, the key and the fix.

Each case is a whole config file with one mistake. The expected line number is where the
mistake is written (so a mistake in the second feed must not point at the first).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import parse_config
from bot.errors import ConfigError

HEAD = '[bot]\ntimezone = "Europe/Paris"\n\n[[feeds]]\nurl = "https://example.org/feed/"\n'
# HEAD occupies lines 1-5; a case's own lines start at line 6.

CASES: list[tuple[str, str, int | None, str, str]] = [
    # (id, config text, expected line, key in the message, part of the fix)
    ("misspelled feed key", HEAD + 'evry = "15m"\n', 6, "feeds[0].evry", "did you mean 'every'"),
    ("misspelled top table", HEAD + '[platform.twitter]\n', 6, "platform", "did you mean 'platforms'"),
    ("misspelled bot key", '[bot]\ntimezon = "UTC"\n[[feeds]]\nurl = "https://e.org/f"\n', 2, "bot.timezon",
     "did you mean 'timezone'"),
    ("misspelled platform key", HEAD + '[platforms.twitter]\ndaily_cpa = 3\n', 7, "platforms.twitter.daily_cpa",
     "did you mean 'daily_cap'"),
    ("misspelled platform name", HEAD + '[platforms.twiter]\n', 6, "platforms.twiter", "did you mean 'twitter'"),
    ("key in second feed", HEAD + '\n[[feeds]]\nurl = "https://example.org/b"\nevery = "15m"\nbackfil = 2\n', 10,
     "feeds[1].backfil", "did you mean 'backfill'"),
    ("bad time zone", '[bot]\ntimezone = "Europe/Pariss"\n[[feeds]]\nurl = "https://e.org/f"\n', 2, "bot.timezone",
     'did you mean "Europe/Paris"'),
    ("unknown time zone", '[bot]\ntimezone = "Mars/Olympus"\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.timezone", "IANA"),
    ("bad platform time zone", HEAD + '[platforms.twitter]\ntimezone = "CEST"\n', 7, "platforms.twitter.timezone",
     "time zone"),
    ("window ends before it starts", HEAD + '[platforms.twitter]\nwindows = ["Mon-Fri 20:00-08:00"]\n', 7,
     "platforms.twitter.windows[0]", "split it"),
    ("window with hour 25", HEAD + '[platforms.twitter]\nwindows = ["Mon 08:00-25:00"]\n', 7,
     "platforms.twitter.windows[0]", "00:00 to 24:00"),
    ("window with minute 61", HEAD + '[platforms.twitter]\nwindows = ["Mon 08:61-10:00"]\n', 7,
     "platforms.twitter.windows[0]", "00:00 to 24:00"),
    ("window with unknown day", HEAD + '[platforms.twitter]\nwindows = ["Mo-Fr 08:00-10:00"]\n', 7,
     "platforms.twitter.windows[0]", "Mon, Tue"),
    ("window without hours", HEAD + '[platforms.twitter]\nwindows = ["weekdays"]\n', 7,
     "platforms.twitter.windows[0]", "Mon-Fri 08:00-20:00"),
    ("empty window", HEAD + '[platforms.twitter]\nwindows = ["Sat 10:00-10:00"]\n', 7,
     "platforms.twitter.windows[0]", "split it"),
    ("second window wrong, multi-line list",
     HEAD + '[platforms.facebook]\nwindows = [\n  "Mon-Fri 08:00-20:00",\n  "Sun 9-12",\n]\n', 7,
     "platforms.facebook.windows[1]", "Mon-Fri 08:00-20:00"),
    ("windows not a list", HEAD + '[platforms.twitter]\nwindows = "Mon-Fri 08:00-20:00"\n', 7,
     "platforms.twitter.windows", "windows = ['Mon-Fri 08:00-20:00']"),
    ("quiet date impossible", HEAD + '[platforms.twitter]\nquiet_dates = ["2025-02-30"]\n', 7,
     "platforms.twitter.quiet_dates", "no such day"),
    ("quiet date in words", HEAD + '[platforms.twitter]\nquiet_dates = ["Christmas"]\n', 7,
     "platforms.twitter.quiet_dates", "12-25"),
    ("quiet range backwards", HEAD + '[platforms.twitter]\nquiet_dates = ["2025-12-26..2025-12-24"]\n', 7,
     "platforms.twitter.quiet_dates", "earlier date first"),
    ("bad cron", HEAD + 'cron = "*/15 * * *"\n', 6, "feeds[0].cron", "five fields"),
    ("cron field out of range", HEAD + 'cron = "0 25 * * *"\n', 6, "feeds[0].cron", "five fields"),
    ("every and cron", HEAD + 'every = "15m"\ncron = "*/5 * * * *"\n', 6, "feeds[0].every", "only one"),
    ("every not a duration", HEAD + 'every = "quarter hour"\n', 6, "feeds[0].every", '"15m"'),
    ("every too often", HEAD + 'every = "1s"\n', 6, "feeds[0].every", "at least 10s"),
    ("every as a number", HEAD + 'every = 15\n', 6, "feeds[0].every", 'every = "..."'),
    ("unknown template field", HEAD + '[platforms.twitter]\ntemplate = "{title} {url}"\n', 7,
     "platforms.twitter.template", "did you mean {link}"),
    ("template lone brace", HEAD + '[platforms.facebook]\ntemplate = "{title"\n', 7, "platforms.facebook.template",
     "literal brace"),
    ("feed template unknown field", HEAD + '[feeds.templates]\ntwitter = "{headline} {link}"\n', 7,
     "feeds[0].templates.twitter", "{title}"),
    ("feed template unknown platform", HEAD + '[feeds.templates]\ntwiter = "{title}"\n', 7,
     "feeds[0].templates.twiter", "did you mean 'twitter'"),
    ("url without scheme", '[[feeds]]\nurl = "example.org/feed"\n', 2, "feeds[0].url", 'write "https://example.org/feed"'),
    ("url bad scheme", '[[feeds]]\nurl = "ftp://example.org/feed"\n', 2, "feeds[0].url", "https://"),
    ("url missing slash", '[[feeds]]\nurl = "https:/example.org/feed"\n', 2, "feeds[0].url", "https://"),
    ("url with a space", '[[feeds]]\nurl = "https://exa mple.org/feed"\n', 2, "feeds[0].url", "https://"),
    ("url that is words", '[[feeds]]\nurl = "our news feed"\n', 2, "feeds[0].url", "https://"),
    ("url missing", '[[feeds]]\nname = "news"\n', 1, "feeds[0]", 'url = "https://'),
    ("duplicate feed", HEAD + '[[feeds]]\nurl = "https://example.org/feed/"\n', 7, "feeds[1].url", "remove one"),
    ("no feeds", '[bot]\ntimezone = "UTC"\n', None, "feeds", "[[feeds]]"),
    ("unknown platform in feed", HEAD + 'platforms = ["twitter", "myspace"]\n', 6, "feeds[0].platforms", "use"),
    ("platform name not text", HEAD + 'platforms = ["twitter", 3]\n', 6, "feeds[0].platforms[1]", 'write "3"'),
    ("negative cap", HEAD + '[platforms.twitter]\ndaily_cap = -1\n', 7, "platforms.twitter.daily_cap", "0 or more"),
    ("cap as text", HEAD + '[platforms.twitter]\ndaily_cap = "5"\n', 7, "platforms.twitter.daily_cap",
     "daily_cap = 5"),
    ("cap as bool", HEAD + '[platforms.twitter]\nmonthly_cap = true\n', 7, "platforms.twitter.monthly_cap",
     "monthly_cap = 5"),
    ("min gap not a duration", HEAD + '[platforms.twitter]\nmin_gap = "half an hour"\n', 7,
     "platforms.twitter.min_gap", '"30m"'),
    ("bad hashtag mode", HEAD + '[platforms.twitter]\nhashtag_mode = "end"\n', 7, "platforms.twitter.hashtag_mode",
     '"append" or "inline"'),
    ("bad regex filter", HEAD + 'include_patterns = ["(Iran"]\n', 6, "feeds[0].include_patterns[0]",
     "escape special characters"),
    ("misspelled filter key", HEAD + 'exclude_category = ["Ads"]\n', 6, "feeds[0].exclude_category",
     "did you mean 'exclude_categories'"),
    ("negative backfill", HEAD + 'backfill = -3\n', 6, "feeds[0].backfill", "0 (post nothing old)"),
    ("zero max age", HEAD + 'max_age_days = 0\n', 6, "feeds[0].max_age_days", "number of days"),
    ("enabled as text", HEAD + '[platforms.twitter]\nenabled = "no"\n', 7, "platforms.twitter.enabled",
     "enabled = true"),
    ("mistake in a disabled platform still reported", HEAD + '[platforms.facebook]\nenabled = false\n'
     'windows = ["Mon 9:00-8:00"]\n', 8, "platforms.facebook.windows[0]", "split it"),
    ("not TOML", HEAD + 'every = "15m\n', 6, "not valid TOML", "that line"),
    ("key outside a table after comment", "# editors' file\n\nfeeds = 3\n", 3, "feeds", "a list"),
    ("allow_private entry neither host nor network",
     '[bot]\nallow_private = ["10.1.0.0/16", "intranet example"]\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.allow_private[1]", '"10.1.0.0/16"'),
    ("allow_private not a list", '[bot]\nallow_private = "10.0.0.0/8"\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.allow_private", 'allow_private = [\'10.0.0.0/8\']'),
    ("fetch deadline not a duration", '[bot]\nfetch_deadline = "30 seconds"\n[[feeds]]\nurl = "https://e.org/f"\n',
     2, "bot.fetch_deadline", '"30s"'),
    ("fetch deadline overflows", '[bot]\nfetch_deadline = "99999999d"\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.fetch_deadline", "shorter duration"),
    ("fetch deadline zero", '[bot]\nfetch_deadline = "0s"\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.fetch_deadline", 'between "1s" and "5m"'),
    # Out of range: each would have been accepted, then overflowed a date or a database integer later.
    ("every overflows a date", HEAD + 'every = "99999999d"\n', 6, "feeds[0].every", "shorter duration"),
    ("every of a thousand digits", HEAD + f'every = "{"9" * 1000}s"\n', 6, "feeds[0].every", "shorter duration"),
    ("every over a year", HEAD + 'every = "366d"\n', 6, "feeds[0].every", "shorter duration"),
    ("min gap overflows", HEAD + '[platforms.twitter]\nmin_gap = "99999999d"\n', 7, "platforms.twitter.min_gap",
     "shorter duration"),
    ("retention overflows a date", '[bot]\nretention_days = 99999999999\n[[feeds]]\nurl = "https://e.org/f"\n', 2,
     "bot.retention_days", "30 to 36500"),
    ("max age nan", HEAD + 'max_age_days = nan\n', 6, "feeds[0].max_age_days", "number of days"),
    ("max age inf", HEAD + 'max_age_days = inf\n', 6, "feeds[0].max_age_days", "number of days"),
    ("max age 1e308", HEAD + 'max_age_days = 1e308\n', 6, "feeds[0].max_age_days", "number of days"),
    ("max age -nan", HEAD + 'max_age_days = -nan\n', 6, "feeds[0].max_age_days", "number of days"),
    ("backfill beyond a database integer", HEAD + 'backfill = 9223372036854775807\n', 6, "feeds[0].backfill",
     "count of entries"),
    ("daily cap beyond reason", HEAD + '[platforms.twitter]\ndaily_cap = 9223372036854775807\n', 7,
     "platforms.twitter.daily_cap", "0 to 1000000"),
    ("monthly cap beyond reason", HEAD + '[platforms.facebook]\nmonthly_cap = 10000001\n', 7,
     "platforms.facebook.monthly_cap", "0 to 1000000"),
    ("max hashtags beyond reason", HEAD + '[platforms.twitter]\nmax_hashtags = 1000\n', 7,
     "platforms.twitter.max_hashtags", "0 to 30"),
    ("thread max beyond reason", HEAD + '[platforms.twitter]\nthread_max = 100000\n', 7,
     "platforms.twitter.thread_max", "0 to 25"),
]


@pytest.mark.parametrize(("text", "line", "key", "fix"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_config_is_one_clear_line(tmp_path: Path, text: str, line: int | None, key: str, fix: str) -> None:
    path = tmp_path / "bot.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        parse_config(text, path)
    message = str(raised.value)
    assert "\n" not in message
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert message.startswith(where), message
    assert key in message, message
    assert fix in message, message


def test_there_are_at_least_30_distinct_cases() -> None:
    texts = {c[1] for c in CASES}
    assert len(texts) == len(CASES) >= 30


def test_an_existing_file_path_is_a_feed(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text("<rss/>")
    config = parse_config('[[feeds]]\nurl = "feed.xml"\n', tmp_path / "bot.toml")
    assert config.feeds[0].url == str((tmp_path / "feed.xml").resolve())
    with pytest.raises(ConfigError, match=r"bot.toml:2: feeds\[0\].url: 'missing.xml' is neither"):
        parse_config('[[feeds]]\nurl = "missing.xml"\n', tmp_path / "bot.toml")
