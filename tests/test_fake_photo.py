"""sendPhoto in the fake Bot API, as the spec describes it: an uploaded PNG or JPEG within the
limits, or a photo's file_id; a caption parsed like a message's; anything else refused."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

import pytest
import telegram
from telegram.error import BadRequest

from fakes.telegram import FakeTelegram
from fakes.telegram_api import image_size

TOKEN = "123456:PHOTO-token"
ALICE_ID = 42


def png(width: int, height: int) -> bytes:
    """A valid, blank grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG up to its frame header (SOI, an APP0 segment, SOF0)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(TOKEN) as server:
        server.private_message(server.user(ALICE_ID, "Alice", "alice"), "hello")
        yield server


def test_image_sizes_are_read_from_the_header() -> None:
    assert image_size(png(30, 20)) == (30, 20)
    assert image_size(jpeg_header(640, 480)) == (640, 480)


async def test_send_photo_with_a_caption_then_again_by_file_id(fake: FakeTelegram) -> None:
    async with telegram.Bot(TOKEN, base_url=fake.base_url) as bot:
        sent = await bot.send_photo(
            ALICE_ID, png(40, 30), caption="<b>Timeline</b> of a town", parse_mode="HTML"
        )
        [size] = sent.photo
        assert (size.width, size.height) == (40, 30)
        assert sent.caption == "Timeline of a town"
        assert [e.type for e in sent.caption_entities] == ["bold"]
        again = await bot.send_photo(ALICE_ID, size.file_id)
        assert again.photo[0].file_unique_id == size.file_unique_id
        assert (await bot.get_file(size.file_id)).file_size == size.file_size
    assert [m["message_id"] for m in fake.sent(ALICE_ID)] == [2, 3]  # photos count as sent
    assert fake.refused == []


@pytest.mark.parametrize(
    ("photo", "refusal"),
    [
        (b"%PDF-1.4 not a picture", "IMAGE_PROCESS_FAILED"),
        (png(2100, 100), "PHOTO_INVALID_DIMENSIONS"),  # wider than 20 × its height
        (png(1, 1)[:16] + struct.pack(">II", 6000, 5000) + png(1, 1)[24:], "INVALID_DIMENSIONS"),
        ("AgADnope", "wrong file identifier"),
    ],
)
async def test_send_photo_refuses_what_telegram_refuses(
    fake: FakeTelegram, photo: bytes | str, refusal: str
) -> None:
    async with telegram.Bot(TOKEN, base_url=fake.base_url) as bot:
        with pytest.raises(BadRequest, match=f"(?i){refusal}"):  # PTB capitalises it
            await bot.send_photo(ALICE_ID, photo)
    assert [r.method for r in fake.refused] == ["sendPhoto"]


async def test_a_caption_over_1024_characters_is_refused(fake: FakeTelegram) -> None:
    async with telegram.Bot(TOKEN, base_url=fake.base_url) as bot:
        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_photo(ALICE_ID, png(10, 10), caption="x" * 1025)
