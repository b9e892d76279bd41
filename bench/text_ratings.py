"""Rate every draft over the real feeds as good / acceptable / bad, per half and per network, and write
bench/text_ratings.md (rubric, counts side by side, one line per draft).

    PYTHONPATH=. .venv/bin/python bench/text_ratings.py [--shared DIR] [--out FILE]

Two halves (issue 20): the tuning half is what the rules were written and checked on (tests/data/feeds and
tests/golden/realfeeds); the held-out sets (tests/holdout/a, b, c and d, see their README) were not read while
tuning and are rated here with the same rubric, each on its own. Every draft of the first 25 articles of each
feed, on all five networks.

How a rating is reached (the rubric is also at the top of the output):
- the mechanical checks below find what is bad in any draft (empty, boilerplate, mojibake, generic tag,
  a summary opening that leans on a dropped sentence or is a list item or cut off, over 280 on X);
- the judgements an editor made by reading (every keyword tag of every draft was read, and the drafts
  of each feed were read in sample) are the lists BAD_TAGS, WEAK_TAGS, BAD_DRAFTS and WEAK_DRAFTS:
  they name what a check cannot see (a common noun as a tag, code in a summary).
A change in the bot changes the drafts: run this again and re-read the new tags before trusting it.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import regex  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.compose import ComposeSpec, compose  # noqa: E402
from bot.compose.boilerplate import normalise_for_compare  # noqa: E402
from bot.compose.core import _body  # noqa: E402
from bot.compose.rules import rules_for  # noqa: E402
from bot.compose.stopwords import GENERIC_TAGS  # noqa: E402
from bot.compose.summarize import can_be_summary, points_back, ranked_sentences  # noqa: E402
from bot.compose.text import sentences, words  # noqa: E402
from bot.compose.xtext import weighted_length  # noqa: E402
from bot.feeds.kinds import not_an_article  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.models import Article, Draft  # noqa: E402

SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
SPECS = {"X": ComposeSpec(platform="twitter"), "FB": ComposeSpec(platform="facebook"),
         "Mastodon": ComposeSpec(platform="mastodon"), "Bluesky": ComposeSpec(platform="bluesky"),
         "Telegram": ComposeSpec(platform="telegram")}
PLATFORMS = {name: spec.platform for name, spec in SPECS.items()}
ARTICLES_PER_FEED = 25
# What a draft must never carry as a tag, whatever the feed: a publishing system's slug or version number.
_SLUG_TAG = regex.compile(r"_|v?\d{5,}", regex.IGNORECASE)

# Read by an editor: tags that are wrong in an organisation's voice (a common noun, a fragment).
BAD_TAGS = {
    "#Corte": "a common noun ('Corte espanhola': the Spanish court)",
    "#USDollar": "a currency unit, not a topic",
    "#STUDIO": "a common noun shouted in a listing title",
    "#Complete": "the first word of the name 'Complete and Await Reply'",
    "#Nite": "a fragment of the show name 'Giant Bomb @ Nite'",
}
# Read once in the held-out half (issue 20), after tuning ended.
BAD_TAGS.update({
    "#CNBC": "an aggregated outlet's name", "#KuengKSTP": "a name glued to an aggregated outlet's name",
    "#Reuters": "an aggregated outlet's name", "#TikTokYahooLife": "a name glued to an aggregated outlet's name",
    "#Pro": "a fragment of 'Pixel 7 Pro'", "#Moqtada": "a fragment of 'Moqtada al-Sadr'",
    "#Centro": "a common noun ('downtown')",
})
# Read once in held-out set B, at the end of the session (tests/holdout/README.md).
BAD_TAGS.update({
    "#Interview": "a generic section ('Interview')", "#Interviews": "a generic section",
    "#DASDING": "the publisher's own brand", "#Jerhum": "the author's name",
    "#Man": "a fragment of 'Letter to a Man'", "#Letter": "a fragment of 'Letter to a Man'",
    "#Tarek": "a fragment of 'Tarek K.I.Z'",
})
# Read once in held-out set C, at the end of the next session (tests/holdout/README.md).
BAD_TAGS.update({
    "#Episode": "a generic section ('Episode')", "#NewsletterForFriends": "the blog's own newsletter series",
    "#Boring": "an adjective of the headline", "#Dangerous": "an adjective of the headline",
    "#Private": "a fragment of the quoted name 'Private Property!'", "#Century": "a fragment of '21st Century'",
    "#Conference": "a generic label", "#Unable": "a fragment of the quoted error 'Unable to Open Item'",
    "#Hell": "a fragment of 'Metal as Hell'", "#Legends": "a fragment of 'Apex Legends'",
    "#Battalion": "a fragment of 'Battalion 1944'", "#FacebookKonto": "a common noun ('Facebook account')",
})
# Read once in held-out set D, at its one rating on 2026-12-08 (tests/holdout/README.md).
BAD_TAGS.update({
    "#Bromley": "a fragment of 'Bromley Hall'", "#Crowes": "a fragment of 'The Black Crowes'",
    "#Bloggen": "a common noun ('the blog': the site's category for itself)",
    "#Meinung": "a generic section ('Opinion')", "#Grosse": "an adjective of 'Grosse bagarre'",
    "#Bagel": "a fragment of 'Studio Bagel'", "#González": "a common surname alone ('Adrián González')",
    "#Peña": "a common surname alone ('Carlos Peña')", "#AmyHennigs": "the Swedish genitive of 'Amy Hennig'",
    "#NRKRadio": "the publisher's own app",
})
# Tags that are right but weak: an editor would rather not have them, and would not mind much.
WEAK_TAGS = {
    # held-out set C
    "#Americans": "a vague noun", "#BMI": "a course code read as an abbreviation", "#TSFS": "a regulation's code",
    "#Benchmark": "a common noun", "#Https": "a protocol, oddly cased", "#Forest3": "a game name with its number glued",
    "#FPS": "a genre", "#АГНКС": "a station type", **{t: "a station's type glued to its name" for t in (
        "#БЗПВолковыск", "#АГНКСВитебск", "#АГНКСМолодечно", "#АГНКСБобруйск", "#АГНКСГомель1", "#АГНКСЛида",
        "#АГНКСБрест2", "#БЗПКСИвацевичи", "#АГНКСРогачев", "#БЗПЩучин", "#АГНКСМогилев1")},
    "#Bags": "a common noun", "#Protocols": "a common noun in a Swift post", "#ServerHealth": "a heading, not a topic",
    "#Funny": "a subreddit name", "#Pics": "a subreddit name", "#Gifs": "a subreddit name",
    "#Todayilearned": "a subreddit name", "#Mildlyinteresting": "a subreddit name", "#Event": "a vague category",
    "#Technology": "a broad category", "#Snippet": "a section",  # (subreddits, #Technology, #Event: now generic)
    # The site's own lowercase tags, in the slot #Technology / #Weblogs left: common nouns, a cryptic short name.
    "#Mirror": "a common noun of the site's tags", "#Scaling": "a common noun of the site's tags",
    "#Coreint": "the site's short tag for the podcast Core Intuition",
    "#Vin": "a common noun ('wine') of the site's categories",  # held-out half
    # held-out set B
    "#SongTindern": "a show's segment name", "#Scratched": "a show's segment name",
    "#TheAbstract": "the site's newsletter name", "#Line": "LINE written in the wrong case",
    "#UC9020": "a product code",
}
# Read once in held-out set D, at its one rating on 2026-12-08 (tests/holdout/README.md).
WEAK_TAGS.update({
    "#Ferrell": "the surname of Will Ferrell", "#Vick": "the surname of Michael Vick",
    "#Filmtajm": "the blog's series label", "#Seglarportföljen": "the blogger's own name for his portfolio",
    "#Rezept": "a common noun of the site's tags ('recipe')", "#Simulation": "a broad category",
    "#Javascript": "JavaScript written in the wrong case", "#DeutscheTélékom": "the feed's misspelling of Telekom",
    "#SMS": "a common noun, beside the story (SFR's prepaid prices)",
    "#Conflict": "half of the category 'Conflict, Peace and Security'",
    "#PeaceAndSecurity": "half of the category 'Conflict, Peace and Security'", "#Trade": "a broad category",
    "#Security": "a broad category", "#Sports": "a broad category, beside #Olympics",
    "#Tools": "a common noun of the site's tags", "#Books": "a common noun of the site's tags",
    "#MCPServer": "the site's tag, beside #MCP",
})
# (feed, title start) -> why the draft is bad / only acceptable, seen by reading.
BAD_DRAFTS: dict[tuple[str, str], str] = {
    # Read and fixed in the bot (kept as a record): the natasha "How to Reuse Paging Interface
    # Controllers" summary ran into a code sample; its summary now ends before the code. "Changing the
    # TAG" glued a quote's <p> to the next ("... at the W3C I'll come out and say it."): a block
    # boundary is now a line break in the summary.
}
WEAK_DRAFTS = {
    # Fixed in the bot, kept as a record: "Two Little-Known" opened its summary with the list label "One.".
    ("rss20_fr_cerclepsy_latin1_undeclared.xml", "Masters en Psycho"): "the feed's own broken entity 'et#8230;'",
    ("rss10_craigslist_listings.rss", ""): "classified listings: shouting titles, street names",
    ("rss20_ru_ibash_windows1251_quotes.xml", ""): "chat-log quotes: readable, not news",
}
# Read once in held-out set D, at its one rating on 2026-12-08 (tests/holdout/README.md).
BAD_DRAFTS.update({
    ("jsonfeed11_de_3960_journal_blog.json", "Die Rückkehr von"):
        "the title's and text's '<i>', '<b>' (written as text, not markup) dropped: 'Die Rückkehr von und'",
    ("rss20_no_nrk_radio_podcast.xml", "Hør de nyeste episodene"): "the feed's promo for its app, not an episode",
    ("rss20_no_nrk_radio_podcast.xml", "Hør alle episodene i appen"): "the feed's promo for its app, not an episode",
})
_RESPONSE = "a Medium response (a reply to another post): its first sentence is its title (the feed's own)"
WEAK_DRAFTS.update({
    **{("rss20_en_emarley_medium.xml", start): _RESPONSE for start in (
        "And if I somehow lose", "Though not as much", "I avoided art classes", "Replaying this post")},
    ("rss20_en_emarley_medium.xml", "This is a test."): "the author's test post (the feed's own)",
    ("rss20_no_nrk_radio_podcast.xml", ""): "no link: the feed's items have none (the episode's page is only in "
                                            "the description's app link)",
})
# Held-out half, read once after tuning: summaries an editor would not sign (networks that show a summary).
_OTHER_OUTLET = "another outlet's headline as the summary (an aggregator's description)"
_PREAMBLE = "the series' repeated preamble as the summary"
_EPIGRAPH = "the post's epigraph (a quotation before the text) as the summary"
_BACK_LINK = "the site's back-link ('The post ... first appeared on ...') as the whole summary"
BAD_SUMMARIES = {
    # held-out set C, read once at the end of the next session
    ("atom10_en_kottke_link_blog.xml", "Ski Jumping Pairs"): "a video credit as the summary",
    ("atom10_en_kottke_link_blog.xml", "From designer Beth Mathews"): "a sentence cut inside a quotation",
    ("atom10_en_kottke_link_blog.xml", "The 50 Most Underappreciated"): "opens on 'these' of the headline",
    **{("atom10_fr_la_grange_personal_blog.xml", start): _EPIGRAPH for start in (
        "L'hôtel particulier", "Les salauds du livre", "Trouver le premier", "Habiter la globalisation", "Hanami",
        "Le processus de création", "La sueur du tofu", "Marché Jean-Talon", "Gérer le flux", "Une identité",
        "Optimisation des systèmes", "Traitement des fichiers", "Tri de caractères", "Surveiller la surveillance",
        "Le spectacle de la tradition", "Relire en numérique", "Définir les attentes", "L'écran et la piste",
        "Le voyage de Tchekhov")},
    ("rss20_en_podcasting20_podcast.xml", "Episode 234"): "a chat log line glued to the summary",
    ("rss20_en_podcasting20_podcast.xml", "Episode 224"): "an app's instruction as the summary",
    ("rss20_es_mundodeportivo_fcbarcelona_news.xml", "El Eibar"): "a sentence without its end (the feed's cut)",
    ("rss20_es_mundodeportivo_fcbarcelona_news.xml", "Tuchel descarta"): "a sentence without its end (the feed's cut)",
    **{("rss20_fi_myrskyla_municipality_wordpress.xml", start): _BACK_LINK for start in (
        "Lahden seudun jätetaksa", "Lahden seudun jätelautakunnan", "Rakennusvalvonnan", "Kunnanhallituksen",
        "Vapaa-aikapalveluiden")},
    ("rss20_sv_retriever_intranet30_latin1.xml", "Planering för ombyggnad"): "a photo credit and a fragment in it",
    **{("rss20_aggregator_google_news.xml", start): _OTHER_OUTLET for start in (
        "Highland Park", "Fed Watchers", "Now all Google Nest", "Reaction: Meta Quest", "Tony Dow",
        "Neil Patrick Harris")},
    **{("atom10_blogger_feedburner_google_testing.rss", start): _PREAMBLE for start in (
        "Code Health: Providing Context", "Code Health: Eliminate YAGNI", "Code Health: To Comment",
        "Code Health: Too Many Comments", "Code Health: Reduce Nesting", "Testing on the Toilet: Keep Cause",
        "Testing on the Toilet: What Makes")},
    ("atom10_blogger_feedburner_google_testing.rss", "Announcing OSS-Fuzz"): "a list of bylines as the summary",
    # held-out set B, read once at the end of the session
    ("atom10_blogger_4fsodonline.xml", "4FSOD The Documentary: Deleted"): "a sentence cut at a comma",
    ("atom10_blogger_4fsodonline.xml", "Chapter 10: Got Smoke?"): "a sentence without its end",
    ("rss20_en_dawn_pakistan_world.xml", "Erdogan postpones UAE visit"): "opens on 'The message' of a dropped "
                                                                           "sentence",
    ("rss20_ghost_404media.xml", "Cops Are Buying"): "the site's note on its reporting as the summary",
    ("rss20_ghost_404media.xml", "A Mystery Inside Earth"): "a call to subscribe as the summary",
    ("rss20_podcast_de_dasding_endorphine.xml", "Die mit YUNGBLUDs Duschbier"): "a promo code as the summary",
    ("rss20_zh_coolshell_wordpress.xml", "打造高效的工作环境"): "a co-authorship and copyright note as the summary",
}
# Read once in held-out set D, at its one rating on 2026-12-08 (tests/holdout/README.md).
_FEED_CUT = "ends on the feed's mid-word cut ('... son lan (...)')"
BAD_SUMMARIES.update({
    ("atom10_en_ohio_thepost_university_newspaper.xml", "International women find"):
        "stops inside a quotation (its close and 'Souza said' left out)",
    ("jsonfeed11_de_3960_journal_blog.json", "Lecker, lecker"): "half a quoted couplet, cut at its comma",
    ("jsonfeed11_de_3960_journal_blog.json", "Programmierung: Zurück zur Werkbank"):
        "another author's English blockquote glued to it, unmarked",
    **{("rss092_fr_universfreebox_news.xml", start): _FEED_CUT for start in (
        "Neutralité du Net", "Annonce de Xavier Niel mardi", "Canalsat par ADSL", "L'internet fixe limité",
        "Free Mobile passe", "Xavier Niel, à 24 heures", "SFR la Carte", "4G", "Selon le PDG d'Orange",
        "Youtube et la SACEM", "La Freebox Révolution est au top", "Freebox Révolution", "1800MHz")},
    ("rss092_fr_universfreebox_news.xml", "Online"): "an embedded tweet's text glued to it, repeating the quote",
    ("rss20_de_allgemeine_zeitung_news.xml", "Zu weit links"): "a dateline and the credit '(red).' alone",
    ("rss20_de_allgemeine_zeitung_news.xml", "Mann droht in Wiesbaden"): "a dateline and the credit '(red).' alone",
    ("rss20_en_workingsoftware_ghost.xml", "Connect Claude Code"):
        "steps around a dropped command: 'After that, ...' leans on the code left out",
    ("rss20_en_workingsoftware_ghost.xml", "Software Architecture Challenge"):
        "a call to comment, ending inside the transcript's quotation",
    ("rss20_en_workingsoftware_ghost.xml", "Introduction to the Architecture Decision Canvas"):
        "an entry of the table of contents opens it",
    ("rss20_es_diariohorizonte_news.xml", "Águilas rechazan"): "a sentence without its end ('los Leones del…': "
                                                               "the feed's cut)",
    ("rss20_ja_sixapart_company_news.xml", "シックス・アパートが、法人向け"):
        "a label ('＜プレスリリース資料＞') as the summary",
    ("rss20_ja_sixapart_company_news.xml", "アルバイト（"): "one field of the ad's list (the wage) as the summary",
    ("rss20_zh_qq_news_gb2312.xml", "习近平致信祝贺2018世界人工智能大会开幕"):
        "headline, subtitle and dateline run together into its first sentence (the feed's own, kept)",
})
WEAK_SUMMARIES_HELD_OUT = {
    # held-out set C: the link blog's titles are the post's first words; the summary repeats them in full
    **{("atom10_en_kottke_link_blog.xml", start): "the summary repeats the headline, which is its own first words"
       for start in ("The goal of the Trump", "Why AI Writing", "Jesse Jackson on Sesame", "The 19 richest",
                     "What movies can you", "From a draft of the opening", "If what you want",
                     "On historical accuracy", "The AI hater", "A molly guard", "Polar explorer", "Food Is Love",
                     "14-year old", "Fun fact of the day", "If you haven")},
    ("atom10_en_kottke_link_blog.xml", "The K-Shaped Economy"): "ends on 'this video:', which the post does not carry",
    ("rss20_sv_retriever_intranet30_latin1.xml", "Regler vid grovfoderimport"): "a stray section word opens it",
    ("rss20_sv_retriever_intranet30_latin1.xml", "Därför fick bussen"): "a dateline and a caption glued to it",
    ("rss20_zh_oschina_news.xml", "【一周】"): "a roundup opening on a quotation",
    ("atom10_fr_la_grange_personal_blog.xml", "Recettes de cuisine"): "perhaps an epigraph",
    ("atom10_blogger_feedburner_google_testing.rss", "Hackable Projects - Pillar"):
        "a series note ('also see the first article') opens the summary",
}
# Read once in held-out set D, at its one rating on 2026-12-08 (tests/holdout/README.md).
_RED = "a dateline and the desk's credit '(red).' open it"
_ADDED_ELLIPSIS = "ends on a '…' added to the feed's whole sentence, which has no final stop"
_CREDIT = "a dateline and the reporter's credit open it"
_QUESTION = "a press conference's question without its answer"
WEAK_SUMMARIES_HELD_OUT.update({
    ("atom10_en_ohio_thepost_university_newspaper.xml", "Womens MAC Tournament"):
        "a subheading glued to the next sentence ('Nobody said it was easy Since ...': the feed's own tab)",
    ("atom10_sv_utdelningsseglaren_blogger.xml", "Tre ord som gör dig rik"):
        "ends on the lead-in to the question ('frågan…') the summary does not carry",
    ("atom10_sv_utdelningsseglaren_blogger.xml", "Senaste transaktionerna"):
        "ends on 'Följande transaktioner ...', a list it does not carry",
    ("atom10_sv_utdelningsseglaren_blogger.xml", "Hur tjänar man pengar"):
        "'Fick följande fråga ...': the question is not carried",
    ("atom10_sv_utdelningsseglaren_blogger.xml", "Portföljmallen kommer här"):
        "ends on 'ladda ner här' (download here)",
    ("rss092_fr_universfreebox_news.xml", "Zapping"): "a list of the clips' names run into '....Voici le zapping'",
    **{("rss20_de_allgemeine_zeitung_news.xml", start): _RED for start in (
        "Unfallauto", "Bischofsheim", "Einbrecher", "Geparktes Auto", "Diebe", "Bad Kreuznach: Betrunkene")},
    ("rss20_en_allafrica_aggregator.xml", ""): "the source outlet's credit ('[Capital FM] Nairobi --') opens every "
                                               "summary (the aggregator's format)",
    ("rss20_en_workingsoftware_ghost.xml", "12 Essential AI"): "the post's disclaimer callout ('❗ I'm a beginner')",
    ("rss20_es_diariohorizonte_news.xml", "El Atlético Nacional"): "a stray '- ' opens it (the feed's empty dateline)",
    ("rss20_es_diariohorizonte_news.xml", "Los Eagles se quejan"): "a stray '- ' opens it (the feed's empty dateline)",
    **{("rss20_ja_sixapart_company_news.xml", start): "a job ad's field list (type, place, role) as the summary"
       for start in ("Movable Type開発エンジニア", "TypePad開発エンジニア", "カスタマーサポート・ディレクター")},
    ("rss20_ja_sixapart_company_news.xml", "シックス・アパートが、スパム対策"):
        "repeats the headline with its subtitle",
    ("rss20_ja_sixapart_company_news.xml", "企業ブログ向けパッケージ"): "ends on 'see the press release for details'",
    ("rss20_sv_fz_games_magazine.xml", "För första gången på länge"):
        "the feed's dek continues the headline ('Har ...')",
    ("rss20_sv_fz_games_magazine.xml", "Atomic Heart försenas"): "the feed's dek continues the headline ('Vilket ...')",
    ("rss20_sv_fz_games_magazine.xml", "EA avtäcker studion"): "the feed's dek continues the headline ('Och ...')",
    **{("rss20_uk_suspilne_news.xml", start): _ADDED_ELLIPSIS for start in (
        "РФ вдарила", "Президент", "Втрати Волині", '"Оскар-2024"', "Валерій Козир", "Заява Умєрова")},
    ("rss20_uk_suspilne_news.xml", "Анатолій Трубін"): "repeats the headline",
    ("rss20_uk_suspilne_news.xml", "Черговий обстріл Херсона"): "repeats half the headline",
    ("rss20_uk_suspilne_news.xml", "Головні новини Харкова"): "a search-engine blurb ('the latest and freshest news')",
    ("rss20_no_nrk_radio_podcast.xml", "Høydepunkter fra 2021 - nr. 8"): "repeats the headline",
    **{("rss20_zh_qq_news_gb2312.xml", start): "an editor's note label ('编者按：') opens it"
       for start in ("习近平为何如此强调崇尚英雄", "习近平谈抗战", "跟习近平学习如何挖")},
    **{("rss20_zh_qq_news_gb2312.xml", start): _CREDIT for start in (
        "最高法", "“917中国坚果健康周”", "中外人士热议", "【新时代担当作为典型风采】")},
    ("rss20_zh_qq_news_gb2312.xml", "日本潜艇首次赴南海演练"): _QUESTION,
    ("rss20_zh_qq_news_gb2312.xml", "外交部回应"): _QUESTION,
})
# The same, for the summary of a draft (Facebook): the X draft, title and link, is not concerned.
# Livemint drops the final stop of its descriptions; a summary now ends on a whole sentence or the title stands
# alone (every Livemint draft was re-read after that change): these two are the feed's own fragments.
WEAK_SUMMARIES = {
    ("rss20_livemint_india_news.xml", "GST Council to examine"):
        "the feed's own fragment ('While one sub-group will examine ...': its main clause is cut off)",
    ("rss20_livemint_india_news.xml", "Inside the printing press"):
        "the feed's own caption as its lead ('The new euro notes with enhanced security feature.')",
}

# A platform's or site's tail sending the reader elsewhere ("See acast.com/privacy ...") in the text of a post.
_ADDRESS_TAIL = regex.compile(r"(?:see|visit|read more at|more at)\s+\S+\.\p{Ll}{2,6}/\S",
                           regex.IGNORECASE)
_KICKER = regex.compile(r"^[\p{Lu}\p{N}'’+/ ]{4,}(?:-[\p{Lu}\p{N}'’+/ ]+)* - ")
_MOJIBAKE = regex.compile(r"Ã[\x80-\xbf]|â€|Â[\xa0-\xbf]")
_BOILERPLATE = regex.compile(r"appeared first on|erschien zuerst auf|leia mais no|"
                             r"submitted by|\[(?:…|\.\.\.)\]|there is no excerpt|listen to episode"
                             r"|\[link\]|\[comments\]", regex.IGNORECASE)

RUBRIC = """\
## Rubric

