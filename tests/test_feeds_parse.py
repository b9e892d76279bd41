"""parse_feed on crafted documents: formats, encodings, entities, URLs, dates, hostile input,
and agreement between the fast lxml reader and feedparser on the well-formed shared feeds."""

from __future__ import annotations

import codecs
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.feeds.dates import parse_date
from bot.feeds.entries import build_feed
from bot.feeds.errors import FeedEncodingError, FeedError, NotAFeedError, UnsafeFeedError
from bot.feeds.parse import parse_feed
from bot.feeds.tolerant import read_with_feedparser
from tests.test_feeds_support import feed_url_for, sample_files

URL = "https://example.org/feed.xml"


def rss(items: str, *, decl: str = '<?xml version="1.0" encoding="utf-8"?>', extra_ns: str = "") -> bytes:
    return (f'{decl}<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            f'xmlns:media="http://search.yahoo.com/mrss/" {extra_ns}><channel><title>T</title>'
            f"<link>https://example.org/</link>{items}</channel></rss>").encode()


# --- formats -------------------------------------------------------------------------------

def test_rss091_rss10_atom03_atom10_json() -> None:
    rss091 = (b'<rss version="0.91"><channel><title>Old</title><item><title>A</title>'
              b"<link>http://example.org/a</link><description>d</description></item></channel></rss>")
    rdf = (b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">'
           b'<channel rdf:about="http://example.org/"><title>R</title><link>http://example.org/</link></channel>'
           b'<item rdf:about="http://example.org/r1"><title>R1</title><link>http://example.org/r1</link></item>'
           b"</rdf:RDF>")
    atom = (b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title><entry><id>urn:x:1</id>'
            b'<title type="html">&lt;b&gt;Bold&lt;/b&gt; &amp;amp; co</title><link href="/p/1"/>'
            b'<updated>2024-05-01T10:00:00Z</updated><content type="html">&lt;p&gt;Hi&lt;/p&gt;</content>'
            b"</entry></feed>")
    jf = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
          b'{"id": 7, "url": "https://example.org/j", "title": "a < b", "content_text": "x & y",'
          b' "date_published": "2024-01-02T03:04:05+01:00", "tags": ["t1"]}]}')
    assert [a.title for a in parse_feed(rss091, URL).articles] == ["A"]
    assert [a.url for a in parse_feed(rdf, URL).articles] == ["http://example.org/r1"]
    [a] = parse_feed(atom, URL).articles
    assert (a.key, a.title, a.url, a.text) == ("urn:x:1", "Bold & co", "https://example.org/p/1", "Hi")
    assert a.published == datetime(2024, 5, 1, 10, tzinfo=UTC)
    [j] = parse_feed(jf, URL).articles
    assert (j.key, j.title, j.text, j.categories) == ("7", "a < b", "x & y", ("t1",))
    assert j.published == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)


def test_content_encoded_wins_over_description_and_image_is_absolute() -> None:
    items = ('<item><title>T</title><link>/post/1</link><guid isPermaLink="false">id-1</guid>'
             "<description>short</description>"
             '<content:encoded><![CDATA[<p>Long <b>text</b></p><figure><img src="/i/a.jpg" alt="">'
             "<figcaption>A caption</figcaption></figure>]]></content:encoded></item>")
    [a] = parse_feed(rss(items), URL).articles
    assert a.text == "Long text"
    assert a.summary == "short"
    assert a.image is not None and a.image.url == "https://example.org/i/a.jpg"
    assert a.image.alt == "A caption"
    assert a.url == "https://example.org/post/1"


def test_media_content_prefers_largest_image_and_skips_avatars() -> None:
    items = ('<item><title>T</title><link>https://example.org/1</link>'
             '<media:content url="https://gravatar.com/avatar/x" medium="image"/>'
             '<media:content url="https://img.example.org/s.jpg" width="140" medium="image"/>'
             '<media:content url="https://img.example.org/l.jpg" width="460" medium="image">'
             "<media:description>Big one</media:description></media:content>"
             '<enclosure url="https://img.example.org/e.jpg" type="image/jpeg" length="1"/></item>')
    [a] = parse_feed(rss(items), URL).articles
    assert a.image is not None
    assert (a.image.url, a.image.alt) == ("https://img.example.org/l.jpg", "Big one")


# --- encodings -----------------------------------------------------------------------------

@pytest.mark.parametrize("codec,declared", [("latin-1", True), ("windows-1251", True), ("windows-1255", True),
                                            ("gb2312", True), ("windows-1251", False), ("utf-16", True)])
