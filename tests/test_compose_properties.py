"""Properties of compose() on random Unicode articles (hypothesis):

every X post (and thread post) valid by the v3 counter; the link present exactly once;
no HTML residue; no cut inside a word or grapheme; every hashtag written is one X links;
the same input always gives the same Draft.
"""

from __future__ import annotations

import regex
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.compose import ComposeSpec, compose, rules_for, xtext
from bot.compose.clean import clean_html
from bot.compose.text import ELLIPSIS, graphemes
from bot.feeds.entries import _plain_title
from bot.feeds.kinds import not_an_article
from bot.models import Article

URL = "https://example.org/news/2024/story-123"

# Words from the scripts the bot meets, including joiners, marks, emoji and RTL text.
WORDS = [
    "Iran", "protests", "Tehran", "MEK", "free", "election", "the", "and", "women's", "rights", "2021",
    "می\u200cخواهم", "ایران", "آزادی", "اعتراضات", "שלום", "עולם", "مرحبا", "中国", "经济发展", "日本語",
    "한국어", "naïve", "cafe\u0301", "👩\u200d💻", "🇮🇷", "👍🏽", "❤️", "e\u0301\u0302", "Ωμέγα", "Москва",
    "AT&T", "&amp;", "&nbsp;", "<p>", "</p>", "<b>bold</b>", "<script>x()</script>", "&lt;p&gt;",
    "x.com", "#tag", "@user", "R&D", "—", "“quoted”", "«guillemets»", "semi;colon", "a-b-c",
]  # fmt: skip
PUNCT = [".", "!", "?", "。", "؟", ",", ":", " —", ""]

word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=12).filter(lambda s: not s.isspace()))
sentence = st.builds(lambda ws, p: " ".join(ws) + p, st.lists(word, min_size=1, max_size=25), st.sampled_from(PUNCT))
paragraph = st.builds(" ".join, st.lists(sentence, min_size=1, max_size=6))
body = st.builds("\n\n".join, st.lists(paragraph, min_size=0, max_size=6))
title = st.builds(" ".join, st.lists(word, min_size=0, max_size=40))
categories = st.lists(st.builds(" ".join, st.lists(word, min_size=1, max_size=3)), max_size=5).map(tuple)

articles = st.builds(
    lambda t, b, c, html: Article(
        key="k",
        feed_url="https://example.org/feed",
        url=URL,
        title=_plain_title(t),  # an Article's title is plain text: the feed layer made it so
        text=f"<p>{b}</p>" if html else b,
        categories=c,
    ),
    title,
    body,
    categories,
    st.booleans(),
)

specs = st.builds(
    ComposeSpec,
    platform=st.sampled_from(["twitter", "facebook", "mastodon", "bluesky"]),
    hashtag_mode=st.sampled_from(["append", "inline"]),
    max_hashtags=st.one_of(st.none(), st.integers(0, 4)),
    template=st.sampled_from(
        [None, "{title}\n\n{summary}\n\n{link}\n\n{hashtags}", "{summary} {link} {hashtags}", "{title} — {site}"]
    ),
    thread=st.booleans(),
    thread_max=st.integers(1, 5),
    keyword_hashtags=st.just(False),  # YAKE is exercised by the goldens; here it would only slow hypothesis
)

RESIDUE = regex.compile(r"&(?:amp|lt|gt|quot|nbsp|#\d+);|</?(?:p|b|script|br|div)\b[^>]*>", regex.IGNORECASE)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tokens(text: str) -> set[str]:
    # CJK sentences are joined without a space, so a CJK full stop also ends a token.
    return {t for t in regex.split(r"\s+|(?<=[。！？｡][\"'”’»)\]」』】〉》）]*)", text) if t}


def _titled(article: Article) -> bool:
    from bot.compose.clean import clean_html

    return bool(clean_html(article.title).strip())


# An entry with no title and no text (or only markup) is skipped before compose (bot.feeds.kinds); any
# other is posted, and each of its posts says something.
POSTED = articles.filter(lambda a: not_an_article(a) is None)
UNTITLED = st.builds(lambda b, html: Article(key="k", feed_url="https://example.org/feed", url=URL, title="",
                                             text=f"<p>{b}</p>" if html else b), body, st.booleans())


@SETTINGS
@given(POSTED.filter(_titled), specs)
def test_posts_are_valid_linked_clean_and_deterministic(article: Article, spec: ComposeSpec) -> None:
    _check_posts(article, spec)


@SETTINGS
@example(Article(key="k", feed_url="https://example.org/feed", url=URL, title="",
                 text="0\n\r a Iran Iran Iran Iran Iran Iran."), ComposeSpec(platform="facebook"))
@given(UNTITLED.filter(lambda a: not_an_article(a) is None), specs)
def test_untitled_posts_are_valid_linked_clean_and_deterministic(article: Article, spec: ComposeSpec) -> None:
    _check_posts(article, spec)


