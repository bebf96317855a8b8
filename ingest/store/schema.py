"""The archive's SQLite schema, as numbered migrations applied in order."""

from __future__ import annotations

import sqlite_utils

from newsdesk.errors import ArchiveError

# Each entry moves the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        uid TEXT NOT NULL UNIQUE,
        external_id TEXT,
        url TEXT,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        date TEXT,
        source TEXT,
        place TEXT,
        author TEXT,
        language TEXT,
        metadata TEXT NOT NULL DEFAULT '{}',
        origin TEXT,
        content_hash TEXT NOT NULL,
        simhash INTEGER NOT NULL,
        sh0 INTEGER, sh1 INTEGER, sh2 INTEGER, sh3 INTEGER,
        cluster_id INTEGER,
        ingested_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX articles_external_id ON articles(external_id);
    CREATE INDEX articles_date ON articles(date);
    CREATE INDEX articles_source ON articles(source COLLATE NOCASE);
    CREATE INDEX articles_sh0 ON articles(sh0);
    CREATE INDEX articles_sh1 ON articles(sh1);
    CREATE INDEX articles_sh2 ON articles(sh2);
    CREATE INDEX articles_sh3 ON articles(sh3);
    -- AUTOINCREMENT: a chunk id is its FAISS id, so ids of deleted chunks must never come back.
    CREATE TABLE chunks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        seq INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        text TEXT NOT NULL,
        embedded INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX chunks_article ON chunks(article_id);
    CREATE INDEX chunks_pending ON chunks(embedded) WHERE embedded = 0;
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        text, title, tokenize = 'porter unicode61 remove_diacritics 2'
    );
    -- Chunk ids whose vectors are still to be dropped from the FAISS index.
    CREATE TABLE removed_chunks (id INTEGER PRIMARY KEY);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER,
        user_id INTEGER,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        rating INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    """
    -- What the bot remembers across restarts. Answers by the messages that carried them, for
    -- follow-ups, the Sources button and feedback (JSON; unix times, so old ones expire).
    CREATE TABLE bot_answers (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        answer TEXT NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (chat_id, message_id)
    );
    CREATE INDEX bot_answers_created ON bot_answers(created_at);
    CREATE TABLE bot_votes (
        chat_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        PRIMARY KEY (chat_id, message_id, user_id)
    );
    -- When each user asked, per budget ("chat", "inline"): budgets hold across restarts.
    CREATE TABLE bot_questions (scope TEXT NOT NULL, user_id INTEGER NOT NULL, at REAL NOT NULL);
    CREATE INDEX bot_questions_user ON bot_questions(scope, user_id, at);
    """,
    """
    -- Arabic: the keyword index holds folded text (see text/arabic.py), so أحمد, احمد and
    -- أَحْمَد are one word; names holds the archive's Latin names by consonant skeleton, for
    -- Arabic questions about names spelled in English ("جاسم" → "Jassim").
    DELETE FROM chunks_fts;
    INSERT INTO chunks_fts (rowid, text, title)
        SELECT c.id, newsdesk_fold(c.text), newsdesk_fold(a.title)
        FROM chunks c JOIN articles a ON a.id = c.article_id;
    CREATE TABLE names (name TEXT PRIMARY KEY, skeleton TEXT NOT NULL, chunks INTEGER NOT NULL);
    CREATE INDEX names_skeleton ON names(skeleton);
    INSERT INTO names (name, skeleton, chunks)
        SELECT j.value ->> 0, j.value ->> 1, count(*)
        FROM chunks c, json_each(newsdesk_names(c.text)) j GROUP BY 1;
    """,
    """
    -- Followed feeds and what their servers last said (unix times; conditional GET state).
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        url TEXT NOT NULL UNIQUE,
        source TEXT,
        title TEXT,
        every REAL NOT NULL,
        ttl REAL,
        etag TEXT,
        last_modified TEXT,
        next_poll REAL NOT NULL DEFAULT 0,
        last_poll REAL,
        last_ok REAL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_status TEXT,
        articles INTEGER NOT NULL DEFAULT 0,
        added_at REAL NOT NULL
    );
    -- Stories followed in chats; an alert may only fire for articles after `after_article`.
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL,
        topic TEXT NOT NULL,
        user_id INTEGER,
        after_article INTEGER NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (chat_id, topic)
    );
    -- Alerts to send (sent_at NULL) and sent, one per chat and story; alerts sent in one
    -- message share their `message` number (hourly budgets count messages).
    CREATE TABLE alerts (
        chat_id INTEGER NOT NULL,
        story INTEGER NOT NULL,
        article_id INTEGER NOT NULL,
        follow_id INTEGER NOT NULL,
        score REAL NOT NULL,
        created_at REAL NOT NULL,
        sent_at REAL,
        message INTEGER,
        PRIMARY KEY (chat_id, story)
    );
    CREATE INDEX alerts_unsent ON alerts(chat_id) WHERE sent_at IS NULL;
    """,
    """
    -- An English question asks the multilingual set only when some article is in another
    -- language (index/search/hybrid.py): this index answers that without reading every article.
    CREATE INDEX IF NOT EXISTS articles_language ON articles(language);
    """,
    """
    -- Named entities of English articles (ingest/entities.py): character offsets in the
    -- article's text and the model's label. `entities_model` says which model found them
    -- (NULL: not looked for yet; `newsdesk check` counts those, `reindex` fills them in).
    CREATE TABLE entities (
        article_id INTEGER NOT NULL,
        start INTEGER NOT NULL,
        end INTEGER NOT NULL,
        label TEXT NOT NULL
    );
    CREATE INDEX entities_article ON entities(article_id);
    ALTER TABLE articles ADD COLUMN entities_model TEXT;
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database up to SCHEMA_VERSION, refusing one written by a newer newsdesk."""
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
    # Locked from the start: two processes opening a new archive at once must not both
    # create its tables.
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise ArchiveError(
                f"the archive has schema version {version}, newer than this newsdesk "
                f"({SCHEMA_VERSION}); upgrade newsdesk"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[number]):
                db.execute(statement)
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(number + 1)],
            )
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
