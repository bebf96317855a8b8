"""A topic's timeline: the matching stories in date order, near-copies folded into one line."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsdesk.index.search.hybrid import Hit
from newsdesk.index.stories.matching import Matcher
from newsdesk.ingest.store.archive import Archive
from newsdesk.ingest.store.records import Article, Filters

CANDIDATES_PER_LINE = 3  # passages searched per line wanted: some fall under the threshold


@dataclass
class TimelineEntry:
    """One story: its first article (by date), and the outlets that carried it."""

    article: Article
    outlets: list[str] = field(default_factory=list)
    copies: int = 0  # other articles of the same story
    score: float = 0.0  # how well the story matches the topic (its searched article's)
    articles: list[Article] = field(default_factory=list)  # the story's, oldest first

    @property
    def date(self) -> str | None:
        return self.article.date

    @property
    def members(self) -> list[Article]:
        """The story's articles (the first alone when they were not given)."""
        return self.articles or [self.article]


def build_timeline(
    hits: list[Hit],
    archive: Archive,
    matcher: Matcher,
    topic: str,
    *,
    threshold: float,
    filters: Filters,
    limit: int,
) -> list[TimelineEntry]:
    """Stories among the search hits whose score clears the threshold, oldest first."""
    stories: dict[int, Article] = {}
    for hit in hits:
        stories.setdefault(hit.article.cluster_id or hit.article.id, hit.article)
    scores = matcher.scores(topic, list(stories.values()))
    entries = []
    for story, article in stories.items():
        if scores[article.id] < threshold:
            continue
        members = archive.story(story, filters) or [article]
        members.sort(key=lambda a: (a.date is None, a.date or "", a.id))
        outlets = list(dict.fromkeys(a.source for a in members if a.source))
        score = scores[article.id]
        entries.append(TimelineEntry(members[0], outlets, len(members) - 1, score, members))
    # Undated stories go last: they cannot be placed.
    entries.sort(key=lambda e: (e.date is None, e.date or "", e.article.id))
    return entries[:limit]
