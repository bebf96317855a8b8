"""Arabic for the keyword index and for queries alike: one spelling for the many ways a word
is written, and Latin consonant skeletons that let an Arabic name find its English spelling.

The folding is the usual light normalisation for Arabic search (as Lucene's ArabicNormalizer):
diacritics and tatweel removed, alef forms unified, ى read as ي and ة as ه; plus the article ال
and its prefixed forms (وال، بال، كال، فال، لل) taken off, so "الجباوي" meets "جباوي".
"""

from __future__ import annotations

import re

ARABIC_LETTER = re.compile(r"[\u0620-\u064a\u0671-\u06d3]")
_MARKS = re.compile(r"[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # harakat, Quranic marks, tatweel
_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
_ARTICLE = re.compile(r"^(?:وال|بال|كال|فال|لل|ال)(?=\w{3})")
_WORD = re.compile(r"\w+")

# Each Arabic letter as the Latin consonant an English spelling of a name would use; long
# vowels and the glottal letters leave no trace (جاسم → jsm, as "Jassim" → jsm).
_SKELETON_AR = {
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h",
}  # fmt: skip
_DIGRAPHS = (("sh", "s"), ("kh", "k"), ("th", "t"), ("dh", "d"), ("gh", "g"), ("ph", "f"))
_LATIN = str.maketrans("qcxvp", "kkkfb")
_VOWELS = re.compile(r"[aeiouwy]")
MIN_SKELETON = 2  # one consonant ("b" of Ayoub) would match names at random


def has_arabic(text: str) -> bool:
    return ARABIC_LETTER.search(text) is not None


def strip_marks(text: str) -> str:
    """The text without diacritics and tatweel, letters otherwise as written."""
    return _MARKS.sub("", text) if has_arabic(text) else text


def fold_word(word: str) -> str:
    """One Arabic word as the keyword index spells it; other words are left as they are."""
    if not has_arabic(word):
        return word
    return _ARTICLE.sub("", strip_marks(word).translate(_LETTERS))


def fold(text: str) -> str:
    """Text as the keyword index stores it: every Arabic word folded, the rest untouched."""
    if not has_arabic(text):
        return text
    return _WORD.sub(lambda m: fold_word(m.group()), strip_marks(text))


def skeleton(word: str) -> str:
    """The consonants of a name, in a spelling Arabic and English share ("" when unsure).

    و and ي count as consonants only at the start: inside a word they are mostly vowels."""
    if has_arabic(word):
        folded = fold_word(word)
        head = {"و": "w", "ي": "y"}.get(folded[:1], "")
        letters = head + "".join(_SKELETON_AR.get(ch, "") for ch in folded[len(head) :])
    else:
        latin = word.lower()
        for digraph, single in _DIGRAPHS:
            latin = latin.replace(digraph, single)
        latin = latin.translate(_LATIN)
        head = latin[:1] if latin[:1] in ("w", "y") else ""
        letters = head + _VOWELS.sub("", latin[len(head) :])
        if not letters.isalpha() or not letters.isascii():
            return ""
    squeezed = re.sub(r"(.)\1+", r"\1", letters)  # "Jassim" and جاسم alike: one s
    return squeezed if len(squeezed) >= MIN_SKELETON else ""


def could_spell(arabic_word: str, latin: str) -> bool:
    """Whether a Latin name of the same skeleton could spell the Arabic word: both begin
    alike, with a vowel or a consonant (أيهم: Ayham, not Haim), and each Arabic letter gives
    at most two Latin ones, a consonant and a short vowel (قتل is not "Catalao")."""
    folded = fold_word(arabic_word)
    opens_with_vowel = folded[:1] in ("ا", "ع")
    return opens_with_vowel == (latin[:1].lower() in "aeiou") and len(latin) <= 2 * len(folded)


_NAME = re.compile(r"\b[A-Z][a-z]+(?:-[A-Z][a-z]+)?\b")


def latin_names(text: str) -> set[str]:
    """Capitalised Latin words of a text, the part of a hyphenated one after "al-" included:
    the names an Arabic question may be spelling."""
    names = set()
    for m in _NAME.finditer(text):
        for part in m.group().split("-"):
            if len(part) > 2:
                names.add(part.lower())
    return names
