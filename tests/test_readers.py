"""Reading every supported input into articles, and every bad input into one clear failure."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newsdesk.config import Settings
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.normalize import normalize, normalize_date
from newsdesk.ingest.pipeline import prepared
from newsdesk.ingest.readers import read_inputs

SEED = Path(__file__).parents[2] / "shared/corpus/north-press-daraa-jassim.txt"
SETTINGS = Settings()

PARAGRAPH = (
    "Local armed groups in the town of Jassim raided houses where militants of the Islamic "
    "State were hiding, a commander said, adding that residents had asked them to act before "
    "the group could announce an emirate in the south of the country."
)

ARABIC_TITLE = "الأهالي يُفشلون إعلان إمارة لداعش في درعا"
ARABIC_BODY = (
    "قال قيادي في فصيل محلي في درعا إن تنظيم الدولة الإسلامية سعى لاستغلال انشغال الناس "
    "بتأمين احتياجاتهم اليومية لتشكيل إمارة في المدينة.\n\n"
    "وأضاف أن المجموعات المحلية داهمت مقرات التنظيم في بلدة جاسم بعد التشاور مع الأهالي."
)

HTML_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Residents abort ISIS emirate in Daraa | North Press</title>
<meta property="og:title" content="Residents abort ISIS emirate in Daraa">
<meta property="og:site_name" content="North Press">
<meta name="author" content="Ihsan Muhammad">
<meta property="article:published_time" content="2022-10-27T14:03:00+00:00">
<link rel="canonical" href="https://npasyria.com/en/86000/">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Residents abort ISIS emirate in Daraa</h1>
<p>{PARAGRAPH}</p>
<p>The commander said fifteen militants were killed in the town during the clashes.</p>
</article>
<footer>Copyright North Press</footer>
</body></html>"""

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>North Press Agency</title><link>https://npasyria.com/en/</link>
<language>en-us</language>
<item><title>Residents abort ISIS emirate in Daraa</title>
<link>https://npasyria.com/en/86000/</link>
<guid isPermaLink="false">npa-86000</guid>
<pubDate>Thu, 27 Oct 2022 14:03:00 GMT</pubDate>
<description>Short summary only.</description>
<content:encoded><![CDATA[<p>First paragraph of the report.</p>
<p>Second &amp; last paragraph.</p>]]></content:encoded>
</item>
<item><title>Curfew imposed in Jassim</title>
<link>https://npasyria.com/en/86001/</link>
<pubDate>Fri, 28 Oct 2022 09:00:00 +0300</pubDate>
<description>&lt;p&gt;Schools were suspended and traffic stopped.&lt;/p&gt;</description>
</item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Syria Desk</title><id>urn:syria-desk</id><updated>2022-10-28T10:00:00Z</updated>
<entry><title>Clashes in Jassim</title><id>urn:syria-desk:1</id>
<link href="https://example.org/jassim"/>
<updated>2022-10-28T10:00:00Z</updated><published>2022-10-27T08:30:00Z</published>
<author><name>Desk Editor</name></author>
<content type="html">&lt;p&gt;Local groups clashed with militants.&lt;/p&gt;</content>
</entry></feed>"""

LATIN1_PAGE = f"<html><body><article><p>Le café du marché. {PARAGRAPH}</p></article></body></html>"


def articles(results: list[RawArticle | ReadFailure]) -> list[RawArticle]:
    return [r for r in results if isinstance(r, RawArticle)]


def failures(results: list[RawArticle | ReadFailure]) -> list[ReadFailure]:
    return [r for r in results if isinstance(r, ReadFailure)]


def read(*targets: str | Path, settings: Settings = SETTINGS) -> list[RawArticle | ReadFailure]:
    """What the inputs give, as the ingest pipeline stores it (normalized)."""
    return [prepared(r) for r in read_inputs([str(t) for t in targets], settings)]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# A tiny real web server: path -> (status, content type, body, delay in seconds).
ROUTES: dict[str, tuple[int, str, bytes, float]] = {
    "/feed.rss": (200, "application/rss+xml; charset=utf-8", RSS.encode(), 0),
    "/atom": (200, "application/atom+xml", ATOM.encode(), 0),
    "/page": (200, "text/html; charset=utf-8", HTML_PAGE.replace("canonical", "x").encode(), 0),
    "/latin1": (200, "text/html; charset=iso-8859-1", LATIN1_PAGE.encode("latin-1"), 0),
    "/records": (200, "application/json", json.dumps([{"id": 1, "text": PARAGRAPH}]).encode(), 0),
    "/big": (200, "text/plain", b"x" * 5000, 0),
    "/slow": (200, "text/plain", b"too late", 2.0),
    # A server that says UTF-8 whatever the file: the text is in windows-1256.
    "/mislabelled": (
        200,
        "text/plain; charset=utf-8",
        f"{ARABIC_TITLE}\n\n{ARABIC_BODY}".encode("cp1256"),
        0,
    ),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/moved":
            self.send_response(301)
            self.send_header("Location", "/page")
            self.end_headers()
            return
        if self.path not in ROUTES:
            self.send_error(404, "Not Found")
            return
        status, content_type, body, delay = ROUTES[self.path]
        time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_seed_article_gives_title_outlet_place_and_author() -> None:
    [article] = read(SEED)
    assert isinstance(article, RawArticle)
    assert article.title == "Residents, local groups abort ISIS emirate in Syria’s Daraa"
    assert article.source == "North Press"
    assert article.place == "Daraa"
    assert article.author == "Ihsan Muhammad"
    assert article.language == "en"
    assert article.origin == str(SEED)
    assert article.text.startswith("DARAA, Syria (North Press) – A leader")
    assert article.text.endswith("Reporting by Ihsan Muhammad")
    assert "\n\n\n" not in article.text


def test_markdown_front_matter_and_heading(tmp_path: Path) -> None:
    doc = write(
        tmp_path / "note.md",
        '---\ntitle: "Curfew in Jassim"\ndate: October 27, 2022\nsource: Enab Baladi\n'
        "url: https://example.org/curfew\nauthor: Jane Doe\nid: eb-7\ndesk: south\n---\n"
        "# Curfew in Jassim\n\nSchools   were suspended.\n\n\n\nTraffic stopped.\n",
    )
    plain = write(tmp_path / "plain.md", "## Second story\n\nBody of the second story.\n")
    first, second = articles(read(doc, plain))
    assert first.title == "Curfew in Jassim"
    assert first.date == "2022-10-27"
    assert (first.source, first.url, first.author) == (
        "Enab Baladi",
        "https://example.org/curfew",
        "Jane Doe",
    )
    assert first.external_id == "eb-7"
    assert first.metadata == {"desk": "south"}
    assert first.text == "Schools were suspended.\n\nTraffic stopped."
    assert second.title == "Second story"
    assert second.text == "Body of the second story."


def test_html_page_metadata(tmp_path: Path) -> None:
    [article] = read(write(tmp_path / "page.html", HTML_PAGE))
    assert isinstance(article, RawArticle)
    assert article.title == "Residents abort ISIS emirate in Daraa"
    assert article.date == "2022-10-27"
    assert article.author == "Ihsan Muhammad"
    assert article.source == "North Press"
    assert article.url == "https://npasyria.com/en/86000/"
    assert article.text.startswith(f"{PARAGRAPH}\n\nThe commander said")
    assert "Copyright" not in article.text


def test_html_fragment_is_read(tmp_path: Path) -> None:
    [article] = read(write(tmp_path / "fragment.html", f"<p>{PARAGRAPH}</p>"))
    assert isinstance(article, RawArticle)
    assert article.text == PARAGRAPH


def test_jsonl_keeps_good_records_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 101, "title": "One", "text": PARAGRAPH, "section": "south"}),
        '{"id": 102, "title": "Broken", "text": ',
        "",
        json.dumps({"id": "103", "title": "No text here"}),
        json.dumps({"id": 104, "text": "Second article text.", "date": "2022-10-27 14:03"}),
    ]
    path = write(tmp_path / "batch.jsonl", "\n".join(lines) + "\n")
    results = read(path)
    good, bad = articles(results), failures(results)
    assert [a.external_id for a in good] == ["101", "104"]
    assert good[0].metadata == {"section": "south"}
    assert good[0].origin == f"{path}:1"
    assert good[1].date == "2022-10-27T14:03:00"
    assert [(f.origin, f.reason.split(" (")[0]) for f in bad] == [
        (f"{path}:2", "invalid JSON"),
        (f"{path}:4", "record has no text"),
    ]


def test_json_list_and_single_object(tmp_path: Path) -> None:
    records = [
        {"id": "a", "text": "First record text.", "source": "SANA"},
        42,
        {"id": "b", "text": "Second record text.", "tags": ["daraa"]},
    ]
    listing = write(tmp_path / "list.json", json.dumps(records))
    exported = {"text": "Only record.", "url": "u", "date": 1666879380, "metadata": {"k": 1}}
    single = write(tmp_path / "one.json", json.dumps(exported))
    results = read(listing, single)
    assert failures(results) == [
        ReadFailure(f"{listing}#2", "record is a number, not a JSON object")
    ]
    first, second, third = articles(results)
    assert (first.external_id, first.source, first.origin) == ("a", "SANA", f"{listing}#1")
    assert (second.metadata, second.origin) == ({"tags": ["daraa"]}, f"{listing}#3")
    assert (third.text, third.url, third.origin) == ("Only record.", "u", str(single))
    assert (third.date, third.metadata) == ("2022-10-27T14:03:00+00:00", {"k": 1})


def check_rss(found: list[RawArticle]) -> None:
    first, second = found
    assert first.title == "Residents abort ISIS emirate in Daraa"
    assert first.source == "North Press Agency"
    assert first.url == "https://npasyria.com/en/86000/"
    assert first.external_id == "npa-86000"
    assert first.date == "2022-10-27T14:03:00+00:00"
    assert first.text == "First paragraph of the report.\n\nSecond & last paragraph."
    assert first.language == "en"
    assert second.external_id == "https://npasyria.com/en/86001/"
    assert second.text == "Schools were suspended and traffic stopped."
    assert second.date == "2022-10-28T09:00:00+03:00"


def check_atom(found: list[RawArticle]) -> None:
    [entry] = found
    assert (entry.title, entry.source, entry.author) == (
        "Clashes in Jassim",
        "Syria Desk",
        "Desk Editor",
    )
    assert (entry.external_id, entry.url) == ("urn:syria-desk:1", "https://example.org/jassim")
    assert entry.date == "2022-10-27T08:30:00+00:00"
    assert entry.text == "Local groups clashed with militants."


def test_feeds_from_files(tmp_path: Path) -> None:
    rss = write(tmp_path / "npa.rss", RSS)
    results = read(rss, write(tmp_path / "desk.atom", ATOM))
    assert not failures(results)
    check_rss(articles(results)[:2])
    check_atom(articles(results)[2:])
    assert [a.origin for a in articles(results)[:2]] == [f"{rss}#1", f"{rss}#2"]


def test_feed_entry_without_text_fails_alone(tmp_path: Path) -> None:
    empty_item = "<item><title>Headline only</title><link>https://example.org/x</link></item>"
    feed = write(tmp_path / "feed.xml", RSS.replace("</channel>", f"{empty_item}</channel>"))
    results = read(feed)
    assert len(articles(results)) == 2
    assert failures(results) == [ReadFailure(f"{feed}#3", "empty article: no text")]


def test_feeds_pages_and_json_from_http(server: str) -> None:
    results = read(f"{server}/feed.rss", f"{server}/atom", f"{server}/moved", f"{server}/records")
    assert not failures(results)
    found = articles(results)
    check_rss(found[:2])
    check_atom(found[2:3])
    page, record = found[3:]
    assert page.url == f"{server}/page"  # no canonical link: the URL after the redirect
    assert page.origin == f"{server}/moved"
    assert PARAGRAPH in page.text
    assert record.external_id == "1"


def test_declared_charset_is_honoured(tmp_path: Path, server: str) -> None:
    page = f"""<html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head>