def test_encodings(codec: str, declared: bool) -> None:
    titles = {"latin-1": "Últimas notícias", "windows-1251": "Новости Оренбурга и области",
              "windows-1255": "האם תדפיס נייר של אתר אינטרנט", "gb2312": "不归移民漫画系列：专业工作",
              "utf-16": "Zoë – “quoted”"}
    title = titles[codec]
    decl = f'<?xml version="1.0" encoding="{codec}"?>' if declared else ""
    doc = (f"{decl}<rss><channel><title>x</title><item><title>{title}. {title}, {title}!</title>"
           f"<link>http://example.org/1</link></item></channel></rss>")
    body = doc.encode(codec)
    [a] = parse_feed(body, URL).articles
    assert a.title == f"{title}. {title}, {title}!"


def test_bom_and_blank_lines_before_declaration() -> None:
    body = codecs.BOM_UTF8 + b"\n\n  \n" + rss("<item><title>Café</title><link>http://e.org/1</link></item>")
    assert parse_feed(body, URL).articles[0].title == "Café"


def test_http_charset_used_when_document_declares_nothing() -> None:
    body = "<rss><channel><item><title>Ärger</title></item></channel></rss>".encode("cp1252")
    parsed = parse_feed(body, URL, content_type="application/rss+xml; charset=windows-1252")
    assert parsed.articles[0].title == "Ärger"


def test_invalid_utf8_in_declared_utf8_is_refused_naming_the_feed() -> None:
    body = rss("<item><title>bad XX bytes</title></item>").replace(b"XX", b"\xff\xfe")
    with pytest.raises(FeedEncodingError, match=r"feed https://example.org/feed.xml: .*utf-8"):
        parse_feed(body, URL)


def test_html_entities_and_cdata_titles() -> None:
    items = ("<item><title>  <![CDATA[ Fish &amp; Chips ]]>  </title><link>http://e.org/1</link></item>"
             "<item><title>Caf&eacute; &copy; 2024 &#8211; done</title><link>http://e.org/2</link></item>")
    titles = [a.title for a in parse_feed(rss(items), URL).articles]
    assert titles == ["Fish & Chips", "Café © 2024 – done"]


# --- ill-formed: nothing feedparser recovers is lost -------------------------------------

def test_entries_after_an_error_are_kept() -> None:
    items = ("<item><title>One</title><link>http://e.org/1</link></item>"
             "<item><title>Two <b>unclosed</title><link>http://e.org/2</link></item>"
             "<item><title>Three</title><link>http://e.org/3</link></item>")
    parsed = parse_feed(rss(items), URL)
    assert [a.url for a in parsed.articles] == ["http://e.org/1", "http://e.org/2", "http://e.org/3"]


@pytest.mark.parametrize("path", [p for p in sample_files() if p.suffix != ".json"], ids=lambda p: p.name)
def test_no_entry_feedparser_recovers_is_lost(path: Path) -> None:
    body = path.read_bytes()
    ours = parse_feed(body, feed_url_for(path))
    import feedparser

    theirs = feedparser.parse(body)
    assert len(ours.entries) >= len(theirs.entries)


# --- hostile input -------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<rss><channel><title>&lol9;</title></channel></rss>"""


def test_billion_laughs_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeFeedError, match=r"feed https://example\.org/feed\.xml: .*entit"):
        parse_feed(BILLION_LAUGHS, URL)
    assert time.perf_counter() - start < 0.5


def test_quadratic_blowup_refused_fast() -> None:
    big = b"A" * 100_000
    body = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "' + big + b'">]><rss><channel><title>'
            + b"&a;" * 20_000 + b"</title></channel></rss>")
    start = time.perf_counter()
    with pytest.raises(UnsafeFeedError):
        parse_feed(body, URL)
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:9/evil.dtd"])
def test_external_entities_are_never_read(target: str) -> None:
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{target}">]>'
            f"<rss><channel><item><title>&xxe;</title></item></channel></rss>").encode()
    with pytest.raises(UnsafeFeedError):
        parse_feed(body, URL)


def test_external_dtd_is_not_loaded_but_feed_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.dtd"
    secret.write_text('<!ENTITY leak "SECRET">')
    body = (f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "file://{secret}">'
            "<rss><channel><item><title>plain &amp; safe</title><link>http://e.org/1</link></item>"
            "</channel></rss>").encode()
    [a] = parse_feed(body, URL).articles
    assert a.title == "plain & safe"
    body2 = body.replace(b"plain &amp; safe", b"x&leak;y")
    for art in parse_feed(body2, URL).articles:
        assert "SECRET" not in art.title


