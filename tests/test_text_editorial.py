"""Posts an editor would sign: one test per class of bad draft seen on real feeds (issue "Posts an editor
would sign"). Each feed here is a small excerpt in the shape the real feeds have (WordPress, Reddit,
podcasts, JSON Feed, Slovak and Japanese news); the shared real feeds are pinned in test_compose_golden.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot import networks
from bot.compose import ComposeSpec, compose
from bot.compose.text import cut_to_fit, sentences
from bot.feeds.kinds import not_an_article
from bot.feeds.parse import parse_feed
from bot.models import Article
from tests.feedgen import rfc822_ago
from tests.helpers import run_bot

X = ComposeSpec(platform="twitter")
FB = ComposeSpec(platform="facebook")


def rss(items: str, *, title: str = "Example News", language: str = "en",
        site: str = "https://news.example.org/") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
            f'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title>'
            f"<link>{site}</link><language>{language}</language>{items}</channel></rss>").encode()


def item(title: str, text: str, *, link: str = "https://news.example.org/a/1/", cats: tuple[str, ...] = ()) -> str:
    categories = "".join(f"<category><![CDATA[{c}]]></category>" for c in cats)
    return (f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid><pubDate>{rfc822_ago(hours=1)}"
            f"</pubDate>{categories}<description><![CDATA[{text}]]></description></item>")


def articles(body: bytes, url: str = "https://news.example.org/feed/") -> list[Article]:
    return parse_feed(body, url, "application/rss+xml").articles


# --- 1-3: tags that mean something, from repaired text --------------------------------------------


def test_generic_site_categories_in_many_languages_are_never_tags() -> None:
    generic = ("Uncategorized", "Allgemein", "Non classé", "Статьи", "Новости", "Тема", "Aucune", "Sin categoría",
               "Featured", "Blog", "Nezaradené")
    body = rss(item("The council approved the library budget", "<p>The council met and approved it.</p>",
                    cats=(*generic, "Libraries")))
    draft = compose(articles(body)[0], FB)
    assert draft.hashtags == ("#Libraries",)


def test_the_sites_own_name_and_the_editors_generic_list_are_never_tags() -> None:
    body = rss(item("The council approved the library budget", "<p>Inside the hall, the council approved the "
                    "budget of the libraries.</p>", cats=("Example News", "Inside", "Libraries")))
    article = articles(body)[0]
    assert compose(article, FB).hashtags == ("#Inside", "#Libraries")
    edited = ComposeSpec(platform="facebook", generic_tags=("inside",))
    assert compose(article, edited).hashtags == ("#Libraries",)


def test_mojibake_is_repaired_when_the_feed_is_read_and_never_reaches_a_tag() -> None:
    # UTF-8 text that went through Latin-1 once more on the way: "für", "it’s", "Español".
    body = rss(item("Neue Regeln fÃ¼r Mieter: itâ€™s done", "<p>Der Stadtrat hat die Regeln fÃ¼r Mieter "
                    "beschlossen. Sie gelten ab Januar fÃ¼r alle, auch auf EspaÃ±ol.</p>", cats=("EspaÃ±ol",)))
    article = articles(body)[0]
    assert article.title == "Neue Regeln für Mieter: it’s done"
    assert "für alle" in article.text and "Ã" not in article.text
    draft = compose(article, FB)
    assert "Ã" not in draft.text and "â€" not in draft.text
    assert draft.hashtags[0] == "#Español" and not any("Ã" in tag for tag in draft.hashtags)


def test_a_double_encoded_no_break_space_folded_to_a_space_is_repaired_too() -> None:
    # rss.com's WordPress feed (tests/golden/realfeeds): "oh my!Â In this post", the only mix-up in the item.
    body = rss(item("RSS.com and The RSS Feed", "<p>RSS feeds and podcast RSS feeds, oh my!\u00c2 In this post, "
                    "we clear up any confusion.\u00c2 What is an RSS Feed?</p>"))
    article = articles(body)[0]
    assert "\u00c2" not in article.text and "oh my!" in article.text
    assert "\u00c2" not in compose(article, FB).text


def test_a_title_with_its_own_hashtag_uses_up_a_slot_of_the_limit() -> None:
    body = rss(item("#MeToo is about more than one case", "<p>The movement goes on. Women ask for more.</p>",
                    cats=("Women", "Feminism", "Law")))
    x = compose(articles(body)[0], X)  # X allows 2 tags: one is in the title already
    assert x.hashtags == ("#Women",)
    numbered = rss(item("Frontier Diary #4: the QuickDraw problem", "<p>Frontier on the Mac goes on.</p>",
                        cats=("Frontier", "Mac")))
    assert compose(articles(numbered)[0], X).hashtags == ("#Frontier", "#Mac"), "#4 is not a hashtag"


# --- 4: boilerplate is never the summary -----------------------------------------------------------


def test_wordpress_teaser_and_back_link_are_cut_from_the_excerpt() -> None:
    text = ("<p>The council approved the library budget on Monday. Residents spoke for two hours about the "
            "opening times of the new [&hellip;]</p><p>The post Council approves budget appeared first on "
            "Example News.</p>")
    draft = compose(articles(rss(item("Council approves budget", text)))[0], FB)
    assert draft.text == "Council approves budget\n\nThe council approved the library budget on Monday."


def test_reddit_submission_line_is_not_a_summary() -> None:
    text = ('<table><tr><td>The city opened its new library after four years of work. '
            '&#32; submitted by &#32; <a href="https://www.reddit.com/user/bob">/u/bob</a> &#32; to &#32; '
            '<a href="https://www.reddit.com/r/news/">/r/news</a> <br/> <span><a href="https://x">[link]</a></span>'
            ' &#32; <span><a href="https://y">[comments]</a></span></td></tr></table>')
    draft = compose(articles(rss(item("New library opens", text)))[0], FB)
    assert draft.text == "New library opens\n\nThe city opened its new library after four years of work."


def test_protected_post_podcast_navigation_and_licence_lines_are_never_summaries() -> None:
    text = ("<p>Listen to Episode #11 | Watch Episode #11 | Transcript</p>"
            "<p>Our guest explains how the city budget is made, line by line, in plain words.</p>"
            "<p>This work is licensed under a Creative Commons Attribution 4.0 International License.</p>")
    draft = compose(articles(rss(item("Episode 11: the budget", text)))[0], FB)
    assert draft.text == ("Episode 11: the budget\n\n"
                          "Our guest explains how the city budget is made, line by line, in plain words.")


# --- 5: items that are not articles are skipped, in run and in preview ----------------------------


def test_items_that_are_not_articles_are_named_and_skipped() -> None:
    body = rss(item("Protected: Staff party photos", "There is no excerpt because this is a protected post.",
                    link="https://news.example.org/p/1/")
               + item("Featured Advertiser: Best Mattress Deals", "<p>Buy now.</p>", link="https://news.example.org/p/2/")
               + item("Great offer", "<p>Click.</p>", link="https://ad.doubleclick.net/clk;123;456")
               + "<item><link>https://news.example.org/p/4/</link></item>"
               + item("A real story about the council", "<p>The council met.</p>", link="https://news.example.org/p/5/"))
    reasons = [not_an_article(a) for a in articles(body)]
    assert reasons[0] == "password-protected post"
    assert reasons[1] == "advertising entry"
    assert reasons[2] == "advertising entry (links to the ad server ad.doubleclick.net)"
    assert reasons[3] == "empty item (no title, no text)"
    assert reasons[4] is None


def test_preview_shows_only_what_run_would_post_and_stays_json(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(item("Protected: Staff party", "There is no excerpt because this is a protected post.",
                              link="https://news.example.org/p/1/")
                         + "<item><link>https://news.example.org/p/2/</link><guid>g2</guid></item>"
                         + item("Council approves the budget", "<p>The council met on Monday.</p>",
                                link="https://news.example.org/p/3/")))
    env = {"PATH": "/usr/bin:/bin", "BOT_CONFIG": "", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = run_bot(["preview", "--json", "--feed", str(feed)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    posts = json.loads(result.stdout)
    assert {p["article_url"] for p in posts} == {"https://news.example.org/p/3/"}
    assert "password-protected post" in result.stderr and "empty item" in result.stderr


def test_preview_json_stays_parseable_on_a_slovak_feed(tmp_path: Path) -> None:
    # YAKE's Slovak stop-word list is not UTF-8; YAKE prints a warning to stdout when it reads it itself.
    feed = tmp_path / "sk.xml"
    feed.write_bytes(rss(item("Vláda schválila nový rozpočet pre Bratislavu",
                              "<p>Premiér Robert Fico v pondelok oznámil, že vláda v Bratislave schválila rozpočet. "
                              "Robert Fico povedal, že Národná rada o ňom bude hlasovať budúci týždeň.</p>",
                              link="https://sk.example.org/a/1"), language="sk", site="https://sk.example.org/"))
    env = {"PATH": "/usr/bin:/bin", "BOT_CONFIG": "", "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    result = run_bot(["preview", "--json", "--feed", str(feed)], env, tmp_path)
    assert result.returncode == 0, result.stderr
    # the embedded defaults show every network
    assert [p["platform"] for p in json.loads(result.stdout)] == list(networks.names())


# --- 6: coherent excerpts ---------------------------------------------------------------------------


def test_a_sentence_that_points_back_is_never_shown_without_its_antecedent() -> None:
    text = ("<p>Mayor Jane Doe opened the new city library on Monday after four years of building work.</p>"
            "<p>Work began in 2021.</p>"
            "<p>\u201cThe new city library is for every child,\u201d she said at the opening of the library.</p>")
    article = articles(rss(item("Mayor opens the new city library", text)))[0]
    summary = compose(article, FB).text.split("\n\n")[1]
    # The quote's "she" is the mayor, but the sentence before it is left out: the quote must go too.
    assert summary == "Mayor Jane Doe opened the new city library on Monday after four years of building work."


# --- 7-8: titles and links --------------------------------------------------------------------------


def test_json_feed_titles_are_plain_text() -> None:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Blog", "home_page_url": "https://b.example.org/",
           "items": [{"id": "1", "url": "https://b.example.org/1", "title": "Die Rückkehr von <b> und <i> & Co",
                      "content_text": "Ein Text."}]}
    parsed = parse_feed(json.dumps(doc).encode(), "https://b.example.org/feed.json", "application/feed+json")
    assert parsed.entries[0].title == "Die Rückkehr von <b> und <i> & Co"


def test_the_posted_link_keeps_the_articles_fragment_and_identity_does_not() -> None:
    body = rss(item("Live: the council votes", "<p>The vote is on.</p>",
                    link="https://news.example.org/live/?utm_source=rss#update-42"))
    entry = parse_feed(body, "https://news.example.org/feed/", "application/rss+xml").entries[0]
    assert entry.article().url == "https://news.example.org/live/#update-42"
    assert compose(entry.article(), FB).link == "https://news.example.org/live/#update-42"
    assert entry.url == "https://news.example.org/live/", "identity keeps the canonical link"


def test_relative_links_of_a_feed_read_from_a_file_resolve_against_the_channel_link(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    body = rss("<item><title>A</title><link>/2024/05/a/</link><description>x</description></item>"
               "<item><title>B</title><link>b.html</link><description>y</description></item>",
               site="https://site.example.org/blog/")
    feed.write_bytes(body)
    parsed = parse_feed(body, str(feed), "application/xml")
    assert [e.article().url for e in parsed.entries] == ["https://site.example.org/2024/05/a/",
                                              "https://site.example.org/blog/b.html"]


# --- 9-10: cuts and sentences -----------------------------------------------------------------------


def test_japanese_titles_are_cut_at_a_pause_then_a_script_change_then_a_character() -> None:
    title = "東京都は新しい図書館の予算を承認し、市民は開館時間について二時間にわたって意見を述べた。次の会議は来月です"
    assert cut_to_fit(title, lambda s: len(s) <= 44) == title[: title.index("。") + 1]
    assert cut_to_fit(title, lambda s: len(s) <= 30) == "東京都は新しい図書館の予算を承認し…"
    assert cut_to_fit(title, lambda s: len(s) <= 12) == "東京都は新しい図書館の…"  # kanji 館の, then kanji 予
    assert cut_to_fit("図書館図書館図書館図書館", lambda s: len(s) <= 5) == "図書館図…"


def test_state_abbreviations_do_not_end_a_sentence_but_words_still_do() -> None:
    assert sentences("The bill was sponsored by state Del. Jane Doe of Baltimore. It passed.", "en") == [
        "The bill was sponsored by state Del. Jane Doe of Baltimore.", "It passed."]
    assert sentences("He felt ill. Then he left.", "en") == ["He felt ill.", "Then he left."]


def test_a_country_inside_a_longer_headline_name_is_a_topic_a_first_name_is_not() -> None:
    """The seed article: "Free Iran World Summit" in the headline, "regime change in Iran" in the text. Iran is
    what the article is about; "Shabbar" of the headline's "Shabbar Abbas" is a first name, not a topic."""
    from bot.compose.hashtags import keywords

    lead = ("The Iranian Resistance will conduct its annual assembly of Iranian ex-pats and other supporters of "
            "regime change in Iran the following month.")
    assert keywords("MEK: Free Iran World Summit 2021", lead, "en") == ("Iran",)
    lead_it = "È stato arrestato in Pakistan per frode Shabbar, padre di Saman Abbas."
    found = keywords("Arrestato in Pakistan Shabbar Abbas. In Italia è accusato", lead_it, "it")
    assert "Pakistan" in found and "Shabbar" not in found



