"""Named errors. Each message says what went wrong; the CLI and the bot add how to fix it,
each in its reader's terms (a command to run, or a word for a chat user)."""


class NewsdeskError(Exception):
    """Base class for every error newsdesk reports to a user."""


class ReadError(NewsdeskError):
    """An input could not be read as an article (corrupt, empty, too large, unreachable)."""


class ArchiveError(NewsdeskError):
    """The archive database is missing, unreadable or from an incompatible version."""


class ArticleNotFound(NewsdeskError):
    """No article in the archive has the given id."""


class SearchIndexError(NewsdeskError):
    """The FAISS index file is missing, corrupt or out of step with the archive."""


class ModelMismatchError(SearchIndexError):
    """The archive was indexed with a different embedding model than the one configured."""


class EmbeddingError(NewsdeskError):
    """An embedding model could not be loaded, or an embeddings server reached or understood."""


class QueryError(NewsdeskError):
    """A search query or question cannot be used (empty, only punctuation, …)."""


class EmptyArchiveError(NewsdeskError):
    """The archive holds no articles yet."""


class GenerationError(NewsdeskError):
    """A language model could not be loaded or reached, or failed to answer."""


class FeedError(NewsdeskError):
    """A feed cannot be followed: not a feed, unreachable, or followed already."""


class FeedNotFound(FeedError):
    """No followed feed has the given number or URL."""


class FollowNotFound(NewsdeskError):
    """A chat follows no story with the given number or topic."""
