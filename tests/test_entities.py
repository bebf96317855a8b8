"""Named entities found at ingest with the packaged spaCy pipeline, kept with the articles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from newsdesk import Newsdesk, Settings
from newsdesk.ingest.entities import NER_MODEL

from conftest import DATA, SEED, HashingEmbedder, HashingMultilingual

pytestmark = pytest.mark.model  # spaCy's named-entity model


def _named(desk: Newsdesk, article_id: int) -> set[tuple[str, str]]:
    text = desk.get(article_id).text
    return {(text[s:e], label) for s, e, label in desk.archive.entities([article_id])[article_id]}


def _desk(settings: Settings) -> Newsdesk:
    return Newsdesk(settings, embedder=HashingEmbedder(), multilingual=HashingMultilingual())


def test_an_english_article_is_stored_with_its_entities(settings: Settings) -> None:
    with _desk(settings) as desk:
        report = desk.ingest([str(SEED), str(DATA / "arabic-articles.jsonl")])
        seed, *arabic = [o.article_id for o in report.outcomes]
        named = _named(desk, seed)
        assert {("Jassim", "GPE"), ("15", "CARDINAL"), ("October 21", "DATE")} <= named
        assert any(label == "PERSON" and "Jebawi" in text for text, label in named)
        # The model reads English only: an Arabic article is looked at, and holds none.
        assert arabic and all(desk.archive.entities(arabic)[a] == [] for a in arabic)
        assert desk.check().entities_pending == 0


def test_articles_stored_without_entities_get_them_at_the_next_ingest(
    settings: Settings, tmp_path: Path
) -> None:
    with _desk(replace(settings, entities=False)) as desk:
        [seed] = [o.article_id for o in desk.ingest([str(SEED)]).outcomes]
        assert desk.archive.entities([seed]) == {seed: []}
    with _desk(settings) as desk:
        assert desk.check().entities_pending == 1  # `newsdesk check` says so
        other = tmp_path / "other.txt"
        other.write_text("Shelling hit Busra al-Sham on Monday, a medic told reporters there.")
        desk.ingest([str(other)])
        assert desk.check().entities_pending == 0
        assert ("Jassim", "GPE") in _named(desk, seed)
        assert desk.archive.rows("SELECT DISTINCT entities_model FROM articles") == [(NER_MODEL,)]
        desk.delete(seed)
        assert desk.archive.rows("SELECT count(*) FROM entities WHERE article_id = ?", [seed]) == [
            (0,)
        ]
