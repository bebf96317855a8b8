"""An answer says which other outlets carried its story, counting outlets, not copies."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.bot.format import answer_html
from newsdesk.desk import Newsdesk
from newsdesk.index.read.answerer import format_answer_text

from conftest import SEED


def test_other_outlets_of_the_story_are_named_once(seed_desk: Newsdesk, tmp_path: Path) -> None:
    body = (
        SEED.read_text(encoding="utf-8")
        .split("\n", 1)[1]
        .replace("15 militants", "fifteen militants")
    )
    copies = [
        {"id": f"copy{i}", "title": "ISIS emirate aborted in Daraa", "source": outlet, "text": body}
        for i, outlet in enumerate(["Enab Baladi", "Enab Baladi", "SANA", "North Press"])
    ]
    path = tmp_path / "copies.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in copies), encoding="utf-8")
    assert seed_desk.ingest([str(path)]).summary()["duplicates"] == 4
    answer = seed_desk.ask("Who was killed in Jassim?")
    source = answer.sources[0]
    assert source.also == sorted({"Enab Baladi", "SANA", "North Press"} - {source.source})
    assert "also reported by" in answer_html(answer)
    assert "also reported by" in format_answer_text(answer)
