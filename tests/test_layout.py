"""The package's layers: front ends → facade → capabilities → store and text, never upward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Where each package's files are (pyproject.toml, [tool.setuptools] package-dir).
FOLDERS = {
    "newsdesk": ROOT / "desk",
    "newsdesk.bot": ROOT / "bot",
    "newsdesk.index": ROOT / "index",
    "newsdesk.ingest": ROOT / "ingest",
    "newsdesk.text": ROOT / "text",
}
FRONT_ENDS = ("newsdesk.cli", "newsdesk.bot")
# What the command line and the bot may import besides their own modules: the public API.
PUBLIC = {"newsdesk", "newsdesk.config", "newsdesk.errors"}
# Lowest first: a module may import from its own layer and the layers below it.
LAYERS = [
    ("newsdesk.config", "newsdesk.errors"),
    ("newsdesk.text",),
    ("newsdesk.ingest.models", "newsdesk.ingest.store"),
    ("newsdesk.ingest", "newsdesk.index"),
    ("newsdesk", "newsdesk.desk", "newsdesk.evaluate"),
    FRONT_ENDS,
]


def sources() -> dict[str, str]:
    """Every module of the package by its dotted name, with its source."""
    found: dict[str, str] = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path.read_text(encoding="utf-8")
    return found


def imported(source: str) -> set[str]:
    """The newsdesk modules a module imports, lazy imports inside functions included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add("." * node.level + node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {n for n in names if n.startswith(("newsdesk", "."))}


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer(module: str) -> int:
    """The layer of the longest prefix that holds the module."""
    rank, longest = -1, ""
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and len(prefix) > len(longest):
                rank, longest = i, prefix
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def violations(modules: dict[str, str]) -> list[str]:
    """Each import that goes against the layers, as a sentence."""
    found = []
    for name, source in sorted(modules.items()):
        front = next((f for f in FRONT_ENDS if _within(name, f)), None)
        for target in sorted(imported(source)):
            if target.startswith("."):
                found.append(f"{name} imports {target}: write newsdesk.… in full")
            elif front:
                # `newsdesk bot` starts the bot: the command line may import its entry point.
                starts_bot = front == "newsdesk.cli" and target == "newsdesk.bot.app"
                if not (_within(target, front) or target in PUBLIC or starts_bot):
                    found.append(f"{name} imports {target}: front ends use the public API")
            elif layer(target) > layer(name):
                found.append(f"{name} imports {target}, which is a layer above it")
    return found


def test_imports_go_one_way() -> None:
    assert violations(sources()) == []


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("newsdesk.cli.extra", "from newsdesk.index.read.types import UNSURE"),
        ("newsdesk.bot.extra", "from newsdesk.ingest.store.archive import Article"),
        ("newsdesk.bot.extra", "from newsdesk.desk import Newsdesk"),
        ("newsdesk.index.read.extra", "from newsdesk.desk import Newsdesk"),
        ("newsdesk.ingest.store.extra", "from newsdesk.index.search.hybrid import Hit"),
        ("newsdesk.text.extra", "from newsdesk.ingest.store.archive import Archive"),
        ("newsdesk.index.extra", "def f():\n    from newsdesk.bot import format"),
        ("newsdesk.index.extra", "from .read import types"),
    ],
)
def test_an_import_against_the_layers_is_caught(module: str, line: str) -> None:
    modules = sources() | {module: line}
    assert [v for v in violations(modules) if v.startswith(module + " ")]


def test_the_folders_install_only_under_newsdesk(tmp_path: Path) -> None:
    # Run away from the project root, as a user's program would.
    def runs(code: str) -> bool:
        done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True)
        return done.returncode == 0

    assert runs("import newsdesk.bot, newsdesk.index, newsdesk.ingest, newsdesk.text")
    for folder in ("bot", "index", "ingest", "text"):
        assert not runs(f"import {folder}")


def test_no_symbolic_links_in_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    links = [line.split("\t")[-1] for line in tracked.splitlines() if line.startswith("120000")]
    assert links == []
