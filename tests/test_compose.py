"""Unit tests of bot.compose: cleaning, segmentation, cutting, templates, rules, hashtags,
fitting and threads. The exact posts for real feeds are in test_compose_golden.py."""

from __future__ import annotations

import pytest

from bot.compose import (
    TEMPLATE_FIELDS,
    ComposeSpec,
    TemplateError,
    clean_html,
    compose,
    rules_for,
    validate_template,
    xtext,
)
from bot.compose.boilerplate import article_paragraphs
from bot.compose.hashtags import to_hashtag
from bot.compose.text import cut_to_fit, sentences
from bot.models import Article, Image
from tests.test_compose_golden import SEED_URL, seed_article

URL = "https://example.org/2024/05/01/story/"


def art(title: str = "A title", text: str = "", **kw: object) -> Article:
    return Article(key="k", feed_url="https://example.org/feed", url=URL, title=title, text=text, **kw)  # type: ignore[arg-type]


# --- clean_html -------------------------------------------------------------------------


def test_clean_html_entities_tags_scripts_and_paragraphs() -> None:
    html = (
        "<p>Tom &amp; Jerry&nbsp;are&#160;back &#8220;again&#8221;</p>\n<script>alert('x')</script>"
        "<style>p{}</style><p>Line one<br>line two</p><figure><img src='a.jpg' alt='x'>"
        "<figcaption>Caption text</figcaption></figure><div>Last &mdash; word</div>"
    )
    assert clean_html(html) == "Tom & Jerry are back “again”\n\nLine one\nline two\n\nLast — word"


def test_clean_html_never_leaves_markup_from_double_escaping() -> None:
    assert clean_html("&lt;p&gt;Hello &amp;amp; bye&lt;/p&gt;") == "Hello & bye"
    assert clean_html("AT&T & R&D") == "AT&T & R&D"


def test_clean_html_keeps_joiners_and_drops_invisible_debris() -> None:
    persian = "می\u200cخواهم"  # ZWNJ inside a Persian word
    emoji = "👩\u200d💻"
    assert clean_html(f"<p>{persian} {emoji}\u00ad\u200b x</p>") == f"{persian} {emoji} x"


def test_clean_html_tolerates_broken_markup() -> None:
    assert clean_html("<p>unclosed <b>bold<p>next <a href='x") == "unclosed bold\n\nnext"
    assert clean_html("") == ""


# --- segmentation and cutting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        (
            "Mr. Smith went to Washington. He met Dr. Jones.",
            None,
            ["Mr. Smith went to Washington.", "He met Dr. Jones."],
        ),
        ("It rose 2.5 percent. Prices fell.", None, ["It rose 2.5 percent.", "Prices fell."]),
        ("中国经济快速发展。专家表示将继续增长！", None, ["中国经济快速发展。", "专家表示将继续增长！"]),
        ("آیا این درست است؟ بله درست است.", "fa", ["آیا این درست است؟", "بله درست است."]),
        ("यह एक वाक्य है। यह दूसरा है।", "hi", ["यह एक वाक्य है।", "यह दूसरा है।"]),
        ("Am 24. September kam er. Dann ging er.", "de", ["Am 24. September kam er.", "Dann ging er."]),
    ],
)
def test_sentences(text: str, language: str | None, expected: list[str]) -> None:
    assert sentences(text, language) == expected


def test_cut_to_fit_cuts_at_word_with_ellipsis() -> None:
    text = "Protesters gathered in the capital on Sunday evening"
    assert cut_to_fit(text, lambda s: len(s) <= 30) == "Protesters gathered in the…"
    assert cut_to_fit(text, lambda s: len(s) <= 100) == text
    assert cut_to_fit("Unbreakableword", lambda s: len(s) <= 5) == ""


def test_cut_to_fit_never_splits_emoji_or_url_and_can_cut_between_ideographs() -> None:
    family = "👨\u200d👩\u200d👧"
    text = f"hello {family} https://example.org/a/very/long/path more words"
    for limit in range(1, len(text)):
        cut = cut_to_fit(text, lambda s, n=limit: len(s) <= n)
        head = cut.removesuffix("…")
        assert text.startswith(head)
        assert head == "" or text[len(head)] == " "
    assert cut_to_fit("中国经济快速发展", lambda s: len(s) <= 5) == "中国经济…"


# --- templates and rules -------------------------------------------------------------------


def test_validate_template() -> None:
    assert validate_template("{title}\n\n{summary} {link} {hashtags} {author} {site}") == []
    assert validate_template("{title} {headline} {link.x} {headline}") == ["headline", "link.x"]
    assert set(TEMPLATE_FIELDS) == {"title", "summary", "link", "hashtags", "author", "site"}
    with pytest.raises(TemplateError):
        validate_template("{title")


