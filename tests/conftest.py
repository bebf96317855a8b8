"""Shared fixtures: one loaded embedding model per session, a fresh archive per test.

Two tiers: tests marked `model` may load the real models (MiniLM, the multilingual model, the
local language model); every other test runs on stand-ins, and the model guard below fails
it if it loads one (`make test-fast` runs only those, in seconds). Tests that read ../shared
(the dev corpus, the Bot API spec) are marked `needs_shared` and skipped when it is absent."""

from __future__ import annotations

import inspect
import os
import re
import shutil
import sys
import tempfile
import threading
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import CodeType
from typing import NoReturn

import numpy as np
import pytest
from py3langid.langid import LanguageIdentifier

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.index.generate import llm
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder, load_embedder
from newsdesk.index.vectors.multilingual import MultilingualEmbedder
from newsdesk.index.vectors.onnx import OnnxEmbedder
from newsdesk.ingest import entities, normalize

from fakes.telegram import FakeTelegram

os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Desks the tests open without an embedder (the command line, in this process or a child) run
# the session's torch model, as the `embedder` fixture does: an archive one makes, the other
# opens. A new archive's default encoder otherwise (ONNX int8, index/vectors/encoders.py) has
# tests of its own (tests/test_onnx.py).
os.environ.setdefault("NEWSDESK_ENCODER", "torch")
# The bot tests' fixtures (fake Telegram server, seeded archive) live in tests/botkit.py.
pytest_plugins = ["botkit", "feedkit"]

# The dev corpus, eval questions and Bot API spec, beside the repository. Another place can be
# given to the tests (only to them) with NEWSDESK_TESTS_SHARED, e.g. a missing one to check
# that what needs it is skipped.
BESIDE = Path(__file__).resolve().parents[2] / "shared"
SHARED = Path(os.environ.get("NEWSDESK_TESTS_SHARED") or BESIDE)
# The seed article as the repository ships it in sample/ (a copy of ../shared/corpus/'s).
SEED = Path(__file__).resolve().parents[1] / "sample" / "north-press-daraa-jassim.txt"
# The command line in a process of its own, as a user runs it.
NEWSDESK = [sys.executable, "-c", "from newsdesk.cli.main import main; main()"]
SEED_TITLE = "Residents, local groups abort ISIS emirate in Syria’s Daraa"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged all-MiniLM-L6-v2, loaded once for the whole test session."""
    # The same instance the CLI's desks load in this process (load_embedder caches it).
    embedder = load_embedder("all-MiniLM-L6-v2", threads=2, batch_size=32)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared, for a test that reads it (marked `needs_shared`: skipped when absent)."""
    return SHARED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


@pytest.fixture
def desk(settings: Settings, embedder: SentenceTransformerEmbedder) -> Iterator[Newsdesk]:
    """An empty archive in tmp_path with the shared model."""
    with Newsdesk(settings, embedder=embedder) as d:
        yield d


@pytest.fixture(scope="session")
def seed_home(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Path:
    """An archive folder holding sample/ (the seed article), indexed once per session."""
    home = tmp_path_factory.mktemp("seed") / "home"
    with Newsdesk(Settings(home=home), embedder=embedder) as desk:
        assert desk.ingest([str(SEED.parent)]).summary()["added"] == 1
    return home


@pytest.fixture
def seed_desk(
    seed_home: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> Iterator[Newsdesk]:
    """A copy of the seeded archive of the test's own, at `settings.home`."""
    shutil.copytree(seed_home, settings.home)
    with Newsdesk(settings, embedder=embedder) as desk:
        yield desk


@pytest.fixture(scope="session")
def full_desk(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    shared: Path,
) -> Iterator[Newsdesk]:
    """The archive a new user would have: the seed article among the 530 dev articles, and
    two short Arabic articles (tests/data), with both vector sets. Built once per session
    (a few minutes with the real models): the tests that use it only ask."""
    home = tmp_path_factory.mktemp("full") / "home"
    with Newsdesk(Settings(home=home), embedder=embedder) as desk:
        corpus = shared / "eval-dev" / "corpus.jsonl"
        report = desk.ingest([str(corpus), str(SEED), str(DATA / "arabic-articles.jsonl")])
        assert report.summary()["failed"] == 0 and desk.stats().articles >= 500
        yield desk


class HashingEmbedder:
    """A stand-in for the model, for logic tests that don't judge answers: each word hashed
    to a dimension, so texts sharing words point alike. Loads and encodes at once."""

    name = "hashing-test-embedder"
    dim = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-9)

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))