def _check_posts(article: Article, spec: ComposeSpec) -> None:
    draft = compose(article, spec)
    rules = rules_for(spec.platform)
    posts = [draft.text, *draft.thread]

    assert compose(article, spec) == draft  # deterministic
    for post in posts:
        assert post.strip(), ("an empty post", posts)  # a draft and each thread part say something
        assert rules.count(post) <= rules.max_length
        # What looks like markup in a plain-text title ("&lt;p&gt;" in an RSS title: "<p>") is its text, and so
        # is what a text quotes inside its own markup ("<p>&lt;p&gt;</p>"): never more than the cleaned text holds.
        assert not RESIDUE.search(post) or RESIDUE.search(article.title) or RESIDUE.search(
            clean_html(article.text)), post
        if rules.name == "twitter":
            assert xtext.weighted_length(post) <= 280
            assert xtext.is_valid_tweet(post)

    if rules.link_placement == "inline":
        shown = rules.shown_link(URL)  # as the network shows it (Bluesky: host and path start)
        assert draft.text.count(shown) == 1 and draft.link == URL
        assert all(shown not in p for p in draft.thread)
    else:
        assert draft.link == URL
        assert (URL in draft.text) == ("{link}" in (spec.template or ""))

    for tag in draft.hashtags:
        name = tag.removeprefix("#")
        assert xtext.is_linkable_hashtag(name)
        assert any(name in xtext.extract_hashtags(p) for p in posts)


@SETTINGS
@given(articles)
def test_no_cut_inside_a_word_or_grapheme(article: Article) -> None:
    """Every word of the post is a whole word of the source (or the link, a tag, a counter),
    except a last word before an ellipsis, which must still end on a grapheme boundary."""
    from bot.compose.clean import clean_html, clean_text

    # compose cleans as HTML only what looks like HTML: accept the words of either reading.
    from bot.compose.mentions import defuse_mentions

    source = "\n".join(f(x) for f in (clean_html, clean_text) for x in (article.title, article.text))
    # On X an "@name" of the article is written with a zero-width space after the at-sign.
    source_tokens = _tokens(defuse_mentions(source))
    # Sentences glued at a bare dot ("in April.Previously", "00.Aa.") are two (bot.compose.text): each piece of
    # such a word is a word of the source too.
    source_tokens |= {piece for tok in source_tokens
                      for piece in regex.split(r"(?<=\.)(?=\p{Lu}\p{Ll})", tok) if piece}
    spec = ComposeSpec(platform="twitter", template="{title}\n\n{summary}\n\n{link}\n\n{hashtags}", thread=True)
    draft = compose(article, spec)
    tags = set(draft.hashtags)
    for post in [draft.text, *draft.thread]:
        for tok in _tokens(post):
            if tok == URL or tok in tags or regex.fullmatch(r"\d+/\d+", tok):
                continue
            if tok in source_tokens:
                continue
            head = tok.removesuffix(ELLIPSIS)
            # A cut word: a prefix of a source word, ending on a grapheme boundary, with
            # only punctuation dropped, or a cut between two ideographs.
            owners = [s for s in source_tokens if s.startswith(head)]
            assert owners, (tok, post)
            assert any(_ends_on_grapheme(s, len(head)) for s in owners), (tok, post)
            assert any(_allowed_cut(s, len(head)) for s in owners), (tok, post)


def _ends_on_grapheme(word: str, at: int) -> bool:
    pos = 0
    for g in graphemes(word):
        if pos == at:
            return True
        pos += len(g)
    return pos == at


def _allowed_cut(word: str, at: int) -> bool:
    rest = word[at:]
    if not rest or not regex.search(r"[\p{L}\p{N}]", rest[:1]):
        return True  # only punctuation (a trailing comma, colon) was left out
    return bool(regex.match(r"[\p{Han}\p{Hiragana}\p{Katakana}]", rest)) and bool(
        regex.search(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff00-\uffef]$", word[:at])
    )


def test_an_entry_of_markup_and_spaces_only_is_skipped_as_empty() -> None:
    """What the property tests leave out is skipped before compose: an entry whose only title and text are
    markup, entities that read as spaces, or zero-width characters (a reader would see nothing)."""
    def entry(title: str, text: str) -> Article:
        return Article(key="k", feed_url="https://example.org/feed", url=URL, title=title, text=text)

    for title, text in [("", "<p></p>"), ("<b> </b>", "&nbsp;<br/>"), ("\u200b", "<p>\ufeff</p>")]:
        assert not_an_article(entry(title, text)) == "empty item (no title, no text)", (title, text)
    assert not_an_article(entry("", "<p>&amp;</p>")) is None  # "&" is something
    assert not_an_article(entry("<b>Hi</b>", "")) is None
