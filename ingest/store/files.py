"""Replacing a file whole: a crash leaves the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write `path`'s new contents to. On a clean exit the file is flushed
    to disk and renamed over `path`; on any error (Ctrl-C included) it is removed.

    The temporary file is beside `path`, not in /tmp: a rename is atomic only within one file
    system. Whatever was opened on the temporary path must be closed before the block ends.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # Without the fsync, a power cut soon after the rename can leave `path` empty or short:
        # the rename may reach the disk before the data does.
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    # The rename itself lives in the folder: flushed too, or a crash may undo it.
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
