"""newsdesk: question answering over a news archive.

The library API; the `newsdesk` command and the Telegram bot are thin layers over it::

    from newsdesk import Newsdesk, Settings

    with Newsdesk(Settings(home="~/news")) as desk:
        desk.ingest(["articles.jsonl"])
        print(desk.ask("Who was killed in Jassim?").text)
"""

from newsdesk.config import BotSettings, Settings
from newsdesk.errors import (
    ArchiveError,
    ArticleNotFound,
    EmptyArchiveError,
    ModelMismatchError,
    NewsdeskError,
    QueryError,
    ReadError,
    SearchIndexError,
)
from newsdesk.index.answer import Answer, FollowUp, Source
from newsdesk.index.desk import Newsdesk
from newsdesk.ingest.archive import ArchiveStats, Article, Filters

__all__ = [
    "Answer",
    "ArchiveError",
    "ArchiveStats",
    "Article",
    "ArticleNotFound",
    "BotSettings",
    "EmptyArchiveError",
    "Filters",
    "FollowUp",
    "ModelMismatchError",
    "Newsdesk",
    "NewsdeskError",
    "QueryError",
    "ReadError",
    "SearchIndexError",
    "Settings",
    "Source",
]