- **good**: an editor would post it as it is: the headline, a summary that reads as the article's own
  opening (whole sentences, none leaning on a dropped one), tags that are names or topics people follow.
- **acceptable**: correct, nothing wrong in the organisation's voice, but an editor would improve it: a
  weak or vague tag, no summary where the article had one to give, a defect that is the feed's own.
- **bad**: an editor would not post it: empty, boilerplate or mojibake in it, a wrong tag (generic, a
  fragment, a common noun), a summary that opens on a dangling sentence, a list item or a cut-off
  sentence, code in it, over the limit.
"""


def summary_of(article: Article, draft: Draft) -> str:
    parts = [s for s in draft.text.split("\n\n") if s and not s.startswith("#") and s != draft.link]
    if parts and parts[0] == " ".join(article.title.split()):
        parts = parts[1:]
    return parts[0] if parts else ""


def rate(feed: str, article: Article, name: str, draft: Draft) -> tuple[str, str]:
    text = draft.text
    if not text.replace(draft.link or "", "").strip():
        return "bad", "empty"
    if _BOILERPLATE.search(text):
        return "bad", "boilerplate"
    if _MOJIBAKE.search(text + " ".join(draft.hashtags)):
        return "bad", "mojibake"
    if name == "X" and weighted_length(text) > 280:
        return "bad", "over 280"
    rules = rules_for(PLATFORMS[name])
    if name != "X" and (not rules.fits(text) or (rules.max_bytes and len(text.encode()) > rules.max_bytes)):
        return "bad", f"over the {name} limit"
    if _ADDRESS_TAIL.search(text.replace(draft.link or "\0", "")):
        return "bad", "boilerplate"
    for tag in draft.hashtags:
        if tag.lstrip("#").casefold() in GENERIC_TAGS:
            return "bad", f"generic tag {tag}"
        if tag in BAD_TAGS:
            return "bad", f"tag {tag}: {BAD_TAGS[tag]}"
        if _SLUG_TAG.search(tag):
            return "bad", f"tag {tag}: a label slug"
        if article.site and tag.lstrip("#").casefold() == "".join(article.site.split()).casefold():
            return "bad", f"tag {tag}: the site's own name"
    for (f, start), why in BAD_DRAFTS.items():
        if f == feed and article.title.startswith(start):
            return "bad", why
    title = " ".join(article.title.split())
    body = _body(article)
    ranked = ranked_sentences(body, title, article.language)
    summary = summary_of(article, draft) if name in ("FB", "Mastodon", "Telegram") else ""
    if summary and title:
        first = sentences(summary, article.language)[0]
        lead = next((s.text for s in ranked if s.position == 0), "")
        if normalise_for_compare(first) != normalise_for_compare(lead) and (
                points_back(first) or not can_be_summary(first)):
            return "bad", "summary opens on a sentence that cannot stand alone"
    for (f, start), why in BAD_SUMMARIES.items():
        if summary and f == feed and article.title.startswith(start):
            return "bad", why
    if summary and _KICKER.match(summary):
        return "acceptable", "a section kicker ('INTERVIEW - ') opens the summary"
    weak = [f"tag {t}: {WEAK_TAGS[t]}" for t in draft.hashtags if t in WEAK_TAGS]
    if weak:
        return "acceptable", weak[0]
    summary_notes = [*WEAK_SUMMARIES.items(), *WEAK_SUMMARIES_HELD_OUT.items()] if summary else []
    for (f, start), why in [*WEAK_DRAFTS.items(), *summary_notes]:
        if f == feed and article.title.startswith(start):
            return "acceptable", why
    # Only a whole sentence was there to give: an open one at the end of the text may be cut (fit.py).
    if name == "FB" and title and not summary and any(s.whole and len(words(s.text)) >= 6 for s in ranked):
        return "acceptable", "no summary, though the article had a sentence to give"
    return "good", ""


def rate_feeds(paths: list[Path]) -> tuple[dict[str, Counter[str]], Counter[str], list[str]]:
    """Per network, the verdicts over `paths`; the reasons; one table line per draft."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in SPECS}
    reasons: Counter[str] = Counter()
    lines: list[str] = []
    for path in paths:
        feed = parse_feed(path.read_bytes(), "https://feeds.example.org/" + path.name)
        for article in feed.articles[:ARTICLES_PER_FEED]:
            if not_an_article(article):
                continue
            for name, spec in SPECS.items():
                verdict, why = rate(path.name, article, name, compose(article, spec))
                counts[name][verdict] += 1
                if why:
                    reasons[f"{verdict}: {why.split(':')[0] if why.startswith('tag ') else why}"] += 1
                title = " ".join(article.title.split())[:70].replace("|", "/") or "(untitled)"
                lines.append(f"| {path.name} | {name} | {title} | {verdict} | {why.replace('|', '/')} |")
    return counts, reasons, lines


