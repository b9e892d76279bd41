"""What is for trying the bot out never reaches a real account, whatever credentials are set.

Two things are for trying out: the built-in defaults (used when no config file is found: a wrong
working directory, a config never committed) and the bundled sample feed (third-party articles,
which the repository's config/bot.toml points at until an editor replaces it). Posts from either
are shown as dry-run output. The platform clients are built as usual for the rest, so a config
that mixes the sample with a real feed posts the real feed's articles only.
"""

from __future__ import annotations

from functools import lru_cache

from bot.config import SAMPLE_FEED, Config, account_missing


def is_sample_feed(url: str) -> bool:
    """A feed (or an outbox row's feed) that is the bundled sample, wherever its copy lives.

    Recognised by content, not by path: `pip install .` (a container image, a buildpack, a wheel) puts the
    package's copy in site-packages while the repository's config/bot.toml names the copy in the checkout,
    and an editor may copy the file anywhere. The same bytes (line endings aside) are the sample."""
    from bot.feeds.fetch import is_local, local_path

    if not is_local(url):
        return False
    path = local_path(url)
    try:
        st = path.stat()
    except (OSError, ValueError):
        return False
    return _is_sample_file(str(path), st.st_size, st.st_mtime_ns)


@lru_cache(maxsize=256)
def _is_sample_file(path: str, size: int, mtime_ns: int) -> bool:
    """Keyed by size and modification time too, so a file an editor rewrites is judged again."""
    sample = _sample_bytes()
    if not len(sample) <= size <= 2 * len(sample):  # a checkout with CRLF line endings is at most twice as long
        return False
    try:
        with open(path, "rb") as f:
            return f.read(2 * len(sample) + 1).replace(b"\r\n", b"\n") == sample
    except OSError:
        return False


@lru_cache(maxsize=1)
def _sample_bytes() -> bytes:
    return SAMPLE_FEED.read_bytes().replace(b"\r\n", b"\n")


def credentials_set(config: Config) -> list[str]:
    """The accounts whose credentials are in the environment, enabled or not (each network's default account
    and every configured one): those that could post for real."""
    from bot import networks

    accounts = {name: name for name in networks.names()}
    accounts.update(config.declared_accounts)
    accounts.update((p.name, p.network) for p in config.platforms.values())
    return [name for name, network in accounts.items() if not account_missing(config.env, name, network)]


def problems(config: Config) -> list[str]:
    """Why some or all posts of this config will be dry-run although credentials are set (empty: none).

    For `bot check` (each one a problem) and the start of a run (each one a warning, said once).
    """
    have = credentials_set(config)
    if not have:
        return []  # dry-run anyway, and says so already: nothing is being kept from a real account
    found = ", ".join(have)
    if config.missing_file:
        return [f"no config file found ({config.missing_file}): running on the built-in defaults, whose posts are "
                f"only shown (dry-run), never sent, although credentials are set for {found}; "
                "give --config PATH or BOT_CONFIG, or run from the directory that holds config/bot.toml"]
    return [f"feed {feed.name}: the bundled sample feed: its posts are only shown (dry-run), never sent, "
            f"although credentials are set for {found}; point its url at your site's feed"
            for feed in config.feeds if is_sample_feed(feed.url)]