def test_rules_registry() -> None:
    x = rules_for("twitter")
    assert rules_for("X") is x and x.max_length == 280 and x.link_placement == "inline"
    assert x.count("a" * 10 + " https://example.org/" + "x" * 100) == xtext.weighted_length(
        "a" * 10 + " https://example.org/" + "x" * 100
    )
    assert x.count("中文") == 4
    fb = rules_for("facebook")
    assert fb.link_placement == "beside"
    assert rules_for("mastodon").count("a https://example.org/" + "x" * 50) == 2 + 23
    assert rules_for("bluesky").count("👩\u200d💻ab") == 3
    with pytest.raises(ValueError, match="known platforms"):
        rules_for("myspace")


# --- boilerplate ---------------------------------------------------------------------------


def test_seed_boilerplate_is_left_out() -> None:
    a = seed_article()
    texts = [p.text for p in article_paragraphs(a.text, a.title)]
    joined = "\n".join(texts)
    for junk in ("(PMOI / MEK Iran) and (NCRI):", "follow us", "Tags:", "Copyright", "UltimatelySocial", "YouTube"):
        assert junk not in joined
    assert texts[0].startswith("The Iranian Resistance will conduct")


# --- hashtags ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "tag"),
    [
        ("Free Iran", "FreeIran"),
        ("iran protests", "IranProtests"),
        ("#MEK", "MEK"),
        ("Women's rights", "WomenRights"),
        ("Free Iran 2021", "FreeIran2021"),
        ("ایران آزاد", "ایران_آزاد"),
        ("iPhone", "iPhone"),
        ("news", None),
        ("Uncategorized", None),
        ("2021", None),
        ("the", None),
        ("a b c d e", None),
    ],
)
def test_to_hashtag(phrase: str, tag: str | None) -> None:
    got = to_hashtag(phrase)
    assert (got.name if got else None) == tag
    if got:
        assert xtext.is_linkable_hashtag(got.name)


def test_hashtag_order_of_trust_dedupe_never_and_max() -> None:
    a = art(
        "Protests grow", "Students marched in Tehran on Monday. Police watched.", categories=("Iran", "iran", "News")
    )
    spec = ComposeSpec(
        platform="facebook",
        hashtag_map={"protests": "#IranProtests", "Iran": "FreeIran"},
        always_tags=("#Editors",),
        never_tags=("iran",),
        max_hashtags=3,
    )
    d = compose(a, spec)
    assert d.hashtags == ("#Editors", "#FreeIran", "#IranProtests")
    assert d.text.endswith("#Editors #FreeIran #IranProtests")


def test_hashtags_are_case_insensitively_unique_and_skip_existing() -> None:
    a = art(
        "Rally for #FreeIran", "A long enough sentence about the MEK rally in the city.",
        categories=("free iran", "MEK")
    )
    d = compose(a, ComposeSpec(platform="twitter"))
    assert d.hashtags == ("#MEK",)
    assert d.text.count("#FreeIran") == 1


def test_inline_mode_turns_first_natural_occurrence_into_tag() -> None:
    a = art("Students march in Tehran", "Students marched in Tehran on Monday, witnesses said.", categories=("Tehran",))
    d = compose(a, ComposeSpec(platform="twitter", hashtag_mode="inline"))
    assert d.text.startswith("Students march in #Tehran")
    assert d.hashtags == ("#Tehran",)
    assert d.text.count("#Tehran") == 1


# --- compose -------------------------------------------------------------------------------


def test_seed_on_x_and_facebook() -> None:
    a = seed_article()
    x = compose(a, ComposeSpec(platform="twitter"))
    assert xtext.is_valid_tweet(x.text) and x.text.count(SEED_URL) == 1
    assert x.text.startswith("MEK: Free Iran World Summit 2021\n\n" + SEED_URL)
    fb = compose(a, ComposeSpec(platform="facebook"))
    assert fb.link == SEED_URL and SEED_URL not in fb.text
    assert "The Iranian Resistance will conduct its annual assembly" in fb.text
    for junk in ("&amp;", "<p>", "&nbsp;", "Tags:", "follow us", "Copyright", "(NCRI):"):
        assert junk not in fb.text


def test_facebook_template_may_ask_for_the_link() -> None:
    d = compose(
        art(text="One sentence here for the summary."), ComposeSpec(platform="facebook", template="{title} {link}")
    )
    assert d.text == f"A title {URL}" and d.link == URL


def test_x_always_carries_the_link_even_if_template_forgets() -> None:
    d = compose(art(), ComposeSpec(platform="twitter", template="{title}"))
    assert d.text == f"A title\n\n{URL}"


def test_long_title_is_cut_at_a_word_and_link_and_tags_survive() -> None:
    title = " ".join(["Extraordinary"] * 40)
    article = art(title, "Protesters marched in Iran on Monday.", categories=("Iran",))
    d = compose(article, ComposeSpec(platform="twitter"))
    assert xtext.is_valid_tweet(d.text)
    assert d.text.count(URL) == 1 and d.hashtags == ("#Iran",)
    first = d.text.split("\n")[0]
    assert first.endswith("Extraordinary…")


