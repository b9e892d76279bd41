"""Words never worth a hashtag or a point in sentence scoring.

One union across languages instead of per-language lists: feeds often mislabel their
language, and a word that is a function word in any common language is a bad tag.
"""

from __future__ import annotations

__all__ = ["GENERIC_NOUNS", "GENERIC_TAGS", "STOPWORDS", "is_stopword"]


def _split(words: str, sep: str | None = None) -> list[str]:
    """Word lists are kept as prose blocks: easier to read and extend than literals."""
    return [w.strip() for w in words.split(sep) if w.strip()]


STOPWORDS = frozenset(
    _split(
        """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more most
    my myself no nor not now of off on once only or other our ours ourselves out over own same she should
    so some such than that the their theirs them themselves then there these they this those through to
    too under until up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves new says said say one two three first last many much may might must shall
    us get got make made via per amid upon among within without across toward towards since ago yet still
    le la les un une des du de et en au aux ce ces cet cette dans par pour sur avec sans sous est sont
    qui que quoi dont où il elle ils elles nous vous ne pas plus mais ou donc ni car son sa ses leur leurs
    der die das den dem des ein eine einen einem einer und oder aber nicht mit von zu im am auf aus bei
    für ist sind war wird werden wie als auch noch nach vor über unter durch gegen ohne um sich es sie er
    el los las una unos unas y o pero con por para sin sobre entre como más es son fue del al lo se su sus
    os um uma uns umas e mas com sem sobre como mais é são foi do da dos das no na nos nas ao pelo pela
    il lo gli della delle dei degli nel nella con per tra fra come più è sono di che non una uno
    het een en van de in op te met voor aan bij uit als maar niet ook dat dit zijn
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было
    و در به از که این را با است آن برای تا یک هم بر شد می شود
    في من على إلى عن مع هذا هذه التي الذي أن ما لا
    """
    )
)

# Categories and keywords that describe the site, not the article.
GENERIC_TAGS = frozenset(
    _split(
        """
    news|latest news|breaking news|top news|top stories|headlines|latest|home|homepage|blog|blogs|post|posts
    |article|articles|featured|feature|features|general|misc|miscellaneous|other|others|uncategorized
    |uncategorised|update|updates|video|videos|photo|photos|gallery|podcast|podcasts|site news|sample item
    |sample|sample text|press release|press releases|opinion|world|local|today|story|stories|more|read more
    |allgemein|nachrichten|aktuelles|non classé|actualités|actualites|sin categoría|noticias|notícias
    |notizie|senza categoria|без рубрики|новости|دسته‌بندی نشده|اخبار|أخبار|חדשות|daily|weekly|monthly
    |january|february|march|april|may|june|july|august|september|october|november|december
    |section|rubrik|rubrique|sección|seção|sezione|раздел|рубрика|category|categories|tag|tags
    |monday|tuesday|wednesday|thursday|friday|saturday|sunday|week|month|year|report|reports
    |unkategorisiert|nicht kategorisiert|ohne kategorie|sonstiges|neuigkeiten|meldungen|startseite
    |sans catégorie|aucune|aucun|divers|général|generale|generali|varie|varios|general news|geral|gerais
    |sin categoria|sin categorizar|sem categoria|generico|algemeen|nieuws|overig|ongecategoriseerd
    |bez kategorii|ogólne|aktualności|wiadomości|nezaradené|nezařazené|správy|zprávy|novinky|aktuality
    |статьи|статья|тема|темы|разное|без категории|главное|общее|новини|статті|різне|без категорії
    |haberler|genel|kategorisiz|gündem|عمومی|خبر|مقالات|مقاله|یادداشت|عام|مقالات|غير مصنف|כללי|מאמרים
    |ニュース|未分類|お知らせ|新闻|新聞|未分类|资讯|뉴스|기타|समाचार|सामान्य|ข่าว|tin tức|berita|umum
    |main|top|trending|editor's picks|editors picks|editors' picks|must read|must-read|highlights|spotlight
    |sponsored|sponsored content|advertisement|advertorial|ad|ads|promoted|partner content|paid post
    |announcements|announcement|newsletter|rss|feed|all|default|misc.|random|stuff|thoughts|notes|links
    |snippets|snippet|asides|aside|status|statuses|linked|link|microblog|micro|quick|quickies|short|shorts
    |national|international|nacional|internacional|internazionale|inland|ausland|mondo|monde|mundo|welt
    |świat|swiat|svet|svět|мир|в мире|країна|світ|cronaca|cronaca nera|cronache|attualità|attualita|faits divers
    |sociedade|sociedad|société|gesellschaft|общество|происшествия|incidents|domov|zahraničie|zahraničí|kraj
    |r/all|r/popular
    |technology|technologies|tech|technologie|technologien|technik|tecnologia|tecnologie|tecnología
    |tecnologías|tecnologias|technologia|technológie|technologie a veda|технологии|технологія|технології
    |event|events|veranstaltung|veranstaltungen|événement|événements|evento|eventos|eventi|wydarzenia
    |мероприятия|события|weblogs|weblog
    |opinions|meinung|meinungen|opinión|opiniones|opinião|opiniões|opinione|opinioni|opinie|åsikt|åsikter
    |mielipide|мнение|мнения|думка|думки|opinia|opinie|blogg|bloggen|bloggar|bloggene|bloggerne|blogue
    |blogs|der blog|el blog|le blog|il blog|o blog|блог|блоги|وبلاگ|مدونة|ブログ|博客|블로그
    """,
        "|",
    )
    # Reddit's communities named for a kind of post (pictures, GIFs, jokes, questions), not a topic:
    # in a Reddit feed they are the category of every item.
    + _split(
        """
    funny pics gifs aww todayilearned mildlyinteresting interestingasfuck damnthatsinteresting
    nextfuckinglevel oddlysatisfying showerthoughts askreddit iama explainlikeimfive eli5 wtf
    pcmasterrace me_irl meirl memes dankmemes wholesomememes videos
    """
    )
)


# Common nouns that headlines capitalise (institutions, units): as a keyword tag alone they name no one.
GENERIC_NOUNS = frozenset(
    _split(
        """
    court corte tribunal tribunale gericht cour government governo gobierno gouvernement regierung
    police polícia policía polizei polizia parliament parlamento parlement council conselho consejo conseil
    ministry ministério ministerio ministère ministero câmara cámara camera dollar dollars euro euros usd eur
    studio studios apartment house home
    """
    )
)


def is_stopword(word: str) -> bool:
    w = word.casefold()
    return w in STOPWORDS or w.isdigit()
