"""One settings object for every entry point. Environment variables are read only in `from_env`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

DEFAULT_HOME = Path("~/.local/share/newsdesk")


@dataclass(frozen=True)
class Settings:
    """Where the archive lives and how articles are chunked, embedded and searched."""

    home: Path = DEFAULT_HOME
    # Chunking, in the embedding model's word pieces (all-MiniLM-L6-v2 truncates at 256).
    chunk_sentences: int = 3
    chunk_max_tokens: int = 200
    chunk_overlap_sentences: int = 1
    min_chunk_words: int = 12
    # Embedding.
    model: str = "all-MiniLM-L6-v2"
    torch_threads: int = 2
    embed_batch_size: int = 32
    # Reading inputs.
    max_input_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 20.0
    # Retrieval.
    search_k: int = 5

    @property
    def db_path(self) -> Path:
        return self.home.expanduser() / "archive.db"

    @property
    def index_path(self) -> Path:
        return self.home.expanduser() / "index.faiss"

    def with_home(self, home: Path | str | None) -> Settings:
        """A copy pointing at another archive folder (None keeps this one)."""
        return self if home is None else replace(self, home=Path(home))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from NEWSDESK_* environment variables; only entry points call this."""
        env = os.environ if environ is None else environ
        home = env.get("NEWSDESK_HOME")
        threads = env.get("NEWSDESK_TORCH_THREADS")
        return cls(
            home=Path(home) if home else DEFAULT_HOME,
            torch_threads=int(threads) if threads else cls.torch_threads,
        )
