"""A LinkedIn company page: its descriptor, credentials, text rules and the "little" text format of a post's
commentary. The client is bot.platforms.linkedin (plain HTTPS on the project's own session).

The commentary of a post is LinkedIn's "little" format (learn.microsoft.com, LinkedIn Marketing, "little Text
Format"): `| { } @ [ ] ( ) < > # \\ * _ ~` are reserved and must be backslash-escaped to be text, "even if
those characters are not used in one of the supported elements"; unescaped, LinkedIn cuts the post at the first
one while answering success. A hashtag is the HashtagTemplate `{hashtag|\\#|name}`. `to_little` writes the
post's text that way: every reserved character escaped, the draft's own hashtags as templates, nothing else
read as markup (an `@name` of the article is escaped text, never a mention).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.compose.rules import NetworkRules
from bot.networks import register
from bot.networks.base import AccountContext, Credential, Network, Option, TokenLife

if TYPE_CHECKING:
    from bot.networks.marks import Mark
    from bot.platforms.base import Platform

NAME = "linkedin"
DEFAULT_API_URL = "https://api.linkedin.com"
# LinkedIn-Version: each monthly version is supported for at least a year from its release, then answers 426
# (learn.microsoft.com/linkedin/marketing/versioning). The newest LinkedIn documents, read 2026-12-08:
# "August 2026 - Version 202608 (Latest)" (learn.microsoft.com/linkedin/marketing/integrations/recent-changes),
# live until about August 2027. A retired one pauses the account and says to set `version` under
# [platforms.NAME].
DEFAULT_VERSION = "202608"
MAX_COMMENTARY = 3000
RESERVED = frozenset("|{}@[]()<>#\\*_~")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")


def escape_little(text: str) -> str:
    """Text as little text: every reserved character backslash-escaped."""
    return "".join("\\" + c if c in RESERVED else c for c in text)


def hashtag_template(name: str) -> str:
    return "{hashtag|\\#|" + name + "}"


def to_little(text: str, hashtags: Iterable[str] | None = None) -> str:
    """The post's text as commentary: `#name` for a name in `hashtags` (compared without case, as hashtags
    are) becomes the HashtagTemplate, everything else is escaped text. `hashtags=None`: every `#word` is a
    hashtag (the longest the commentary can be, which is how its length is counted)."""
    wanted = None if hashtags is None else {h.lstrip("#").casefold() for h in hashtags}
    out: list[str] = []
    last = 0
    for match in _HASHTAG.finditer(text):
        if wanted is not None and match[1].casefold() not in wanted:
            continue
        out += [escape_little(text[last:match.start()]), hashtag_template(match[1])]
        last = match.end()
    out.append(escape_little(text[last:]))
    return "".join(out)


def little_length(text: str) -> int:
    """What a post's text counts against LinkedIn's 3,000: its commentary as sent, escapes and templates
    included (every `#word` counted as a template, the longest it can be)."""
    return len(to_little(text))


def _hashtag_ok(name: str) -> bool:
    # Letters, digits and "_" only... but "_" is reserved, and a template's value is read as little text:
    # a name with it would need escaping inside the template, which LinkedIn does not document.
    return bool(re.fullmatch(r"[^\W_]+", name))


RULES = NetworkRules(
    name=NAME,
    max_length=MAX_COMMENTARY,
    counter=little_length,
    hashtag_ok=_hashtag_ok,
    url_length=None,
    # The article is the post's link content (title, description, thumbnail): the link is not in the text.
    link_placement="beside",
    mentions=None,  # "@" is escaped: only a @[name](urn) template mentions anyone, and none is ever sent
    default_template="{title}\n\n{summary}\n\n{hashtags}",
    default_max_hashtags=3,
    default_summary_sentences=3,
    default_summary_max_chars=600,
)


# Access tokens last 60 days; refresh tokens exist only for apps LinkedIn approved, and need the app's secret:
# the bot does not renew, it warns ahead (bot.tokens). LinkedIn tells when a token ends only to its app (token
# introspection takes the app's client id and secret: bot.platforms.expiry.linkedin_ask); an account has
# neither, so its days are counted from when the bot first saw the token.
TOKEN_LIFE = TokenLife(days=60, renew_after_days=None,
                       how="make a new token and set LINKEDIN_ACCESS_TOKEN (README: LinkedIn Page)")


def _build(account: AccountContext) -> Platform:
    from bot.platforms.linkedin import LinkedInPlatform
    from bot.tokens import TokenKeeper

    c = account.credentials
    keeper = TokenKeeper(account.name, TOKEN_LIFE, c["ACCESS_TOKEN"], account.store, account.secret_key)
    return LinkedInPlatform(c["ACCESS_TOKEN"], c["ORGANIZATION_ID"], account.endpoint, name=account.name,
                            version=str(account.options.get("version") or DEFAULT_VERSION),
                            image=account.settings.image, allow_private=account.allow_private, keeper=keeper)


def _marks(text: str, link: str | None, hashtags: Sequence[str]) -> list[Mark]:
    """The draft's own hashtags, which to_little sends as templates (any other "#" is escaped text), and web
    addresses with their scheme, which LinkedIn links in a post's commentary; never a mention ("@" is escaped)."""
    from bot.networks import marks

    wanted = {h.lstrip("#").casefold() for h in hashtags}
    tags = [marks.Mark(m.start(), m.end(), "tag") for m in _HASHTAG.finditer(text) if m[1].casefold() in wanted]
    urls = [m for m in marks.x_urls(text) if "://" in text[m.start:m.end]]
    return marks.without_overlaps([*urls, *tags])


NETWORK = register(Network(
    name=NAME,
    title="LinkedIn Page",
    credentials=(
        Credential("ACCESS_TOKEN", what="an access token of a Page admin with w_organization_social and "
                                        "r_organization_social"),
        Credential("ORGANIZATION_ID", secret=False, what="the Page's numeric organization id"),
    ),
    endpoint="API_URL",
    default_endpoint=DEFAULT_API_URL,
    rules=RULES,
    build=_build,
    options={"version": Option(str, DEFAULT_VERSION, what="the LinkedIn-Version the bot asks for (YYYYMM); "
                                                          "LinkedIn retires each about a year after its release")},
    unknown_outcome="lookup",
    token_life=TOKEN_LIFE,
    marks=_marks,
))
