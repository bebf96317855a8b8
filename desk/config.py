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
    # What runs the model (index/vectors/encoders.py): "torch" (sentence-transformers), "onnx"
    # (ONNX Runtime, the same vectors as torch within 1e-6, so the same model name), "onnx-int8"
    # (8-bit weights: other vectors, recorded as "<model>-int8"), or "auto": what made the
    # archive's vectors, and for a new archive `encoders.DEFAULT`. The ONNX files are exported
    # from the packaged weights on first use into `encoder_cache`.
    encoder: str = "auto"
    encoder_cache: Path = Path("~/.cache/newsdesk")
    # Embeddings from an OpenAI-compatible server (POST {url}/embeddings) instead of a model in
    # this process: text-embeddings-inference, Infinity, vLLM, Ollama, … `embeddings_model` is
    # the model's name there, and what the archive records as the model of its vectors.
    embeddings_url: str | None = None
    embeddings_model: str | None = None
    embeddings_api_key: str | None = field(default=None, repr=False)
    embeddings_timeout: float = 60.0  # seconds for one request
    embeddings_batch: int = 64  # texts per request
    embeddings_requests: int = 4  # requests in flight at once
    embeddings_retries: int = 5  # tries of one request on 429, 5xx or no answer
    # Where the vectors live: "faiss" (files beside the archive), or "milvus:<uri>", a Milvus
    # server ("milvus:http://host:19530") or a Milvus Lite folder ("milvus:/path/vectors.db";
    # a relative path is taken inside `home`). Collections are named `milvus_collection`_…
    vectors: str = "faiss"
    milvus_collection: str = "newsdesk"
    milvus_token: str | None = field(default=None, repr=False)
    # A second, multilingual vector set beside MiniLM (index/vectors/multilingual.py), so Arabic
    # questions find English articles and English questions Arabic ones; an English ingest
    # embeds only each article's lead with it, a few percent more time (measured ratio 1.004
    # under load: bench/README.md, "Arabic and cross-lingual retrieval").
    multilingual: bool = True
    # Named entities of English articles found at ingest (ingest/entities.py), which answers
    # read for the kind of thing asked (a person, a place, a date, a number).
    entities: bool = True
    # Reading inputs.
    max_input_bytes: int = 20 * 1024 * 1024
    fetch_timeout: float = 20.0
    # Retrieval: passages `search` returns, and passages an answer is read from.
    search_k: int = 5
    answer_k: int = 12
    # How answers are made: "extractive" (sentences of the passages), or "generative" (a
    # language model writes from the passages; what it writes is checked against them).
    reader: str = "extractive"
    # The language model: the packaged one, the path of a GGUF file, or, with `llm_url` (an
    # OpenAI-compatible server such as Ollama's http://localhost:11434/v1), a model name there.
    llm: str = "qwen2.5-coder-1.5b"
    llm_url: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout: float = 120.0
    llm_max_tokens: int = 160
    llm_threads: int = 2
    llm_cache: Path = Path("~/.cache/newsdesk")  # where the packaged model's parts are joined
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
    # Followed feeds: how often by default, and how much one poll of one feed may take in.
    feed_every: float = 15 * 60.0  # seconds; a feed's own <ttl> can only lengthen it
    feed_max_bytes: int = 2 * 1024 * 1024  # real feeds weigh kilobytes; parsing 5 MB takes 20 s
    feed_max_items: int = 200  # new items stored per feed per poll; the rest come next poll
    feed_max_pages: int = 20  # article pages fetched per feed per poll for summary-only items
    feed_max_backoff: float = 24 * 3600.0  # the longest wait after repeated errors
    feed_workers: int = 8  # feeds fetched at once, so one slow feed never holds up the rest
    # The match score (index/stories/matching.py) an article needs to fire an alert (≤ 0.2% false
    # alerts on the dev set), and to be listed in a timeline, which is asked for and
    # only filters search hits (≤ 2%): bench/README.md, "Follow alerts".
    follow_threshold: float = 0.61
    timeline_threshold: float = 0.44
    timeline_max: int = 30  # lines in a timeline

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
            multilingual=_switch(env.get("NEWSDESK_MULTILINGUAL"), cls.multilingual),
            entities=_switch(env.get("NEWSDESK_ENTITIES"), cls.entities),
            reader=env.get("NEWSDESK_READER") or cls.reader,
            llm=env.get("NEWSDESK_LLM") or cls.llm,
            llm_url=env.get("NEWSDESK_LLM_URL") or None,
            llm_api_key=env.get("NEWSDESK_LLM_API_KEY") or None,
            encoder=env.get("NEWSDESK_ENCODER") or cls.encoder,
            embeddings_url=env.get("NEWSDESK_EMBEDDINGS_URL") or None,
            embeddings_model=env.get("NEWSDESK_EMBEDDINGS_MODEL") or None,
            embeddings_api_key=env.get("NEWSDESK_EMBEDDINGS_API_KEY") or None,
            vectors=env.get("NEWSDESK_VECTORS") or cls.vectors,
            milvus_collection=env.get("NEWSDESK_MILVUS_COLLECTION") or cls.milvus_collection,
            milvus_token=env.get("NEWSDESK_MILVUS_TOKEN") or None,
        )


def _switch(value: str | None, default: bool) -> bool:
    """An on/off environment variable: 0, false, no and off turn it off."""
    return default if not value else value.lower() not in ("0", "false", "no", "off")


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
    # Generated answers waiting or running at most; beyond, the extractive answer stands.
    generation_queue: int = 3
    webhook_url: str | None = None  # None: long polling
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443
    webhook_secret: str | None = field(default=None, repr=False)
    # The bot polls due feeds, matches follows and sends alerts this often (seconds).
    feed_check_every: float = 60.0
    alerts_per_hour: int = 3  # per chat; beyond that the rest wait and go as one message
    # Who may /follow and /unfollow in groups: "everyone", or "admins" (NEWSDESK_ADMINS).
    group_follows: str = "everyone"
