"""The learned reader's shipped weights, on fixed sentences and spans: they load from the
package (no download) and score as a reader would."""

from __future__ import annotations

import math

from newsdesk.index.read.extractive import Candidate
from newsdesk.index.read.features import (
    answer_features,
    question_class,
    sentences_features,
    spans_features,
)
from newsdesk.index.read.model import WEIGHTS, load_model
from newsdesk.ingest.store.records import Article

MODEL = load_model()
TEXT = (
    "A leader in the Eighth Brigade told North Press that groups were sent to Jassim. "
    "Wheat prices rose again in Damascus markets this week, traders said."
)
ARTICLE = Article(1, "a1", "Jassim", TEXT, source="North Press", language="en")
ENTITIES = {1: [(16, 30, "ORG"), (36, 47, "ORG"), (73, 79, "GPE"), (108, 116, "GPE")]}


def _sentences() -> list[Candidate]:
    first, second = TEXT.split(". ", 1)
    return [
        Candidate(first + ".", ARTICLE, 0, len(first) + 1, keyword=0.8, kind=1.0, passage=0.6),
        Candidate(second, ARTICLE, len(first) + 2, len(TEXT), keyword=0.0, kind=1.0, passage=0.2),
    ]


def test_the_weights_ship_with_the_package() -> None:
    assert WEIGHTS.name == "reader-weights.json" and WEIGHTS.is_file()
    assert MODEL.sentence and MODEL.span and MODEL.answer
    assert 0.0 < MODEL.fact < 1.0 and math.isfinite(MODEL.answer_line)


def test_the_sentence_that_answers_scores_above_one_off_the_point() -> None:
    question = "Which brigade sent groups to Jassim?"
    assert question_class(question) == "which"
    found = _sentences()
    for c in found:
        c.score = c.passage + 0.3 * c.keyword
    on_point, off = (MODEL.sentence_logit(f) for f in sentences_features(question, found, ENTITIES))
    assert on_point > off


def test_the_span_asked_for_beats_the_outlet_and_the_place_asked_about() -> None:
    question = "Which brigade sent groups to Jassim?"
    found = _sentences()
    logits = [2.0, -2.0]
    scored = {
        s.text: MODEL.span_probability(f)
        for f, s, i in spans_features(question, found, ENTITIES, logits)
        if i == 0
    }
    assert scored["Eighth Brigade"] > scored["North Press"] > 0.0
    assert scored["Eighth Brigade"] > scored["Jassim"]


def test_an_archive_that_covers_the_question_is_answered_one_that_does_not_is_not() -> None:
    covered = answer_features(
        support=1.2, cover=0.9, agree=True, sentence_logit=2.0, span_probability=0.7
    )
    lacking = answer_features(
        support=0.3, cover=0.1, agree=False, sentence_logit=-3.0, span_probability=0.05
    )
    assert MODEL.answer_margin(covered) > 0 > MODEL.answer_margin(lacking)
