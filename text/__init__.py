"""Text utilities every layer uses: query terms, stop words, sentences, Arabic, SimHash."""

# This folder installs as newsdesk.text; imported as `text` from the project root it would be a
# second copy of every module (two Settings classes, two archives' worth of state).
if __name__ != "newsdesk.text":
    raise ImportError(f"the folder text/ installs as newsdesk.text: import that, not {__name__}")