@pytest.mark.parametrize("body,problem", [
    (b"", "empty"), (b"   \n", "empty"), (b"<!doctype html><html><body>hi</body></html>", "HTML"),
    (b"<html><head><title>x</title></head></html>", "HTML"), (b"hello", "neither XML nor JSON"),
    (b'{"a": 1}', "not a JSON Feed"), (b"{not json", "invalid JSON"), (b"[" * 100_000, "neither"),
])
def test_not_a_feed_is_one_clear_error(body: bytes, problem: str) -> None:
    with pytest.raises(NotAFeedError) as info:
        parse_feed(body, URL)
    assert str(info.value).startswith("feed https://example.org/feed.xml: ")
    assert problem in str(info.value)
    assert "\n" not in str(info.value)


def test_deeply_nested_json_is_refused() -> None:
    with pytest.raises(FeedError):
        parse_feed(b'{"items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}", URL)


# --- URLs and dates ------------------------------------------------------------------------

def test_xml_base_and_relative_links() -> None:
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.com/blog/">'
            b'<entry xml:base="2024/"><id>urn:1</id><title>t</title><link href="post.html"/>'
            b'<content type="html" xml:base="http://cdn.example.com/">&lt;img src="a.png"&gt;</content>'
            b"</entry></feed>")
    [a] = parse_feed(body, URL).articles
    assert a.url == "http://example.com/blog/2024/post.html"
    assert a.image is not None and a.image.url == "http://cdn.example.com/a.png"


@pytest.mark.parametrize("raw,expected", [
    ("Mon, 16 Oct 2017 15:10:00 +0000", datetime(2017, 10, 16, 15, 10, tzinfo=UTC)),
    ("Sun, 10 Dec 17 13:01:36 -0800", datetime(2017, 12, 10, 21, 1, 36, tzinfo=UTC)),
    ("03 Apr 02 1500 GMT", datetime(2002, 4, 3, 15, 0, tzinfo=UTC)),
    ("Seg, 24 Set 2018 19:42:40 -0300", datetime(2018, 9, 24, 22, 42, 40, tzinfo=UTC)),
    ("Friday, January 29, 2021 04:42 PM", datetime(2021, 1, 29, 16, 42, tzinfo=UTC)),
    ("January, 29 Jan 2021 17:56:15 +0530", datetime(2021, 1, 29, 12, 26, 15, tzinfo=UTC)),
    ("1518478934", datetime(2018, 2, 12, 23, 42, 14, tzinfo=UTC)),
    ("2004-04-19T07:45:00Z", datetime(2004, 4, 19, 7, 45, tzinfo=UTC)),
    ("2018-01-31T20:15:15+01:00", datetime(2018, 1, 31, 19, 15, 15, tzinfo=UTC)),
    ("mardi 12 mars 2024 10:00", datetime(2024, 3, 12, 10, 0, tzinfo=UTC)),
    ("12 марта 2024 10:00 +0300", datetime(2024, 3, 12, 7, 0, tzinfo=UTC)),
    ("Di, 05 Dez 2023 08:00:00 MEZ", datetime(2023, 12, 5, 8, 0, tzinfo=UTC)),
    ("not a date", None), ("2018-02-30", None), ("", None), ("99", None),
])
def test_dates(raw: str, expected: datetime | None) -> None:
    assert parse_date(raw) == expected


def test_unreadable_date_keeps_the_entry() -> None:
    items = "<item><title>T</title><link>http://e.org/1</link><pubDate>someday soon</pubDate></item>"
    [a] = parse_feed(rss(items), URL).articles
    assert a.published is None and a.title == "T"


# --- the fast reader and feedparser agree on what they extract -------------------------

WELL_FORMED = [p for p in sample_files() if p.suffix != ".json" and not p.name.startswith("illformed")
               and "illformed" not in p.name and "dcdate" not in p.name]


@pytest.mark.parametrize("path", WELL_FORMED, ids=lambda p: p.name)
def test_lxml_reader_matches_feedparser(path: Path) -> None:
    url = feed_url_for(path)
    fast = parse_feed(path.read_bytes(), url)
    assert fast.reader == "lxml"
    from bot.feeds.encoding import decode_document

    text = decode_document(path.read_bytes(), url).text
    meta, raws, _ = read_with_feedparser(text.encode("utf-8"), url)
    slow = build_feed(meta, raws, url, "feedparser")
    assert [e.key for e in fast.entries] == [e.key for e in slow.entries]
    assert [e.url for e in fast.entries] == [e.url for e in slow.entries]
    assert [e.title for e in fast.entries] == [e.title for e in slow.entries]
    assert [e.published for e in fast.entries] == [e.published for e in slow.entries]


def test_bom_wins_over_a_wrong_declaration() -> None:
    body = codecs.BOM_UTF8 + '<?xml version="1.0" encoding="iso-8859-1"?><rss><channel><item><title>Zoë</title>' \
        "</item></channel></rss>".encode()
    assert parse_feed(body, URL).articles[0].title == "Zoë"
