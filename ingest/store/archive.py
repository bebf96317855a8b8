"""The article archive: one SQLite file holding articles, their chunks and a full-text index."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlite_utils

from newsdesk.errors import ArchiveError, ArticleNotFound
from newsdesk.ingest.models import Chunk, Entity, RawArticle
from newsdesk.ingest.store.records import (
    ArchiveStats,
    Article,
    ChunkHit,
    Filters,
    Status,
    StoreResult,
)
from newsdesk.ingest.store.schema import migrate
from newsdesk.text import arabic
from newsdesk.text import simhash as dedup

OPEN_TIMEOUT = 30.0  # seconds to wait for another process to finish creating the archive


def identity(article: RawArticle) -> str:
    """External id, else canonical URL, else a hash of the text."""
    if article.external_id:
        return f"id:{article.external_id}"
    if article.url:
        parts = urlsplit(article.url.strip())
        path = parts.path.rstrip("/") or "/"
        return "url:" + urlunsplit(
            (parts.scheme.lower(), parts.netloc.lower(), path, parts.query, "")
        )
    return "sha:" + hashlib.sha256(article.text.encode()).hexdigest()


def _content_hash(article: RawArticle) -> str:
    fields = [
        article.title,
        article.text,
        article.date,
        article.source,
        article.url,
        article.author,
        article.place,
        article.language,
        article.metadata,
    ]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Archive:
    """The SQLite archive. Safe to share between threads; every write is one transaction."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # The bot answers on worker threads; the lock below serialises access.
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            # Python's folding in SQL, so migrations can re-fold what is already stored.
            conn.create_function("newsdesk_fold", 1, arabic.fold, deterministic=True)
            conn.create_function("newsdesk_names", 1, _names_json, deterministic=True)
            self.db = sqlite_utils.Database(conn)
            self._prepare()
        except sqlite3.DatabaseError as e:
            raise ArchiveError(f"cannot open the archive {path}: {e}") from None
        self._lock = threading.RLock()

    def _prepare(self) -> None:
        """WAL mode and migrations, retried while another process is creating the archive.

        Switching the journal mode needs the database to itself and fails at once, without
        waiting for the busy timeout, while another process holds a lock on it.
        """
        deadline = time.monotonic() + OPEN_TIMEOUT
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                migrate(self.db)
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, locked from its start (BEGIN IMMEDIATE).

        With a plain BEGIN, a transaction that reads before it writes fails at once with
        "database is locked" when another process wrote in between; taken up front, the
        write lock makes a concurrent ingest wait its turn (up to the 30 s busy timeout).
        """
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.rollback()
                raise
            self.db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows a read-only query returns."""
        with self._lock:
            return self.db.execute(sql, list(params)).fetchall()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [key, value])

    # -- writes -------------------------------------------------------------------------------

    def store(
        self,
        article: RawArticle,
        chunks: Sequence[Chunk],
        entities: tuple[str, Sequence[Entity]] | None = None,
    ) -> StoreResult:
        """Add or update one article with its chunks and, when given, its named entities (the
        model that found them, and their spans), atomically."""
        uid, digest = identity(article), _content_hash(article)
        title = article.title or article.text.split("\n", 1)[0][:200]
        with self.transaction():
            row = self.db.execute(
                "SELECT id, content_hash, cluster_id FROM articles WHERE uid = ?", [uid]
            ).fetchone()
            if row and row[1] == digest:
                return StoreResult("unchanged", row[0])
            sh = dedup.simhash(article.text)
            values = {
                "uid": uid,
                "external_id": article.external_id,
                "url": article.url,
                "title": title,
                "text": article.text,
                "date": article.date,
                "source": article.source,
                "place": article.place,
                "author": article.author,
                "language": article.language,
                "origin": article.origin,
                "metadata": json.dumps(article.metadata, ensure_ascii=False, default=str),
                "content_hash": digest,
                "simhash": dedup.to_signed(sh),
                "updated_at": _now(),
            } | {f"sh{i}": b for i, b in enumerate(dedup.bands(sh))}
            if row:
                article_id, removed = row[0], self._drop_chunks(row[0])
                self.db.table("articles").update(article_id, values)
                duplicate_of = None
                status: Status = "updated"
            else:
                duplicate_of, cluster = self._near_duplicate(sh)
                values |= {"ingested_at": values["updated_at"]}
                article_id = self._insert("articles", values)
                self.db.table("articles").update(article_id, {"cluster_id": cluster or article_id})
                removed, status = [], "added"
            for chunk in chunks:
                chunk_id = self._insert(
                    "chunks",
                    {
                        "article_id": article_id,
                        "seq": chunk.seq,
                        "start": chunk.start,
                        "end": chunk.end,
                        "text": chunk.text,
                        "embedded": 0,
                    },
                )
                self.db.execute(
                    "INSERT INTO chunks_fts (rowid, text, title) VALUES (?, ?, ?)",
                    [chunk_id, arabic.fold(chunk.text), arabic.fold(title)],
                )
                self.db.conn.executemany(
                    "INSERT INTO names VALUES (?, ?, 1) "
                    "ON CONFLICT (name) DO UPDATE SET chunks = chunks + 1",
                    _named(chunk.text),
                )
            if entities is not None:
                self._put_entities(article_id, *entities)
            return StoreResult(status, article_id, duplicate_of, removed)

    def _put_entities(self, article_id: int, model: str, entities: Sequence[Entity]) -> None:
        self.db.execute("DELETE FROM entities WHERE article_id = ?", [article_id])
        self.db.conn.executemany(
            "INSERT INTO entities VALUES (?, ?, ?, ?)", [(article_id, *e) for e in entities]
        )
        self.db.execute("UPDATE articles SET entities_model = ? WHERE id = ?", [model, article_id])

    def set_entities(self, article_id: int, model: str, entities: Sequence[Entity]) -> None:
        """Replace an article's named entities (found later than it was stored)."""
        with self.transaction():
            self._put_entities(article_id, model, entities)

    def entities(self, article_ids: Sequence[int]) -> dict[int, list[Entity]]:
        """The named entities of these articles, in text order (none for an article whose
        entities were not looked for)."""
        found: dict[int, list[Entity]] = {a: [] for a in article_ids}
        if not article_ids:
            return found
        marks = ",".join("?" * len(article_ids))
        rows = self.rows(
            f"SELECT article_id, start, end, label FROM entities WHERE article_id IN ({marks}) "
            "ORDER BY article_id, start",
            list(article_ids),
        )
        for article_id, start, end, label in rows:
            found[article_id].append((start, end, label))
        return found

    def lacking_entities(self, model: str, limit: int = 64) -> list[tuple[int, str, str | None]]:
        """(id, text, language) of articles whose entities `model` has not looked for."""
        return [
            (r[0], r[1], r[2])
            for r in self.rows(
                "SELECT id, text, language FROM articles "
                "WHERE entities_model IS NULL OR entities_model != ? ORDER BY id LIMIT ?",
                [model, limit],
            )
        ]

    def count_lacking_entities(self, model: str) -> int:
        return int(
            self.rows(
                "SELECT count(*) FROM articles WHERE entities_model IS NULL OR entities_model != ?",
                [model],
            )[0][0]
        )

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        rowid = self.db.table(table).insert(values).last_rowid
        assert rowid is not None  # an INSERT into a rowid table always yields one
        return rowid

    def _near_duplicate(self, sh: int) -> tuple[int | None, int | None]:
        """(article id, cluster id) of an already stored near-copy of this text, if any."""
        probes = dedup.probes(sh)
        where = " OR ".join(
            f"sh{i} IN ({', '.join('?' * len(values))})" for i, values in enumerate(probes)
        )
        for other_id, other_sh, cluster in self.db.execute(
            f"SELECT id, simhash, cluster_id FROM articles WHERE {where} ORDER BY id",
            [v for values in probes for v in values],
        ):
            if dedup.distance(sh, other_sh) <= dedup.NEAR_DUPLICATE_BITS:
                return other_id, cluster
        return None, None

    def _drop_chunks(self, article_id: int) -> list[int]:
        ids = self._ids("SELECT id FROM chunks WHERE article_id = ?", [article_id])
        for chunk_id in ids:
            self.db.execute("DELETE FROM chunks_fts WHERE rowid = ?", [chunk_id])
            self.db.execute("INSERT OR IGNORE INTO removed_chunks (id) VALUES (?)", [chunk_id])
        self.db.execute("DELETE FROM chunks WHERE article_id = ?", [article_id])
        return ids

    def delete(self, article_id: int) -> list[int]:
        """Remove an article and its chunks; returns the chunk ids whose vectors must go."""
        with self.transaction():
            if not self.db.execute("SELECT 1 FROM articles WHERE id = ?", [article_id]).fetchone():
                raise ArticleNotFound(f"no article with id {article_id}")
            removed = self._drop_chunks(article_id)
            self.db.execute("DELETE FROM entities WHERE article_id = ?", [article_id])
            self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
        return removed

    # -- index bookkeeping ---------------------------------------------------------------------

    def _ids(self, sql: str, params: Sequence[Any] = ()) -> list[int]:
        """The first column of a query, as ints."""
        with self._lock:
            return [r[0] for r in self.db.execute(sql, list(params))]

    def pending_chunks(self, limit: int = 256) -> list[ChunkHit]:
        """Chunks stored but not yet embedded into the vector index."""
        ids = self._ids("SELECT id FROM chunks WHERE embedded = 0 ORDER BY id LIMIT ?", [limit])
        return self.chunks(ids)

    def count_pending(self) -> int:
        with self._lock:
            return int(
                self.db.execute("SELECT count(*) FROM chunks WHERE embedded = 0").fetchone()[0]
            )

    def mark_embedded(self, chunk_ids: Sequence[int], embedded: bool = True) -> None:
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE chunks SET embedded = ? WHERE id = ?",
                [(int(embedded), i) for i in chunk_ids],
            )

    def mark_all_unembedded(self) -> None:
        with self._lock:
            self.db.execute("UPDATE chunks SET embedded = 0")

    def removed_chunk_ids(self) -> list[int]:
        return self._ids("SELECT id FROM removed_chunks")

    def forget_removed(self, chunk_ids: Sequence[int]) -> None:
        with self.transaction():
            self.db.conn.executemany(
                "DELETE FROM removed_chunks WHERE id = ?", [(i,) for i in chunk_ids]
            )

    def embedded_chunk_ids(self) -> list[int]:
        return self._ids("SELECT id FROM chunks WHERE embedded = 1")

    def all_chunk_ids(self) -> list[int]:
        return self._ids("SELECT id FROM chunks ORDER BY id")

    def multilingual_chunk_ids(self, *, embedded_only: bool = False) -> list[int]:
        """The chunks the multilingual vector set holds: every passage of an article not known
        to be English, the lead passage of an English one (index/vectors/multilingual.py says why);
        `embedded_only` leaves out those whose MiniLM vector is still pending too."""
        pending = " AND c.embedded = 1" if embedded_only else ""
        return self._ids(
            "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id "
            f"WHERE (coalesce(a.language, '') != 'en' OR c.seq = 0){pending} ORDER BY c.id"
        )

    # -- reads --------------------------------------------------------------------------------

    def get(self, ref: int | str) -> Article:
        """An article by row id, or by external id when `ref` is not a number."""
        with self._lock:
            # ASCII digits that fit SQLite's integer; anything else can only be an external id.
            if isinstance(ref, int) or re.fullmatch(r"\d{1,18}", ref, re.ASCII):
                rows = list(self.db.query("SELECT * FROM articles WHERE id = ?", [int(ref)]))
            else:
                rows = []
            if not rows:
                rows = list(
                    self.db.query("SELECT * FROM articles WHERE external_id = ?", [str(ref)])
                )
        if not rows:
            raise ArticleNotFound(f"no article with id {ref}")
        return _article(rows[0])

    def articles(self, filters: Filters = Filters(), limit: int | None = 20) -> list[Article]:
        """Newest first (by publication date, then by when ingested)."""
        where, params = filters.sql()
        order = "a.date IS NULL, a.date DESC, a.id DESC"
        sql = f"SELECT * FROM articles a WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._lock:
            return [_article(r) for r in self.db.query(sql, params)]

    def chunks(self, chunk_ids: Sequence[int]) -> list[ChunkHit]:
        """The chunks with these ids that still exist, in the order given."""
        if not chunk_ids:
            return []
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = list(
                self.db.query(
                    f"SELECT c.id AS chunk_id, c.text AS chunk_text, c.start, c.end, a.* "
                    f"FROM chunks c JOIN articles a ON a.id = c.article_id WHERE c.id IN ({marks})",
                    list(chunk_ids),
                )
            )
        by_id = {r["chunk_id"]: r for r in rows}
        return [
            ChunkHit(
                i, by_id[i]["chunk_text"], by_id[i]["start"], by_id[i]["end"], _article(by_id[i])
            )
            for i in chunk_ids
            if i in by_id
        ]

    def article_chunks(self, article_id: int) -> list[ChunkHit]:
        ids = self._ids("SELECT id FROM chunks WHERE article_id = ? ORDER BY seq", [article_id])
        return self.chunks(ids)

    def keyword_search(
        self, match: str, k: int, filters: Filters = Filters()
    ) -> list[tuple[int, float]]:
        """(chunk id, bm25 score; higher is better) for an FTS5 MATCH expression."""
        where, params = filters.sql()
        with self._lock:
            rows = self.db.execute(
                "SELECT f.rowid, -bm25(chunks_fts, 1.0, 0.5) AS score FROM chunks_fts f "
                "JOIN chunks c ON c.id = f.rowid JOIN articles a ON a.id = c.article_id "
                f"WHERE chunks_fts MATCH ? AND {where} ORDER BY score DESC LIMIT ?",
                [match, *params, k],
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def term_frequencies(self, terms: Sequence[str], cap: int) -> tuple[int, list[int]]:
        """Passages in the archive, and passages holding each (folded) term, counted up to
        `cap`: past it a word is common anyway, and counting stops early on a big archive."""
        with self._lock:
            total = self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            counts = [
                self.db.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? "
                    "LIMIT ?)",
                    ['"' + t.replace('"', "") + '"', cap],
                ).fetchone()[0]
                for t in terms
            ]
        return total, counts

    def names_like(self, skeleton: str, limit: int = 2) -> list[str]:
        """The archive's Latin names with this consonant skeleton, the most used first.

        Only words the archive writes capitalised in at least half the passages that hold
        them: "Exactly" opening a sentence shares قتل's skeleton, and is no name."""
        rows = self.rows(
            "SELECT name, chunks FROM names WHERE skeleton = ? ORDER BY chunks DESC LIMIT ?",
            [skeleton, limit * 4],
        )
        if not rows:
            return []
        cap = 2 * max(r[1] for r in rows) + 1
        _, counts = self.term_frequencies([r[0] for r in rows], cap)
        return [r[0] for r, df in zip(rows, counts, strict=True) if 2 * r[1] >= df][:limit]

    def allowed_chunk_ids(self, chunk_ids: Sequence[int], filters: Filters) -> set[int]:
        """Which of these chunks exist and pass the filters."""
        if not chunk_ids:
            return set()
        where, params = filters.sql()
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            return {
                r[0]
                for r in self.db.execute(
                    f"SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id "
                    f"WHERE c.id IN ({marks}) AND {where}",
                    [*chunk_ids, *params],
                )
            }

    def story(self, cluster_id: int, filters: Filters = Filters()) -> list[Article]:
        """The articles of one story (near-copies of each other), oldest first."""
        where, params = filters.sql()
        sql = f"SELECT * FROM articles a WHERE cluster_id = ? AND {where} ORDER BY date, id"
        with self._lock:
            return [_article(r) for r in self.db.query(sql, [cluster_id, *params])]

    def is_empty(self) -> bool:
        with self._lock:
            return self.db.execute("SELECT 1 FROM articles LIMIT 1").fetchone() is None

    def has_other_languages(self) -> bool:
        """Whether any article is not known to be English (MiniLM reads English only)."""
        # Three ranges, not `!=`, so that SQLite seeks in articles_language.
        sql = (
            "SELECT 1 FROM articles WHERE language IS NULL OR language < 'en' "
            "OR language > 'en' LIMIT 1"
        )
        with self._lock:
            return self.db.execute(sql).fetchone() is not None

    def stats(self) -> ArchiveStats:
        with self._lock:
            one = self.db.execute(
                "SELECT count(*), count(DISTINCT source), min(date), max(date), max(updated_at), "
                "count(DISTINCT cluster_id) FROM articles"
            ).fetchone()
            chunks, pending = self.db.execute(
                "SELECT count(*), coalesce(sum(embedded = 0), 0) FROM chunks"
            ).fetchone()
            outlets = self.db.execute(
                "SELECT source, count(*) FROM articles WHERE source IS NOT NULL "
                "GROUP BY source ORDER BY count(*) DESC LIMIT 10"
            ).fetchall()
        return ArchiveStats(
            articles=one[0],
            outlets=one[1],
            earliest=one[2],
            latest=one[3],
            last_ingest=one[4],
            stories=one[5],
            chunks=chunks,
            unindexed_chunks=pending,
            top_outlets={name: n for name, n in outlets},
        )


def _article(row: dict[str, Any]) -> Article:
    return Article(
        id=row["id"],
        uid=row["uid"],
        title=row["title"],
        text=row["text"],
        external_id=row["external_id"],
        url=row["url"],
        date=row["date"],
        source=row["source"],
        place=row["place"],
        author=row["author"],
        language=row["language"],
        metadata=json.loads(row["metadata"] or "{}"),
        origin=row["origin"],
        cluster_id=row["cluster_id"],
        ingested_at=row["ingested_at"],
        updated_at=row["updated_at"],
    )


def _named(text: str) -> list[tuple[str, str]]:
    """(name, skeleton) for the Latin names of a text that have a usable skeleton."""
    return [(n, sk) for n in sorted(arabic.latin_names(text)) if (sk := arabic.skeleton(n))]


def _names_json(text: str) -> str:
    return json.dumps(_named(text))
