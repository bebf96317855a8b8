"""Configuration as typed values: one `Settings` for the archive, one `BotSettings` for Telegram.

Each default is written once, here; the command line shows these values as its defaults.
Environment variables are read only by the entry points (`Settings.from_env`, `newsdesk bot`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_HOME = Path("~/.local/share/newsdesk")
TELEGRAM_API = "https://api.telegram.org/bot"
TELEGRAM_FILES = "https://api.telegram.org/file/bot"


@dataclass(frozen=True)
class Settings:
    """Where the archive lives and how articles are chunked, embedded, searched and answered."""

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
    # Retrieval: passages `search` returns, and passages an answer is read from.
    search_k: int = 5
    answer_k: int = 12
    # The vector index: exact (flat) up to this many vectors, approximate (IVF) past it,
    # vectors kept as 16-bit floats ("fp16") or 8-bit ("sq8"; half the memory, lower recall).
    # 128 probes kept 0.99 of the exact top 10 at 100k and 1M passages (bench/README.md).
    vector_threshold: int = 100_000
    ivf_codes: str = "fp16"
    ivf_lists: int = 0  # 0: about √n, chosen when the IVF is built
    ivf_probes: int = 128  # lists searched per query: recall of the exact top 10 vs time
    # Searching processes map the index file rather than copy it (shared page cache).
    map_index: bool = True
    # What the bot remembers of its answers (for follow-ups, Sources and 👍/👎), per chat.
    memory_days: float = 30.0
    memory_per_chat: int = 200

    def __post_init__(self) -> None:
        # A library caller may well write Settings(home="~/news").
        object.__setattr__(self, "home", Path(self.home))

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


@dataclass(frozen=True)
class BotSettings:
    """How the bot reaches Telegram and whom it serves; built by the `newsdesk bot` command."""

    token: str = field(repr=False)  # never in a repr that could end up in a log
    base_url: str = TELEGRAM_API
    base_file_url: str = TELEGRAM_FILES
    admins: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] = frozenset()  # empty: every chat
    questions_per_minute: int = 10  # per user
    # Telegram sends an inline query at each pause in typing, so inline mode has a budget of
    # its own, more generous, and typing "@bot who was…" never uses up the chat budget.
    inline_queries_per_minute: int = 30  # per user
    max_retries: int = 3  # after a 429 from Telegram
    # The model uses 2 torch threads; more only queue on the CPU. Admin uploads and deletes
    # run on one more thread of their own, never on these.
    answer_threads: int = 2
    concurrent_updates: int = 32
    webhook_url: str | None = None  # None: long polling
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
