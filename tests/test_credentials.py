"""A typo in a credential variable (issue 21 item 10): named, never silently run dry, no post lost.

With X_FA_ACCESS_TOKN_SECRET set instead of X_FA_ACCESS_TOKEN_SECRET the account used to run dry-run, `bot check`
said nothing wrong and its posts were recorded as shown, never to be sent after the fix. A partial set of an
account's credentials is now an error at load (every command, one line, exit 2); a variable that is nobody's but
close to one an account reads is named by `bot check` with what it was meant to be. Values never show.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError, RetryableError
from bot.report.checks import config_problems
from tests.feedgen import Item, rss
from tests.helpers import X_KEYS, account_env, bot_env, fake_x, run_bot

TYPO_VALUE = "ats-typo-secret-0451"  # the value a typo'd variable carries: never in any output


def _config(tmp_path: Path, items: list[Item]) -> Path:
    (tmp_path / "feed.xml").write_text(rss(items))
    path = tmp_path / "bot.toml"
    path.write_text('[[feeds]]\nurl = "feed.xml"\nname = "fa"\nplatforms = ["x_fa"]\n'
                    '[platforms.x_fa]\nnetwork = "twitter"\n')
    return path


def _with_typo(env: dict[str, str]) -> dict[str, str]:
    typo = dict(env)
    del typo["X_FA_ACCESS_TOKEN_SECRET"]
    typo["X_FA_ACCESS_TOKN_SECRET"] = TYPO_VALUE
    return typo


def test_a_mistyped_secret_stops_every_command_and_loses_no_post(tmp_path: Path) -> None:
    with fake_x() as x:
        good = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _config(tmp_path, []),
                       account_env("x_fa", "twitter", x.url))
        baseline = run_bot(["run", "--once"], good, tmp_path)  # the feed's first sight: nothing old is posted
        assert baseline.returncode == 0, baseline.stdout + baseline.stderr
        _config(tmp_path, [Item(1)])  # a new article, while the secret is mistyped
        typo = _with_typo(good)
        for command in (["check"], ["run", "--once"], ["post", "--text", "Closed today.", "--platform", "x_fa"]):
            result = run_bot(command, typo, tmp_path)
            assert result.returncode == 2, f"{command}: {result.stdout + result.stderr}"
            assert result.stdout == ""
            (line,) = result.stderr.splitlines()
            assert line == (f"bot: {tmp_path / 'bot.toml'}:5: platforms.x_fa: X_FA_ACCESS_TOKEN_SECRET is not set, "
                            "but X_FA_API_KEY is: the account's credentials are incomplete (1 of 4 variables "
                            "missing) (X_FA_ACCESS_TOKN_SECRET is set: did you mean X_FA_ACCESS_TOKEN_SECRET?)"), line
            secrets = [v for k, v in account_env("x_fa", "twitter", x.url).items() if not k.endswith("_URL")]
            assert TYPO_VALUE not in line and not [v for v in secrets if v in line]
        assert x.tweets == []
        fixed = run_bot(["run", "--once"], good, tmp_path)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert len(x.tweets) == 1 and Item(1).title in x.tweets[0]["text"], "the article was not lost to a dry run"


def test_a_forgotten_credential_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in account_env("x_fa", "twitter", "http://127.0.0.1:9").items() if not k.endswith("_SECRET")}
    with pytest.raises(ConfigError) as caught:
        load_config(str(_config(tmp_path, [])), environ=env)
    message = str(caught.value)
    assert "platforms.x_fa: X_FA_API_SECRET is not set, but X_FA_API_KEY is" in message, message
    assert "(2 of 4 variables missing)" in message
    assert "set X_FA_API_SECRET, X_FA_ACCESS_TOKEN_SECRET, or unset X_FA_API_KEY, X_FA_ACCESS_TOKEN" in message


def test_a_mastodon_token_without_its_instance_is_incomplete(tmp_path: Path) -> None:
    (tmp_path / "feed.xml").write_text(rss([]))
    path = tmp_path / "bot.toml"
    path.write_text('[[feeds]]\nurl = "feed.xml"\n[platforms.mastodon]\n')
    with pytest.raises(ConfigError) as caught:
        load_config(str(path), environ={"MASTODON_ACCESS_TOKEN": "tok-12345678", "MASTODON_API_ULR": "https://x"})
    assert "MASTODON_API_URL is not set, but MASTODON_ACCESS_TOKEN is" in str(caught.value)
    assert "MASTODON_API_ULR is set: did you mean MASTODON_API_URL?" in str(caught.value)
    # none set at all: the documented dry run, not an error
    config = load_config(str(path), environ={})
    assert config.platforms["mastodon"].credentials is None


def test_lookalike_variables_are_named_by_check_and_at_the_start_of_a_run(tmp_path: Path) -> None:
    env = {**account_env("x_fa", "twitter", "http://127.0.0.1:9"), "X_FA_API_ULR": "https://proxy.example/x",
           "XFA_API_KEY": "ck-fa-typo-1", **X_KEYS, "PATH": "/usr/bin", "TWITTER_BEARER_TOKEN": "b-1234"}
    del env["X_FA_API_URL"]
    config = load_config(str(_config(tmp_path, [])), environ=env)
    assert config.platforms["x_fa"].endpoint == "https://api.twitter.com", "the typo'd one is not read"
    problems = [p for p in config_problems(config, 0.0) if "no account reads it" in p]
    assert problems == [
        "XFA_API_KEY is set, but no account reads it: did you mean X_FA_API_KEY?",
        "X_FA_API_ULR is set, but no account reads it: did you mean X_FA_API_URL?",
    ]
    # TWITTER_* are the default account's variables, read when [platforms.twitter] is on: no typo of X_FA_*


def test_check_exits_non_zero_for_a_lookalike_and_never_shows_its_value(tmp_path: Path) -> None:
    with fake_x() as x:
        env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _config(tmp_path, []),
                      {**account_env("x_fa", "twitter", x.url), "X_FA_ACCES_TOKEN": TYPO_VALUE})
        result = run_bot(["check"], env, tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr
        assert ("problem: X_FA_ACCES_TOKEN is set, but no account reads it: did you mean X_FA_ACCESS_TOKEN?"
                in result.stdout), result.stdout
        assert TYPO_VALUE not in result.stdout + result.stderr
        assert x.tweets == []


def test_an_unreachable_account_names_its_own_endpoint_variable() -> None:
    from bot.networks.twitter import TwitterCredentials
    from bot.platforms.twitter import TwitterPlatform

    keys = TwitterCredentials(*(X_KEYS[k] for k in ("TWITTER_API_KEY", "TWITTER_API_SECRET", "TWITTER_ACCESS_TOKEN",
                                                    "TWITTER_ACCESS_TOKEN_SECRET")))  # type: ignore[arg-type]
    platform = TwitterPlatform(keys, "http://127.0.0.1:9", name="x_fa")  # port 9: nothing listens
    with pytest.raises(RetryableError) as caught:
        platform.verify()
    assert caught.value.hint == "check the network, and X_FA_API_URL if you set it"
    assert caught.value.platform == "x_fa"


def test_an_account_without_any_credentials_is_told_its_posts_wait_for_them(tmp_path: Path) -> None:
    env = bot_env(None, None, f"sqlite:///{tmp_path / 's.db'}", _config(tmp_path, []))
    result = run_bot(["check"], env, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("x_fa: credentials not set (X_FA_API_KEY, X_FA_API_SECRET, X_FA_ACCESS_TOKEN, "
            "X_FA_ACCESS_TOKEN_SECRET); its posts are shown and wait in the queue, to go out once they are set"
            in result.stdout), result.stdout
