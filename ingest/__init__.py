"""Reading, normalising, chunking and storing news articles: the archive newsdesk answers from."""
