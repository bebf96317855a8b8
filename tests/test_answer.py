"""Answers a user sees: cited facts from the seed article, abstention, follow-ups, bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli.answer import ask_cmd
from newsdesk.cli.kit import Context
from newsdesk.config import Settings
from newsdesk.desk import Newsdesk
from newsdesk.errors import EmptyArchiveError, QueryError
from newsdesk.index.read.answerer import (
    NOTHING,
    UNSURE,
    Answer,
    Answerer,
    Candidate,
    FollowUp,
    format_answer_text,
)
from newsdesk.index.read.extractive import ExtractiveReader
from newsdesk.index.read.names import full_name
from newsdesk.index.read.phrases import phrase_spans
from newsdesk.index.read.spans import Kind, find_span, question_kind, spans, stem
from newsdesk.index.read.types import Reading
from newsdesk.index.search.hybrid import Hit
from newsdesk.index.vectors.embedder import SentenceTransformerEmbedder
from newsdesk.ingest.store.records import Article

from conftest import SEED


@pytest.fixture(scope="module")
def seeded(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[Settings, Newsdesk]]:
    """One archive holding the seed article, shared by this module's tests (ingest is slow)."""
    settings = Settings(home=tmp_path_factory.mktemp("seed") / "home")
    with Newsdesk(settings, embedder=embedder) as desk:
        desk.ingest([str(SEED)])
        yield settings, desk


@pytest.fixture(scope="module")
def answerer(seeded: tuple[Settings, Newsdesk]) -> Answerer:
    return Answerer(seeded[1].searcher, seeded[1].archive.term_frequencies)


def plain(answer: Answer) -> str:
    return format_answer_text(answer)


def test_who_was_killed_in_jassim(answerer: Answerer) -> None:
    answer = answerer.ask("Who was killed in Jassim?")
    assert answer.answerable
    assert "15 militants including nine leaders (two Iraqis and another Lebanese)" in answer.text
    assert "Ayoub al-Jebawi" in answer.text
    assert "[1]" in answer.text
    assert [s.source for s in answer.sources] == ["North Press"]
    assert answer.sources[0].title.startswith("Residents, local groups abort ISIS emirate")
    assert len(answer.text) <= 700 and answer.latency_ms > 0
    assert "[1] North Press — Residents, local groups abort ISIS emirate" in plain(answer)


def short_span(sentence: str, kind: Kind | None, question: str) -> str | None:
    """The span find_span gives, without whether the grammar placed it."""
    found = find_span(sentence, kind, question)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("When did ISIS intend to announce an emirate?", ["October 23"]),
        ("Who is Ayham Faisl al-Halqi?", ["an ISIS Emir", "facilitate the militants’ entry"]),
        ("Which brigade sent groups to Jassim?", ["Eighth Brigade", "Fifth Corps"]),
        ("Why is Daraa strategically important?", ["Jordan, Palestine and Lebanon"]),
    ],
)
def test_seed_questions(answerer: Answerer, question: str, facts: list[str]) -> None:
    answer = answerer.ask(question)
    assert answer.answerable, answer.text
    for fact in facts:
        assert fact in answer.text
    assert answer.sources[0].source == "North Press"


def test_short_answer_for_when(answerer: Answerer) -> None:
    assert answerer.ask("When did ISIS intend to announce an emirate?").short == "October 23"


def test_abstains_without_support(answerer: Answerer) -> None:
    answer = answerer.ask("Who won the 2018 World Cup?")
    assert not answer.answerable
    assert answer.text == NOTHING
    assert answer.sources == []
    assert "Closest articles:" in plain(answer)  # the nearest articles are still offered


def test_a_weakly_supported_answer_says_the_archive_may_not_hold_it(answerer: Answerer) -> None:
    # The seed article tells of clashes in Jassim, not of when they ended.
    weak = answerer.ask("When did the clashes in Jassim end?")
    assert weak.answerable and weak.unsure
    assert plain(weak).startswith(f"{UNSURE}\n{weak.text}")
    strong = answerer.ask("Who was killed in Jassim?")
    assert strong.answerable and not strong.unsure
    assert not plain(strong).startswith(UNSURE)


