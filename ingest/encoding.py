"""What the bytes of an input are: binary, or text in which encoding, read as editors do."""

from __future__ import annotations

import codecs
import contextlib
import re

import charset_normalizer

from newsdesk.errors import ReadError

BINARY_REASON = "binary file, not text/HTML/JSON/feed"
_BINARY_MAGIC = (b"%PDF-", b"PK\x03\x04", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(data: bytes) -> str | None:
    """The codec named by a leading byte-order mark, if there is one."""
    return next((codec for bom, codec in _BOMS if data.startswith(bom)), None)


def is_binary(data: bytes) -> bool:
    """True for bytes that cannot be an article: NULs (outside UTF-16/32) or a known file magic."""
    if bom_encoding(data) in ("utf-16", "utf-32"):
        return False
    return data.startswith(_BINARY_MAGIC) or b"\x00" in data[:8192]


def decode_text(data: bytes, charset: str | None = None) -> tuple[str, str | None]:
    """Bytes to str, as an editor opens a file, and the encoding assumed when it was not UTF-8
    ("windows-1256"). A BOM wins, then a declared `charset` that reads the bytes, then UTF-8,
    then the likeliest legacy encoding; ReadError when none reads them."""
    if bom := bom_encoding(data):
        try:
            return data.decode(bom), None if bom == "utf-8-sig" else encoding_label(bom)
        except UnicodeDecodeError as err:
            raise ReadError(f"not valid {bom} at byte {err.start}") from None
    declared = codec_name(charset)
    if declared and not declared.startswith(("utf-16", "utf-32")):  # those need a BOM here
        # Browsers read a page declared Latin-1 as windows-1252, its superset: the quotes and
        # dashes such pages hold are in windows-1252's extra characters.
        for codec in ("cp1252", declared) if declared == "iso8859-1" else (declared,):
            with contextlib.suppress(UnicodeDecodeError):
                text = data.decode(codec)
                return text, None if codec in ("utf-8", "ascii") else encoding_label(codec)
        # A wrong declaration (a server saying UTF-8 for an old page) is common: guess instead.
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as err:
        invalid_at = err.start
    if _mostly_utf8(data):
        # Another encoding would garble all of the text to explain a few bytes.
        raise ReadError(f"not valid UTF-8 at byte {invalid_at}, though the rest is (damaged?)")
    if guessed := guess_encoding(data):
        return data.decode(guessed), encoding_label(guessed)
    raise ReadError(f"not text in any known encoding (not valid UTF-8 at byte {invalid_at})")


def decode_leniently(data: bytes) -> tuple[str, str | None]:
    """What `decode_text` refuses, read as browsers show it: damaged UTF-8 as UTF-8, anything
    else as windows-1252, with U+FFFD for what neither reads."""
    if _mostly_utf8(data):
        return data.decode("utf-8", "replace"), None
    return data.decode("cp1252", "replace"), "windows-1252"


def _mostly_utf8(data: bytes) -> bool:
    """More characters in valid UTF-8 than bytes that are not: damaged UTF-8, since legacy
    text almost never happens to form a valid UTF-8 sequence."""
    text = data.decode("utf-8", "replace")
    broken = text.count("\ufffd")
    beyond_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return beyond_ascii - broken > broken


# Where UTF-8 fails: the legacy code pages of the languages a news archive meets, likeliest
# first (a tie between them goes to the earlier). EBCDIC, DOS, Mac and the rarer ISO pages are
# left out: they read almost any bytes as some text, and would win on a short file.
_LEGACY = (
    # Windows: Western, Arabic, Cyrillic, Central European, Turkish, Greek, Hebrew, Baltic.
    "cp1252 cp1256 cp1251 cp1250 cp1254 cp1253 cp1255 cp1257 "
    # ISO and KOI8 pages that differ from those; then Chinese, Japanese and Korean.
    "iso8859_6 iso8859_15 latin_1 iso8859_2 koi8_r gb18030 big5 cp932 shift_jis euc_jp cp949 euc_kr"
).split()


def guess_encoding(data: bytes) -> str | None:
    """The legacy encoding that reads `data` as the most plausible text, None when none does.

    charset-normalizer scores each candidate's reading by how garbled it looks (chaos) and how
    much it looks like a language (coherence), and ranks chaos first. Alone, that ranking
    misleads: a Japanese code page reads a few stray bytes in English text as clean kana, ahead
    of windows-1252's slightly odd but English reading; so readings a little more garbled than
    the cleanest still compete, on coherence. Short texts tie on both (Arabic "درعا" reads
    cleanly in a dozen code pages), and so does the French of Latin-1, which windows-1250 also
    reads but with "č" for "è": such ties go to the more widely used encoding.
    """
    matches = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY)
    if not matches:
        return None
    least_chaos = min(m.chaos for m in matches)
    clean = [m for m in matches if m.chaos <= least_chaos + 0.05]
    most_coherent = max(m.coherence for m in clean)
    likely = {
        codec
        for m in clean
        if m.coherence >= most_coherent - 0.05
        for codec in m.could_be_from_charset  # the candidates that read it identically
        if codec in _LEGACY
    }
    return min(likely, key=_LEGACY.index, default=matches[0].encoding)


def stream_encoding(head: bytes) -> str:
    """The codec to read a file in line by line, judged from its first bytes: UTF-8 unless they
    say otherwise, so that in a UTF-8 file a broken line fails alone."""
    if bom := bom_encoding(head):
        return bom
    try:
        # Not final: a character cut in two by the end of the sample is no error.
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        if not _mostly_utf8(head):
            return guess_encoding(head) or "utf-8"
    return "utf-8"


def encoding_label(codec: str) -> str:
    """The name people know an encoding by: "windows-1256" for Python's "cp1256"."""
    name = codec_name(codec) or codec
    if re.fullmatch(r"cp125\d", name):
        return f"windows-{name[2:]}"
    return re.sub(r"^ISO8859-", "ISO-8859-", name.upper()).replace("_", "-")


def codec_name(name: str | None) -> str | None:
    """Python's own name of an encoding label, None for an unknown one."""
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None
