"""The SQLite archive: articles and chunks, feeds, follows and what the bot remembers."""