class HashingMultilingual(HashingEmbedder):
    """A stand-in for the multilingual model: another name, another dimension (a desk keeps
    the two vector sets apart by both)."""

    name = "hashing-multilingual-test-embedder"
    dim = 48


def stand_ins(settings: Settings) -> Newsdesk:
    """A desk on these settings with no real model: hashing stand-ins for both embedders
    (the multilingual set stays on, as by default) and no named entities at ingest."""
    return Newsdesk(
        replace(settings, entities=False),
        embedder=HashingEmbedder(),
        multilingual=HashingMultilingual(),
    )


@pytest.fixture
def fast_desk(settings: Settings) -> Iterator[Newsdesk]:
    """An empty archive in tmp_path, with no real model (stand_ins)."""
    with stand_ins(settings) as desk:
        yield desk


class KeptLanguageIdentifier:
    """`normalize._language_model` loading the identifier once however often it is freed,
    counting the times it was."""

    def __init__(self, load: Callable[[], LanguageIdentifier]) -> None:
        self._load = load
        self._identifier: LanguageIdentifier | None = None
        self.released = 0

    def __call__(self) -> LanguageIdentifier:
        if self._identifier is None:
            self._identifier = self._load()
        return self._identifier

    def cache_clear(self) -> None:
        self.released += 1


@pytest.fixture(scope="session", autouse=True)
def language_identifier() -> Iterator[KeptLanguageIdentifier]:
    """The language identifier (76 MB, 0.5 s to load) stays loaded for the session. A desk
    frees it after each ingest to make room for the multilingual model, which no test
    measures; loaded again by each test that ingests, it took a third of the fast tests' time."""
    with pytest.MonkeyPatch.context() as patch:
        kept = KeptLanguageIdentifier(normalize._language_model.__wrapped__)
        patch.setattr(normalize, "_language_model", kept)
        yield kept


# ------------------------------------------------------------------------ markers and skips

_guard_folder = pytest.StashKey[Path]()  # where the model guard's subprocesses report
_guard = pytest.StashKey["ModelGuard"]()
_failed = pytest.StashKey[bool]()

