"""Finding and reading: vectors, hybrid search, answers, generated answers, stories."""

# This folder installs as newsdesk.index; imported as `index` from the project root it would be a
# second copy of every module (two Settings classes, two archives' worth of state).
if __name__ != "newsdesk.index":
    raise ImportError(
        "import newsdesk.index, not index: the folder index/ installs as newsdesk.index"
    )
