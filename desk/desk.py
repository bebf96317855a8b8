"""The facade: everything the CLI and the bot call, over one archive and its vector index."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import BinaryIO

from newsdesk.config import Settings
from newsdesk.errors import FeedError, NewsdeskError
from newsdesk.index.generate.llm import ChatModel, load_chat_model
from newsdesk.index.generate.writer import GenerativeReader, Writing
from newsdesk.index.read.answerer import Answer, Answerer, FollowUp
from newsdesk.index.read.model import load_model
from newsdesk.index.search.hybrid import Hit, Mode, Searcher
from newsdesk.index.stories.entities import EntityProfile, profile_entity
from newsdesk.index.stories.matching import Matcher, match_follows, topic_terms
from newsdesk.index.stories.timeline import CANDIDATES_PER_LINE, TimelineEntry, build_timeline
from newsdesk.index.vectors.base import StoreInfo
from newsdesk.index.vectors.embedder import Embedder
from newsdesk.index.vectors.encoders import load_encoder
from newsdesk.index.vectors.factory import stored_info
from newsdesk.index.vectors.multilingual import MultilingualEmbedder, load_multilingual
from newsdesk.index.vectors.sync import SYNC_BATCH, CheckReport, Indexer, Progress
from newsdesk.ingest.entities import NER_MODEL, entities_of, release_entity_model
from newsdesk.ingest.feeds import PollResult, check_feed, poll
from newsdesk.ingest.models import RawArticle, ReadFailure
from newsdesk.ingest.normalize import release_language_model
from newsdesk.ingest.pipeline import IngestReport, ingest
from newsdesk.ingest.readers import read_inputs
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.chats import ChatMemory
from newsdesk.ingest.store.feeds import Feed, FeedStore
from newsdesk.ingest.store.follows import AlertMessage, Follow, FollowStore
from newsdesk.ingest.store.records import ArchiveStats, Article, Filters, StoreResult
from newsdesk.text.terms import clean_query


@dataclass
class DeskStats(ArchiveStats):
    """What the archive holds, and what kind of vector index holds its vectors."""

    vector_index: str = "none yet"
    multilingual_index: str = "off"


class Newsdesk:
    """One archive, its model and its vector index. The model and the index load on first
    use (once, whichever thread gets there first), then stay; threads may share a desk."""

    def __init__(
        self,
        settings: Settings,
        *,
        embedder: Embedder | None = None,
        multilingual: Embedder | None = None,
    ) -> None:
        """`embedder` and `multilingual` replace the models the settings name (tests pass
        stand-ins); the multilingual one is used only with `Settings.multilingual` on."""
        self.settings = settings
        self.archive = Archive(settings.db_path)
        self.memory = ChatMemory(
            self.archive, keep_days=settings.memory_days, per_chat=settings.memory_per_chat
        )
        self.feed_store = FeedStore(self.archive)
        self.follow_store = FollowStore(self.archive)
        self._embedder = embedder
        self._multilingual = multilingual
        self._indexer: Indexer | None = None
        self._searcher: Searcher | None = None
        self._answerer: Answerer | None = None
        self._model: ChatModel | None = None
        self._loading = threading.RLock()

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.close()  # a Milvus connection (Milvus Lite: its folder) let go
        self.archive.close()

    def __enter__(self) -> Newsdesk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what loads on first use -----------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._loading:
                if self._embedder is None:
                    # Which encoder follows the archive's vectors (index/vectors/encoders.py).
                    dim = self.archive.get_meta("embedding_dim")
                    self._embedder = load_encoder(
                        self.settings,
                        self.archive.get_meta("embedding_model"),
                        int(dim) if dim else None,
                    )
        return self._embedder

    @property
    def multilingual(self) -> Embedder | None:
        """The multilingual model, or None with `Settings.multilingual` off."""
        if not self.settings.multilingual:
            return None
        if self._multilingual is None:
            with self._loading:
                if self._multilingual is None:
                    self._multilingual = load_multilingual(self.settings.torch_threads)
        return self._multilingual

    @property
    def indexer(self) -> Indexer:
        if self._indexer is None:
            with self._loading:
                if self._indexer is None:
                    self._indexer = Indexer(
                        self.archive,
                        self.embedder,
                        self.settings.index_path,
                        settings=self.settings,
                        multi=self.multilingual,
                    )
        return self._indexer

    @property
    def model(self) -> ChatModel:
        """The language model generated answers are written with (loaded on first use)."""
        if self._model is None:
            with self._loading:
                if self._model is None:
                    self._model = load_chat_model(self.settings)
        return self._model

    @property
    def answerer(self) -> Answerer:
        """What turns questions into answers; assign another to change how answers are made."""
        if self._answerer is None:
            with self._loading:
                if self._answerer is None:
                    learned = self.settings.entities
                    answerer = Answerer(
                        self.searcher,
                        self.archive.term_frequencies,
                        k=self.settings.answer_k,
                        entities=self.archive.entities if learned else None,
                        model=load_model() if learned else None,
                    )
                    if self.settings.reader == "generative":
                        answerer.reader = GenerativeReader(
                            self.model,
                            answerer.extractive,
                            hints=answerer.extractive.hint,
                            max_tokens=self.settings.llm_max_tokens,
                            timeout=self.settings.llm_timeout,
                        )
                    elif self.settings.reader != "extractive":
                        raise NewsdeskError(
                            f"unknown reader {self.settings.reader!r}: use extractive or generative"
                        )
                    self._answerer = answerer
        return self._answerer

    @answerer.setter
    def answerer(self, answerer: Answerer) -> None:
        self._answerer = answerer

    def warm_up(self) -> None:
        """Load the model and the index now and run the model once, so that the first
        question is as quick as the rest (a bot at start-up, a benchmark)."""
        self.embedder.encode(["warm-up"])
        if self.multilingual is not None:
            self.multilingual.encode(["warm-up"])
        _ = self.indexer

    # -- questions -----------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
    ) -> Answer:
        """A cited answer, or "found nothing" with the closest articles."""
        answer = self.answerer.ask(question, filters=filters, as_of=as_of, context=context)
        return self.reported(answer)

    def reported(self, answer: Answer) -> Answer:
        """The answer with each source's story's other outlets ("also reported by"), distinct
        outlets counted, not copies."""
        for source in answer.sources:
            article = self.archive.get(source.article_id)
            if article.cluster_id is None:
                continue
            outlets = {a.source for a in self.archive.story(article.cluster_id) if a.source}
            source.also = sorted(outlets - {source.source or ""})
        return answer

    def ask_then_write(
        self,
        question: str,
        *,
        filters: Filters = Filters(),
        as_of: date | None = None,
        context: FollowUp | None = None,
    ) -> tuple[Answer, Writing | None]:
        """The extractive answer now and, with a generative reader and an answer to improve
        on, the generated one on its way (to stream, as the bot does)."""
        answerer = self.answerer
        answer, reading = answerer.read(
            question, filters=filters, as_of=as_of, context=context, reader=answerer.extractive
        )
        answer = self.reported(answer)
        if isinstance(answerer.reader, GenerativeReader) and answer.answerable:
            return answer, answerer.reader.writing(answer, reading)
        return answer, None

    def search(
        self,
        query: str,
        k: int | None = None,
        *,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        per_story: int = 1,
        names: Sequence[str] | None = None,
    ) -> list[Hit]:
        """The k best passages (default `Settings.search_k`); `names`: other spellings of the
        query's names, as `searcher.names` gives them (looked up when not given)."""
        return self.searcher.search(
            clean_query(query),
            k or self.settings.search_k,
            filters=filters,
            mode=mode,
            per_story=per_story,
            names=names,
        )

    @property
    def searcher(self) -> Searcher:
        """Hybrid search over the archive and its vector sets (loaded on first use)."""
        if self._searcher is None:
            with self._loading:
                if self._searcher is None:
                    self._searcher = Searcher(
                        self.archive, self.embedder, self.indexer, multi=self.multilingual
                    )
        return self._searcher

    # -- the archive ---------------------------------------------------------------------

    def ingest_items(
        self,
        items: Iterable[RawArticle | ReadFailure],
        *,
        on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
        on_failure: Callable[[ReadFailure], object] | None = None,
        on_embedded: Progress | None = None,
        index: bool = True,
    ) -> IngestReport:
        """Store and index articles, embedding in batches as they arrive (unless not `index`)."""
        indexer = self.indexer if index else None

        def stored(article: RawArticle, result: StoreResult) -> None:
            if on_stored:
                on_stored(article, result)
            if indexer and self.archive.count_pending() >= SYNC_BATCH:
                indexer.sync(on_embedded, multi=False)

        with indexer.writing() if indexer else nullcontext():
            report = ingest(
                items,
                self.archive,
                self.settings,
                count_tokens=self.embedder.count_tokens,
                entities=self.settings.entities,
                on_stored=stored,
                on_failure=on_failure,
            )
            release_language_model()
            self.fill_entities()
            if indexer:
                indexer.sync(on_embedded)
        return report

    def fill_entities(self, progress: Progress | None = None) -> int:
        """Find the named entities of articles stored without them (by an older newsdesk, or
        with `Settings.entities` off); returns how many articles were read."""
        if not self.settings.entities:
            return 0
        done = 0
        while batch := self.archive.lacking_entities(NER_MODEL):
            for article_id, text, language in batch:
                self.archive.set_entities(article_id, NER_MODEL, entities_of(text, language))
            done += len(batch)
            if progress:
                progress(len(batch))
        release_entity_model()
        return done

    def ingest(
        self,
        targets: Iterable[str],
        *,
        stdin: BinaryIO | None = None,
        labels: dict[str, str] | None = None,
        on_stored: Callable[[RawArticle, StoreResult], object] | None = None,
        on_failure: Callable[[ReadFailure], object] | None = None,
        on_embedded: Progress | None = None,
        index: bool = True,
    ) -> IngestReport:
        """Read files, directories, URLs or stdin ("-") into the archive and the index.

        `labels` renames targets in the report (an uploaded file's temporary path → its name).
        """
        items: Iterable[RawArticle | ReadFailure] = read_inputs(targets, self.settings, stdin)
        if labels:
            items = (_relabel(item, labels) for item in items)
        return self.ingest_items(
            items,
            on_stored=on_stored,
            on_failure=on_failure,
            on_embedded=on_embedded,
            index=index,
        )

    def get(self, ref: int | str) -> Article:
        """An article by its id or its external id (ArticleNotFound when there is none)."""
        return self.archive.get(ref)

    def articles(self, filters: Filters = Filters(), limit: int | None = 20) -> list[Article]:
        """Articles, newest first."""
        return self.archive.articles(filters, limit=limit)

    def delete(self, article_id: int) -> Article:
        """Remove an article from the archive and its vectors from the index; returns it."""
        indexer = self.indexer  # first: an unusable index must stop the delete, not follow it
        article = self.archive.get(article_id)
        self.archive.delete(article_id)
        indexer.sync()
        return article

    def stats(self) -> DeskStats:
        multi = str(self.vector_info(multi=True)) if self.settings.multilingual else "off"
        return DeskStats(
            **asdict(self.archive.stats()),
            vector_index=str(self.vector_info()),
            multilingual_index=multi,
        )

    def vector_info(self, *, multi: bool = False) -> StoreInfo | str:
        """The index in use, or else the file's, mapped: `stats` need not load the model.
        `multi`: the multilingual set's."""
        if self._indexer is not None:
            vectors = self._indexer.multi if multi else self._indexer.vectors
            return vectors.info() if vectors is not None else "off"
        dim = (
            MultilingualEmbedder.dim if multi else int(self.archive.get_meta("embedding_dim") or 0)
        )
        return stored_info(self.settings, self.archive, dim, multi=multi)

    def feedback(
        self, *, chat_id: int | None, user_id: int | None, question: str, answer: str, rating: int
    ) -> None:
        """Record a 👍 (1) or 👎 (-1) on an answer."""
        self.memory.feedback(
            chat_id=chat_id, user_id=user_id, question=question, answer=answer, rating=rating
        )

    # -- followed feeds -------------------------------------------------------------------

    def add_feed(self, url: str, *, every: float | None = None, source: str | None = None) -> Feed:
        """Follow an RSS or Atom feed (fetched once now to check it is one; FeedError if not).
        Its items come in with the next `poll_feeds`."""
        if self.feed_store.known_feed(url):
            raise FeedError(f"the feed {url} is followed already")
        document = check_feed(url, self.settings)
        every = self.settings.feed_every if every is None else every
        return self.feed_store.add(url, every=every, source=source, title=document.title)

    def feeds(self) -> list[Feed]:
        """The followed feeds, with how their last poll went."""
        return self.feed_store.all()

    def remove_feed(self, ref: str | int) -> Feed:
        """Stop following a feed (by number or URL); its articles stay."""
        return self.feed_store.remove(ref)

    def next_feed_poll(self) -> float | None:
        """When the next feed is due (unix time); None when none is followed."""
        return self.feed_store.next_due()

    def poll_feeds(
        self, *, every_feed: bool = False, on_polled: Callable[[PollResult], object] | None = None
    ) -> list[PollResult]:
        """One pass over the due feeds (or all): fetch them side by side, store and index only
        new items, and note each feed's state. One feed's failure never touches another's."""
        store = self.feed_store
        feeds = store.all() if every_feed else store.due()
        # Indexed once after the pass, not once per feed: each sync rewrites the index file.
        results = poll(
            feeds,
            store,
            self.settings,
            lambda items: self.ingest_items(items, index=False),
            on_polled=on_polled,
        )
        if any(r.added for r in results):
            self.indexer.sync()
        return results

    # -- follows and timelines ------------------------------------------------------------

    def follow(self, chat_id: int, topic: str, user_id: int | None = None) -> Follow:
        """Follow a story in a chat: articles ingested from now on that match it raise an
        alert (QueryError for a topic of only common words)."""
        topic_terms(topic)
        return self.follow_store.add(chat_id, topic, user_id)

    def follows(self, chat_id: int | None = None) -> list[Follow]:
        """The follows of one chat, or of every chat."""
        store = self.follow_store
        return store.all() if chat_id is None else store.of_chat(chat_id)

    def unfollow(self, chat_id: int, ref: str) -> Follow:
        """Stop a chat's follow, by its number or its topic (FollowNotFound)."""
        return self.follow_store.remove(chat_id, ref)

    def match_follows(self) -> int:
        """Match the articles ingested since the last call (by any process) against every
        follow and queue an alert per chat and story; returns how many were queued."""

        def matcher() -> Matcher:
            self.indexer.refresh()  # another process may have indexed the new articles
            return Matcher(self.archive, self.embedder, self.indexer.vectors)

        return match_follows(self.follow_store, matcher, self.settings.follow_threshold)

    def due_alerts(self, per_hour: int) -> list[AlertMessage]:
        """Alert messages to send now, within each chat's hourly budget."""
        return self.follow_store.due(per_hour)

    def alert_sent(self, message: AlertMessage) -> None:
        """Note that an alert message went out (or never will: the chat is gone)."""
        self.follow_store.sent(message)

    def timeline(
        self, topic: str, *, filters: Filters = Filters(), limit: int | None = None
    ) -> list[TimelineEntry]:
        """The stories matching a topic, oldest first, one entry per story."""
        topic_terms(topic)
        limit = limit or self.settings.timeline_max
        hits = self.search(topic, limit * CANDIDATES_PER_LINE, filters=filters)
        matcher = Matcher(self.archive, self.embedder, self.indexer.vectors)
        return build_timeline(
            hits,
            self.archive,
            matcher,
            topic,
            threshold=self.settings.timeline_threshold,
            filters=filters,
            limit=limit,
        )

    def entity(self, name: str, *, filters: Filters = Filters()) -> EntityProfile:
        """What the archive holds about a person, group or place: the articles that name it
        (with the sentence), the names seen with it, first and last seen; spellings folded
        (Jebawi, al-Jebawi, الجباوي). Reads the archive only: no model is loaded."""
        return profile_entity(self.archive, name, filters=filters)

    # -- the vector index ----------------------------------------------------------------

    def check(self) -> CheckReport:
        """Drift between the archive and its vector sets, and what waits to be done."""
        report = self.indexer.check()
        if self.settings.entities:
            report.entities_pending = self.archive.count_lacking_entities(NER_MODEL)
        return report

    def reindex(self, progress: Progress | None = None) -> int:
        """Re-embed every chunk into a new index; works when the old one is missing or corrupt."""
        with self._loading:
            old = self._indexer
            self._indexer = Indexer(
                self.archive,
                self.embedder,
                self.settings.index_path,
                fresh=True,
                settings=self.settings,
                multi=self.multilingual,
            )
            if self._searcher is not None:  # the answerer searches with it: same object
                self._searcher.indexer = self._indexer
            if old is not None:
                old.close()  # after: the new one holds the same Milvus connection open
        done = self._indexer.reindex(progress)
        self.fill_entities()
        return done

    def retrain(self) -> StoreInfo:
        """Retrain the approximate index on the vectors it holds, re-embedding nothing."""
        return self.indexer.retrain()


def _relabel(item: RawArticle | ReadFailure, labels: dict[str, str]) -> RawArticle | ReadFailure:
    origin = item.origin
    for target, label in labels.items():
        origin = origin.replace(target, label)
    return replace(item, origin=origin)