# Fixtures that stand for ../shared: `fake` serves the Bot API spec found there (fakes/telegram.py,
# and test_fake_telegram.py's own `fake`).
SHARED_FIXTURES = frozenset({"shared", "full_desk", "fake"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"needs_shared: reads {SHARED} (skipped when absent)")
    config.stash[_guard_folder] = Path(tempfile.mkdtemp(prefix="newsdesk-model-guard-"))


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(config.stash[_guard_folder], ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that loads the real model, so `make test-fast` can leave it out, and
    every test that reads ../shared."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        # `desk`, `seed_desk`, `full_desk`, … all take the session's model from `embedder`.
        if "embedder" in fixtures:
            item.add_marker(pytest.mark.model)
        if fixtures & SHARED_FIXTURES or _names_shared(item):
            item.add_marker(pytest.mark.needs_shared)


def _names_shared(item: pytest.Item) -> bool:
    """Whether the test's code names a path in ../shared (a module's `SHARED / ...`, the fake
    server's default spec) or builds a fake Telegram server (it reads its spec from there)."""
    function = getattr(item, "function", None)
    if not inspect.isfunction(function):
        return False
    for name in _code_names(function.__code__):
        value = function.__globals__.get(name)
        if value is FakeTelegram:
            return True
        if isinstance(value, Path) and (
            value.is_relative_to(SHARED) or value.is_relative_to(BESIDE)
        ):
            return True
    return False


def _code_names(code: CodeType) -> Iterable[str]:
    """The global names a function's code and the functions inside it use."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, CodeType):
            yield from _code_names(const)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_shared") and not SHARED.is_dir():
        pytest.skip(f"needs {SHARED} (dev corpus, eval questions, Bot API spec): not found")


# --------------------------------------------------------------------------- the model guard

MODEL_LOADED = "this test loads a real model: mark it `model`"
# Read by tests/model_guard/sitecustomize.py in the test's Python subprocesses.
GUARD_REPORT = "NEWSDESK_TESTS_MODEL_REPORT"
GUARD_SITE = Path(__file__).parent / "model_guard"


class ModelGuard:
    """For one test not marked `model`: every way newsdesk loads or runs a real model fails
    the test, in this process (the loaders are replaced) and in its Python subprocesses
    (tests/model_guard/sitecustomize.py refuses the model libraries there).

    Replaced: SentenceTransformerEmbedder's loading and encoding (what `load_embedder` builds,
    and a copy cached by an earlier `model` test), OnnxEmbedder's loading (`load_onnx`; a
    server's embeddings, `embeddings_url`, are no model here), the multilingual model behind
    MultilingualEmbedder (what `load_multilingual` returns loads it on first use), and the
    local language model `load_chat_model` joins and loads (a server's, `llm_url`, is no
    model in this process: the tests' is fakes/openai.py), and spaCy's named-entity pipeline
    (a desk without it: `Settings(entities=False)`)."""

    def __init__(self, report: Path) -> None:
        self.report = report
        self.loaded: list[str] = []
        self._patch = pytest.MonkeyPatch()

    def __enter__(self) -> ModelGuard:
        refuse, patch = self._refuse, self._patch
        patch.setattr(SentenceTransformerEmbedder, "__init__", refuse("MiniLM loaded"))
        patch.setattr(SentenceTransformerEmbedder, "encode", refuse("MiniLM encoded"))
        patch.setattr(OnnxEmbedder, "__init__", refuse("MiniLM (ONNX) loaded"))
        patch.setattr(MultilingualEmbedder, "model", property(refuse("multilingual model used")))
        patch.setattr(llm, "packaged_gguf", refuse("packaged language model joined"))
        patch.setattr(llm.LocalModel, "__init__", refuse("local language model loaded"))
        patch.setattr(entities, "_pipeline", refuse("named-entity model loaded"))
        self.report.unlink(missing_ok=True)
        patch.setenv(GUARD_REPORT, str(self.report))
        path = os.environ.get("PYTHONPATH")
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(GUARD_SITE), path])))
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.undo()

    def _refuse(self, what: str) -> Callable[..., NoReturn]:
        def refused(*args: object, **kwargs: object) -> NoReturn:
            self.loaded.append(f"{what} ({threading.current_thread().name})")
            pytest.fail(f"{MODEL_LOADED}: {what}")

        return refused

    def check(self) -> None:
        """Fail the test that has not failed yet for a load: one in another thread or task
        (where the failure may never reach the test) or in a subprocess."""
        if self.report.exists():
            self.loaded += self.report.read_text(encoding="utf-8").splitlines()
        if self.loaded:
            pytest.fail(f"{MODEL_LOADED}: " + "; ".join(self.loaded), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """The guard is on from before the test's first fixture (a module's or the session's
    fixture loads for the test that first needs it) until after its last teardown."""
    if item.get_closest_marker("model"):
        return (yield)
    with ModelGuard(item.config.stash[_guard_folder] / "report") as guard:
        item.stash[_guard] = guard
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[_failed] = True
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, None, None]:
    yield
    guard = item.stash.get(_guard, None)
    if guard is not None and not item.stash.get(_failed, False):
        guard.check()