<body><article><p>Le caf\u00e9 du march\u00e9. {PARAGRAPH}</p></article></body></html>"""
    results = read(write(tmp_path / "cafe.htm", page.encode("cp1252")), f"{server}/latin1")
    assert [("café du marché" in a.text) for a in articles(results)] == [True, True]
    # A page declared Latin-1 is read as its superset windows-1252, as browsers do.
    assert [a.encoding for a in articles(results)] == ["windows-1252", "windows-1252"]


def test_a_wrong_declared_charset_gives_way_to_detection(server: str) -> None:
    [article] = read(f"{server}/mislabelled")
    assert isinstance(article, RawArticle)
    assert (article.title, article.encoding) == (ARABIC_TITLE, "windows-1256")


def test_arabic_round_trips(tmp_path: Path) -> None:
    text_file = write(tmp_path / "ar.txt", f"{ARABIC_TITLE}\n\n{ARABIC_BODY}\n")
    record = write(tmp_path / "ar.jsonl", json.dumps({"id": 7, "text": ARABIC_BODY}) + "\n")
    from_text, from_json = articles(read(text_file, record))
    assert from_text.title == ARABIC_TITLE
    assert from_text.text == unicodedata.normalize("NFC", ARABIC_BODY)
    assert from_json.text == unicodedata.normalize("NFC", ARABIC_BODY)
    assert from_text.language == from_json.language == "ar"


def test_normalize_cleans_text_but_keeps_joiners() -> None:
    persian = "می\u200cخواهم"
    raw = RawArticle(
        text=f"\ufeffOne  \t two\u200b\r\nthree\x07\r\n\r\n\r\n\r\n{persian}  ",
        title="  A\n title ",
        date="Thu, 27 Oct 2022 14:03:00 GMT",
    )
    article = normalize(raw)
    assert article.text == f"One two\nthree\n\n{persian}"
    assert article.title == "A title"
    assert article.date == "2022-10-27T14:03:00+00:00"
    unparseable = normalize(RawArticle(text="x", date="sometime last week"))
    assert unparseable.date is None
    assert unparseable.metadata["raw_date"] == "sometime last week"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2022-10-27", "2022-10-27"),
        ("October 27, 2022", "2022-10-27"),
        ("2022-10-27 14:03", "2022-10-27T14:03:00"),
        ("2022-10-27T14:03:00Z", "2022-10-27T14:03:00+00:00"),
        ("Thu, 27 Oct 2022 14:03:00 +0300", "2022-10-27T14:03:00+03:00"),
        ("October 2022", None),
        ("not a date", None),
    ],
)
def test_date_formats(given: str, expected: str | None) -> None:
    assert normalize_date(given) == expected


BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("picture.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text/HTML/JSON/feed"),
    ("blob", b"abc\x00\x01\x02def", "binary file, not text/HTML/JSON/feed"),
    ("empty.txt", b"", "empty article: no text"),
    ("blank.md", b"  \n\n\t\n", "empty article: no text"),
    ("noise.txt", bytes(range(1, 256)) * 8, "not text in any known encoding"),
    (
        "damaged.txt",
        "Café\n\nLe café crème".encode() + b" caf\xe9",
        "not valid UTF-8 at byte 26, though the rest is (damaged?)",
    ),
    ("nothing.html", b"<html><body><script>var a=1;</script></body></html>", "no article text"),
    ("broken.json", b'{"text": "unterminated', "invalid JSON"),
    ("broken.rss", b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</ch', "malformed"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_INPUTS)
def test_bad_input_gives_one_failure_and_others_still_read(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    bad = write(tmp_path / name, content)
    good = write(tmp_path / "good.txt", f"Good title\n\n{PARAGRAPH}\n")
    results = read(bad, good)
    [failure] = failures(results)
    assert failure.origin == str(bad)
    assert failure.reason.startswith(reason)
    assert "\n" not in failure.reason
    assert [a.title for a in articles(results)] == ["Good title"]


def test_legacy_encodings_are_read_and_named(tmp_path: Path) -> None:
    french = "Le café du marché\n\nLes habitants ont été réveillés très tôt près de l'hôpital."
    found = read(
        write(tmp_path / "ar.txt", f"{ARABIC_TITLE}\n\n{ARABIC_BODY}\n".encode("cp1256")),
        write(tmp_path / "fr.txt", french.encode("latin-1")),
        write(tmp_path / "utf8.txt", french.encode()),
    )
    arabic, latin1, utf8 = articles(found)
    assert (arabic.title, arabic.language) == (ARABIC_TITLE, "ar")
    assert arabic.text == unicodedata.normalize("NFC", ARABIC_BODY)
    assert arabic.encoding == "windows-1256"
    assert (
        (latin1.title, latin1.text)
        == (utf8.title, utf8.text)
        == (
            "Le café du marché",
            "Les habitants ont été réveillés très tôt près de l'hôpital.",
        )
    )
    # windows-1252 is the superset of Latin-1 that browsers read it as: the same letters.
    assert (latin1.encoding, utf8.encoding) == ("windows-1252", None)


def test_a_feed_says_the_encoding_its_xml_declares(tmp_path: Path) -> None:
    feed = f"""<?xml version="1.0" encoding="windows-1256"?>
