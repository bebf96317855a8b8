"""Telegram's HTML parse mode and automatic message entities, re-implemented for a fake Bot API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# The parser follows tdlib's parse_html (td/telegram/MessageEntity.cpp), which is what the Bot
# API server runs, so error texts and byte offsets match what a real bot would get back.
# One deliberate difference, on by default (strict=True): the documented rule "all <, > and &
# symbols that are not a part of a tag or an HTML entity must be replaced with the corresponding
# HTML entities" is enforced. The real server tolerates a bare "&" or ">" and an unknown "&name;"
# (it keeps them literally), but a bot that relies on that is one "<" in user text away from a
# refused message, so the fake refuses all of them.

_ALLOWED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
        # Newer tdlib also knows <tg-time unix="…">; accepted so the fake never refuses what the
        # spec version it is built from allows.
        "tg-time",
    }
)
_SIMPLE_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v"  # tdlib's is_space(), minus the NUL it uses as end-of-string marker
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class EntityParseError(ValueError):
    """The text is not valid for its parse mode; str(error) is tdlib's message."""


@dataclass
class FormattedText:
    """Plain text plus MessageEntity dicts (offsets and lengths in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji outside the BMP counts 2."""
    return len(text.encode("utf-16-le")) // 2


def _is_ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _byte_offset(source: str, index: int) -> int:
    # tdlib reports positions as UTF-8 byte offsets into the original text.
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, pos: int, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference starting at source[pos] == "&" like tdlib's
    decode_html_entity; returns (character, index after it) or None if it is not one."""
    n = len(source)
    end = pos + 1
    if end < n and source[end] == "#":
        end += 1
        hexadecimal = end < n and source[end] == "x"
        if hexadecimal:
            end += 1
        allowed = _HEX_DIGITS if hexadecimal else _DIGITS
        start = end
        while end < n and source[end] in allowed:
            end += 1
        digits = source[start:end]
        value = int(digits, 16 if hexadecimal else 10) if digits else 0
        # Surrogates are excluded too: Python could hold them but they cannot become UTF-8.
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        character = chr(value)
    else:
        while end < n and source[end] in _ASCII_LETTERS:
            end += 1
        name = source[pos + 1 : end]
        if name not in _NAMED_ENTITIES:
            return None
        character = _NAMED_ENTITIES[name]
    if end < n and source[end] == ";":
        return character, end + 1
    # tdlib also accepts "&amp" without the semicolon; the documented form always has one.
    return None if strict else (character, end)


def _strict_ampersand_error(source: str, pos: int) -> EntityParseError:
    match = re.match(r"&#?[A-Za-z0-9]+;", source[pos:])
    where = f"at byte offset {_byte_offset(source, pos)}"
    if match:
        return EntityParseError(f'Unsupported HTML entity "{match.group()}" {where}')
    return EntityParseError(f'Character "&" must be escaped as "&amp;" {where}')


class _HtmlParser:
    """One parse of one text; mirrors tdlib's single-pass loop over the source."""

    def __init__(self, source: str, strict: bool) -> None:
        self.source = source
        self.strict = strict
        self.i = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.open_tags: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def at(self, index: int) -> str:
        # "" plays the role of tdlib's terminating NUL.
        return self.source[index] if index < len(self.source) else ""

    def error(self, message: str, index: int) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {_byte_offset(self.source, index)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def parse(self) -> FormattedText:
        source = self.source
        while self.i < len(source):
            char = source[self.i]
            if char == "&":
                decoded = _decode_entity(source, self.i, self.strict)
                if decoded is not None:
                    self.emit(decoded[0])
                    self.i = decoded[1]
                    continue
                if self.strict:
                    raise _strict_ampersand_error(source, self.i)
            if char == ">" and self.strict:
                raise self.error('Character ">" must be escaped as "&gt;"', self.i)
            if char != "<":
                self.emit(char)
                self.i += 1
            elif self.at(self.i + 1) == "/":
                self.end_tag()
            else:
                self.start_tag()
        if self.open_tags:
            name = self.open_tags[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.out), self.entities)

    def skip_spaces(self) -> None:
        while self.at(self.i) and self.at(self.i) in _SPACES:
            self.i += 1

    def start_tag(self) -> None:
        begin = self.i
        self.i += 1
        while self.at(self.i) and self.at(self.i) not in _SPACES and self.at(self.i) != ">":
            self.i += 1
        if not self.at(self.i):
            raise self.error("Unclosed start tag", begin)
        tag = self.source[begin + 1 : self.i].lower()
        if tag not in _ALLOWED_TAGS:
            raise self.error(f'Unsupported start tag "{tag}"', begin)
        argument = ""
        while self.at(self.i) != ">":
            self.skip_spaces()
            if self.at(self.i) == ">":
                break
            name_begin = self.i
            while (
                self.at(self.i) and self.at(self.i) not in _SPACES and self.at(self.i) not in "=>"
            ):
                self.i += 1
            attribute = self.source[name_begin : self.i]
            if not attribute:
                raise self.error(f'Empty attribute name in the tag "{tag}"', begin)
            self.skip_spaces()
            if self.at(self.i) != "=":
                if tag == "blockquote" and attribute == "expandable":
                    argument = "1"
                    continue
                raise self.error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            self.i += 1
            self.skip_spaces()
            if not self.at(self.i):
                raise self.error(f'Unclosed start tag "{tag}"', begin)
            value = self.attribute_value(begin)
            if (
                (tag == "a" and attribute == "href")
                or (tag == "tg-emoji" and attribute == "emoji-id")
                or (tag == "tg-time" and attribute == "unix")
            ):
                argument = value
            elif tag == "code" and attribute == "class" and value.startswith("language-"):
                argument = value.removeprefix("language-")
            elif tag == "span" and attribute == "class" and value.startswith("tg-"):
                argument = value.removeprefix("tg-")
        self.i += 1  # past ">"
        if tag == "span" and argument != "spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        if tag == "tg-emoji" and not re.fullmatch(r"-?\d{1,19}", argument):
            raise EntityParseError("Invalid custom emoji identifier specified")
        self.open_tags.append(_OpenTag(tag, argument, self.utf16))

    def attribute_value(self, tag_begin: int) -> str:
        quote = self.at(self.i)
        if quote not in ("'", '"'):
            # An HTML "name token": letters, digits, periods and hyphens, case-insensitive.
            token_begin = self.i
            while self.at(self.i) and (_is_ascii_alnum(self.at(self.i)) or self.at(self.i) in ".-"):
                self.i += 1
            if self.at(self.i) and self.at(self.i) not in _SPACES + ">":
                raise self.error("Unexpected end of name token", token_begin)
            return self.source[token_begin : self.i].lower()
        self.i += 1
        value: list[str] = []
        while self.at(self.i) and self.at(self.i) != quote:
            if self.at(self.i) == "&":
                # Attribute values are lenient in tdlib as well: an undecodable "&" stays as is.
                decoded = _decode_entity(self.source, self.i, strict=False)
                if decoded is not None:
                    value.append(decoded[0])
                    self.i = decoded[1]
                    continue
            value.append(self.at(self.i))
            self.i += 1
        if self.at(self.i) == quote:
            self.i += 1
        if not self.at(self.i):
            raise self.error("Unclosed start tag", tag_begin)
        return "".join(value)

    def end_tag(self) -> None:
        begin = self.i
        if not self.open_tags:
            raise self.error("Unexpected end tag", begin)
        self.i += 2
        while self.at(self.i) and self.at(self.i) not in _SPACES and self.at(self.i) != ">":
            self.i += 1
        end_name = self.source[begin + 2 : self.i].lower()
        self.skip_spaces()
        if self.at(self.i) != ">":
            raise self.error("Unclosed end tag", begin)
        self.i += 1
        opened = self.open_tags.pop()
        if end_name and end_name != opened.name:
            offset = _byte_offset(self.source, begin)
            raise EntityParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{opened.name}>", '
                f'found "</{end_name}>"'
            )
        self.close_entity(opened)

    def close_entity(self, opened: _OpenTag) -> None:
        length = self.utf16 - opened.utf16_offset
        if length == 0:
            return  # tdlib drops empty entities silently
        entity: dict[str, Any] = {"offset": opened.utf16_offset, "length": length}
        if opened.name in _SIMPLE_ENTITY_TYPES:
            entity["type"] = _SIMPLE_ENTITY_TYPES[opened.name]
            in_pre = bool(self.open_tags) and self.open_tags[-1].name == "pre"
            if opened.name == "code" and opened.argument and in_pre:
                entity["language"] = opened.argument  # kept only if the <pre> wraps it exactly
            if opened.name == "pre" and self.entities:
                inner = self.entities[-1]
                # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
                same_span = (inner["offset"], inner["length"]) == (opened.utf16_offset, length)
                if inner["type"] == "code" and same_span and "language" in inner:
                    self.entities.pop()
                    entity["language"] = inner["language"]
        elif opened.name == "a":
            url = opened.argument or self.source_text_since(opened.utf16_offset)
            entity.update(type="text_link", url=url)
        elif opened.name == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif opened.name == "tg-emoji":
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        elif opened.name == "tg-time":
            entity.update(type="date_time", unix_time=int(opened.argument or 0))
        self.entities.append(entity)

    def source_text_since(self, utf16_offset: int) -> str:
        text = "".join(self.out).encode("utf-16-le")
        return text[utf16_offset * 2 :].decode("utf-16-le")


