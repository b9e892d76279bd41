"""X (Twitter) text rules: weighted length, URL and hashtag extraction.

An independent Python implementation of the behaviour pinned down by twitter-text's conformance suite
(``shared/conformance/twitter-text``), config v3: X counts 280 "weighted characters", where code points in
a few cheap ranges weigh 1, everything else 2, every URL 23 and every emoji sequence 2, after NFC.

Why not the PyPI port: it fails to import on current setuptools and its emoji data stops at Unicode 12.
Emoji here come from the ``regex`` module's current Unicode properties; the TLD list is IANA's.

All indices are code point offsets into the string given (Python ``str`` indices), except the
``*_range_end`` fields of :class:`TweetParse`, which mirror twitter-text's UTF-16 indices.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, NamedTuple, TypeAlias

import regex  # type: ignore[import-untyped,unused-ignore]  # typed when types-regex is installed

__all__ = [
    "MAX_WEIGHTED_LENGTH",
    "URL_LENGTH",
    "TweetParse",
    "extract_hashtags",
    "extract_urls",
    "is_linkable_hashtag",
    "is_valid_tweet",
    "parse_tweet",
    "weighted_length",
]

MAX_WEIGHTED_LENGTH: Final = 280
URL_LENGTH: Final = 23
# An emoji sequence weighs like one non-cheap code point (defaultWeight 200 / scale 100).
_EMOJI_LENGTH: Final = 2
# twitter-text's backend limits (Extractor.MAX_URL_LENGTH / MAX_TCO_SLUG_LENGTH).
_MAX_URL_LENGTH: Final = 4096
_MAX_TCO_SLUG_LENGTH: Final = 40
# A URL without protocol is checked as if "https://" were prepended.
_DEFAULT_PROTOCOL_LENGTH: Final = len("https://")

# v3.json ranges of weight 100; every other code point weighs 200. Used as "strip the cheap ones, count
# what is left" so that the per-character work stays in C.
_CHEAP_RUNS: Final = re.compile("[\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]+")
# twitter-text's invalid characters (BOMs and a non-character); directional marks are fine.
_INVALID_CHARS: Final = frozenset("\ufffe\ufeff\uffff")

# IANA root zone (tlds-alpha-by-domain.txt, version 2026111700), lower-cased; internationalised TLDs are
# listed both as punycode and decoded, since tweets carry them decoded (e.g. "foobar.みんな").
_TLD_DATA: Final = """
aaa aarp abb abbott abbvie abc able abogado abudhabi ac academy accenture accountant
accountants aco actor ad ads adult ae aeg aero aetna af afl africa ag agakhan agency
ai aig airbus airforce airtel akdn al alibaba alipay allfinanz allstate ally alsace
alstom am amazon americanexpress americanfamily amex amfam amica amsterdam analytics
android anquan anz ao aol apartments app apple aq aquarelle ar arab aramco archi
army arpa art arte as asda asia associates at athleta attorney au auction audi
audible audio auspost author auto autos aw aws ax axa az azure ba baby baidu banamex
band bank bar barcelona barclaycard barclays barefoot bargains baseball basketball
bauhaus bayern bb bbc bbt bbva bcg bcn bd be beats beauty beer berlin best bestbuy
bet bf bg bh bharti bi bible bid bike bing bingo bio biz bj black blackfriday
blockbuster blog bloomberg blue bm bms bmw bn bnpparibas bo boats boehringer bofa
bom bond boo book booking bosch bostik boston bot boutique box br bradesco
bridgestone broadway broker brother brussels bs bt build builders business buy buzz
bv bw by bz bzh ca cab cafe cal call calvinklein cam camera camp canon capetown
capital capitalone car caravan cards care career careers cars casa case cash casino
cat catering catholic cba cbn cbre cc cd center ceo cern cf cfa cfd cg ch chanel
channel charity chase chat cheap chintai christmas chrome church ci cipriani circle
cisco citadel citi citic city ck cl claims cleaning click clinic clinique clothing
cloud club clubmed cm cn co coach codes coffee college cologne com commbank
community company compare computer comsec condos construction consulting contact
contractors cooking cool coop corsica country coupon coupons courses cpa cr credit
creditcard creditunion cricket crown crs cruise cruises cu cuisinella cv cw cx cy
cymru cyou cz dad dance data date dating datsun day dclk dds de deal dealer deals
degree delivery dell deloitte delta democrat dental dentist desi design dev dhl
diamonds diet digital direct directory discount discover dish diy dj dk dm dnp do
docs doctor dog domains dot download drive dtv dubai dupont durban dvag dvr dz earth
eat ec eco edeka edu education ee eg email emerck energy engineer engineering
enterprises epson equipment er ericsson erni es esq estate et eu eurovision eus
events exchange expert exposed express extraspace fage fail fairwinds faith family
fan fans farm farmers fashion fast fedex feedback ferrari ferrero fi fidelity fido
film final finance financial fire firestone firmdale fish fishing fit fitness fj fk
flickr flights flir florist flowers fly fm fo foo food football ford forex forsale
forum foundation fox fr free fresenius frl frogans frontier ftr fujitsu fun fund
furniture futbol fyi ga gal gallery gallo gallup game games gap garden gay gb gbiz
gd gdn ge gea gent genting george gf gg ggee gh gi gift gifts gives giving gl glass
gle global globo gm gmail gmbh gmo gmx gn godaddy gold goldpoint golf goodyear goog
google gop got gov gp gq gr grainger graphics gratis green gripe grocery group gs gt
gu gucci guge guide guitars guru gw gy hair hamburg hangout haus hbo hdfc hdfcbank
health healthcare help here hermes hiphop hisamitsu hitachi hiv hk hkt hm hn hockey
holdings holiday homedepot homegoods homes homesense honda horse hospital host
hosting hot hotels hotmail house how hr hsbc ht hu hughes hyatt hyundai ibm icbc ice
icu id ie ieee ifm ikano il im imamat imdb immo immobilien in inc industries
infiniti info ing ink institute insurance insure int international intuit
investments io ipiranga iq ir irish is ismaili ist istanbul it itau itv jaguar java
jcb je jeep jetzt jewelry jio jll jm jmp jnj jo jobs joburg jot joy jp jpmorgan jprs
juegos kaufen kddi ke kerryhotels kerryproperties kfh kg kh ki kia kids kim kindle
kitchen kiwi km kn koeln komatsu kosher kp kpmg kpn kr krd kred kuokgroup kw ky
kyoto kz la lacaixa lamborghini lamer land landrover lanxess lasalle lat latino
latrobe law lawyer lb lc lds lease leclerc lefrak legal lego lexus lgbt li lidl life
lifeinsurance lifestyle lighting like lilly limited limo lincoln link live living lk
llc llp loan loans locker locus lol london lotte lotto love lpl lplfinancial lr ls
lt ltd ltda lu lundbeck luxe luxury lv ly ma madrid maif maison makeup man
management mango map market marketing markets marriott marshalls mattel mba mc
mckinsey md me med media meet melbourne meme memorial men menu merck merckmsd mg mh
miami microsoft mil mini mint mit mitsubishi mk ml mlb mls mm mma mn mo mobi mobile
moda moe moi mom monash money monster mormon mortgage moscow moto motorcycles mov
movie mp mq mr ms msd mt mtn mtr mu museum music mv mw mx my mz na nab nagoya name
navy nba nc ne nec net netbank netflix network neustar new news next nextdirect
nexus nf nfl ng ngo nhk ni nico nike nikon ninja nissan nissay nl no nokia norton
now nowruz nowtv np nr nra nrw ntt nu nyc nz obi observer office okinawa olayan
olayangroup ollo om omega one ong onl online ooo open oracle orange org organic
origins osaka otsuka ott ovh pa page panasonic paris pars partners parts party pay
pccw pe pet pf pfizer pg ph pharmacy phd philips phone photo photography photos
physio pics pictet pictures pid pin ping pink pioneer pizza pk pl place play
playstation plumbing plus pm pn pnc pohl poker politie porn post pr praxi press
prime pro prod productions prof progressive promo properties property protection pru
prudential ps pt pub pw pwc py qa qpon quebec quest racing radio re read realestate
realtor realty recipes red redumbrella rehab reise reisen reit reliance ren rent
rentals repair report republican rest restaurant review reviews rexroth rich
richardli ricoh ril rio rip ro rocks rodeo rogers room rs rsvp ru rugby ruhr run rw
rwe ryukyu sa saarland safe safety sakura sale salon samsclub samsung sandvik
sandvikcoromant sanofi sap sarl sas save saxo sb sbi sbs sc scb schaeffler schmidt
scholarships school schule schwarz science scot sd se search seat secure security
seek select sener services seven sew sex sexy sfr sg sh shangrila sharp shell shia
shiksha shoes shop shopping shouji show si silk sina singles site sj sk ski skin sky
skype sl sling sm smart smile sn sncf so soccer social softbank software sohu solar
solutions song sony soy spa space sport spot sr srl ss st stada staples star
statebank statefarm stc stcgroup stockholm storage store stream studio study style
su sucks supplies supply support surf surgery suzuki sv swatch swiss sx sy sydney
systems sz tab taipei talk taobao target tatamotors tatar tattoo tax taxi tc tci td
tdk team tech technology tel temasek tennis teva tf tg th thd theater theatre tiaa
tickets tienda tips tires tirol tj tjmaxx tjx tk tkmaxx tl tm tmall tn to today
tokyo tools top toray toshiba total tours town toyota toys tr trade trading training
travel travelers travelersinsurance trust trv tt tube tui tunes tushu tv tvs tw tz
ua ubank ubs ug uk unicom university uno uol ups us uy uz va vacations vana vanguard
vc ve vegas ventures verisign versicherung vet vg vi viajes video vig viking villas
vin vip virgin visa vision viva vivo vlaanderen vn vodka volvo vote voting voto
voyage vu wales walmart walter wang wanggou watch watches weather weatherchannel web
webcam weber website wed wedding weibo weir wf whoswho wien wiki williamhill win
windows wine winners wme woodside work works world wow ws wtc wtf xbox xerox xihuan
xin xn--11b4c3d कॉम xn--1ck2e1b セール xn--1qqw23a 佛山 xn--2scrj9c ಭಾರತ xn--30rr7y 慈善
xn--3bst00m 集团 xn--3ds443g 在线 xn--3e0b707e 한국 xn--3hcrj9c ଭାରତ xn--3pxu8k 点看
xn--42c2d9a คอม xn--45br5cyl ভাৰত xn--45brj9c ভারত xn--45q11c 八卦 xn--4dbrk0ce ישראל
xn--4gbrim موقع xn--54b7fta0cc বাংলা xn--55qw42g 公益 xn--55qx5d 公司 xn--5su34j936bgsg
香格里拉 xn--5tzm5g 网站 xn--6frz82g 移动 xn--6qq986b3xl 我爱你 xn--80adxhks москва xn--80ao21a
қаз xn--80aqecdr1a католик xn--80asehdb онлайн xn--80aswg сайт xn--8y0a063a 联通
xn--90a3ac срб xn--90ae бг xn--90ais бел xn--9dbq2a קום xn--9et52u 时尚 xn--9krt00a 微博
xn--b4w605ferd 淡马锡 xn--bck1b9a5dre4c ファッション xn--c1avg орг xn--c2br7g नेट xn--cck2b3b
ストア xn--cckwcxetd アマゾン xn--cg4bki 삼성 xn--clchc0ea0b2g2a9gcd சிங்கப்பூர் xn--czr694b
商标 xn--czrs0t 商店 xn--czru2d 商城 xn--d1acj3b дети xn--d1alf мкд xn--e1a4c ею
xn--eckvdtc9d ポイント xn--efvy88h 新闻 xn--fct429k 家電 xn--fhbei كوم xn--fiq228c5hs 中文网
xn--fiq64b 中信 xn--fiqs8s 中国 xn--fiqz9s 中國 xn--fjq720a 娱乐 xn--flw351e 谷歌
xn--fpcrj9c3d భారత్ xn--fzc2c9e2c ලංකා xn--fzys8d69uvgm 電訊盈科 xn--g2xx48c 购物
xn--gckr3f0f クラウド xn--gecrj9c ભારત xn--gk3at1e 通販 xn--h2breg3eve भारतम् xn--h2brj9c
भारत xn--h2brj9c8c भारोत xn--hxt814e 网店 xn--i1b6b1a6a2e संगठन xn--imr513n 餐厅
xn--io0a7i 网络 xn--j1aef ком xn--j1amh укр xn--j6w193g 香港 xn--jlq480n2rg 亚马逊
xn--jvr189m 食品 xn--kcrx77d1x4a 飞利浦 xn--kprw13d 台湾 xn--kpry57d 台灣 xn--kput3i 手机
xn--l1acc мон xn--lgbbat1ad8j الجزائر xn--mgb9awbf عمان xn--mgba3a3ejt ارامكو
xn--mgba3a4f16a ایران xn--mgba7c0bbn0a العليان xn--mgbaam7a8h امارات xn--mgbab2bd
بازار xn--mgbah1a3hjkrd موريتانيا xn--mgbai9azgqp6j پاکستان xn--mgbayh7gpa الاردن
xn--mgbbh1a بارت xn--mgbbh1a71e بھارت xn--mgbc0a9azcg المغرب xn--mgbca7dzdo ابوظبي
xn--mgbcpq6gpa1a البحرين xn--mgberp4a5d4ar السعودية xn--mgbgu82a ڀارت xn--mgbi4ecexp
كاثوليك xn--mgbpl2fh سودان xn--mgbt3dhd همراه xn--mgbtx2b عراق xn--mgbx4cd0ab مليسيا
xn--mix891f 澳門 xn--mk1bu44c 닷컴 xn--mxtq1m 政府 xn--ngbc5azd شبكة xn--ngbe9e0a بيتك
xn--ngbrx عرب xn--node გე xn--nqv7f 机构 xn--nqv7fs00ema 组织机构 xn--nyqy26a 健康
xn--o3cw4h ไทย xn--ogbpf8fl سورية xn--otu796d 招聘 xn--p1acf рус xn--p1ai рф
xn--pgbs0dh تونس xn--pssy2u 大拿 xn--q7ce6a ລາວ xn--q9jyb4c みんな xn--qcka1pmc グーグル
xn--qxa6a ευ xn--qxam ελ xn--rhqv96g 世界 xn--rovu88b 書籍 xn--rvc1e0am3e ഭാരതം
xn--s9brj9c ਭਾਰਤ xn--ses554g 网址 xn--t60b56a 닷넷 xn--tckwe コム xn--tiq49xqyj 天主教
xn--unup4y 游戏 xn--vermgensberater-ctb vermögensberater xn--vermgensberatung-pwb
vermögensberatung xn--vhquv 企业 xn--vuq861b 信息 xn--w4r85el8fhu5dnra 嘉里大酒店 xn--w4rs40l
嘉里 xn--wgbh1c مصر xn--wgbl6a قطر xn--xhq521b 广东 xn--xkc2al3hye2a இலங்கை
xn--xkc2dl3a5ee0h இந்தியா xn--y9a3aq հայ xn--yfro4i67o 新加坡 xn--ygbi2ammx فلسطين
xn--zfr164b 政务 xxx xyz yachts yahoo yamaxun yandex ye yodobashi yoga yokohama you
youtube yt yun za zappos zara zero zip zm zone zuerich zw
"""


_Trie: TypeAlias = dict[str, "_Trie"]


def _alternation(words: list[str]) -> str:
    """A regex matching exactly `words`, shaped as a character trie: a flat alternation of ~1600 TLDs
    would be tried branch by branch at every candidate position, a trie only follows letters present."""
    trie: _Trie = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Optional continuation: greedy, so longer TLDs are tried first and the caller's lookahead
        # backtracks to the shorter one ("co" in "co.uk", not "com").
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


# ---------------------------------------------------------------------------------------------------
# URLs. Same grammar as twitter-text's Java Regex.VALID_URL, matched ASCII-case-insensitively as Java does.
# ---------------------------------------------------------------------------------------------------
_LATIN_ACCENTS: Final = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f"
    "\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb"
    "\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC: Final = "\u0400-\u04ff"
_TLD: Final = "(?:" + _alternation(sorted(set(_TLD_DATA.split()))) + r")(?=[^a-z0-9@+\-]|$)"
# Anything but a letter/digit, @, $ or # (and the invalid characters) may precede a URL.
_URL_PRECEDING: Final = "(?:[^a-z0-9@\uff20$#\uff03\ufffe\ufeff\uffff]|^)"
_URL_CHAR: Final = f"[a-z0-9{_LATIN_ACCENTS}]"
_URL_SUBDOMAIN: Final = rf"(?>(?:{_URL_CHAR}[a-z0-9{_LATIN_ACCENTS}\-_]*)?{_URL_CHAR}\.)"
_URL_DOMAIN_NAME: Final = rf"(?:(?:{_URL_CHAR}[a-z0-9{_LATIN_ACCENTS}\-]*)?{_URL_CHAR}\.)"
# After an explicit protocol a label may be any non-space, non-punctuation text ("http://ああ.com").
_URL_UNICODE_CHAR: Final = (
    r"[^\-_!\"#$%&'()*+,./:;<=>?@\[\]^`{|}~"
    "\t\n\x0b\x0c\r \u0085\u00a0\u1680\u180e\u2000-\u206f\u3000]"
)
_URL_UNICODE_DOMAIN_NAME: Final = (
    rf"(?:(?:{_URL_UNICODE_CHAR}(?:{_URL_UNICODE_CHAR}|-)*)?{_URL_UNICODE_CHAR}\.)"
)
_URL_PUNYCODE: Final = r"(?:xn--[\-0-9a-z]+)"
# Java has two more branches (ccTLD after a protocol, ccTLD before "/") that the first one already covers.
_URL_DOMAIN: Final = (
    f"(?:{_URL_SUBDOMAIN}*{_URL_DOMAIN_NAME}(?:{_TLD}|{_URL_PUNYCODE}))"
    f"|(?:(?:(?<=http://)|(?<=https://)){_URL_UNICODE_DOMAIN_NAME}{_TLD})"
)
_URL_PATH_CHAR: Final = rf"[a-z0-9!*';:=+,.$/%#\[\]\-\u2013_~|&@{_LATIN_ACCENTS}{_CYRILLIC}]"
# Up to two levels of balanced parentheses: /wiki/Primer_(film), /track/We_Up_(Album_Version_(Edited))/.
_URL_BALANCED_PARENS: Final = (
    rf"\((?:{_URL_PATH_CHAR}+|(?:{_URL_PATH_CHAR}*\({_URL_PATH_CHAR}+\){_URL_PATH_CHAR}*))\)"
)
# A path may not end in punctuation, so "see http://x.com/a." leaves the full stop out.
_URL_PATH_END: Final = rf"[a-z0-9=_#/\-+{_LATIN_ACCENTS}{_CYRILLIC}]|(?:{_URL_BALANCED_PARENS})"
_URL_PATH: Final = (
    rf"(?:(?:{_URL_PATH_CHAR}*(?:{_URL_BALANCED_PARENS}{_URL_PATH_CHAR}*)*(?:{_URL_PATH_END}))"
    rf"|(?:@{_URL_PATH_CHAR}+/))"
)
_URL_QUERY_CHAR: Final = r"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@]"
_URL_QUERY_END: Final = r"[a-z0-9\-_&=#/]"
_URL_FLAGS: Final = re.IGNORECASE | re.ASCII  # ASCII: case folding like Java's CASE_INSENSITIVE

_VALID_URL: Final = re.compile(
    f"({_URL_PRECEDING})"  # 1: preceding character
    "("  # 2: the URL
    "(https?://)?"  # 3: protocol
    f"({_URL_DOMAIN})"  # 4: host
    "(?::[0-9]++)?"  # port
    f"(?:/{_URL_PATH}*+)?"  # path
    rf"(?:\?{_URL_QUERY_CHAR}*{_URL_QUERY_END})?"  # query
    ")",
    _URL_FLAGS,
)
# t.co links are cut after the slug (and an optional query): "http://t.co/abc's" -> "http://t.co/abc".
_VALID_TCO_URL: Final = re.compile(
    rf"https?://t\.co/([a-z0-9]+)(?:\?{_URL_QUERY_CHAR}*{_URL_QUERY_END})?", _URL_FLAGS
)


def _is_valid_host_and_length(url: str, has_protocol: bool, host: str) -> bool:
    """IDNA (2003, like Java's IDN.toASCII) must accept the host: labels of 1-63 octets once
    punycoded, no "xn--" label with raw Unicode in it; the whole URL must stay within 4096."""
    try:
        ascii_host = host.encode("idna")
    except UnicodeError:
        return False
    if not ascii_host:
        return False
    length = len(url) + len(ascii_host) - len(host)
    if not has_protocol:
        length += _DEFAULT_PROTOCOL_LENGTH
    return length <= _MAX_URL_LENGTH


# No part of a URL can hold these spaces, and every URL has a dot followed by its TLD: only the
# space-delimited runs with such a dot need the (costly, position-by-position) URL regex. The run must
# start after a space, which keeps this scan linear.
_URL_SPACES: Final = "\t\n\x0b\x0c\r \u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# A URL's host ends in ".<known TLD>" or ".xn--<punycode>".
_DOT_TLD: Final = re.compile(rf"\.(?:{_TLD}|xn--)", _URL_FLAGS)
_DOTTED_RUN: Final = re.compile(f"(?:^|(?<=[{_URL_SPACES}]))[^{_URL_SPACES}]*\\.[^{_URL_SPACES}]+")


def extract_urls(text: str) -> list[tuple[str, int, int]]:
    """URLs X would link in `text`, as (url, start, end) code point indices, in order.

    Follows twitter-text: with or without protocol ("example.com", "t.co/x"), known TLDs only, no
    trailing punctuation, balanced parentheses, t.co slugs of at most 40 characters.
    """
    if "." not in text:
        return []
    urls: list[tuple[str, int, int]] = []
    for run in _DOTTED_RUN.finditer(text):
        if not _DOT_TLD.search(text, run.start(), run.end()):
            continue  # "e.g.", "U.S.", "a.b.c.d...": the URL regex is quadratic on long dotted chains
        # Start on the space before the run so it can serve as the URL's preceding character; the run's
        # end acts as "$" for the TLD lookahead, as the space after it would.
        _scan_urls(text, max(run.start() - 1, 0), run.end(), urls)
    return urls


def _scan_urls(text: str, pos: int, endpos: int, urls: list[tuple[str, int, int]]) -> None:
    for m in _VALID_URL.finditer(text, pos, endpos):
        has_protocol = m.group(3) is not None
        # "foo-bar.com" must not yield "bar.com", nor "x/foo.com" yield "foo.com".
        if not has_protocol and m.group(1) in ("-", "_", ".", "/"):
            continue
        url, start, end = m.group(2), m.start(2), m.end(2)
        tco = _VALID_TCO_URL.match(url)
        if tco:
            if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                continue
            url = tco.group(0)
            end = start + len(url)
        if _is_valid_host_and_length(url, has_protocol, m.group(4)):
            urls.append((url, start, end))


# ---------------------------------------------------------------------------------------------------
# Emoji. The semantics of twemoji-parser (what twitter-text counts), with current Unicode data instead of
# its frozen list: a sequence counts once; text-style symbols are emoji unless followed by U+FE0E;
# ©, ®, ™ and ♟ only with U+FE0F (bare, they are ordinary characters and © and ® weigh 1).
# ---------------------------------------------------------------------------------------------------
_ZWJ_ELEMENT: Final = r"\p{Extended_Pictographic}\p{Emoji_Modifier}?\uFE0F?"
_EMOJI: Final = regex.compile(
    rf"{_ZWJ_ELEMENT}(?:\u200D{_ZWJ_ELEMENT})+"  # ZWJ sequence: 👨‍👩‍👧‍👦, 🏳️‍🌈, 🧔🏻‍♂️
    r"|[#*0-9]\uFE0F?\u20E3"  # keycap: 1⃣, #️⃣
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"  # tag sequence: 🏴󠁧󠁢󠁥󠁮󠁧󠁿
    r"|\p{Regional_Indicator}{2}"  # flag: 🇮🇷
    r"|\p{Emoji_Modifier_Base}(?:\uFE0F|(?!\uFE0E))\p{Emoji_Modifier}"  # skin tone: 🙋🏽, ✌🏿
    r"|[\u00A9\u00AE\u2122\u265F]\uFE0F"
    r"|\p{Emoji_Presentation}"
    r"|(?![#*0-9\u00A9\u00AE\u2122\u265F])\p{Emoji}(?:\uFE0F|(?!\uFE0E))"
)

# Every emoji sequence holds one of these (a pictograph, keycap or regional indicator). Searching for them
# in C first spares most Latin, Persian or CJK text the emoji regex; tests check it covers all emoji.
_EMOJI_HINT: Final = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u20e3\u2100-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001ffff]"
)


def _plain_length(segment: str) -> int:
    """Weighted length of text without URLs or emoji: 1 per cheap code point, 2 per other."""
    if segment.isascii():
        return len(segment)
    return len(segment) + len(_CHEAP_RUNS.sub("", segment))


def _entities(text: str) -> list[tuple[int, int, int]]:
    """Non-overlapping (start, end, weight) for URLs and emoji in NFC `text`, in order. As in
    twitter-text's scan, a URL wins over an emoji starting at the same place and anything starting
    inside an earlier entity is ignored."""
    found = [(start, 0, end, URL_LENGTH) for _, start, end in extract_urls(text)]
    hint = None if text.isascii() else _EMOJI_HINT.search(text)
    if hint:
        # No emoji starts more than two code points before the first hint (a keycap "1\ufe0f\u20e3").
        first = max(hint.start() - 2, 0)
        found.extend((m.start(), 1, m.end(), _EMOJI_LENGTH) for m in _EMOJI.finditer(text, first))
        found.sort()
    entities: list[tuple[int, int, int]] = []
    pos = 0
    for start, _, end, weight in found:
        if start >= pos:
            entities.append((start, end, weight))
            pos = end
    return entities


def _total(text: str, entities: list[tuple[int, int, int]]) -> int:
    total = 0
    pos = 0
    for start, end, weight in entities:
        total += _plain_length(text[pos:start]) + weight
        pos = end
    return total + _plain_length(text[pos:])


def weighted_length(text: str) -> int:
    """Length of `text` as X counts it (twitter-text config v3); a post may have up to 280."""
    text = unicodedata.normalize("NFC", text)
    return _total(text, _entities(text))


def is_valid_tweet(text: str) -> bool:
    """True when X would accept `text` as a post: not blank, no U+FFFE/U+FEFF/U+FFFF, weight <= 280."""
    if not text.strip():
        return False
    if not _INVALID_CHARS.isdisjoint(text):
        return False
    return weighted_length(text) <= MAX_WEIGHTED_LENGTH


class TweetParse(NamedTuple):
    """twitter-text's parseTweet result. Range ends are inclusive UTF-16 code unit indices into the
    original text, as twitter-text reports them: the valid range is the prefix that still fits."""

    weighted_length: int
    valid: bool
    permillage: int
    display_range_end: int
    valid_range_end: int


def _utf16_len(s: str) -> int:
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def parse_tweet(text: str) -> TweetParse:
    """twitter-text's parseTweet (config v3): weighted length, validity, permillage and ranges.

    `valid` is exactly :func:`is_valid_tweet`; `valid_range_end` tells where an over-long text stops
    fitting (the UTF-16 index of its last code unit that still does).
    """
    norm = unicodedata.normalize("NFC", text)
    entities = _entities(norm)
    total = _total(norm, entities)
    if total <= MAX_WEIGHTED_LENGTH and _INVALID_CHARS.isdisjoint(norm):
        # Everything fits: the valid range is the whole text, no need to walk it.
        end = max(_utf16_len(text) - 1, 0)
        return TweetParse(total, bool(text.strip()) and total > 0, _permillage(total), end, end)
    return _parse_stepwise(text, norm, entities)


def _permillage(total: int) -> int:
    return total * 1000 // MAX_WEIGHTED_LENGTH


def _parse_stepwise(text: str, norm: str, entities: list[tuple[int, int, int]]) -> TweetParse:
    """parseTweet's walk: character by character (a URL or emoji as one step), remembering the last
    code unit reached while the text was still valid and within the limit."""
    limit = MAX_WEIGHTED_LENGTH
    total = 0
    valid = True
    last_valid = 0  # UTF-16 index of the last code unit still inside the limit
    unit = -1  # UTF-16 index of the last code unit consumed
    pos = 0

    def step(segment: str, weight: int) -> None:
        nonlocal total, valid, last_valid, unit
        total += weight
        unit += _utf16_len(segment)
        # twitter-text only looks at a step's last code unit; any invalid character invalidates here.
        valid = valid and _INVALID_CHARS.isdisjoint(segment)
        if valid and total <= limit:
            last_valid = unit

    for start, end, weight in entities:
        for ch in norm[pos:start]:
            step(ch, _plain_length(ch))
        step(norm[start:end], weight)
        pos = end
    for ch in norm[pos:]:
        step(ch, _plain_length(ch))
    # twitter-text shifts the end found in the NFC text by the length NFC removed from the original.
    offset = _utf16_len(text) - _utf16_len(norm)
    return TweetParse(
        weighted_length=total,
        valid=valid and bool(text.strip()) and 0 < total <= limit,
        permillage=_permillage(total),
        display_range_end=max(_utf16_len(text) - 1, 0),
        valid_range_end=last_valid + offset,
    )


# ---------------------------------------------------------------------------------------------------
# Hashtags: twitter-text's Regex.VALID_HASHTAG with current Unicode letters, marks and digits.
# ---------------------------------------------------------------------------------------------------
# Joiners and a few script-specific marks that X accepts inside a hashtag (ZWNJ in Persian, maqaf and
# geresh in Hebrew, Japanese wave dash and iteration marks, Tibetan tsheg, Catalan middle dot, ...).
_HASHTAG_SPECIAL: Final = (
    "_\u200c\u200d\ua67e\u05be\u05f3\u05f4\uff5e\u301c\u309b\u309c\u30a0\u30fb\u3003\u0f0b\u0f0c\u00b7"
)
_HASHTAG_LETTERS: Final = r"\p{L}\p{M}"
_HASHTAG_CHARS: Final = rf"{_HASHTAG_LETTERS}\p{{Nd}}{_HASHTAG_SPECIAL}"
_VALID_HASHTAG: Final = regex.compile(
    # U+FE0E/U+FE0F are marks but end an emoji, so "✌️#tag" is a hashtag; "&#123;" is not.
    rf"(^|\uFE0E|\uFE0F|[^&{_HASHTAG_CHARS}])"
    r"([#\uFF03])"
    r"(?![\uFE0F\u20E3])"  # "#️⃣" is a keycap emoji
    rf"([{_HASHTAG_CHARS}]*[{_HASHTAG_LETTERS}][{_HASHTAG_CHARS}]*)"  # at least one letter
)
_INVALID_HASHTAG_END: Final = re.compile("[#\uff03]|://")


def extract_hashtags(text: str) -> list[str]:
    """Hashtags X would link in `text`, without the '#', in order (duplicates kept)."""
    if "#" not in text and "\uff03" not in text:
        return []
    tags: list[tuple[int, int, str]] = []
    for m in _VALID_HASHTAG.finditer(text):
        if _INVALID_HASHTAG_END.match(text, m.end()):  # "#foo#bar", "#http://..."
            continue
        tags.append((m.start(2), m.end(), m.group(3)))
    if not tags:
        return []
    # A hashtag inside a URL ("example.com/#top") is part of the link, not a hashtag. As twitter-text
    # does, walk all entities by start and drop any that begins inside the previous one.
    spans: list[tuple[int, int, str | None]] = [*tags, *((s, e, None) for _, s, e in extract_urls(text))]
    spans.sort(key=lambda span: span[0])  # stable: a hashtag sorts before a URL at the same start
    kept: list[str] = []
    prev_end = -1
    for start, end, tag in spans:
        if start < prev_end:
            continue
        prev_end = end
        if tag is not None:
            kept.append(tag)
    return kept


def is_linkable_hashtag(tag: str) -> bool:
    """True when "#" + `tag`, written between spaces, is linked by X as exactly that whole hashtag:
    at least one letter, only letters, marks, digits and the few joiners X allows."""
    return bool(tag) and extract_hashtags(f" #{tag} ") == [tag]
