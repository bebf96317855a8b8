"""Input: reading, normalising, chunking and storing articles (the store is ingest/store)."""

# This folder installs as newsdesk.ingest; imported as `ingest` from the project root it would be a
# second copy of every module (two Settings classes, two archives' worth of state).
if __name__ != "newsdesk.ingest":
    raise ImportError(
        "import newsdesk.ingest, not ingest: the folder ingest/ installs as newsdesk.ingest"
    )