def test_follow_up_resolves_against_the_previous_answer(answerer: Answerer) -> None:
    first = answerer.ask("Who was killed in Jassim?")
    context = FollowUp(first.question, first.text)
    answer = answerer.ask("Who facilitated their entry?", context=context)
    assert answer.answerable and "facilitate" in answer.text
    more = answerer.ask("who else?", context=context)
    assert more.answerable
    for sentence in ("Ayoub al-Jebawi", "15 militants including"):
        assert sentence not in more.text  # not what the first answer already said
    # A reply that asks something new is not answered from the old topic.
    assert not answerer.ask("Who won the 2018 World Cup?", context=context).answerable


def test_who_else_without_context_is_refused(answerer: Answerer) -> None:
    with pytest.raises(QueryError, match="common words"):
        answerer.ask("who else?")


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("?!?…", "no words"),
        ("what is the?", "common words"),
        ("x" * 10_000, "too long"),
        ("<b></b>", "empty"),
    ],
)
def test_bad_questions_get_clear_errors(answerer: Answerer, question: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        answerer.ask(question)


def test_markup_is_ignored(answerer: Answerer) -> None:
    answer = answerer.ask("<script>alert(1)</script><b>Who</b> was killed in Jassim?")
    assert "Ayoub al-Jebawi" in answer.text and "<" not in answer.text


def test_arabic_question_is_answered_through_the_multilingual_set(answerer: Answerer) -> None:
    answer = answerer.ask("من قتل في جاسم؟")
    assert answer.answerable and answer.sources[0].source == "North Press"


def test_empty_archive(desk: Newsdesk) -> None:
    with pytest.raises(EmptyArchiveError):
        Answerer(desk.searcher, desk.archive.term_frequencies).ask("Who was killed in Jassim?")


def test_date_words_filter_by_publication_date(desk: Newsdesk, tmp_path: Path) -> None:
    flood = "Floods swept through {town} on {day}, officials said. Rescue teams moved {n} families."
    rows = [
        {"id": "new", "date": "2022-10-26", "source": "Wire", "title": "Floods in Arlen",
         "text": flood.format(town="Arlen", day="Wednesday", n=40) + " Roads were closed."},
        {"id": "old", "date": "2022-09-01", "source": "Wire", "title": "Floods in Brisk",
         "text": flood.format(town="Brisk", day="Thursday", n=90) + " Schools were closed."},
    ]  # fmt: skip
    path = tmp_path / "floods.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    desk.ingest([str(path)])
    answerer = Answerer(desk.searcher, desk.archive.term_frequencies)
    as_of = date(2022, 10, 27)
    answer = answerer.ask("Where were the floods yesterday?", as_of=as_of)
    assert answer.answerable and "Arlen" in answer.text and "Brisk" not in answer.text
    assert {s.external_id for s in answer.retrieved} == {"new"}
    assert answer.sources[0].date == "2022-10-26" and answer.period
    september = answerer.ask("Where were the floods in September?", as_of=as_of)
    assert {s.external_id for s in september.retrieved} == {"old"}
    nothing = answerer.ask("Where were the floods last week?", as_of=date(2023, 5, 1))
    assert not nothing.answerable and "from last week" in nothing.text


def test_cli_ask_and_batch(seeded: tuple[Settings, Newsdesk], tmp_path: Path) -> None:
    settings = seeded[0]
    runner = CliRunner()
    result = runner.invoke(ask_cmd, ["Who was killed in Jassim?"], obj=Context(settings))
    assert result.exit_code == 0 and "Ayoub al-Jebawi" in result.output
    assert "[1] North Press" in result.output
    result = runner.invoke(ask_cmd, ["what is the?"], obj=Context(settings))
    assert result.exit_code == 1 and "common words" in result.output
    assert "Traceback" not in result.output
    batch = tmp_path / "q.jsonl"
    batch.write_text(
        '{"id": "a", "question": "When did ISIS intend to announce an emirate?"}\n'
        "{broken\n"
        '{"id": "c"}\n'
        '{"id": "d", "question": "", "date": "2022-10-27"}\n'
        '{"id": "e", "question": "Who won the 2018 World Cup?", "date": "2022-10-27"}\n',
        encoding="utf-8",
    )
    result = runner.invoke(ask_cmd, ["--batch", str(batch)], obj=Context(settings))
    assert result.exit_code == 1  # some lines failed, as with ingest
    assert "3 line(s) could not be answered" in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", None, "c", "d", "e"]
    first = lines[0]
    assert set(first) >= {"id", "question", "answer", "answerable", "sources", "latency_ms"}
    assert first["answerable"] and "October 23" in first["answer"]
    assert set(first["sources"][0]) == {
        "id",
        "title",
        "source",
        "date",
        "url",
        "score",
        "also_reported_by",
    }
    assert first["sources"][0]["source"] == "North Press"
    assert [line.get("line") for line in lines[1:4]] == [2, 3, 4]
    assert all("error" in line for line in lines[1:4])
    assert lines[4]["answerable"] is False and lines[4]["sources"] == []
    assert "line 2: not JSON" in result.stderr


def _candidate(text: str, article: int, start: int, score: float, keyword: float) -> Candidate:
    """A scored sentence of article `article`."""
    doc = Article(article, f"uid{article}", f"Story {article}", text, source="Wire")
    return Candidate(
        text, doc, start, start + len(text), keyword=keyword, kind=0.0, passage=0.0, score=score
    )


def test_fact_beyond_the_retrieved_passages_of_the_best_article() -> None:
    # Search keeps two passages a story; the sentence that answers may sit in a third.
    text = (
        "Flooding hit the river town of Ashford on Monday after two days of rain. Residents "
        "were moved to the school hall overnight. The council said roads would stay closed "
        "until Friday. Later, Jane Holt, the town's mayor, thanked the volunteers who "
        "filled sandbags through the night."
    )
    article = Article(1, "uid1", "Floods in Ashford", text, source="Wire")
    passage = text[: text.index(" The council")]
    hit = Hit(1, passage, 0, len(passage), article, 1.0, dense=0.6, keyword=3.0)
    question = "Who thanked the volunteers in Ashford?"
    answer = ExtractiveReader(None).read(Reading(question, question, [hit]))
    assert answer.short == "Jane Holt"
    assert answer.text.startswith("Jane Holt [1]")
    assert [s.article_id for s in answer.sources] == [1]


def test_fact_beyond_the_retrieved_passages_of_the_second_article() -> None:
    # The story that answers is often the second one retrieved; the rest of it is read too.
    first = "Rain fell across the county on Monday, and rivers rose in several towns."
    other = Article(1, "uid1", "Rain in the county", first, source="Wire")
    text = (
        "Flooding hit the river town of Ashford on Monday after two days of rain. Residents "
        "were moved to the school hall overnight. Later, Jane Holt, the town's mayor, thanked "
        "the volunteers who filled sandbags through the night."
    )
    article = Article(2, "uid2", "Floods in Ashford", text, source="Wire")
    passage = text[: text.index(" Later")]
    hits = [
        Hit(1, first, 0, len(first), other, 1.0, dense=0.5, keyword=3.0),
        Hit(2, passage, 0, len(passage), article, 0.9, dense=0.6, keyword=3.0),
    ]
    question = "Who thanked the volunteers in Ashford?"
    answer = ExtractiveReader(None).read(Reading(question, question, hits))
    assert answer.short == "Jane Holt"
    assert answer.sources[0].article_id == 2


def test_a_shortened_name_is_given_as_the_story_first_gave_it() -> None:
    # News names a person in full once, then by surname: the short answer is the full name.
    text = (
        "Harbour City Rovers won the cup on Saturday after their striker Maria Okafor scored "
        "twice. The match was played in front of 40,000 people. After the final whistle, the "
        "crowd chanted for Okafor until the players left the pitch."
    )
    article = Article(1, "uid1", "Rovers win the cup", text, source="Wire")
    start = text.index("After the final")
    passage = text[start:]
    hit = Hit(1, passage, start, len(text), article, 1.0, dense=0.6, keyword=3.0)
    question = "For whom did the crowd chant after the final whistle?"
    answer = ExtractiveReader(None).read(Reading(question, question, [hit]))
    assert answer.short == "Maria Okafor"


def test_who_is_x_is_answered_from_the_lead() -> None:
    # A story's lead says who its subject is, though a later passage may match the question
    # better.
    text = (
        "Susan Boyle, a 47-year-old charity worker, stunned the judges of a TV talent show. "
        "Her video has been watched online more than 20 million times since Saturday, and the "
        "show's producers said on Monday that they had never seen anything like it in years. "
        "Fans of Susan Boyle, the singer from West Lothian in Scotland, queued for hours."
    )
    article = Article(1, "uid1", "Singer stuns judges", text, source="Wire")
    later = text.index("Fans")
    hits = [
        Hit(2, text[later:], later, len(text), article, 1.0, dense=0.62, keyword=3.0),
        Hit(1, text[:later], 0, later, article, 0.9, dense=0.5, keyword=3.0),
    ]
    question = "Who is Susan Boyle?"
    answer = ExtractiveReader(None).read(Reading(question, question, hits))
    assert answer.short == "a 47-year-old charity worker"


@pytest.mark.parametrize(
    ("text", "question", "short"),
    [
        # News says "attorney" where a question says "lawyer".
        ('Lohan "has the right to appear" at the hearing, said Alan Parachini, a court '
         "spokesman. Lohan's attorney, Shawn Chapman Holley, told CNN that she will appear.",
         "Who is Lohan's lawyer?", "Shawn Chapman Holley"),
        # "Into which ocean …?": the sentence whose name holds "ocean" answers it.
        ("NASA's Orion spacecraft closed in on Earth's atmosphere after its splashdown journey "
         "around the moon. Orion splashed down in the Pacific Ocean off Baja California.",
         "Into which ocean did NASA's Orion spacecraft splash down?", "Pacific Ocean"),
        # "In which sitcom …?": the name right after the word "sitcom" is one.
        ("Fellow comedian and podcaster Marc Maron paid tribute to Bob Saget on Sunday. Saget "
         'starred for eight seasons in the sitcom "Full House" on ABC.',
         "In which sitcom did comedian Bob Saget star?", "Full House"),
        # "the key House committee": the noun asked about is "committee", not "key".
        ("On the Senate side, key Republicans said on Wednesday that a deal was unlikely "
         "before August. The 31-28 vote in the House Energy and Commerce Committee came after "
         "days of talks.",
         "What is the name of the key House committee?", "Energy and Commerce Committee"),
    ],
)  # fmt: skip
def test_the_sentence_that_answers_wins(text: str, question: str, short: str) -> None:
    article = Article(1, "uid1", "A story", text, source="Wire")
    hits = [Hit(1, text, 0, len(text), article, 1.0, dense=0.6, keyword=3.0)]
    answer = ExtractiveReader(None).read(Reading(question, question, hits))
    assert answer.short == short


def test_a_name_of_another_thing_is_no_fuller_name() -> None:
    text = (
        "A judge of the Middle District of Florida heard the case on Monday. The ruling "
        "applies in Florida from next week, lawyers for the state said."
    )
    article = Article(1, "uid1", "Ruling", text, source="Wire")
    start = text.index("The ruling")
    hit = Hit(1, text[start:], start, len(text), article, 1.0, dense=0.6, keyword=3.0)
    question = "Where does the ruling apply from next week?"
    answer = ExtractiveReader(None).read(Reading(question, question, [hit]))
    assert answer.short == "Florida"


def test_an_editors_note_label_is_no_part_of_the_answer() -> None:
    text = "Editor's note: Ann Curley is the assignment manager for the CNN Medical News unit."
    article = Article(1, "uid1", "About the author", text, source="CNN")
    hit = Hit(1, text, 0, len(text), article, 1.0, dense=0.6, keyword=3.0)
    question = "Where does Ann Curley work?"
    answer = ExtractiveReader(None).read(Reading(question, question, [hit]))
    assert answer.short == "CNN Medical News"
    assert "Editor" not in answer.text


def test_other_articles_sentences_must_cover_the_question(answerer: Answerer) -> None:
    # "How many people died in the earthquake in Haiti?": a sentence of another article that
    # shares only "earthquake" (a quake in Taiwan) does not ride along; one as much on point does.
    top = _candidate("The earthquake in Haiti killed 230,000 people.", 1, 0, 1.3, 1.0)
    taiwan = _candidate("An earthquake in Taiwan damaged two bridges on Monday.", 2, 0, 1.2, 0.6)
    toll = _candidate("Haiti's quake death toll rose to 230,000, officials said.", 3, 0, 1.15, 1.0)
    chosen = answerer.extractive.choose([top, taiwan, toll])
    assert chosen == [top, toll]


def test_the_sentence_beside_the_best_gives_the_kind_it_lacks() -> None:
    # The best sentence restates the question; the next one holds the number, in other words.
    top = _candidate("Maggie and Andy Sorrells lost weight together after years of diets.", 1,
                     0, 1.2, 1.0)  # fmt: skip
    after = _candidate("Together, they once weighed nearly 1,000 pounds.", 1, 70, 1.0, 0.2)
    after.kind = 1.0
    reader = ExtractiveReader(None)
    assert reader.choose([top, after]) == [top, after]
    after.kind = 0.0  # without the number it is off the point, and left out
    assert reader.choose([top, after]) == [top]


def test_nearby_sentences_read_in_article_order(answerer: Answerer) -> None:
    later = _candidate("He was found dead in his home on Sunday, police said.", 1, 120, 1.3, 1.0)
    earlier = _candidate("Ronnie James Dio had fought cancer for a year.", 1, 40, 1.2, 1.0)
    other = _candidate("Fans left flowers outside the home of the singer.", 2, 0, 1.1, 1.0)
    answer = answerer.extractive.compose("Who died?", "Who died?", [], [later, earlier, other])
    # The fact first, then the sentences that state it.
    assert answer.text == f"Ronnie James Dio [1]\n{earlier.text} {later.text} [1] {other.text} [2]"
    assert answer.short == "Ronnie James Dio"  # the best sentence holding a name gives it


@pytest.mark.parametrize(
    ("sentence", "question", "kind", "short"),
    [
        # The question's verb ("marry" / "married") places the answer, not the name it repeats.
        (
            "After his move to Hollywood, Polanski was at his peak, and he married the actress "
            "Sharon Tate in 1968.",
            "Who did Polanski marry?",
            "name",
            "Sharon Tate",
        ),
        # "Russia" is the question's "Russian": not an answer.
        ("Russia invaded Ukraine on Thursday.", "Russian troops invaded what country?", "name",
         "Ukraine"),
        ("Brazil’s presidential race will go to a run-off.",
         "Which country’s presidential race will go to a run-off?", "name", "Brazil"),
        # "United States" is the question's "US": not an answer.
        ("The first launch outside the United States took off from Arnhem Land.",
         "Where did the first launch outside the US take off from?", "name", "Arnhem Land"),
        # "Which brigade …?": the name holding the asked-for noun.
        ("Rebels who fled Busra joined the Eighth Brigade in June.",
         "Which brigade did the rebels join?", "name", "Eighth Brigade"),
        ("Mourners honoured former President Kim Dae-Jung Sunday in Seoul.",
         "Who is former president of South Korea?", "name", "Kim Dae-Jung"),
        # "Who is …?" answered by the person a "…, who" clause describes.
        ("Tim Russert, who became one of America's leading journalists as the host of NBC's "
         "Meet the Press, died Friday.", "Who is best known as the host of NBC's Meet the Press?",
         "name", "Tim Russert"),
        # "Which … won?" asks for the subject, even where the sentence says it with another verb.
        ("Rafael Nadal clinched a record-breaking 21st grand slam title after beating Daniil "
         "Medvedev 2-6 6-7 6-4 6-4 7-5 in an Australian Open final for the ages.",
         "Which tennis star won a historic Australian Open title after an epic men’s final?",
         "name", "Rafael Nadal"),
        # "Who was appointed …?" answered by an active sentence: its object.
        ("The Scottish Rugby Union has appointed Andy Robinson, formerly coach of England.",
         "Who was appointed the new coach of Scotland's team?", "name", "Andy Robinson"),
        # The question names the kind of thing ("product"); the answer is what kind.
        ("Benzene was detected in dry shampoo products, according to a new report.",
         "Benzene was detected in which household product?", "name", "dry shampoo"),
        # "Who is X?" asks what X is: the appositive, however the question is capitalised.
        ("Debbie Rowe, Jackson's ex-wife and the mother of his two oldest children, will not "
         "seek custody.", "Who is Debbie Rowe?", "name",
         "Jackson's ex-wife and the mother of his two oldest children"),
        # ... or the title news copy gives the name, without the name.
        ("Cleveland Browns wide receiver Donte Stallworth was charged in Florida on Wednesday.",
         "Who was Donte Stallworth?", "name", "Cleveland Browns wide receiver"),
        ("Oprah says actress Jenny McCarthy is one mom who never backed down.",
         "Who is Jenny McCarthy?", "name", "actress"),
        # A verb before the name is no title, nor what a verb says of it ("is officially").
        ("Jenkins is officially a fugitive, and the police do believe Jenkins fled.",
         "Who is Jenkins?", "name", None),
        # The subject of the question's verb is no name where it refers back ("The series")
        # or is a clause cut short ("Gary Cahill opened the").
        ("The series has received 25 nominations, ahead of Ted Lasso.",
         "Which show received the most nominations?", "name", "Ted Lasso"),
        ("Gary Cahill opened the scoring before Danny Gabbidon scored the second for Bolton.",
         "Who scored the second goal for Bolton?", "name", "Danny Gabbidon"),
        # ... but a place name ending the question is no subject to define.
        ("Over 25 individuals were killed in clashes in Jassim, north of Daraa.",
         "Who was killed in Jassim?", "name", "Over 25 individuals"),
        # "How many doses …?": the number that counts doses, not the one nearer the verb.
        ("The first of some 195 million doses the government has purchased from five vaccine "
         "makers arrived.", "How many doses has the government purchased?", "number",
         "some 195 million"),
        # "Who …?" asks for a person: a name after "in" is where it happened.
        ("Roger Federer lost to Tomas Berdych at the Sony Ericsson Open in Miami.",
         "Who won the Sony Ericsson Open?", "name", "Tomas Berdych"),
        # "Which team did she play for?": the team "her" owns, not the one it met.
        ("Sue Bird bid farewell to the sport Tuesday night when her Seattle Storm lost to the "
         "Las Vegas Aces, who advanced to the WNBA Finals.",
         "WNBA player Sue Bird played her final game. Which team did she play for?", "name",
         "Seattle Storm"),
        # "a teenager accused of …" is passive: the object of no active verb.
        ("Mychal Bell, a black teenager accused of beating a white classmate, was released.",
         "Who was accused of beating a classmate?", "name", "Mychal Bell"),
        # A date's commas end no clause: what happened on it is the answer.
        ("He was convicted for the June 3, 1990, murder of a guard in Ohio.",
         "What was he convicted of?", None, "murder of a guard in Ohio"),
        # News says "suspected of" where a question says "accused of".
        ("William Joe Mitchell, a registered sex offender, is suspected of luring a girl "
         "online.", "What is William Joe Mitchell accused of?", None, "luring a girl online"),
        ("Listeria can take three weeks or longer to make a person sick.",
         "How long does Listeria take to make a person sick?", "number", "three weeks or longer"),
        ("The fields will raise output by 1.5 million barrels per day, the minister said.",
         "The new contracts would raise production by how much?", "number",
         "1.5 million barrels per day"),
        # A number counts a lower-case noun, not the name after it.
        ("Welch lost eight Watchers points, then 7 pounds.", "How many did Welch lose?",
         "number", "eight"),
        # ... nor "other(s)"; and any unit "per" gives it stays ("$130 per dose").
        ("Troops found 18 other senior rebel leaders.",
         "How many senior rebel leaders were found?", "number", "18"),
        ("The vaccine costs $130 per dose.", "What is the cost of the vaccine?", "number",
         "$130 per dose"),
        # A percentage keeps its unit, though the question names it; "about" is part of the
        # quantity, as "more than" is.
        ("About 10 percent of Darfur is affected by fighting.",
         "What percentage of Darfur is affected by fighting?", "number", "About 10 percent"),
        # The question's own name with a title is no answer.
        ("Greenland's coast hides the island that Explorer Dennis Schmitt found.",
         "Where did Dennis Schmitt find the island?", "name", "Greenland"),
        # A subject ending in a name is that name, with its whole title.
        ("Four years ago, Supreme Leader Ayatollah Ali Khamenei kissed Ahmadinejad.",
         "Who kissed Ahmadinejad?", "name", "Supreme Leader Ayatollah Ali Khamenei"),
        ("Secretary of State Condoleezza Rice invited Sen. Hillary Clinton to dinner.",
         "Who invited Hillary Clinton to dinner?", "name", "Secretary of State Condoleezza Rice"),
        # "Who is the <office> of X?" asks who holds it, not what the office is.
        ("NATO Secretary General Anders Fogh Rasmussen denied NATO was ignoring Moscow.",
         "Who is the Secretary General of NATO?", "name", "Anders Fogh Rasmussen"),
        # An abbreviation keeps its last full stop.
        ("The family moved to the U.S. in 1990.", "Where did the family move?", "name", "U.S."),
        # News copy's " -- " sets off an aside as a dash does.
        ("Hoboken Mayor Peter Cammarano III -- one of dozens of politicians arrested last week "
         "-- has resigned.", "Who resigned as the mayor of Hoboken?", "name",
         "Peter Cammarano III"),
        # The name a noun of the question introduces: "the sitcom “Full House”".
        ("Bob Saget, known best as Danny Tanner on the sitcom “Full House,” has died.",
         "In which 1990s sitcom did Bob Saget star?", "name", "Full House"),
    ],
)  # fmt: skip
def test_short_answer_spans(sentence: str, question: str, kind: Kind | None, short: str) -> None:
    assert short_span(sentence, kind, question) == short


@pytest.mark.parametrize(
    ("sentence", "question", "story", "short"),
    [
        # A sentence's first word is no name where the story writes it in lower case.
        ("Nearly all the babies go abroad, to families in the United States.",
         "Who adopts the babies born in Guatemala?", "Adoptions fell by nearly half.",
         "United States"),
        # A nationality adjective is no name: the story only puts it before a noun.
        ("Kibaki, whose Kenyan rivals now back Raila Odinga, refuses to concede.",
         "Who is challenging President Kibaki?", "Kenyan police fired tear gas.", "Raila Odinga"),
        # ... but a name ending like one is kept ("Polanski said").
        ("Polanski married the actress in 1968.", "Who married the actress?",
         "Polanski said he would return.", "Polanski"),
        # ... nor is one that ends otherwise ("French", "Muslim").
        ("French forward Thierry Henry scored for Arsenal.", "Who did Thierry Henry play for?",
         "French officials said so.", "Arsenal"),
        # "What is the name of …?" asks for a name: a nationality adjective is none.
        ("Russian rights group Memorial was closed.", "What is the name of the rights group?",
         "Russian officials said so.", "Memorial"),
        # "Which … item?" may be answered by a common noun opening a sentence.
        ("Strawberries topped the list again.", "Which produce item topped the list?",
         "Shoppers buy strawberries.", "Strawberries"),
    ],
)  # fmt: skip
def test_spans_that_are_no_names(sentence: str, question: str, story: str, short: str) -> None:
    found = find_span(sentence, "name", question, story=f"{story} {sentence}")
    assert found and found[0] == short


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the name of Lisa's father?", "name"),
        ("What is the new variant called?", "name"),
        ("In which 1990s sitcom did he star?", "name"),
        ("What is Liu charged with?", None),
        ("What was Tim Welch's weight at his heaviest?", "number"),
        ("What is Albert's sister's age?", "number"),
        ("What is the new death toll?", "number"),
        ("What is the expected number of hospital admissions?", "number"),
        ("What are the estimated costs of replacing the roofs?", "number"),
    ],
)
def test_question_kinds(question: str, kind: Kind | None) -> None:
    assert question_kind(question) == kind