def test_cjk_and_rtl_come_out_whole_and_counted() -> None:
    zh = art("中国的经济发展" * 30, "中国的经济在过去十年中快速发展。专家表示，未来将继续增长。")
    d = compose(zh, ComposeSpec(platform="twitter"))
    assert xtext.weighted_length(d.text) <= 280 and d.text.count(URL) == 1
    assert d.text.split("\n")[0].endswith("…")
    fa = art("اعتراضات سراسری در ایران", "مردم در شهرهای مختلف به خیابان\u200cها آمدند و شعار دادند. نیروها آمدند.")
    d = compose(fa, ComposeSpec(platform="facebook"))
    assert "خیابان\u200cها" in d.text


def test_summary_sentence_count_and_template_fields() -> None:
    text = "First sentence is the lead of the story here. Second sentence adds some context. Third one too."
    a = art("Title", text, author="Jane Roe", site="Example News")
    d = compose(
        a, ComposeSpec(platform="facebook", template="{title} — {author}, {site}\n\n{summary}", summary_sentences=1)
    )
    assert d.text == "Title — Jane Roe, Example News\n\nFirst sentence is the lead of the story here."


def test_empty_article_still_gives_a_valid_post() -> None:
    d = compose(art(""), ComposeSpec(platform="twitter"))
    assert d.text == URL


def test_image_and_key_are_passed_through() -> None:
    img = Image("https://example.org/a.jpg", "alt")
    d = compose(art(image=img), ComposeSpec(platform="facebook"))
    assert d.image == img and d.article_key == "k" and d.platform == "facebook"


def test_spec_is_hashable_and_accepts_plain_dict() -> None:
    s1 = ComposeSpec(platform="twitter", hashtag_map={"a": "B"})
    s2 = ComposeSpec(platform="twitter", hashtag_map={"a": "B"})
    assert s1 == s2 and hash(s1) == hash(s2)


# --- threads -------------------------------------------------------------------------------


def test_thread_numbered_valid_link_in_first_only() -> None:
    a = seed_article()
    d = compose(a, ComposeSpec(platform="twitter", thread=True, thread_max=4))
    posts = [d.text, *d.thread]
    assert 2 <= len(posts) <= 4
    for i, post in enumerate(posts, start=1):
        assert xtext.is_valid_tweet(post)
        assert post.endswith(f"\n\n{i}/{len(posts)}")
    assert d.text.count(SEED_URL) == 1 and all(SEED_URL not in p for p in d.thread)


def test_thread_is_x_only_and_short_articles_stay_single() -> None:
    a = seed_article()
    assert compose(a, ComposeSpec(platform="facebook", thread=True)).thread == ()
    short = art("Title", "Just one sentence in this article here.")
    d = compose(short, ComposeSpec(platform="twitter", thread=True, template="{title}\n\n{summary}\n\n{link}"))
    assert d.thread == () and "\n\n1/" not in d.text


def test_article_text_never_mentions_an_account_on_x() -> None:
    from bot.compose import ComposeSpec, compose, xtext
    from bot.models import Article

    article = Article(key="k", feed_url="f", url="https://medium.com/@ourorg/thanks-123",
                      title="Thanks to @cityhall and ＠mayor for the new library",
                      text="We met @cityhall on Monday. Write to press@example.org for details.")
    draft = compose(article, ComposeSpec(platform="twitter"))
    import regex

    mention = regex.compile(r"(?<![\p{L}\p{N}_!#$%&*@＠])[@＠][A-Za-z0-9_]{1,20}")
    outside_urls = draft.text
    for url, _s, _e in xtext.extract_urls(draft.text):
        outside_urls = outside_urls.replace(url, "")
    assert not mention.search(outside_urls), draft.text
    assert "https://medium.com/@ourorg/thanks-123" in draft.text, "the link is not touched"
    assert "cityhall" in draft.text and xtext.is_valid_tweet(draft.text)
    fb = compose(article, ComposeSpec(platform="facebook"))
    assert "@cityhall" in fb.text, "Facebook does not turn @name into a tag: keep the text as typed"


@pytest.mark.parametrize("link", ["javascript:alert(document.cookie)", "JavaScript:void(0)", "data:text/html,<b>x</b>",
                                  "file:///etc/passwd", "ftp://example.org/a"])
@pytest.mark.parametrize("platform", ["twitter", "facebook"])
def test_links_that_are_not_web_pages_are_never_posted(link: str, platform: str) -> None:
    a = Article(key="k", feed_url="https://example.org/feed", url=link, title="A title", text="Some text here.")
    d = compose(a, ComposeSpec(platform=platform, template="{title} {link}"))
    assert d.link is None and link.split(":")[0].lower() not in d.text.lower() and "A title" in d.text