# --- block boundaries, whole sentences, list labels (issue 10, second pass) -------------------------


def _fb_summary(title: str, text: str, cats: tuple[str, ...] = ()) -> tuple[str, tuple[str, ...]]:
    """The Facebook draft's summary ("" when the title stands alone) and its tags."""
    draft = compose(articles(rss(item(title, text, cats=cats)))[0], FB)
    parts = draft.text.split("\n\n")
    summary = parts[1] if len(parts) > 1 and not parts[1].startswith(("#", "http")) else ""
    return summary, draft.hashtags


def test_a_block_boundary_always_ends_a_sentence() -> None:
    """The Changing the TAG post: a quote in one <p> without a stop, the author's words in the next. Joined
    by a space they read as one sentence ("... at the W3C I'll come out and say it.")."""
    for sep in ("</p><p>", "<br>", "</li><li>"):
        text = (f"<p><ul><li>Jane Doe: <em>I really want the council to listen to the people of the harbour</em>"
                f"{sep}I will come out and say it. I am a skeptic of the whole plan.</li></ul></p>")
        summary, _ = _fb_summary("Changing the council", text)
        assert "harbour I will" not in summary, (sep, summary)
        assert summary.startswith("Jane Doe: I really want the council to listen to the people of the harbour\n"
                                  "I will come out and say it."), (sep, summary)