def test_what_is_the_name_of_asks_for_the_name_of_that_thing() -> None:
    sentence = "The United Nations says Lake Chad has shrunk by 90 percent since the 1960s."
    assert short_span(sentence, "name", "What is the name of the lake?") == "Lake Chad"
    # The thing named is the noun, not an adjective before it.
    sentence = "In the final, American James Blake meets Roddick."
    question = "What is the name of the American player who is competing against Roddick?"
    assert short_span(sentence, "name", question) == "James Blake"


def test_a_first_name_in_a_quote_is_given_in_full() -> None:
    story = (
        "David Kellermann, the acting chief financial officer of Freddie Mac, was found dead. "
        '"As the acting chief financial officer, David was an inspiration to his staff."'
    )
    assert full_name("David", story) == "David Kellermann"
    assert full_name("Ukraine", "Ukraine CNN reported. Ukraine said no.") == "Ukraine"


def test_numbers_are_whole_words() -> None:
    sentence = "Welch often joined Weight Watchers in his Mazda3 after topping 260 pounds."
    assert [sentence[a:b] for a, b in spans(sentence, "number")] == ["260 pounds"]
    # A comma after the digits ends the number: "satellites" counts nothing here.
    sentence = "In 1963, satellites showed the lake at $1,200.50 an acre."
    assert [sentence[a:b] for a, b in spans(sentence, "number")] == ["1963", "$1,200.50"]