def _row(label: str, c: Counter[str]) -> str:
    total = sum(c.values()) or 1
    return f"| {label} | {sum(c.values())} | " + " | ".join(
        f"{c[v]} ({100 * c[v] / total:.1f}%)" for v in ("good", "acceptable", "bad")) + " |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT / "tests" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "text_ratings.md")
    args = parser.parse_args()
    # tests/holdout/README.md: sets A, B and C were each rated once and their failures were read since; set D is
    # the clean measure, read only at its one rating.
    halves = {"tuning": [args.shared / "feeds", ROOT / "tests" / "golden" / "realfeeds"],
              "held-out A": [ROOT / "tests" / "holdout" / "a"],
              "held-out B": [ROOT / "tests" / "holdout" / "b"],
              "held-out C": [ROOT / "tests" / "holdout" / "c"],
              "held-out D": [ROOT / "tests" / "holdout" / "d"]}
    out = ["# Editorial ratings of every draft (issues 10 and 20)", "",
           "Made by `bench/text_ratings.py`: every draft of the first 25 articles of each feed, on all five "
           "networks, default settings. Method: mechanical checks for what can be checked, and the judgements of "
           "an editor who read the drafts (the lists in the script). The held-out half was read once, at the end, "
           "and rated with the same rubric.", "", RUBRIC, "## Counts", "",
           "| half / network | drafts | good | acceptable | bad |", "|---|---|---|---|---|"]
    details: list[str] = []
    for half, dirs in halves.items():
        paths = [p for d in dirs if d.is_dir() for p in sorted(d.iterdir()) if p.suffix in SUFFIXES]
        counts, reasons, lines = rate_feeds(paths)
        out += [_row(f"{half} ({len(paths)} feeds), all", sum(counts.values(), Counter()))]
        out += [_row(f"{half}, {name}", c) for name, c in counts.items()]
        details += ["", f"## Why, where not good: {half}", ""] + [f"- {k}: {n}" for k, n in reasons.most_common()]
        details += ["", f"## Every draft: {half}", "", "| feed | network | title | rating | why |",
                    "|---|---|---|---|---|", *lines]
    args.out.write_text("\n".join(out + details) + "\n", encoding="utf-8")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