def test_a_summary_never_ends_on_a_sentence_the_feed_may_have_cut() -> None:
    # An itunes:summary cut at 255 characters: the title stands alone rather than "... at the demoli".
    cut = ("The Switch Lite is the big story of the week, but we also touch on Dragon Quest Builders 2, SolSeraph, and "
           "FFXIV, get deep into the future of Capcom fighting, contemplate cinematic fatalities, argue about pigs in "
           "blankets, and get in the mud at the demoli")
    assert len(cut) == 255 and _fb_summary("Giant Bombcast 592: Extra Ribcage Edition", cut)[0] == ""
    # With a whole sentence before it, the summary ends there.
    text = ("Nine countries were put on a watchlist because they met some of the criteria. Apart from India, the "
            "administration has also removed Switzerland from the list")
    assert _fb_summary("US takes India off watchlist", text)[0] == (
        "Nine countries were put on a watchlist because they met some of the criteria.")
    # A line the author left open is whole when another block follows it (a standfirst).
    text = ("<p>Amid a renaissance of athlete activism, the champions of the conference now lead the league in "
            "social awareness</p>"
            "<p>That is what the civil rights attorney thought as he listened to the players on Monday.</p>")
    assert _fb_summary("How the Eagles became the wokest team", text)[0].startswith(
        "Amid a renaissance of athlete activism, the champions of the conference now lead the league in social "
        "awareness\nThat is")