<rss version="2.0"><channel><title>نورث برس</title>
<item><title>{ARABIC_TITLE}</title><link>https://npasyria.com/86000/</link>
<description>{ARABIC_BODY}</description></item></channel></rss>"""
    [article] = articles(read(write(tmp_path / "npa.rss", feed.encode("cp1256"))))
    assert (article.title, article.encoding) == (ARABIC_TITLE, "windows-1256")
    assert articles(read(write(tmp_path / "utf8.rss", RSS)))[0].encoding is None


def test_short_texts_in_a_legacy_encoding_are_read_as_the_likeliest(tmp_path: Path) -> None:
    # A few letters fit many code pages: "é" is "й" in windows-1251 and "ι" in windows-1253.
    cafe = write(tmp_path / "cafe.txt", "Café crème".encode("latin-1"))
    # windows-1251 reads these bytes cleanly too ("МЗУг ПСЪЗ"), but Arabic is the likelier.
    jassim = write(tmp_path / "jassim.txt", "جاسم درعا".encode("cp1256"))
    assert [(a.text, a.encoding) for a in articles(read(cafe, jassim))] == [
        ("Café crème", "windows-1252"),
        ("جاسم درعا", "windows-1256"),
    ]


def test_real_binary_files_are_still_refused(tmp_path: Path) -> None:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("story.txt", PARAGRAPH * 20)
    zipped = write(tmp_path / "story.txt", packed.getvalue())
    # A compressed stream without a file header or NUL bytes: only its look gives it away.
    raw = write(tmp_path / "raw.txt", zlib.compress(PARAGRAPH.encode() * 20).replace(b"\0", b""))
    assert [(f.origin, f.reason) for f in failures(read(zipped, raw))] == [
        (str(zipped), "binary file, not text/HTML/JSON/feed"),
        (str(raw), "not text in any known encoding (not valid UTF-8 at byte 1)"),
    ]


def test_byte_order_marks_are_fine(tmp_path: Path) -> None:
    body = f"BOM title\n\n{PARAGRAPH}\n"
    utf8 = write(tmp_path / "utf8.txt", b"\xef\xbb\xbf" + body.encode())
    utf16 = write(tmp_path / "utf16.txt", body.encode("utf-16"))
    found = read(utf8, utf16)
    assert [(a.title, a.text) for a in articles(found)] == [("BOM title", PARAGRAPH)] * 2
    assert [a.encoding for a in articles(found)] == [None, "UTF-16"]


def test_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: costs no disk space
    [failure] = read(huge)
    assert failure == ReadFailure(str(huge), "file is 50.0 MB, over the 20 MB limit")


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    assert read(missing) == [ReadFailure(str(missing), "no such file or directory")]


def test_dead_urls(server: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    refused = f"http://127.0.0.1:{closed_port}/"
    quick = Settings(fetch_timeout=0.5, max_input_bytes=1000)
    results = read(f"{server}/missing", refused, f"{server}/slow", f"{server}/big", settings=quick)
    assert results == [
        ReadFailure(f"{server}/missing", "HTTP 404 Not Found"),
        ReadFailure(refused, "could not connect: Connection refused"),
        ReadFailure(f"{server}/slow", "timed out after 0.5 s"),
        ReadFailure(f"{server}/big", "larger than the 1000 bytes limit"),
    ]


def test_directory_is_read_recursively_skipping_hidden_and_unknown(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "Bravo\n\nSecond file.")
    write(tmp_path / "a" / "nested.md", "# Alpha\n\nNested file.")
    write(tmp_path / ".hidden.txt", "Hidden\n\nNot read.")
    write(tmp_path / ".git" / "notes.txt", "Hidden dir\n\nNot read.")
    write(tmp_path / "image.png", b"\x89PNG\r\n\x1a\n\x00")
    write(tmp_path / "c.json", json.dumps({"title": "Charlie", "text": "Third file."}))
    assert [a.title for a in articles(read(tmp_path))] == ["Alpha", "Bravo", "Charlie"]


def test_stdin_is_sniffed() -> None:
    lines = b'{"id": 1, "text": "From a pipe."}\n{"id": 2, "text": "Another."}\n'
    records = [prepared(r) for r in read_inputs(["-"], SETTINGS, stdin=io.BytesIO(lines))]
    assert [(a.external_id, a.origin) for a in articles(records)] == [
        ("1", "stdin:1"),
        ("2", "stdin:2"),
    ]
    [text] = read_inputs(["-"], SETTINGS, stdin=io.BytesIO(f"Piped\n\n{PARAGRAPH}".encode()))
    assert isinstance(text, RawArticle)
    assert (text.title, text.origin) == ("Piped", "stdin")
    [binary] = read_inputs(["-"], SETTINGS, stdin=io.BytesIO(b"\x00\x01"))
    assert binary == ReadFailure("stdin", "binary file, not text/HTML/JSON/feed")


def test_jsonl_larger_than_the_limit_streams_record_by_record(tmp_path: Path) -> None:
    small = Settings(max_input_bytes=300)
    path = tmp_path / "export.jsonl"
    lines = [
        json.dumps({"id": f"r{i}", "title": f"T{i}", "text": f"Café {i} " * 20}, ensure_ascii=False)
        for i in range(5)
    ]
    lines.insert(2, json.dumps({"id": "big", "text": "x" * 400}))
    # A UTF-8 file (its "é" say so) with one line in another encoding: that line fails alone.
    path.write_bytes("\n".join(lines).encode() + b'\n{"text": "caf\xe9"}\n')
    results = read(path, settings=small)
    assert [r.external_id for r in results if isinstance(r, RawArticle)] == [
        f"r{i}" for i in range(5)
    ]
    failures = [r for r in results if isinstance(r, ReadFailure)]
    assert [f.origin for f in failures] == [f"{path}:3", f"{path}:7"]
    assert "over the 300 bytes limit" in failures[0].reason
    assert failures[1].reason == "not valid UTF-8 at byte 13"


def test_jsonl_in_a_legacy_encoding_is_read_line_by_line(tmp_path: Path) -> None:
    records = [{"id": n, "title": ARABIC_TITLE, "text": ARABIC_BODY} for n in range(3)]
    path = tmp_path / "export.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    path.write_bytes("\n".join(lines).encode("cp1256"))
    found = articles(read(path, settings=Settings(max_input_bytes=1000)))
    assert [(a.external_id, a.title, a.encoding) for a in found] == [
        (str(n), ARABIC_TITLE, "windows-1256") for n in range(3)
    ]
