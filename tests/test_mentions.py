"""No post mentions anyone: random text with at-signs everywhere, composed for every network, checked with that
network's own mention rule, written here from the network's source (not bot.compose.mentions):

- X: twitter-text's `validMentionOrList` (js/src/regexp/validMentionOrList.js, validMentionPrecedingChars.js,
  endMentionMatch.js); a mention inside a URL X links is none, counted here only for plain `https://host/path`
  links after a space, where twitter-text certainly links the URL.
- Mastodon: `Account::MENTION_RE` (app/models/account.rb), over the whole text, links included
  (ProcessMentionsService scans `status.text`), case-insensitive as in Ruby.
- Telegram: tdlib's `match_mentions` (td/telegram/MessageEntity.cpp), URLs exempt as for X.
- Facebook: the Graph API's `@[id]` page tag.
- Bluesky: a mention is a `#mention` facet of the record; the facets the client sends are checked.
"""

from __future__ import annotations

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.compose import ComposeSpec, compose
from bot.models import Article

# Ruby's [[:word:]] (Onigmo, Unicode): letters, marks, decimal numbers, connector punctuation.
RUBY_WORD = r"\p{L}\p{M}\p{Nd}\p{Pc}"
MASTODON_USERNAME = r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*"
MASTODON_MENTION = regex.compile(
    rf"(?<![=/{RUBY_WORD}])@({MASTODON_USERNAME})(?:@[{RUBY_WORD}]+(?:[.-]+[{RUBY_WORD}]+)*)?",
    regex.IGNORECASE | regex.V0)

LATIN_ACCENTS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263" \
                "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
# validMentionPrecedingChars, as a look-behind so that no candidate hides another.
X_MENTION = regex.compile(
    r"(?:(?<=^|[^a-zA-Z0-9_!#$%&*@＠])|(?<=(?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):?))"
    r"([@＠])([a-zA-Z0-9_]{1,20})(/[a-zA-Z][a-zA-Z0-9_-]{0,24})?")
X_END_MENTION = regex.compile(rf"(?:[@＠]|[{LATIN_ACCENTS}]|://)")
# A link twitter-text and tdlib certainly link up to this point: after a space, a plain host and path.
PLAIN_LINK_HEAD = regex.compile(r"(?:^|\s)https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:org|com|social)/[A-Za-z0-9/._~-]*$")


def x_mentions(text: str) -> list[str]:
    found = []
    for m in X_MENTION.finditer(text, overlapped=True):
        if X_END_MENTION.match(text, m.end()):
            continue
        if PLAIN_LINK_HEAD.search(text[:m.start(1)]):
            continue
        found.append(m.group(0))
    return found


def mastodon_mentions(text: str) -> list[str]:
    return [m.group(0) for m in MASTODON_MENTION.finditer(text, overlapped=True)]


def _tdlib_word(ch: str) -> bool:
    return ch == "_" or bool(regex.match(r"[\p{L}\p{N}]", ch))


def telegram_mentions(text: str) -> list[str]:
    found = []
    for i, ch in enumerate(text):
        if ch != "@" or (i > 0 and _tdlib_word(text[i - 1])):
            continue
        j = i + 1
        while j < len(text) and regex.match(r"[a-zA-Z0-9_]", text[j]):
            j += 1
        if not 2 <= j - i - 1 <= 32 or (j < len(text) and _tdlib_word(text[j])):
            continue
        if PLAIN_LINK_HEAD.search(text[:i]):
            continue
        found.append(text[i:j])
    return found


def facebook_mentions(text: str) -> list[str]:
    return regex.findall(r"@\[\s*\d+", text)


def bluesky_mentions(text: str, link: str | None) -> list[str]:
    from atproto import models  # type: ignore[import-untyped]

    from bot.platforms.bluesky import facets

    return [str(f.features) for f in facets(text, link)
            if any(isinstance(x, models.AppBskyRichtextFacet.Mention) for x in f.features)]


CHECKERS = {"twitter": x_mentions, "mastodon": mastodon_mentions, "telegram": telegram_mentions,
            "facebook": facebook_mentions}

# Every script and every character that stands next to an at-sign in the wild, and the look-alikes.
AROUND = ("!#$%&*=/\\:;._~+-?()[]\"'`|^<>,²³¹½٣۴", "日本の中文한국어", "سلامخبرایران\u200c", "שלוםעולם",
          "CaféÉéñøßÀ", "Москва", "Ωμέγα", "\u200b\u200d\u2060\u00ad\u202e", " \n\t\u3000",
          "abcXYZ019_", "\u212a\u017f\u0130\u0131K", "\u0301\u0308", "👍🏽🇮🇷")
ATS = ["@", "＠", "@@", "＠@", "@＠", "RT@", "rt:@", "RT:＠", ".@", "/@", "=@", "&@", "#@", "@["]
HANDLES = ["cityhall", "u", "a_b", "Gargron@mastodon.social", "press.office", "123", "x" * 40, "[123]", "[ 9:Page]",
           "news/list-1", "K", "é", "日本", "mayor@", "a-b"]