def test_an_untitled_note_keeps_its_words_without_a_stop() -> None:
    body = rss(item("", "Nice photo of the old harbour bridge in the morning fog today"))
    draft = compose(articles(body)[0], FB)
    assert "Nice photo of the old harbour bridge in the morning fog today" in draft.text


def test_sentences_glued_after_a_number_are_two() -> None:
    assert sentences("He visited Tibet in May, the first such visit since 2015.Over 120 Tibetans protested", "en") == [
        "He visited Tibet in May, the first such visit since 2015.", "Over 120 Tibetans protested"]
    assert sentences("The oath is at 10.30 am. Ministers attend.", "en") == ["The oath is at 10.30 am.",
                                                                             "Ministers attend."]


def test_a_list_label_is_not_a_sentence_of_the_summary() -> None:
    text = ("<p>One. OmniOutliner’s outline view is implemented as layers rather than as views.</p>"
            "<p>Two. If you eat fenugreek, you will smell like maple syrup.</p>")
    summary, _ = _fb_summary("Two little-known and unrelated facts", text)
    assert summary.startswith("OmniOutliner’s outline view is implemented"), summary
    assert "One." not in summary and "Two." not in summary


def test_broad_categories_and_reddit_format_communities_are_never_tags() -> None:
    text = "Instagram now has 400 million users, the company said on Tuesday in a post on its blog."
    _, tags = _fb_summary("Instagram hits 400 million users", text, cats=("Technology", "Event", "pics", "gifs"))
    assert not {t.casefold() for t in tags} & {"#technology", "#event", "#pics", "#gifs"}
    _, tags = _fb_summary("Instagram hits 400 million users", text, cats=("Instagram", "Technologie"))
    assert tags == ("#Instagram",)


def test_a_chinese_headline_bar_is_a_cut_point_and_never_dangles() -> None:
    from bot.compose.text import cut_to_fit

    title = "极客之选年度评选丨年度真无线降噪耳机：OPPO Enco X"
    assert cut_to_fit(title, lambda t: len(t) <= 12) == "极客之选年度评选…"
    assert cut_to_fit("瑞幸在美或被罚1.8亿美元｜极客早知道", lambda t: len(t) <= 15) == "瑞幸在美或被罚1.8亿美元…"