def parse_html(source: str, *, strict: bool = True) -> FormattedText:
    """Parse text sent with parse_mode=HTML; raises EntityParseError with tdlib's message."""
    return _HtmlParser(source, strict).parse()


def strip_formatted(formatted: FormattedText) -> FormattedText:
    """Trim surrounding whitespace as Telegram does before checking emptiness and length,
    shifting and clipping the entities to the trimmed text."""
    stripped = formatted.text.strip()
    if not stripped:
        return FormattedText("")
    lead = utf16_len(formatted.text[: len(formatted.text) - len(formatted.text.lstrip())])
    size = utf16_len(stripped)
    entities: list[dict[str, Any]] = []
    for entity in formatted.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


# A bot command is "/" plus up to 64 word characters, optionally "@botusername", at the start of
# the text or after whitespace; a mention is "@" plus a 5-32 character username not glued to a
# preceding word (which keeps "/start@bot" a single command).
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![A-Za-z0-9_@/])@[A-Za-z0-9_]{5,32}(?![A-Za-z0-9_])")


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram attaches to a user's plain text: bot commands and @mentions."""
    entities: list[dict[str, Any]] = []
    for kind, pattern in (("bot_command", _COMMAND), ("mention", _MENTION)):
        for match in pattern.finditer(text):
            entities.append(
                {
                    "type": kind,
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group()),
                }
            )
    entities.sort(key=lambda e: int(e["offset"]))
    return entities