piece = st.one_of(
    st.text(alphabet="".join(AROUND) + "@＠", min_size=0, max_size=4),
    st.sampled_from(ATS),
    st.sampled_from(HANDLES),
    st.sampled_from(["https://example.org/a/", "http://news.example.com/", "https://medium.com/", " www.example.org/",
                     "https://x.example.org/story?x=1&", "https://example.org/s#", "example.com/"]),
)
text = st.lists(piece, min_size=1, max_size=30).map("".join)
LINK_TAILS = ["", "/@name", "/.@cityhall", "#@Gargron@mastodon.social", "?x&@user", "?by=@name", "/%40x", "/a@b",
              "/story@press", "#＠mayor", "/~@u", "?q=RT@u", "/@[123]"]
link = st.sampled_from(LINK_TAILS).map(lambda t: "https://example.org/story" + t)
TEMPLATES = [None, "{title}\n\n{summary}\n\n{link}\n\n{hashtags}", "{title} {link} {author} {site}", "{summary}"]


def _article(title: str, body: str, url: str, author: str) -> Article:
    return Article(key="k", feed_url="https://example.org/feed", url=url, title=title, text=body,
                   author=author, site=author[::-1], categories=(title[:20],))


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("network", ["twitter", "mastodon", "telegram", "facebook", "bluesky"])
@SETTINGS
@given(title=text, body=st.lists(text, max_size=4).map(". ".join), url=link, author=text,
       template=st.sampled_from(TEMPLATES), thread=st.booleans())
def test_no_network_reads_a_mention_in_a_composed_post(network: str, title: str, body: str, url: str, author: str,
                                                       template: str | None, thread: bool) -> None:
    draft = compose(_article(title, body, url, author), ComposeSpec(platform=network, template=template,
                                                                    thread=thread))
    for post in (draft.text, *draft.thread):
        if network == "bluesky":
            assert bluesky_mentions(post, draft.link) == [], post
            continue
        assert CHECKERS[network](post) == [], (post, draft.link)
        if draft.link:
            # The link itself, wherever the network puts it (a Facebook photo caption carries it too).
            assert CHECKERS[network](" " + draft.link) == [], draft.link


# The red team's reproductions, each a mention before the guard followed the network's own rule.
REPRODUCTIONS = {
    "mastodon": ["!@u@host", "&@cityhall", "#@cityhall", "$@cityhall", "%@cityhall", "*@cityhall", "@@cityhall",
                 "²@cityhall", "＠@cityhall"],
    "twitter": ["日本の@cityhall", "سلام@news", "Café@press", "RT@user", "rt:@user"],
    "telegram": ["Hi @cityhall", "!@cityhall"],
    "facebook": ["Thanks @[123456] for this"],
}
LINKS = {"mastodon": ["https://example.org/story#@Gargron@mastodon.social", "https://example.org/s?x&@cityhall"],
         "twitter": ["https://evil.example\\@good.example/story"], "telegram": [], "facebook": []}


@pytest.mark.parametrize(("network", "words"), [(n, w) for n, ws in REPRODUCTIONS.items() for w in ws])
def test_the_reproductions_mention_no_one(network: str, words: str) -> None:
    assert CHECKERS[network](words), "the checker sees the mention in the raw text"
    draft = compose(_article(f"Council news {words} today", f"We met {words} on Monday.", "https://example.org/s",
                             ""), ComposeSpec(platform=network, template="{title}\n\n{summary}\n\n{link}"))
    assert "Council news" in draft.text
    assert CHECKERS[network](draft.text) == [], draft.text


@pytest.mark.parametrize(("network", "url"), [(n, u) for n, us in LINKS.items() for u in us])
def test_links_mention_no_one_and_still_lead_to_the_same_page(network: str, url: str) -> None:
    draft = compose(_article("A title", "Some text.", url, ""), ComposeSpec(platform=network))
    assert draft.link is not None and CHECKERS[network](" " + draft.link) == []
    assert CHECKERS[network](draft.text) == [], draft.text
    if network == "mastodon":
        # Percent-encoded, the at-sign is the same character to the server: the link leads to the same page.
        assert draft.link == url.replace("#@", "#%40").replace("&@", "&%40") and draft.link in draft.text


def test_plain_at_signs_stay_as_typed() -> None:
    """Addresses, links X and Mastodon leave alone, and Facebook's plain text are not touched."""
    article = _article("Write to press@example.org", "Read https://medium.com/@ourorg/story today.",
                       "https://medium.com/@ourorg/thanks-123", "")
    for network in ("twitter", "mastodon", "telegram"):
        draft = compose(article, ComposeSpec(platform=network, template="{title} {summary} {link}"))
        assert "press@example.org" in draft.text and "https://medium.com/@ourorg/thanks-123" in draft.text
    fb = compose(_article("Thanks @cityhall", "Body.", "https://example.org/s", ""), ComposeSpec(platform="facebook"))
    assert "@cityhall" in fb.text
