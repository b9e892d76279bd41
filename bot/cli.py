"""Command line: parses arguments, calls the core, turns errors into one-line messages.

Exit codes: 0 success, 2 bad config or usage (nothing posted), 130/143 stopped by SIGINT/SIGTERM,
1 anything else.
Heavy imports (the networks' client libraries, parsers) happen inside the commands that need them.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn

from bot.errors import BotError, ConfigError

log = logging.getLogger("bot")


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it ($COLUMNS, else stdout's terminal, else 80)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's, measuring the terminal without importing shutil (with bz2, lzma and fnmatch: 3 ms of every
    command, a pass over unchanged feeds included): argparse builds a formatter for each argument added, to check
    it, and each asked shutil for the width."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line, like every other error (argparse would print the whole usage first)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)  # the commands' parsers are made by add_parser, alike
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"bot: {message} (see `{self.prog} --help`)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


class _Unused:
    """Stands for the parser of a command the command line does not name: building all twenty (argparse looks up
    its messages' translations on disk for each) took 3 ms of every command, one took 0.8 ms."""

    def add_argument(self, *args: Any, **kwargs: Any) -> None:
        return None

    def add_subparsers(self, *args: Any, **kwargs: Any) -> _Unused:
        return self

    def add_parser(self, *args: Any, **kwargs: Any) -> _Unused:
        return self

    def add_mutually_exclusive_group(self, *args: Any, **kwargs: Any) -> _Unused:
        return self


_GLOBAL_VALUED = ("--config", "--log-format", "--log-level")


def _command_of(argv: Sequence[str]) -> str | None:
    """The command the arguments name, when that is certain; else None (the whole parser is built): help asked
    for, an abbreviated or unknown option before the command, no command."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_VALUED:
            next(args, None)
        elif arg.startswith(tuple(f"{option}=" for option in _GLOBAL_VALUED)):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return arg if arg in _COMMANDS and not {"-h", "--help"}.intersection(argv) else None
    return None


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `only`, the arguments of that command alone (see `_command_of`)."""
    parser = _Parser(prog="bot", description="Post your site's new articles to your social accounts.")
    parser.add_argument("--config", metavar="PATH", help="config file (default: $BOT_CONFIG, else config/bot.toml)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text", help="log lines as text or JSON")
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, **kwargs: Any) -> Any:
        return sub.add_parser(name, **kwargs) if only is None or name == only else _Unused()

    run = add("run", help="the worker: poll feeds on schedule and post what is new")
    run.add_argument("--once", action="store_true", help="poll every feed once, deliver what is due, exit")
    run.add_argument("--backfill", type=int, metavar="N", help="on a feed's first sight, post its newest N entries")
    run.add_argument("--dry-run", action="store_true", help="show posts instead of sending them")

    post = add("post", help="post one article page (URL) or a given text now")
    post.add_argument("url", nargs="?", help="article page to fetch, summarise and post")
    post.add_argument("--text", help="post this text as it is")
    post.add_argument("--platform", action="append", metavar="NAME", help="only this platform (repeatable)")
    post.add_argument("--dry-run", action="store_true", help="show the posts, send nothing, record nothing")

    preview = add("preview", help="show what would be posted for the articles now in the feeds")
    preview.add_argument("--feed", metavar="URL_OR_PATH", help="preview this feed instead of the configured ones")
    preview.add_argument("--json", action="store_true", help="print one JSON array")
    preview.add_argument("--platform", action="append", metavar="NAME", help="only this platform (repeatable)")
    preview.add_argument("--no-pages", action="store_true",
                         help="do not read the pages of teaser-only entries (a run does: their posts are marked)")
    shown = preview.add_mutually_exclusive_group()
    shown.add_argument("--limit", type=_positive, default=PREVIEW_LIMIT, metavar="N",
                       help=f"the newest N articles of each feed (default {PREVIEW_LIMIT})")
    shown.add_argument("--all", action="store_true", help="every article of each feed")

    add("check", help="validate the config and environment, reach feeds and platforms (posts nothing)")
    plan = add("schedule", help="the plan: next checks of each feed, when each queued post goes out")
    plan.add_argument("--limit", type=_positive, default=20, metavar="N", help="posts shown per platform (default 20)")
    plan.add_argument("--checks", type=_positive, default=3, metavar="N", help="next checks shown per feed (default 3)")
    plan.add_argument("--json", action="store_true", help="print one JSON document")
    status = add("status", help="the queue, paused platforms, feed errors and caps")
    status.add_argument("--json", action="store_true", help="print one JSON document")
    history = add("history", help="posts made, with their remote ids and URLs")
    history.add_argument("--limit", type=_positive, default=50, metavar="N", help="newest N posts (default 50)")
    history.add_argument("--platform", metavar="NAME", help="only this platform")
    history.add_argument("--json", action="store_true", help="print one JSON array")
    history.add_argument("--audit", action="store_true", help="what editors did instead: who approved, edited "
                         "(before and after), skipped, took back or retried which post, when, from where")
    retry = add("retry", help="requeue failed posts and release held ones, or release a feed paused by a flood")
    retry.add_argument("--platform", metavar="NAME", help="only this platform's failed and held posts")
    retry.add_argument("--feed", metavar="NAME", help="release this feed, paused by a flood: read it now and "
                       "queue every new article (or only the newest N with --backfill)")
    retry.add_argument("--backfill", type=int, metavar="N", help="with --feed: post only the newest N new "
                       "articles, record the others as seen without posting them")
    queue = add("queue", help="what is queued: waiting for review, for a slot, due, failed")
    queue.add_argument("--platform", metavar="NAME", help="only this platform")
    queue.add_argument("--json", action="store_true", help="print one JSON array")
    approve = add("approve", help="release posts held for review to the schedule")
    approve.add_argument("ids", nargs="*", type=_positive, metavar="ID", help="post ids (see `bot queue`)")
    approve.add_argument("--all", action="store_true", help="every held post that has not expired")
    approve.add_argument("--platform", metavar="NAME", help="with --all: only this platform")
    skip = add("skip", help="drop queued or held posts for good: never sent, never queued again")
    skip.add_argument("ids", nargs="+", type=_positive, metavar="ID", help="post ids (see `bot queue`)")
    edit = add("edit", help="replace the text of a post that has not gone out")
    edit.add_argument("id", type=_positive, metavar="ID", help="post id (see `bot queue`)")
    edit.add_argument("--text", required=True, help="the new text, checked against the network's rules")
    eds = add("editors", help="named editors of the page: add one (prints their token once), revoke, list")
    eds.add_argument("action", choices=("add", "revoke", "list"))
    eds.add_argument("name", nargs="?", help="the editor's name (add, revoke)")
    web = add("web", help="the editors' page and JSON API (review, status)")
    web.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    web.add_argument("--port", type=_positive, default=None, help="port (default $PORT, else 8080)")
    demo = add("demo", help="post the sample feed to local stand-ins of every network and show them")
    demo.add_argument("--dir", help="where its config and database go (default: a new temporary directory)")
    demo.add_argument("--web", action="store_true", help="then serve the editors' page on them until Ctrl-C")
    demo.add_argument("--port", type=_positive, default=8080, help="the page's port (default 8080)")
    db = add("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="apply schema migrations (run on release)")
    return parser


class _StartUp:
    """The cyclic garbage collector paused while a command starts. Start-up makes objects that live as long as the
    process (modules, classes, functions, the config): about 50 collections of a `bot run --once` over unchanged
    feeds walked them again and again, 5-9 ms of a 190 ms pass, and found next to nothing. Once started, they are
    frozen (never walked again, as gc.freeze's documentation advises for a long-lived process: the worker's full
    collections skip them too) and the collector runs as usual for what the command itself makes."""

    def __init__(self) -> None:
        self._paused = gc.isenabled()
        gc.disable()
        self._frozen = False

    def done(self) -> None:
        if self._paused and not self._frozen:
            gc.freeze()
            gc.enable()
            self._frozen = True

    def close(self) -> None:
        """The collector as it was; a caller that runs main() in its own process gets its objects back."""
        self.done()
        if self._frozen:
            gc.unfreeze()


_start_up: _StartUp | None = None


def _started() -> None:
    """Start-up is over (see _StartUp): called once a command has imported what it runs on."""
    if _start_up is not None:
        _start_up.done()


def main(argv: Sequence[str] | None = None) -> int:
    global _start_up
    _start_up = start_up = _StartUp()
    try:
        return _main(argv)
    finally:
        start_up.close()


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser(_command_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    from bot import dataclass_code

    dataclass_code.install()  # before the command's modules define their dataclasses (help and usage need none)
    _load_dotenv()
    redact = None
    try:
        from bot.config import load_config
        from bot.logs import setup_logging

        # `bot demo` brings its own config and accounts: the caller's (perhaps broken or half set) stay unread.
        config = None if args.command == "demo" else load_config(args.config)
        # A report's stdout is the report (a pipe into grep, head or jq): log lines go to stderr.
        redact = setup_logging(args.log_level, args.log_format, config.secrets() if config else [],
                               to_stderr=bool(getattr(args, "json", False)) or args.command in _REPORTS)
        handler = _COMMANDS[args.command]
        if handler is not cmd_run:  # `bot run` says when it has started, after importing the worker
            _started()
        code = handler(config, args)
        sys.stdout.flush()  # here, where a closed pipe is caught, not in the interpreter's exit
        return code
    except ConfigError as exc:
        print(f"bot: {_safe(exc, redact)}", file=sys.stderr)
        return 2
    except BotError as exc:
        print(f"bot: {_safe(exc, redact)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _pipe_closed()
    except Exception:  # a bug: say so, redacted (the streams are wrapped once logging is set up)
        import traceback

        text = traceback.format_exc()
        print(f"bot: unexpected error (a bug; please report it):\n{_safe_text(text, redact)}", file=sys.stderr)
        return 1


def _pipe_closed() -> int:
    """The reader went away (`bot history | head -1`): what it wanted it has. End quietly, as `git log | head`
    does (141: killed by SIGPIPE), and point stdout at /dev/null so that the exit's own flush raises nothing."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except OSError:
        pass
    return 141


def _safe(exc: BaseException, redact: Any) -> str:
    return _safe_text(str(exc), redact)


def _safe_text(text: str, redact: Any) -> str:
    return str(redact(text)) if redact else text


def _load_dotenv() -> None:
    """`.env` in the working directory, as the README says; never one found by searching elsewhere (python-dotenv
    would look beside this file and up its parents: in a virtualenv, some other project's secrets)."""
    from pathlib import Path

    path = Path.cwd() / ".env"
    if path.is_file():
        from dotenv import load_dotenv  # only then: its import is a few milliseconds of every command

        load_dotenv(path, override=False)


# --- commands -----------------------------------------------------------------------------------


def cmd_run(config: Any, args: argparse.Namespace) -> int:
    from dataclasses import replace

    from bot.app import Bot

    if args.backfill is not None:
        if args.backfill < 0:
            raise ConfigError("--backfill must be 0 or more")
        config = replace(config, feeds=tuple(replace(f, backfill=args.backfill) for f in config.feeds))
    from bot.runs.once import run_once, show_for

    _started()
    if args.once:
        return run_once(config, args.dry_run, args.log_format)
    if args.dry_run:  # a worker that records nothing (bot.runs.watch)
        from bot.runs.watch import run_dry_worker

        return run_dry_worker(config, args.log_format)
    show = show_for(args.log_format)
    bot = Bot(config, dry_run=args.dry_run, show=show)
    try:
        from bot.worker import run_worker

        return run_worker(bot, dry_run=args.dry_run, show=show)
    finally:
        bot.close()


def cmd_post(config: Any, args: argparse.Namespace) -> int:
    from bot.app import Bot
    from bot.delivery.loop import deliver_platform
    from bot.platforms.dryrun import DryRunPlatform
    from bot.report.output import show_draft

    if (args.url is None) == (args.text is None):
        raise ConfigError("give either a URL or --text \"...\"", hint="bot post https://example.org/article")
    from bot.runs import one_off

    platforms = (_chosen_platforms(config, args.platform) if args.platform or args.url is None
                 else one_off.accounts(config, args.url, []))  # a URL: the accounts of the feed whose site it is on
    now = datetime.now(UTC).timestamp()
    from bot.feeds.errors import FeedError

    try:
        article, drafts = one_off.drafts(config, args.url, args.text, platforms, sending=not args.dry_run)
    except FeedError as exc:
        print(f"bot: {exc}", file=sys.stderr)
        return 1
    if args.dry_run:
        for draft in drafts:
            show_draft(draft.platform, draft)
        return 0
    bot = Bot(config, show=show_draft)
    try:
        article, rows, done = one_off.rows(bot.store, article, drafts, args.url, now)
        one_off.record(bot.store, article, rows, args.url, now)
        code = 0
        for name in platforms:
            if name in done:
                print(f"{name}: already posted or queued earlier; not posting it again (see `bot history`)")
                continue
            report = deliver_platform(config, bot.store, bot.platforms[name], bot.owner, article_key=article.key)
            for _, result in report.posted:
                if isinstance(bot.platforms[name], DryRunPlatform):
                    print(f"{name}: shown (dry-run), not sent")
                else:
                    print(f"{name}: posted {result.url or result.remote_id}")
            for _, reason in report.failed:
                print(f"{name}: failed: {reason}")
                code = 1
            for _, reason in report.held:
                print(f"{name}: HELD: {reason}")
                code = 1
            if report.waiting:
                print(f"{name}: queued, not sent yet: {report.waiting}")
        return code
    finally:
        bot.close()


def _read_feed(config: Any, url: str) -> Any:
    """A feed fetched fresh (no conditional GET) from its configured URL, under the worker's guard and
    deadline, and parsed, for commands that change no state. `feed_url` is where it was read from."""
    from bot.feeds.fetch import fetch_feed
    from bot.feeds.parse import parse_feed
    from bot.poll import feed_guard, fetch_limits

    result = fetch_feed(url, etag=None, last_modified=None, limits=fetch_limits(config), guard=feed_guard(config, url))
    return parse_feed(result.body or b"", result.final_url or url, result.content_type)


# A feed's usual window of recent items is 10 to 70 (WordPress gives 10); an archive feed (a podcast's whole
# back catalogue, thousands of episodes) would otherwise be composed whole, 10 ms an item for five networks,
# to show posts a run never makes: a run posts only new items, and on first sight at most the newest backfill.
PREVIEW_LIMIT = 100


def _newest_first(entries: Sequence[Any]) -> list[int]:
    """The entries' positions, newest first by published date (undated last, else in feed order), as a run
    chooses the newest N of a backfill (bot.poll.select_new)."""
    return sorted(range(len(entries)), key=lambda i: -(entries[i].published.timestamp())
                  if entries[i].published else float("inf"))


def cmd_preview(config: Any, args: argparse.Namespace) -> int:
    from bot.config import FeedConfig
    from bot.feeds.kinds import not_an_article
    from bot.net.policy import is_web_url
    from bot.poll import complete_excerpt, compose_drafts, feed_guard, feed_platforms
    from bot.redact import display_url
    from bot.report.output import count_and_limit, format_draft
    from bot.report.progress import Progress

    _chosen_platforms(config, args.platform)  # a misspelt --platform is an error, not an empty preview
    feeds = list(config.feeds)
    if args.feed:
        feeds = [FeedConfig(url=args.feed, name=display_url(args.feed))]
    items: list[dict[str, Any]] = []
    blocks: list[str] = []
    code = 0
    progress = Progress("previewing feeds", len(feeds))
    for feed in feeds:
        progress.step(feed.name, count=0)
        try:
            parsed = _read_feed(config, feed.url)
        except BotError as exc:
            progress.close()
            print(f"bot: {exc}", file=sys.stderr)
            code = 1
            progress.step()
            continue
        platforms = [p for p in feed_platforms(config, feed) if not args.platform or p in args.platform]
        guard = feed_guard(config, feed.url)
        # Only the articles shown are cleaned and composed (each costs more than parsing the whole feed), so
        # a preview costs what it prints; an item that is not an article does not use up the limit.
        bound = None if args.all else args.limit
        chosen: list[tuple[int, Any]] = []
        for i in _newest_first(parsed.entries):
            if bound is not None and len(chosen) >= bound:
                log.warning("feed %s: previewing the newest %d of its %d items (--limit N, or --all)",
                            feed.name, bound, len(parsed.entries))
                break
            article = parsed.entries[i].article()
            skip = not_an_article(article)
            if skip:
                log.info("feed %s: not previewing %r: %s", feed.name, article.title, skip)
                continue
            chosen.append((i, article))
        for i, article in sorted(chosen, key=lambda c: c[0]):  # shown in the feed's order, as before
            entry = parsed.entries[i]
            # What a run posts: a teaser's text and image come from the article's page, under the same guard.
            page = None
            if entry.excerpt_only and is_web_url(article.url):
                completed = article if args.no_pages else complete_excerpt(article, True, feed, guard, config)
                page = "read" if completed is not article else "unread"  # unread: a run may still complete it
                article = completed
            for draft in compose_drafts(config, article, platforms, feed):
                used, limit = count_and_limit(draft)
                items.append({
                    "platform": draft.platform, "article_id": article.key, "article_url": article.url,
                    "title": article.title, "text": draft.text, "link": draft.link,
                    "hashtags": list(draft.hashtags), "image": draft.image.url if draft.image else None,
                    "thread": list(draft.thread), "length": used, "limit": limit, "page": page,
                })
                note = "\n(a run reads this article's page: its post may differ)" if page == "unread" else ""
                blocks.append(format_draft(draft.platform, draft, article.title) + note)
        progress.step()
    progress.close()
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(blocks) if blocks else "nothing to preview")
    return code


def cmd_check(config: Any, args: argparse.Namespace) -> int:
    """Config (already validated by now), each feed reached once, each platform's credentials, a short report."""
    from bot.config import missing_credentials
    from bot.platforms import build_account
    from bot.redact import strip_userinfo
    from bot.report.checks import config_problems
    from bot.report.progress import Progress
    from bot.schedule import describe_rules

    problems = 0
    if config.path:
        source = f"{config.path.resolve()}: ok"
    else:
        source = f"none found ({config.missing_file}): the built-in defaults, dry-run only"
    print(f"config: {source}, {len(config.feeds)} feed(s), platforms: {', '.join(config.platforms) or 'none'}")
    for problem in config_problems(config, datetime.now(UTC).timestamp()):
        problems += 1
        print(f"problem: {problem}")
    with Progress("reaching feeds", len(config.feeds)) as progress:
        for feed in config.feeds:
            try:
                # Counting needs no article text: `entries` skips cleaning every entry's HTML.
                parsed = _read_feed(config, feed.url)
                line = f"feed {feed.name}: ok, {len(parsed.entries)} entries"
                if parsed.feed_url != strip_userinfo(feed.url):
                    line += f", read from {parsed.feed_url} (the configured URL redirects there)"
            except BotError as exc:
                problems += 1
                line = f"feed {feed.name}: FAILED: {exc}"
            progress.close()
            print(line)
            off = [p for p in feed.platforms if p not in config.platforms]
            if off:
                print(f"  note: {', '.join(off)} listed for this feed but not enabled: nothing goes there")
            progress.step()
    for name, pconf in config.platforms.items():
        print(f"{name}: schedule: {describe_rules(pconf)}")
        missing = missing_credentials(pconf)
        if missing and config.missing_file is not None:
            # No config file: the built-in defaults only ever show the bundled sample (bot.sandbox).
            print(f"{name}: dry-run: credentials not set ({', '.join(missing)}); on the built-in defaults posts "
                  "are shown, never sent")
            continue
        if missing:
            # Its posts wait in the queue for the credentials (bot.delivery.awaiting); an account with some of
            # them set is refused at load instead (bot.credentials).
            print(f"{name}: credentials not set ({', '.join(missing)}); its posts are shown and wait in the queue, "
                  "to go out once they are set (see README 'Credentials')")
            continue
        try:
            platform = build_account(config, name)
            assert platform is not None
            try:
                account = platform.verify()
            finally:
                platform.close()
            if config.missing_file:
                print(f"{name}: credentials work for {account.name} ({account.id}), but dry-run: no config file")
            else:
                print(f"{name}: ok, posting as {account.name} ({account.id})")
            if account.limits:
                print(f"{name}: limits: {account.limits}")
        except BotError as exc:
            problems += 1
            print(f"{name}: FAILED: {exc}")
    print(f"check: {problems} problem(s)" if problems else "check: all good")
    return 1 if problems else 0


def cmd_schedule(config: Any, args: argparse.Namespace) -> int:
    """The plan: when each feed is next looked at, and when each queued post goes out where."""
    from bot.report.plan import plan, plan_lines, public

    with _open_store(config, reading=True) as store:
        data = plan(config, store, datetime.now(UTC).timestamp(), args.limit, args.checks)
    _print_report(args, public(data), plan_lines(data))
    return 0


def _print_report(args: argparse.Namespace, data: Any, lines: Iterable[str]) -> None:
    """A report's JSON document (`--json`) or its lines."""
    if getattr(args, "json", False):
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in lines:
            print(line)


@contextmanager
def _open_store(config: Any, migrate: bool = True, reading: bool = False) -> Iterator[Any]:
    from bot.store import open_store

    store = open_store(config.env.database_url, migrate=migrate, reading=reading, secrets=config.secrets(),
                       lock_timeout=config.env.db_lock_timeout)
    try:
        yield store
    finally:
        store.close()


def cmd_status(config: Any, args: argparse.Namespace) -> int:
    from bot.report.status import status_json, status_lines

    now = datetime.now(UTC).timestamp()
    with _open_store(config, reading=True) as store:
        _print_report(args, status_json(config, store, now) if args.json else None, status_lines(config, store, now))
        return 0


def cmd_history(config: Any, args: argparse.Namespace) -> int:
    from bot.report.status import history_json, history_lines

    platform = _known_platform(config, args.platform)
    tz = config.timezone
    with _open_store(config, reading=True) as store:
        if args.audit:
            from bot.web import audit

            _print_report(args, [audit.as_json(e, tz) for e in store.audit(args.limit)] if args.json else None,
                          audit.lines(store, args.limit, tz))
            return 0
        _print_report(args, history_json(store, platform, args.limit, tz) if args.json else None,
                      history_lines(store, platform, args.limit, tz))
        return 0


def cmd_retry(config: Any, args: argparse.Namespace) -> int:
    if args.feed is not None:
        return _release_feed(config, args.feed, args.backfill)
    if args.backfill is not None:
        raise ConfigError("--backfill goes with --feed NAME", hint="bot retry --feed NAME --backfill 5")
    platform = _known_platform(config, args.platform)
    from bot.web import actions, audit

    with _open_store(config) as store:
        print(actions.requeue(store, datetime.now(UTC).timestamp(), platform, audit.cli_editor(), "cli"))
        return 0


def _release_feed(config: Any, name: str, newest: int | None) -> int:
    """An editor's answer to a flood: the feed is read now and what they chose is queued (the held articles
    were never marked seen, so they are all still new)."""
    from bot.poll import Release, poll_feed

    feed = next((f for f in config.feeds if name in (f.name, f.url)), None)
    if feed is None:
        raise ConfigError(f"--feed {name!r} is not in the config",
                          hint=f"feeds: {', '.join(f.name for f in config.feeds)}")
    if newest is not None and newest < 0:
        raise ConfigError("--backfill must be 0 or more")
    with _open_store(config) as store:
        state = store.feed_state(feed.url)
        if state is None or not state.flood_held:
            print(f"feed {feed.name} is not paused; nothing to release")
            return 0
        report = poll_feed(config, store, feed, release=Release(newest))
        if report.status != "ok":
            print(f"feed {feed.name}: still paused: could not read it: {report.error or report.status}")
            return 1
        line = (f"feed {feed.name}: released: {report.queued} post(s) queued, the rest of its {report.new} new "
                "article(s) recorded as seen")
        from bot.web import audit

        audit.record_release(store, datetime.now(UTC).timestamp(), audit.cli_editor(), line)
        print(f"{line}; the worker sends them (or run `bot run --once`)")
        return 0


def cmd_queue(config: Any, args: argparse.Namespace) -> int:
    from bot import review
    from bot.report.output import format_queue_item

    platform = _chosen_platforms(config, [args.platform])[0] if args.platform else None
    with _open_store(config, reading=True) as store:
        items = review.queue(config, store, datetime.now(UTC).timestamp(), platform)
    if args.json:
        print(json.dumps([i.as_json(config.timezone) for i in items], ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(format_queue_item(i, config.timezone) for i in items) if items else "queue empty")
    return 0


def cmd_approve(config: Any, args: argparse.Namespace) -> int:
    if args.all == bool(args.ids):
        raise ConfigError("give post ids or --all, not both and not neither", hint="bot approve 12 13, or "
                          "bot approve --all --platform twitter")
    if args.platform and not args.all:
        raise ConfigError("--platform goes with --all", hint="bot approve --all --platform twitter")
    platform = _chosen_platforms(config, [args.platform])[0] if args.platform else None
    now = datetime.now(UTC).timestamp()
    from bot.web import actions, audit

    with _open_store(config) as store:
        if args.all:
            lines = actions.approve_all(store, now, platform, audit.cli_editor(), "cli")
        else:
            lines = actions.act(config, store, args.ids, "approve", None, None, now, audit.cli_editor(), "cli")
    print("\n".join(lines))
    return 0


def cmd_skip(config: Any, args: argparse.Namespace) -> int:

    from bot.web import actions, audit

    with _open_store(config) as store:
        print("\n".join(actions.act(config, store, args.ids, "skip", None, None, datetime.now(UTC).timestamp(),
                                    audit.cli_editor(), "cli")))
    return 0


def cmd_edit(config: Any, args: argparse.Namespace) -> int:
    from bot import review
    from bot.web import actions, audit

    with _open_store(config) as store:
        actions.act(config, store, [args.id], "edit", args.text, None, datetime.now(UTC).timestamp(),
                    audit.cli_editor(), "cli")
        d = store.delivery(args.id)
    assert d is not None  # it was just edited
    rules = review.network_rules(config, d.platform)
    print(f"#{d.id} {d.platform}: text replaced (edit {d.edit_version}, {rules.count(d.text)}/{rules.max_length}); "
          f"state {d.state}")
    return 0


def cmd_editors(config: Any, args: argparse.Namespace) -> int:
    from bot.report.clock import local
    from bot.web import audit, editors

    if args.action != "list" and not args.name:
        raise ConfigError(f"`bot editors {args.action}` needs a name", hint=f"bot editors {args.action} alice")
    now = datetime.now(UTC).timestamp()
    with _open_store(config) as store:
        try:
            if args.action == "add":
                token = editors.add(store, args.name, now, by=audit.cli_editor())
                print(token)  # once: only its hash is kept
                print(f"bot: editor {args.name!r} added; this token is shown once: they sign in with it",
                      file=sys.stderr)
            elif args.action == "revoke":
                if not editors.revoke(store, args.name, now, by=audit.cli_editor()):
                    raise ConfigError(f"no active editor named {args.name!r}", hint="bot editors list")
                print(f"editor {args.name!r} revoked: signed out everywhere, their token opens nothing")
            else:
                for e in store.editors():
                    state = f"revoked {local(e.revoked_at, config.timezone)}" if e.revoked_at else "active"
                    print(f"{e.name}  added {local(e.created_at, config.timezone)}  {state}")
        except editors.EditorError as exc:
            raise ConfigError(str(exc)) from None
    return 0


def cmd_web(config: Any, args: argparse.Namespace) -> int:
    from bot.web import serve

    return serve(config, args.host, args.port)


def cmd_demo(config: Any, args: argparse.Namespace) -> int:
    from bot.demo.run import run_demo

    return run_demo(args.dir, args.web, args.port)  # its own config and accounts: the loaded config is not used


def cmd_db(config: Any, args: argparse.Namespace) -> int:
    with _open_store(config, migrate=False) as store:
        print(f"database schema at version {store.migrate()}")
        return 0


def _chosen_platforms(config: Any, wanted: list[str] | None) -> list[str]:
    names = list(config.platforms)
    if wanted:
        unknown = [w for w in wanted if w not in names]
        if unknown:
            raise ConfigError(f"--platform {unknown[0]!r} is not enabled in the config",
                              hint=f"enabled: {', '.join(names) or 'none'}")
        names = [n for n in names if n in wanted]
    return names


def _known_platform(config: Any, name: str | None) -> str | None:
    """--platform of history and retry: any account the bot knows (one disabled now has its past posts)."""
    known = config.known_accounts()
    if name is not None and name not in known:
        raise ConfigError(f"--platform {name!r} is not a platform the bot knows", hint=f"known: {', '.join(known)}")
    return name


_REPORTS = frozenset({"status", "history", "schedule", "queue"})
_COMMANDS = {
    "run": cmd_run,
    "post": cmd_post,
    "preview": cmd_preview,
    "check": cmd_check,
    "schedule": cmd_schedule,
    "status": cmd_status,
    "history": cmd_history,
    "retry": cmd_retry,
    "queue": cmd_queue,
    "approve": cmd_approve,
    "skip": cmd_skip,
    "edit": cmd_edit,
    "editors": cmd_editors,
    "web": cmd_web,
    "demo": cmd_demo,
    "db": cmd_db,
}
