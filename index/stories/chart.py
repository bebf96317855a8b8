"""A timeline you can see: articles per day as bars stacked by outlet, the top stories marked
with numbers that the headlines under the chart explain. A PNG, drawn with matplotlib's Agg
renderer on a Figure of its own (no pyplot, no display, nothing shared between threads)."""

from __future__ import annotations

import io
import struct
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from newsdesk.index.stories.timeline import TimelineEntry

MARKED = 3  # top stories numbered on the chart
# The default colour cycle but its grey (C7): grey is for the outlets beyond these.
PALETTE = ["C0", "C1", "C2", "C3", "C4", "C5", "C6", "C8", "C9"]
COLOURED = len(PALETTE)  # outlets with a colour of their own; the rest share "other outlets"
OTHER, OTHER_COLOUR = "other outlets", "0.7"
UNKNOWN = "unknown outlet"
HEADLINE_CHARS = 120  # a line under the chart: number, date, outlets, headline
LTR = "\u200e"  # the left-to-right mark
WIDTH, HEIGHT, DPI = 10.0, 5.6, 110  # inches, and dots an inch: 1100 × 616 pixels
# matplotlib promises no thread safety, even for figures of their own (fonts and caches are
# shared): one chart at a time. Drawing takes a few hundred milliseconds.
_drawing = threading.Lock()


@dataclass(frozen=True)
class DayCount:
    """The articles of one day, by outlet."""

    day: str  # YYYY-MM-DD
    outlets: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.outlets.values())


@dataclass
class TimelineChart:
    """The picture, and the data it draws: `days` are the bars (outlets as `outlets` name
    them: the coloured ones, then OTHER), `marked` the stories numbered 1, 2, 3 on it."""

    png: bytes
    width: int
    height: int
    days: list[DayCount] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    marked: list[TimelineEntry] = field(default_factory=list)
    undated: int = 0  # articles that could not be placed on a day

    @property
    def articles(self) -> int:
        """Articles on the chart."""
        return sum(d.total for d in self.days)


def daily_counts(entries: list[TimelineEntry]) -> tuple[list[DayCount], int]:
    """Articles per day and outlet over the timeline's stories (every article of each story,
    copies included), oldest day first; and how many articles carry no date."""
    counts: dict[str, Counter[str]] = {}
    undated = 0
    for entry in entries:
        for article in entry.members:
            if not article.date:
                undated += 1
                continue
            counts.setdefault(article.date[:10], Counter())[article.source or UNKNOWN] += 1
    return [DayCount(day, dict(counts[day])) for day in sorted(counts)], undated


def top_stories(entries: list[TimelineEntry], n: int = MARKED) -> list[TimelineEntry]:
    """The stories to mark: the most articles, then the most outlets, then the best match;
    dated ones only (the others have no place on the chart), in date order."""
    dated = [e for e in entries if e.date]
    best = sorted(dated, key=lambda e: (-len(e.members), -len(e.outlets), -e.score, e.date))
    return sorted(best[:n], key=lambda e: (e.date or "", e.article.id))


def plot_timeline(topic: str, entries: list[TimelineEntry]) -> TimelineChart | None:
    """The timeline's chart as a PNG; None when no story has a date to place it on."""
    days, undated = daily_counts(entries)
    if not days:
        return None
    with _drawing:
        png, outlets, marked = _draw(topic, days, undated, entries)
    width, height = png_size(png)
    return TimelineChart(png, width, height, days, outlets, marked, undated)


def _draw(
    topic: str, days: list[DayCount], undated: int, entries: list[TimelineEntry]
) -> tuple[bytes, list[str], list[TimelineEntry]]:
    """The PNG, the outlets as its legend names them, and the stories it numbers."""
    # Imported here: matplotlib takes a few hundred milliseconds to load, and only the
    # commands that draw need it.
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    totals: Counter[str] = Counter()
    for d in days:
        totals.update(d.outlets)
    ranked = [o for o, _ in totals.most_common()]
    coloured = ranked[:COLOURED]
    outlets = coloured + ([OTHER] if len(coloured) < len(ranked) else [])
    bars = [_grouped(d, coloured) for d in days]
    marked = top_stories(entries)

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    x = [float(date2num(date.fromisoformat(d.day))) for d in days]  # days since 1970
    bottom = [0] * len(days)
    for i, outlet in enumerate(outlets):
        heights = [b.outlets.get(outlet, 0) for b in bars]
        colour = OTHER_COLOUR if outlet == OTHER else PALETTE[i]
        axes.bar(x, heights, width=0.8, bottom=bottom, color=colour, label=_plain(outlet))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    height = {d.day: d.total for d in days}
    for n, entry in enumerate(marked, 1):
        day = (entry.date or "")[:10]
        axes.annotate(
            str(n),
            (float(date2num(date.fromisoformat(day))), height[day]),
            xytext=(0, 6),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold",
            bbox={"boxstyle": "circle,pad=0.25", "facecolor": "white", "edgecolor": "0.3"},
        )
    axes.set_xlim(x[0] - 1, x[-1] + 1)
    axes.set_ylim(0, max(height.values()) * 1.25 + 0.5)
    locator = AutoDateLocator(maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("articles per day")
    axes.spines[["top", "right"]].set_visible(False)
    articles = sum(height.values())
    axes.set_title(
        f"Timeline: {_plain(topic)} — {articles} {'article' if articles == 1 else 'articles'}"
        + (f" ({undated} undated, not shown)" if undated else ""),
        loc="left",
        fontsize=12,
    )
    axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=min(3, len(outlets)))
    if marked:
        lines = [_headline(n, e) for n, e in enumerate(marked, 1)]
        axes.set_xlabel("\n".join(lines), loc="left", fontsize=9, labelpad=10)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # A headline in a script DejaVu Sans lacks draws boxes; that is no reason to fail.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue(), outlets, marked


def _grouped(day: DayCount, coloured: list[str]) -> DayCount:
    """A day's counts with the outlets beyond the coloured ones summed as OTHER."""
    outlets: Counter[str] = Counter()
    for outlet, n in day.outlets.items():
        outlets[outlet if outlet in coloured else OTHER] += n
    return DayCount(day.day, dict(outlets))


def _headline(n: int, entry: TimelineEntry) -> str:
    """1  2022-10-15  North Press, Syria Wire +2 — the headline, cut to fit the width."""
    outlets = ", ".join(entry.outlets[:2]) or UNKNOWN
    if len(entry.outlets) > 2:
        outlets += f" +{len(entry.outlets) - 2}"
    line = f"{n}  {(entry.date or '')[:10]}  {outlets} — {' '.join(entry.article.title.split())}"
    if len(line) > HEADLINE_CHARS:
        line = line[: HEADLINE_CHARS - 1].rstrip() + "…"
    # Left to right, with its number first, even when the headline is Arabic.
    return _plain(LTR + line)


def _plain(text: str) -> str:
    """Text as matplotlib should print it: a "$" would start mathematical text."""
    return text.replace("$", r"\$")


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG, from its header (ValueError: not a PNG)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return width, height
