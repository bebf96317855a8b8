"""Who and where: what the archive holds about a name, in the library, `newsdesk entity` and
/who. The entities are stored by hand as spaCy would find them (no model runs); the model's
own are tried on the seed and dev archive at the end."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from newsdesk import EntityProfile, Filters, Newsdesk
from newsdesk.bot.who import WHO_USAGE
from newsdesk.cli.main import cli
from newsdesk.errors import QueryError
from newsdesk.index.stories.entities import _spelled_alike
from newsdesk.ingest.entities import NER_MODEL
from newsdesk.ingest.models import RawArticle

from botkit import BOT_NAME, reply_to, running_bot
from conftest import SEED_TITLE
from fakes.telegram import FakeTelegram

RAID = RawArticle(
    title="Local groups raid ISIS hideouts in Jassim",
    text="Local armed groups in Jassim, in the Daraa countryside, raided hideouts of Islamic "
    "State cells on Saturday, a commander told North Press. Among the dead was Ayoub "
    "al-Jebawi, the group's head of assassinations.",
    source="North Press",
    date="2022-10-15",
    external_id="raid",
)
CURFEW = RawArticle(
    title="Curfew imposed in Jassim after night raids",
    text="A curfew was imposed in Jassim after night raids, local sources said. Jebawi's "
    "relatives left the town for Daraa on Sunday.",
    source="Enab Baladi",
    date="2022-10-29",
    external_id="curfew",
)
CAKE = RawArticle(
    title="A bakery's autumn menu",
    text="The bakery in Amman added jassim cake, a local favourite, to its autumn menu.",
    source="Food Desk",
    date="2022-10-20",
    external_id="cake",
)
ARABIC = RawArticle(
    title="مقتل أمير لداعش في جاسم",
    text="درعا – نورث برس\n\nوكان من بين القتلى أيوب الجباوي، وهو مسؤول الاغتيالات في التنظيم، "
    "في مدينة جاسم بريف درعا.",
    source="نورث برس",
    date="2022-10-25",
    language="ar",
    external_id="ar-jebawi",
)
# Stored by a newsdesk that found no entities yet: a capitalised spelling counts, unlabelled.
OLDER = RawArticle(
    title="Families return to Jassim",
    text="Families returned to Jassim this week after the fighting, residents said.",
    source="Syria Wire",
    external_id="older",
)
# What spaCy's small English model finds in them (names and a date), by text.
FOUND = {
    "raid": [
        ("Jassim", "GPE"),
        ("Daraa", "GPE"),
        ("Islamic State", "ORG"),
        ("Saturday", "DATE"),
        ("North Press", "ORG"),
        ("al-Jebawi", "PERSON"),
    ],
    "curfew": [("Jassim", "GPE"), ("Jebawi", "PERSON"), ("Daraa", "GPE"), ("Sunday", "DATE")],
    "cake": [("Amman", "GPE"), ("autumn", "DATE")],
}
ALICE = FakeTelegram.user(42, "Alice", "alice")
GROUP = -1001234


@pytest.fixture
def who_desk(fast_desk: Newsdesk) -> Newsdesk:
    """The articles above, with the entities FOUND stored as ingest would store them."""
    report = fast_desk.ingest_items([RAID, CURFEW, CAKE, ARABIC, OLDER])
    assert report.summary()["added"] == 5
    for outcome in report.outcomes:
        article = fast_desk.get(outcome.article_id)
        if article.external_id in FOUND:
            spans = [
                (start, start + len(text), label)
                for text, label in FOUND[article.external_id]
                for start in [article.text.index(text)]
            ]
            fast_desk.archive.set_entities(article.id, NER_MODEL, sorted(spans))
    return fast_desk


def ids(profile: EntityProfile) -> list[str | None]:
    return [m.article.external_id for m in profile.mentions]


def test_a_person_across_spellings_and_scripts(who_desk: Newsdesk) -> None:
    profile = who_desk.entity("Jebawi")
    assert ids(profile) == ["raid", "ar-jebawi", "curfew"]  # by date
    raid, arabic, curfew = profile.mentions
    assert raid.spelling == "al-Jebawi" and raid.label == "PERSON"
    assert (
        raid.sentence == "Among the dead was Ayoub al-Jebawi, the group's head of assassinations."
    )
    assert arabic.spelling == "الجباوي" and arabic.label is None
    assert arabic.sentence.startswith("وكان من بين القتلى أيوب الجباوي")
    assert curfew.spelling == "Jebawi"
    assert set(profile.spellings) == {"al-Jebawi", "الجباوي", "Jebawi"}
    assert profile.kind == "person"
    assert (profile.first_seen, profile.last_seen) == ("2022-10-15", "2022-10-29")
    # Every spelling, in either script, finds the same man.
    for name in ("al-Jebawi", "الجباوي", "Ayoub  al-Jebawi", "AL-JEBAWI"):
        assert ids(who_desk.entity(name))[0] == "raid", name
    assert ids(who_desk.entity("الجباوي")) == ids(profile)


def test_a_place_its_companions_and_what_is_no_name(who_desk: Newsdesk) -> None:
    profile = who_desk.entity("Jassim")
    # Not the cake: "jassim" there is no name the model found. The older article has no
    # entities at all, so its capitalised Jassim counts; undated, it comes last.
    assert ids(profile) == ["raid", "ar-jebawi", "curfew", "older"]
    assert [m.label for m in profile.mentions] == ["GPE", None, "GPE", None]
    assert profile.mentions[1].spelling == "جاسم"
    assert profile.kind == "place" and profile.labels == {"GPE": 2}
    assert profile.stories == 4
    related = {r.name: (r.label, r.stories) for r in profile.related}
    assert related["Daraa"] == ("GPE", 2)  # named with it in two stories
    # al-Jebawi and Jebawi are one name, seen in two stories.
    assert related["Islamic State"] == ("ORG", 1) and related["al-Jebawi"] == ("PERSON", 2)
    assert "Jebawi" not in related
    # A dateline's outlet is not a name seen with it; dates are no names.
    assert "North Press" not in related and "Saturday" not in related
    assert who_desk.entity("Amman").mentions[0].article.external_id == "cake"


def test_nothing_named_and_no_name_at_all(who_desk: Newsdesk) -> None:
    nobody = who_desk.entity("Zorblax")
    assert not nobody.found and nobody.mentions == [] and nobody.first_seen is None
    with pytest.raises(QueryError, match="no name in it"):
        who_desk.entity("the of")
    with pytest.raises(QueryError, match="at most 8 words"):
        who_desk.entity("Jassim " * 9)
    since = who_desk.entity("Jassim", filters=Filters(since="2022-10-20"))
    assert ids(since) == ["ar-jebawi", "curfew"]


@pytest.mark.parametrize(
    ("arabic", "latin", "alike"),
    [
        ("جاسم", "Jassim", True),
        ("جسم", "Jassim", False),  # "body": no long vowel to tell it from the name
        ("جباوي", "Jebawi", True),
        ("جيب", "Jebawi", False),  # "pocket": Jebawi's "awi" is written in Arabic
        ("درعا", "Daraa", True),
        ("دور", "Daraa", False),  # و is no "a"
        ("ادلب", "Idlib", True),
        ("قامشلي", "Qamishli", True),
        ("اسماعيل", "Ismail", True),
        ("شرعا", "Syria", False),
    ],
)
def test_arabic_and_latin_spellings_of_one_name(arabic: str, latin: str, alike: bool) -> None:
    assert _spelled_alike(arabic, latin.lower()) is alike


def test_newsdesk_entity_json_and_text(who_desk: Newsdesk) -> None:
    home = str(who_desk.settings.home)
    out = CliRunner().invoke(cli, ["--home", home, "entity", "al-Jebawi", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["kind"] == "person" and data["articles"] == 3
    assert data["first_seen"] == "2022-10-15" and data["last_seen"] == "2022-10-29"
    first = data["mentions"][0]
    assert first["article"]["source"] == "North Press" and first["spelling"] == "al-Jebawi"
    assert "Ayoub al-Jebawi" in first["sentence"] and "text" not in first["article"]
    text = CliRunner().invoke(cli, ["--home", home, "entity", "Jassim", "--limit", "2"])
    lines = text.output.splitlines()
    assert lines[0] == (
        "Jassim — place · 4 articles in 4 stories · first seen 2022-10-15, last seen 2022-10-29"
    )
    assert lines[1] == "spelled: Jassim, جاسم"
    assert lines[2].startswith("seen with: Daraa (2), ")
    assert "… 2 earlier articles (--limit)" in lines
    assert "2022-10-29 — Enab Baladi — Curfew imposed in Jassim after night raids (#2)" in lines
    nothing = CliRunner().invoke(cli, ["--home", home, "entity", "Zorblax"])
    assert nothing.exit_code == 0 and nothing.output == "nothing in the archive names 'Zorblax'\n"
    refused = CliRunner().invoke(cli, ["--home", home, "entity", "the"])
    assert refused.exit_code == 1 and "has no name in it" in refused.output


async def test_who_in_a_private_chat_and_a_group(fake: FakeTelegram, who_desk: Newsdesk) -> None:
    async with running_bot(fake, who_desk):
        private = await reply_to(fake, fake.private_message(ALICE, "/who al-Jebawi"))
        group = await reply_to(fake, fake.group_message(GROUP, ALICE, f"/who@{BOT_NAME} جاسم"))
        usage = await reply_to(fake, fake.group_message(GROUP, ALICE, "/who"))
        nothing = await reply_to(fake, fake.private_message(ALICE, "/who Zorblax"))
        common = await reply_to(fake, fake.private_message(ALICE, "/who the"))
    text = private["text"]
    assert text.startswith("al-Jebawi — person · 3 articles in 3 stories\n")
    assert "First seen 2022-10-15, last seen 2022-10-29" in text
    assert "Spelled: al-Jebawi, الجباوي, Jebawi" in text
    assert "2022-10-15 — North Press — Local groups raid ISIS hideouts in Jassim\n" in text
    assert "“Among the dead was Ayoub al-Jebawi, the group's head of assassinations.”" in text
    bold = [e for e in private["entities"] if e["type"] == "bold"]
    assert len(bold) == 4  # the name in the title, and in each of the three sentences
    assert group["chat"]["id"] == GROUP and group["text"].startswith("جاسم — place · 4 articles")
    assert "2022-10-25 — نورث برس — مقتل أمير لداعش في جاسم" in group["text"]
    assert usage["text"] == WHO_USAGE.replace("<code>", "").replace("</code>", "").replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
    assert nothing["text"] == "Nothing in the archive names Zorblax."
    assert common["text"].startswith("“the” has no name in it, only common words.")


def test_newsdesk_entity_on_the_seed_and_dev_archive(full_desk: Newsdesk) -> None:
    """With the entities spaCy found at ingest: the seed's North Press article, its sentence."""
    home = str(full_desk.settings.home)
    out = CliRunner().invoke(cli, ["--home", home, "entity", "Jassim", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    [seed] = [m for m in data["mentions"] if m["article"]["title"] == SEED_TITLE]
    assert seed["article"]["source"] == "North Press" and seed["label"] == "GPE"
    assert seed["sentence"].startswith("The leader of the local faction in the town of Jassim")
    assert seed["times"] >= 5 and data["kind"] == "place"
    assert {"ISIS", "Daraa"} <= {r["name"] for r in data["related"]}
    # Sheikh Hamad bin Jasim, in a dev article, is another man: a name the archive spells
    # as asked is not taken for a misspelling.
    assert all("Jasim" not in m["sentence"].replace("Jassim", "") for m in data["mentions"])
    jebawi = full_desk.entity("الجباوي")
    assert [m.article.title for m in jebawi.mentions] == [SEED_TITLE]
    assert jebawi.mentions[0].spelling == "al-Jebawi" and jebawi.kind == "person"
