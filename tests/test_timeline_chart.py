"""A timeline you can see: the chart draws what the text timeline lists (articles per day by
outlet, top stories marked), `newsdesk timeline --plot` writes it, /timeline sends it as a
photo before the lines. The hashing stand-in finds the stories: these test the chart."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from matplotlib.axes import Axes
from PIL import Image

from newsdesk import Newsdesk, TimelineEntry, plot_timeline
from newsdesk.cli import kit
from newsdesk.cli.main import cli
from newsdesk.index.stories.chart import OTHER, png_size
from newsdesk.ingest.store.records import Article

from botkit import reply_to, running_bot
from conftest import stand_ins
from fakes.telegram import Call, FakeTelegram

ALICE = FakeTelegram.user(42, "Alice", "alice")
RAID = (
    "Local armed groups in Jassim, in the Daraa countryside, raided hideouts of Islamic State "
    "cells on Saturday after talks with residents, a commander said. Three militants were "
    "killed and weapons were seized in the raids."
)
STORIES = [
    {
        "id": "np-1",
        "title": "Local groups raid ISIS hideouts in Jassim",
        "source": "North Press",
        "date": "2022-10-15",
        "text": RAID,
    },
    {  # a copy of the same story, a day later, from another outlet
        "id": "sy-1",
        "title": "Local groups raid ISIS hideouts in Jassim (wire copy)",
        "source": "Syria Wire",
        "date": "2022-10-16",
        "text": RAID,
    },
    {
        "id": "eb-1",
        "title": "Curfew imposed in Jassim after night raids",
        "source": "Enab Baladi",
        "date": "2022-10-29",
        "text": "A curfew was imposed in Jassim in the Daraa countryside after night raids on "
        "houses used by Islamic State cells, local sources said. Schools were closed in Jassim.",
    },
    {
        "id": "np-2",
        "title": "Jassim residents return as the curfew ends",
        "source": "North Press",
        "date": "2022-10-29",
        "text": "Residents of Jassim returned to the western neighbourhoods of the town after "
        "the curfew imposed on Jassim ended, North Press learned from local sources.",
    },
    {
        "id": "rugby-1",
        "title": "Scotland names a new rugby coach",
        "source": "Sports Desk",
        "date": "2022-10-20",
        "text": "The Scottish Rugby Union appointed a new head coach on Tuesday, hoping to "
        "revive the fortunes of the national side before the Six Nations.",
    },
]


@pytest.fixture
def chart_desk(fast_desk: Newsdesk, tmp_path: Path) -> Newsdesk:
    records = tmp_path / "stories.jsonl"
    records.write_text("\n".join(json.dumps(s) for s in STORIES), encoding="utf-8")
    assert fast_desk.ingest([str(records)]).summary()["failed"] == 0
    return fast_desk


def test_the_chart_draws_the_timeline_per_day_and_outlet(
    chart_desk: Newsdesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = chart_desk.timeline("Jassim")
    assert [(e.date, e.outlets, e.copies) for e in entries] == [
        ("2022-10-15", ["North Press", "Syria Wire"], 1),
        ("2022-10-29", ["Enab Baladi"], 0),
        ("2022-10-29", ["North Press"], 0),
    ]
    drawn: list[tuple[list[float], list[int], str]] = []
    bar = Axes.bar

    def recorded(self: Axes, x: Any, height: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append((list(x), list(height), kwargs["label"]))
        return bar(self, x, height, *args, **kwargs)

    monkeypatch.setattr(Axes, "bar", recorded)
    chart = plot_timeline("Jassim", entries)
    assert chart is not None

    # A real PNG of the size it says.
    assert png_size(chart.png) == (chart.width, chart.height) == (1100, 616)
    with Image.open(io.BytesIO(chart.png)) as image:
        image.verify()
    assert 10_000 < len(chart.png) < 1_000_000

    # What it draws is the text timeline's articles, copies included, each on its own day.
    expected = Counter(
        (a.date, a.source) for e in entries for a in e.members if a.date and a.source
    )
    assert sum(expected.values()) == sum(1 + e.copies for e in entries) == 4
    counted = Counter({(d.day, o): n for d in chart.days for o, n in d.outlets.items()})
    assert counted == expected
    assert [d.day for d in chart.days] == ["2022-10-15", "2022-10-16", "2022-10-29"]
    assert [d.total for d in chart.days] == [1, 1, 2]
    # The bars: one series per outlet, heights by day, as chart.days says.
    assert [label for _, _, label in drawn] == chart.outlets
    for _, heights, outlet in drawn:
        assert heights == [d.outlets.get(outlet, 0) for d in chart.days]
    # The story with a copy first among the marked.
    assert chart.marked[0] is entries[0] and len(chart.marked) == 3
    assert chart.undated == 0 and chart.articles == 4


def _entry(
    i: int, day: str | None, outlet: str, copies: list[Article] | None = None
) -> TimelineEntry:
    article = Article(id=i, uid=f"u{i}", title=f"Story {i}", text="", date=day, source=outlet)
    members = [article, *(copies or [])]
    return TimelineEntry(article, [outlet], len(members) - 1, 0.5, members)


def test_many_outlets_share_a_colour_and_undated_articles_are_counted_apart() -> None:
    entries = [_entry(i, f"2022-11-{1 + i % 5:02d}", f"Outlet {i}") for i in range(12)]
    entries.append(_entry(99, None, "Outlet 0"))
    chart = plot_timeline("Outlets", entries)
    assert chart is not None
    assert len(chart.outlets) == 10 and chart.outlets[-1] == OTHER  # nine colours, then grey
    assert chart.articles == 12 and chart.undated == 1
    assert plot_timeline("Nothing dated", [_entry(1, None, "X")]) is None
    # A headline with a "$" is text, not mathematics; an Arabic one is drawn too.
    odd = [_entry(1, "2022-11-01", "نورث برس"), _entry(2, "2022-11-02", "Costs $5 and $6")]
    odd[0].article.title = "ارتفاع أسعار القمح في الحسكة"
    assert plot_timeline("$ and ريال", odd) is not None


def test_newsdesk_timeline_plot_writes_a_png(
    chart_desk: Newsdesk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kit, "Newsdesk", stand_ins)  # the command's desk: no real model
    home = str(chart_desk.settings.home)
    out = tmp_path / "charts" / "jassim.png"
    out.parent.mkdir()
    done = CliRunner().invoke(cli, ["--home", home, "timeline", "Jassim", "--plot", str(out)])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0].startswith("2022-10-15 — North Press, Syria Wire")
    assert f"wrote {out}: 1100×616 PNG, 4 articles on 3 days" in done.stderr
    assert png_size(out.read_bytes()) == (1100, 616)
    as_json = CliRunner().invoke(
        cli, ["--home", home, "timeline", "Jassim", "--json", "--plot", str(out)]
    )
    assert len(json.loads(as_json.stdout)) == 3  # the JSON stays clean: the note is on stderr
    nothing = CliRunner().invoke(
        cli, ["--home", home, "timeline", "Zorblax", "--plot", str(tmp_path / "none.png")]
    )
    assert nothing.exit_code == 1 and "no chart written" in nothing.output
    assert not (tmp_path / "none.png").exists()


def _photo(call: Call) -> bool:
    return call.method == "sendPhoto" and call.ok


async def test_timeline_sends_a_chart_then_the_lines(
    fake: FakeTelegram, chart_desk: Newsdesk
) -> None:
    async with running_bot(fake, chart_desk):
        update = fake.private_message(ALICE, "/timeline Jassim")
        photo = (await fake.wait_for(_photo, timeout=60)).result
        lines = await reply_to(fake, update)
        nothing = await reply_to(fake, fake.private_message(ALICE, "/timeline Zorblax"))
    asked = update["message"]["message_id"]
    assert photo["reply_to_message"]["message_id"] == asked
    [size] = photo["photo"]
    assert (size["width"], size["height"]) == (1100, 616)
    assert photo["caption"].startswith(
        "Timeline: Jassim\n4 articles on 3 days, 2022-10-15 to 2022-10-29, by outlet; "
        "the numbers mark the top stories"
    )
    assert photo["message_id"] < lines["message_id"]  # the chart first, then the lines
    assert lines["text"].split("\n") == [
        "Timeline: Jassim",
        "2022-10-15 — North Press, Syria Wire — Local groups raid ISIS hideouts in Jassim (+1)",
        "2022-10-29 — Enab Baladi — Curfew imposed in Jassim after night raids",
        "2022-10-29 — North Press — Jassim residents return as the curfew ends",
    ]
    assert nothing["text"] == "Nothing in the archive matches Zorblax."
    assert len([c for c in fake.calls if _photo(c)]) == 1  # no chart of nothing