@pytest.mark.parametrize(
    ("sentence", "date"),
    [
        ("The FDA approved Gardasil in June 2006.", "June 2006"),  # not "June 20"
        ("The memorial service begins at 10 a.m. Tuesday.", "10 a.m. Tuesday"),
        ("Verizon will debut the network in late 2010.", "late 2010"),
        ("The vaccine should be ready by mid-September.", "mid-September"),
    ],
)
def test_dates_are_whole(sentence: str, date: str) -> None:
    assert [sentence[a:b] for a, b in spans(sentence, "date")] == [date]


def test_compound_adjectives_and_numbers_are_no_names() -> None:
    for sentence in (
        "One suspect, Jennifer Hudson, was held.",
        "Oscar-winning singer Jennifer Hudson drove on a Taliban-held road.",
        # ... nor a lawmaker's party and state.
        "A ceremony honoured Jennifer Hudson, D-Illinois, on Friday.",
    ):
        assert [sentence[a:b] for a, b in spans(sentence, "name")] == ["Jennifer Hudson"]


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Many of Rajapaksa's brothers hold posts.", ["Rajapaksa's"]),
        # ... nor is a day, though possessive.
        ("One of Monday's guests, Jennifer Hudson, sang.", ["Jennifer Hudson"]),
        # ... nor a number word, though a possessive by mistake.
        ("Hundred's of fans of Jennifer Hudson waited.", ["Jennifer Hudson"]),
    ],
)
def test_a_count_of_what_a_name_names_is_no_part_of_it(sentence: str, names: list[str]) -> None:
    assert [sentence[a:b] for a, b in spans(sentence, "name")] == names


