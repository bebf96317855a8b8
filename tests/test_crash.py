"""A process killed with SIGKILL mid-ingest leaves a consistent, usable archive."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import ArchiveError
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.ingest.store.archive import Archive

from conftest import NEWSDESK

ARTICLES = 150


def write_corpus(path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in range(ARTICLES):
            sentences = " ".join(
                f"Report {i} sentence {j}: officials in town {i} described event {j}."
                for j in range(6)
            )
            f.write(
                json.dumps({"id": f"n{i}", "title": f"Report number {i}", "text": sentences}) + "\n"
            )


def stored_articles(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_sigkill_mid_ingest_leaves_whole_articles(
    tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus)
    env = os.environ | {"HF_HUB_OFFLINE": "1", "NEWSDESK_HOME": str(settings.home)}
    proc = subprocess.Popen(
        [*NEWSDESK, "ingest", "-q", str(corpus)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while stored_articles(settings.db_path) < 20 and time.monotonic() < deadline:
        assert proc.poll() is None, "ingest finished before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()

    with Newsdesk(settings, embedder=embedder) as desk:
        stored = desk.archive.articles(limit=None)
        assert 0 < len(stored) < ARTICLES
        for article in stored:
            chunks = desk.archive.article_chunks(article.id)
            assert chunks and article.text.endswith(chunks[-1].text)
        report = desk.check()
        assert report.ok, report  # pending chunks are fine; missing or stale vectors are not
        # Running the same ingest again finishes the job.
        summary = desk.ingest([str(corpus)]).summary()
        assert summary["added"] + summary["unchanged"] + summary["duplicates"] == ARTICLES
        assert summary["unchanged"] == len(stored)
        assert desk.check().ok and not desk.check().pending
        assert desk.search("Report 149 officials town 149")[0].article.external_id == "n149"


def test_two_ingests_at_once_both_finish(
    tmp_path: Path, settings: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    env = os.environ | {"HF_HUB_OFFLINE": "1", "NEWSDESK_HOME": str(settings.home)}
    runs = []
    # Both store (SQLite write locks) and embed (the index file lock) at the same time.
    for name in ("east", "west"):
        corpus = tmp_path / f"{name}.jsonl"
        with corpus.open("w", encoding="utf-8") as f:
            for i in range(150):
                text = f"The {name} desk filed report {i} on water shortages in district {i}. " * 3
                f.write(
                    json.dumps({"id": f"{name}{i}", "title": f"{name} {i}", "text": text}) + "\n"
                )
        runs.append(
            subprocess.Popen(
                [*NEWSDESK, "ingest", "-q", str(corpus)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in runs:
        _, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    with Newsdesk(settings, embedder=embedder) as desk:
        assert len(desk.archive.articles(limit=None)) == 300
        report = desk.check()
        assert report.ok and not report.pending and report.vectors == report.chunks


def _open_archive(path: str) -> str:
    try:
        Archive(Path(path)).close()
        return "ok"
    except ArchiveError as e:
        return str(e)


def test_processes_creating_one_archive_at_once_all_open_it(tmp_path: Path) -> None:
    # Six processes racing to create one archive: without the retry, a journal-mode switch is
    # refused at once while another process holds the new file ("database is locked").
    with multiprocessing.get_context("fork").Pool(6) as pool:
        for round_ in range(60):
            path = str(tmp_path / f"a{round_}" / "archive.db")
            assert set(pool.map(_open_archive, [path] * 6)) == {"ok"}
