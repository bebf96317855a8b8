"""newsdesk: question answering over a news archive.

The library API; the `newsdesk` command and the Telegram bot are thin layers over it and import
nothing else (tests/test_layout.py)::

    from newsdesk import Newsdesk, Settings

    with Newsdesk(Settings(home="~/news")) as desk:
        desk.ingest(["articles.jsonl"])
        print(desk.ask("Who was killed in Jassim?").text)
"""

from newsdesk.config import BotSettings, Settings
from newsdesk.desk import DeskStats, Newsdesk
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
from newsdesk.evaluate import evaluate, load_questions
from newsdesk.index.generate.writer import JUDGED_OUT, Writing
from newsdesk.index.read.answerer import format_answer_text
from newsdesk.index.read.types import NOTHING, UNSURE, Answer, FollowUp, Source
from newsdesk.index.search.hybrid import Hit, Mode
from newsdesk.index.stories.chart import DayCount, TimelineChart, plot_timeline
from newsdesk.index.stories.entities import EntityProfile, Mention, RelatedName
from newsdesk.index.stories.timeline import TimelineEntry
from newsdesk.ingest.feeds import PollResult
from newsdesk.ingest.pipeline import IngestReport
from newsdesk.ingest.readers import KIND_BY_EXTENSION
from newsdesk.ingest.store.feeds import Feed
from newsdesk.ingest.store.follows import AlertMessage, Follow
from newsdesk.ingest.store.records import ArchiveStats, Article, Filters
from newsdesk.text.arabic import has_arabic

__all__ = [
    "JUDGED_OUT",
    "KIND_BY_EXTENSION",
    "NOTHING",
    "UNSURE",
    "AlertMessage",
    "Answer",
    "ArchiveError",
    "ArchiveStats",
    "Article",
    "ArticleNotFound",
    "BotSettings",
    "DayCount",
    "DeskStats",
    "EmptyArchiveError",
    "EntityProfile",
    "Feed",
    "Filters",
    "Follow",
    "FollowUp",
    "Hit",
    "IngestReport",
    "Mention",
    "Mode",
    "ModelMismatchError",
    "Newsdesk",
    "NewsdeskError",
    "PollResult",
    "QueryError",
    "ReadError",
    "RelatedName",
    "SearchIndexError",
    "Settings",
    "Source",
    "TimelineChart",
    "TimelineEntry",
    "Writing",
    "evaluate",
    "format_answer_text",
    "has_arabic",
    "load_questions",
    "plot_timeline",
]
