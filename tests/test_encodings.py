"""Text files in a legacy encoding go in, and every ingest report says which encoding was read."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk import Newsdesk
from newsdesk.bot.format import ingest_html
from newsdesk.cli.main import cli
from newsdesk.config import Settings
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder

ARABIC = "مقتل ثلاثة مدنيين في قصف على بلدة جاسم"
ARABIC_BODY = (
    "قال مصدر محلي إن ثلاثة مدنيين قتلوا في قصف استهدف بلدة جاسم في ريف درعا الشمالي، "
    "وأضاف أن القصف ألحق أضراراً بعدد من المنازل."
)
FRENCH = "Un café rouvre à Deraa"
FRENCH_BODY = "Le propriétaire a déclaré que les clients étaient revenus dès le matin, après l'été."


def legacy_files(folder: Path) -> tuple[Path, Path, Path]:
    arabic = folder / "arabic.txt"
    arabic.write_bytes(f"{ARABIC}\n\n{ARABIC_BODY}\n".encode("cp1256"))
    french = folder / "french.txt"
    french.write_bytes(f"{FRENCH}\n\n{FRENCH_BODY}\n".encode("latin-1"))
    plain = folder / "plain.txt"
    plain.write_text("Water returns to Raqqa\n\nThe pumping station works again.\n")
    return arabic, french, plain


def test_the_desk_stores_the_text_and_reports_the_encoding(
    fast_desk: Newsdesk, tmp_path: Path
) -> None:
    report = fast_desk.ingest([str(p) for p in legacy_files(tmp_path)])
    assert [(o.status, o.title, o.encoding) for o in report.outcomes] == [
        ("added", ARABIC, "windows-1256"),
        ("added", FRENCH, "windows-1252"),
        ("added", "Water returns to Raqqa", None),
    ]
    texts = {a.title: a.text for a in fast_desk.articles(limit=None)}
    assert (texts[ARABIC], texts[FRENCH]) == (ARABIC_BODY, FRENCH_BODY)
    # The encoding is how the bytes were read, not part of the article: the same text saved
    # as UTF-8 is the same article.
    resaved = tmp_path / "resaved" / "arabic.txt"
    resaved.parent.mkdir()
    resaved.write_text(f"{ARABIC}\n\n{ARABIC_BODY}\n", encoding="utf-8")
    [again] = fast_desk.ingest([str(resaved)]).outcomes
    assert (again.encoding, again.article_id) == (None, report.outcomes[0].article_id)
    assert again.status in ("unchanged", "duplicate")

    html = ingest_html(report, "upload")
    assert f"added #{report.outcomes[0].article_id}: {ARABIC} (read as windows-1256)" in html
    assert f"{FRENCH} (read as windows-1252)" in html
    assert "Water returns to Raqqa\n" in html + "\n" and html.count("read as") == 2


@pytest.mark.model  # the command line's desk counts tokens with the real model's tokenizer
def test_the_command_line_names_the_encoding_on_the_article_line(
    settings: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    arabic, french, plain = legacy_files(tmp_path)
    args = ["--home", str(settings.home), "ingest", "-q", "--no-index"]
    result = CliRunner().invoke(cli, [*args, str(arabic), str(french), str(plain)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"added: {arabic} → article ")
    assert lines[0].endswith(" (read as windows-1256)")
    assert lines[1].startswith(f"added: {french} → article ")
    assert lines[1].endswith(" (read as windows-1252)")
    assert lines[2].startswith("3 added,")  # a UTF-8 file gets no line of its own