def test_full_name_without_a_title_opening_its_sentence() -> None:
    story = (
        "Striker Maria Okafor scored twice for the Galaxy. The striker said she was happy. "
        "New York Knicks fans cheered. The new coach was sad. Okafor left. The Knicks lost."
    )
    assert full_name("Okafor", story) == "Maria Okafor"
    assert full_name("Knicks", story) == "New York Knicks"  # "new" is no title


@pytest.mark.parametrize(
    ("sentence", "question", "placed"),
    [
        # "invasion of what?" is answered by what follows "invasion of", not "invasion, …"
        ("Ukrainians feared an invasion, hoping that the buildup was a bluff.",
         "Russia launched an invasion of what country?", []),
        # ... though another preposition may stand for the question's; when it happened
        # is no part of what it was about.
        ("The panel held its first hearing on UFOs in decades.",
         "What was the hearing about?", ["UFOs"]),
        ("Scientists managed to revive the frozen nematodes in 2018, but their age was unclear.",
         "Scientists revived what animal?", ["the frozen nematodes"]),
        # The sentence's auxiliaries belong to the verb the question words otherwise.
        ("A large piece of space debris has been discovered washed up on a beach.",
         "A large piece of what was discovered on a beach?", ["space debris"]),
        # After "what is", a last word that is no participle is a noun: no verb to follow.
        ("Talabani's PUK and the Kurdistan Democratic Party, led by Massoud Barzani, split.",
         "What is the name of Talabani's party?", []),
        # The words before a wh-phrase count only within its own sentence of the question.
        ("Hageman won the lone House seat on Tuesday.",
         "She was booted from her House seat. What is her name?", []),
        # A pronoun, contracted or not, opens a clause of its own: no subject to give.
        ("If elected, he'll be the oldest president sworn in.", "Who will be the president?",
         []),
        # A name ending the question is no verb whose object is asked for ("sell to FARC?").
        ("Bout sold weapons to FARC, a Colombian rebel group.",
         "What did Viktor Bout offer to sell to FARC?", []),
    ],
)  # fmt: skip
def test_phrases_after_the_questions_verb(sentence: str, question: str, placed: list[str]) -> None:
    assert [sentence[a:b] for a, b in phrase_spans(sentence, question, stem)] == placed


def test_a_name_never_starts_inside_a_word() -> None:
    sentence = "Beck shares his memories on iReport.com and on eBay."
    assert [sentence[a:b] for a, b in spans(sentence, "name")] == ["Beck"]


def test_a_word_capitalised_to_open_a_sentence_is_no_part_of_a_name() -> None:
    sentence = "Because Amber Carter left early, the Rovers lost to Harbour City on Sunday."
    assert [sentence[a:b] for a, b in spans(sentence, "name")] == [
        "Amber Carter",
        "Rovers",
        "Harbour City",
    ]


def test_a_verbs_forms_share_a_stem() -> None:
    # "How much weight did he lose?" is answered by "after losing 140 pounds".
    assert stem("losing") == stem("lose")
    assert stem("charged") == stem("charge") == stem("charges")
    assert stem("killed") == stem("killing") and stem("topped") == stem("top")
    # "What did Safire die from?" is answered by "Safire died …".
    assert stem("die") == stem("died") == stem("dying") and stem("wound") == stem("wounded")
    assert stem("thing") != stem("the")  # a short word keeps its ending
