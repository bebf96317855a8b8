"""The bot's building blocks without Telegram: HTML escaping and splitting, budgets, redaction."""

from __future__ import annotations

import html
import logging
import sys

from newsdesk.bot.app import RedactToken
from newsdesk.bot.format import answer_html, esc, link, split_html, visible_len
from newsdesk.index.read.answerer import UNSURE, Answer, Source

from fakes.telegram_html import parse_html

NASTY = 'Tom & Jerry say "<b>hi</b>" — 1 < 2 > 0 &amp; ok'


def telegram_text(piece: str) -> str:
    """The text Telegram shows for a piece; raises if Telegram would refuse its HTML."""
    return parse_html(piece, strict=True).text


def test_escaping_survives_telegram() -> None:
    assert telegram_text(esc(NASTY)) == NASTY
    assert telegram_text(link(NASTY, "https://example.org/?a=1&b=<2>")) == NASTY
    assert link("title", "javascript:alert(1)") == "title"  # only web links become links


def test_answer_html_escapes_text_and_sources() -> None:
    source = Source(
        1, 7, None, "<Title> & co", "Outlet", "2024-01-02", "https://x.org/a?b=1&c=2", 0.9
    )
    answer = Answer("q?", f"{NASTY} [1]", True, [source], 1.0)
    text = telegram_text(answer_html(answer))
    assert text.startswith(NASTY) and "[1] <Title> & co — Outlet · 2024-01-02" in text


def test_an_unsure_answer_says_so_before_its_fact() -> None:
    source = Source(1, 7, None, "Clashes in Jassim", "North Press", "2022-10-27", None, 0.5)
    answer = Answer("q?", "last week [1]\nThe clashes began last week. [1]", True, [source], 1.0)
    answer.short, answer.unsure = "last week", True
    english = answer_html(answer)
    assert telegram_text(english).startswith(f"{UNSURE}\nlast week [1]\nThe clashes")
    assert english.startswith(f"<i>{UNSURE}</i>\n<b>last week [1]</b>")
    assert telegram_text(answer_html(answer, "ar")).startswith("قد لا يجيب الأرشيف عن هذا")


def test_split_prefers_paragraphs_then_sentences() -> None:
    paragraphs = [f"Paragraph {i}. " + "A sentence that says little. " * 20 for i in range(12)]
    pieces = split_html("\n\n".join(paragraphs), limit=1500)
    assert len(pieces) > 1
    for piece in pieces:
        assert visible_len(piece) <= 1500
        assert piece.startswith("Paragraph")  # every cut fell between paragraphs
    assert " ".join(pieces).split() == "\n\n".join(paragraphs).split()

    one_long = "First sentence here. " * 200
    pieces = split_html(one_long.strip(), limit=1000)
    assert all(p.endswith(".") and visible_len(p) <= 1000 for p in pieces)


def test_split_keeps_tags_and_entities_whole() -> None:
    markup = "<b>" + ("bold &amp; &lt;brave&gt; words " * 150) + "</b>" + " tail" * 300
    pieces = split_html(markup, limit=700)
    shown = [telegram_text(p) for p in pieces]  # each piece is valid HTML on its own
    assert all(len(s) <= 700 for s in shown)
    assert (
        " ".join(shown).split()
        == html.unescape(markup.replace("<b>", "").replace("</b>", "")).split()
    )
    assert pieces[1].startswith("<b>") and pieces[0].endswith("</b>")  # reopened after the cut


def test_split_counts_what_telegram_counts() -> None:
    emoji = "😀" * 3000  # two UTF-16 units each, as Telegram counts
    pieces = split_html(emoji)
    assert len(pieces) == 2 and all(visible_len(p) <= 4096 for p in pieces)
    assert split_html("x" * 5000, limit=4096)[0] == "x" * 4096  # no space: a hard cut
    assert split_html("  \n ") == []
    link_heavy = link("t", "https://example.org/" + "a" * 3000) * 3  # long markup, short text
    assert split_html(link_heavy) == [link_heavy]


def test_token_redacted_from_messages_and_tracebacks() -> None:
    token = "123456:AAHsecret-token_value"
    try:
        raise RuntimeError(f"failed calling /bot{token}/getMe")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s", (f"POST /bot{token}/x",), exc_info
    )
    RedactToken(token).filter(record)
    shown = logging.Formatter().format(record)
    assert "AAHsecret" not in shown and "/bot<token>/x" in shown and "/bot<token>/getMe" in shown
