"""Mistyped credential variables: names only, never values.

An account reads `<NAME>_<SUFFIX>` variables (bot.networks). A typo in one of them used to be silent: a
secret spelt `X_FA_ACCESS_TOKN_SECRET` left the account without that credential, so it ran dry and its posts
were recorded as shown, never to be sent after the fix; an endpoint spelt `X_FA_API_ULR` was ignored and the
default endpoint used. So:
- some but not all of an account's credentials set is an error at load (`partial`): nobody sets three of
  four by choice, and running dry in that state loses posts;
- a set variable that is no account's but is close to one a configured account reads is named with what
  it was probably meant to be (`lookalikes`, difflib), by `bot check` and at the start of a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot import networks

# How close a name must be to one the bot reads to be called a typo of it: one or two letters off in a
# name of 15-25 characters (X_FA_ACCESS_TOKN_SECRET, X_FA_API_ULR, XFA_API_KEY), not another account's name.
_CUTOFF = 0.85


def account_variables(name: str, network: str) -> list[str]:
    """Every variable an account reads: its credentials, then its endpoint."""
    net = networks.get(network)
    return [*net.credential_variables(name), net.endpoint_variable(name)]


def partial(variables: Mapping[str, str], name: str, network: str) -> tuple[list[str], list[str]] | None:
    """(set, missing) when some of the account's credentials are set and others, or a required endpoint,
    are not; None when all are set or none is (an account with none keeps its posts queued until they are set:
    bot.delivery.awaiting)."""
    net = networks.get(network)
    credentials = net.credential_variables(name)
    found = [v for v in credentials if variables.get(v)]
    missing = [v for v in credentials if not variables.get(v)]
    if net.default_endpoint is None and not variables.get(net.endpoint_variable(name)):
        missing.append(net.endpoint_variable(name))
    return (found, missing) if found and missing else None


def lookalikes(variables: Iterable[str], accounts: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(variable set, the variable it probably means) for each set variable that no account reads but that is
    close to one a configured account (name, network) reads. Every network's default account's variables
    count as read: a TWITTER_API_KEY set for the default account is no typo of X_FA_API_KEY."""
    wanted = list(dict.fromkeys(v for name, network in accounts for v in account_variables(name, network)))
    read = set(wanted) | {v for n in networks.networks() for v in account_variables(n.name, n.name)}
    found = []
    for variable in sorted(variables):
        if variable in read:
            continue
        import difflib  # only where a variable is set that no account reads: most runs never get here

        close = difflib.get_close_matches(variable, wanted, n=1, cutoff=_CUTOFF)
        if close:
            found.append((variable, close[0]))
    return found

