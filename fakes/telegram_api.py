"""Bot API semantics of the fake Telegram server: spec-driven parameters, validation, results."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ipaddress
import itertools
import json
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fakes.telegram_html import (
    EntityParseError,
    FormattedText,
    parse_html,
    strip_formatted,
    utf16_len,
)

DEFAULT_SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "telegram-bot-api" / "api.json"
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
# sendPhoto's limits, as the spec words them: "at most 10 MB in size", "width and height must
# not exceed 10000 in total", "width and height ratio must be at most 20".
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_RATIO = 20
MAX_CALLBACK_DATA_BYTES = 64
_CHAT_ACTIONS = frozenset(
    "typing upload_photo record_video upload_video record_voice upload_voice upload_document "
    "choose_sticker find_location record_video_note upload_video_note".split()
)
# The ways an inline button can act; Telegram wants exactly one of them next to "text".
_BUTTON_ACTIONS = (
    "url callback_data web_app login_url switch_inline_query switch_inline_query_current_chat "
    "switch_inline_query_chosen_chat copy_text callback_game pay".split()
)
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current message"
)
# Descriptions for JSON fields that fail to parse, where Telegram words it specially.
_JSON_ERRORS = {
    "reply_markup": "Bad Request: can't parse reply keyboard markup JSON object",
    "results": "Bad Request: can't parse inline query results JSON object",
    "commands": "Bad Request: can't parse commands JSON object",
}


class ApiError(Exception):
    """A non-ok answer: HTTP status = error_code, plus Telegram's description."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters
        # Filled in by BotApi.call so the refusal can be recorded with what was understood.
        self.method = ""
        self.params: dict[str, Any] = {}


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as the bot uploaded it."""

    filename: str
    content_type: str
    content: bytes = field(repr=False)


def image_size(content: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG, from its header; Telegram refuses other data as a
    photo with IMAGE_PROCESS_FAILED."""
    if content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR":
        width, height = struct.unpack(">II", content[16:24])
        if width and height:
            return width, height
    elif content[:2] == b"\xff\xd8":
        at = 2
        while at + 9 <= len(content) and content[at] == 0xFF:
            marker = content[at + 1]
            length = struct.unpack(">H", content[at + 2 : at + 4])[0]
            # Start-of-frame markers (baseline, progressive, …), not DHT, JPG or DAC.
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", content[at + 5 : at + 9])
                if width and height:
                    return width, height
                break
            at += 2 + length
    raise bad_request("IMAGE_PROCESS_FAILED")


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes


@dataclass(frozen=True)
class Spec:
    methods: dict[str, dict[str, Any]]
    by_lower_name: dict[str, str]  # Telegram matches method names case-insensitively
    types: dict[str, dict[str, Any]]
    update_types: tuple[str, ...]
    inline_result_types: dict[str, list[frozenset[str]]]  # "article" -> required field sets


@lru_cache(maxsize=4)
def load_spec(path: Path) -> Spec:
    data = json.loads(path.read_text(encoding="utf-8"))
    methods, types = data["methods"], data["types"]
    inline: dict[str, list[frozenset[str]]] = {}
    for name in types["InlineQueryResult"]["subtypes"]:
        fields = types[name]["fields"]
        type_field = next(f for f in fields if f["name"] == "type")
        kind = re.search(r"must be (\w+)", type_field["description"])
        if kind:
            required = frozenset(f["name"] for f in fields if f["required"])
            inline.setdefault(kind.group(1), []).append(required)
    return Spec(
        methods=methods,
        by_lower_name={name.lower(): name for name in methods},
        types=types,
        update_types=tuple(f["name"] for f in types["Update"]["fields"][1:]),
        inline_result_types=inline,
    )


def _decode_value(name: str, types: list[str], raw: Any, parts: dict[str, Any]) -> Any:
    """Turn one form value into what the field's spec types say, as the Bot API does: every
    form value is a string, and non-string fields hold their JSON encoding."""
    if not isinstance(raw, str):
        return raw  # an uploaded file, or a value that came typed in a JSON body
    kinds = set(types)
    if "InputFile" in kinds and raw.startswith("attach://"):
        attached = parts.get(raw.removeprefix("attach://"))
        if not isinstance(attached, UploadedFile):
            raise bad_request(f"wrong file identifier/HTTP URL specified for {name}")
        return attached
    if "Integer" in kinds and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kinds & {"String", "InputFile"}:
        return raw
    if "Integer" in kinds:
        raise bad_request(f"invalid {name} specified")
    if "Float" in kinds:
        try:
            return float(raw)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None
    if "Boolean" in kinds:
        if raw.lower() in ("true", "1", "false", "0", ""):
            return raw.lower() in ("true", "1")
        raise bad_request(f"invalid {name} specified")
    try:
        return json.loads(raw)
    except ValueError:
        raise ApiError(
            400, _JSON_ERRORS.get(name, f"Bad Request: can't parse {name} JSON object")
        ) from None


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram never nests replies: a reply_to_message has no reply_to_message of its own.
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _utf8_len(value: Any) -> int:
    return len(str(value).encode("utf-8"))


def _check_inline_keyboard(markup: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" must be an Array of Arrays')
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict):
            raise bad_request(prefix + "InlineKeyboardButton must be an Object")
        if not isinstance(button.get("text"), str):
            raise bad_request(prefix + 'Field "text" must be of type String')
        actions = [action for action in _BUTTON_ACTIONS if action in button]
        if not actions:
            raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
        if len(actions) > 1:
            raise bad_request(prefix + f"fields {', '.join(actions)} can't be used together")
        data = button.get("callback_data")
        if data is not None and (
            not isinstance(data, str) or not 1 <= _utf8_len(data) <= MAX_CALLBACK_DATA_BYTES
        ):
            raise bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not re.fullmatch(r"(https?|tg)://\S+", str(url)):
            raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" in markup or inline_only:
        _check_inline_keyboard(markup)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, str) and not (
                isinstance(button, dict) and isinstance(button.get("text"), str)
            ):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


@dataclass
class State:
    """Everything the server remembers; guarded by BotApi.lock."""

    fail_next: dict[str, list[int]] = field(default_factory=dict)  # lower method -> retry_afters
    updates: list[dict[str, Any]] = field(default_factory=list)
    allowed_updates: frozenset[str] = frozenset()
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    last_message_id: dict[int, int] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    open_queries: set[str] = field(default_factory=set)  # callback and inline query ids
    commands: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)
    drafts: list[dict[str, Any]] = field(default_factory=list)  # sendMessageDraft, in order
    waiting_polls: int = 0  # getUpdates requests parked until an update or their timeout


class BotApi:
    """The server side of one bot: what Telegram stores and how each method answers. Methods
    run on the server's event loop; tests read and inject from other threads under `lock`."""

    def __init__(self, spec: Spec, bot_user: dict[str, Any], *, strict_html: bool) -> None:
        self.spec = spec
        self.bot_user = bot_user
        self.strict_html = strict_html
        self.lock = threading.Lock()
        self.state = State(allowed_updates=self.default_update_types())
        self.ids = itertools.count(1)  # update ids, query ids and file ids alike
        # Set (on the server loop) whenever an update is queued; long polls wait on it.
        self.updates_queued = asyncio.Event()
        self.stopping = False  # set while the server shuts down: long polls return at once
        self.handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda _: self.get_me(),
            "getUpdates": self.get_updates,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "sendMessageDraft": self.send_message_draft,
            "editMessageText": self.edit_message_text,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "sendChatAction": self.send_chat_action,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "answerCallbackQuery": self.answer_callback_query,
            "answerInlineQuery": self.answer_inline_query,
            "getFile": self.get_file,
            "setWebhook": self.set_webhook,
            "deleteWebhook": self.delete_webhook,
            "getWebhookInfo": lambda _: self.webhook_info(),
            "close": lambda _: True,
            "logOut": lambda _: True,
        }

    async def call(self, method: str, raw: dict[str, Any]) -> tuple[str, dict[str, Any], Any]:
        """Answer one request for an existing token: (canonical method, decoded params, result),
        or raise ApiError. The params are also attached to the error for the record."""
        params = raw
        try:
            canonical = self.spec.by_lower_name.get(method.lower())
            if canonical is None:
                raise ApiError(404, "Not Found")
            method = canonical
            params = self.decode_params(method, raw)
            with self.lock:
                queued = self.state.fail_next.get(method.lower())
                retry_after = queued.pop(0) if queued else None
            if retry_after is not None:
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )
            handler = self.handlers.get(method)
            if handler is None:
                raise bad_request("method not implemented by the fake")
            result = handler(params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            error.method, error.params = method, params
            raise
        return method, params, result

    def decode_params(self, method: str, raw: dict[str, Any]) -> dict[str, Any]:
        fields = {f["name"]: f for f in self.spec.methods[method].get("fields", [])}
        params = {}
        for name, value in raw.items():
            spec_field = fields.get(name)
            # Unknown parameters are ignored by Telegram; they stay recorded as sent.
            params[name] = (
                _decode_value(name, spec_field["types"], value, raw) if spec_field else value
            )
        for name, spec_field in fields.items():
            if spec_field["required"] and params.get(name) in (None, ""):
                if name == "text":
                    raise bad_request("message text is empty")
                raise bad_request(f"parameter {name} is required")
        return params

    def queue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            update = {"update_id": next(self.ids) + 100_000, kind: payload}
            self.state.updates.append(update)
        return update

    def new_message(
        self,
        chat: dict[str, Any],
        sender: dict[str, Any],
        body: dict[str, Any],
        reply_to: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Build and store a message. Ids count per chat and are shared by both sides, as in
        Telegram."""
        with self.lock:
            message_id = self.state.last_message_id.get(chat["id"], 0) + 1
            self.state.last_message_id[chat["id"]] = message_id
            message = {
                "message_id": message_id,
                "from": sender,
                "chat": chat,
                "date": int(time.time()),
                **body,
            }
            if reply_to is not None:
                message["reply_to_message"] = _without_reply(reply_to)
            self.state.messages[(chat["id"], message_id)] = message
        return message

    def store_file(self, content: bytes, file_name: str, folder: str) -> dict[str, Any]:
        number = next(self.ids)
        suffix = Path(file_name).suffix
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
        )
        with self.lock:
            self.state.files[stored.file_id] = stored
        return {
            "file_name": file_name,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(content),
        }

    def default_update_types(self) -> frozenset[str]:
        excluded = {"chat_member", "message_reaction", "message_reaction_count"}
        return frozenset(t for t in self.spec.update_types if t not in excluded)

    def get_me(self) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        with self.lock:
            if self.state.webhook.get("url"):
                raise ApiError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                )
            # A positive offset confirms every update below it; a negative one keeps only the
            # last -offset updates. Both forget the rest for good.
            updates = self.state.updates
            if offset > 0:
                self.state.updates = [u for u in updates if u["update_id"] >= offset]
            elif offset < 0:
                self.state.updates = updates[offset:]
            if "allowed_updates" in params:  # omitted means "keep the previous setting"
                allowed = params["allowed_updates"]
                self.state.allowed_updates = (
                    frozenset(allowed) if allowed else self.default_update_types()
                )
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self.updates_queued
        while True:
            event.clear()  # before looking, so an update queued after the look still wakes us
            with self.lock:
                allowed = self.state.allowed_updates
                batch = [u for u in self.state.updates if allowed.intersection(u)][:limit]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.stopping:
                return batch
            with self.lock:
                self.state.waiting_polls += 1
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:  # also when the client hangs up and aiohttp cancels the handler
                with self.lock:
                    self.state.waiting_polls -= 1

    def chat(self, chat_id: Any) -> dict[str, Any]:
        with self.lock:
            if isinstance(chat_id, int) and chat_id in self.state.chats:
                return self.state.chats[chat_id]
            if isinstance(chat_id, str) and chat_id.startswith("@"):
                for chat in self.state.chats.values():
                    if chat.get("username", "").lower() == chat_id[1:].lower():
                        return chat
        raise bad_request("chat not found")

    def formatted(
        self, params: dict[str, Any], key: str, *, caption: bool = False
    ) -> FormattedText:
        """The text as Telegram stores it: parsed for its parse_mode, trimmed, and checked for
        being empty (captions may be) or too long, counted in UTF-16 code units."""
        prefix = "caption_" if caption else ""
        source = params.get(key) or ""
        explicit = params.get(f"{prefix}entities")
        parse_mode = str(params.get("parse_mode") or "").lower()
        if explicit:
            # Explicit entities win over parse_mode in Telegram; they are taken as given.
            formatted = FormattedText(source, list(explicit))
        elif parse_mode == "html":
            try:
                formatted = parse_html(source, strict=self.strict_html)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif parse_mode in ("", "markdown", "markdownv2"):
            # Markdown is passed through unchecked: this project formats with HTML.
            formatted = FormattedText(source)
        else:
            raise bad_request("unsupported parse_mode")
        formatted = strip_formatted(formatted)
        if caption:
            if utf16_len(formatted.text) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
        elif not formatted.text:
            raise bad_request("message text is empty")
        elif utf16_len(formatted.text) > MAX_MESSAGE_LENGTH:
            raise bad_request("message is too long")
        return formatted

    def reply_target(self, chat: dict[str, Any], params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        legacy_id = str(params.get("reply_to_message_id", ""))
        if reply is None and re.fullmatch(r"\d+", legacy_id):
            # Dropped from the spec in Bot API 7.0 but still honoured by Telegram, so these two
            # arrive undecoded, as strings.
            without = str(params.get("allow_sending_without_reply", "")).lower()
            reply = {
                "message_id": int(legacy_id),
                "allow_sending_without_reply": without in ("true", "1"),
            }
        if reply is None:
            return None
        if not isinstance(reply, dict) or not isinstance(reply.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")
        target_chat = reply.get("chat_id", chat["id"])
        if target_chat != chat["id"]:
            target_chat = self.chat(target_chat)["id"]
        with self.lock:
            target = self.state.messages.get((target_chat, reply["message_id"]))
        if target is None and not reply.get("allow_sending_without_reply"):
            raise bad_request("message to be replied not found")
        return target

    def send(self, params: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        chat = self.chat(params["chat_id"])
        reply_to = self.reply_target(chat, params)
        markup = _check_reply_markup(params.get("reply_markup"))
        if markup is not None and "inline_keyboard" in markup:
            # Message.reply_markup only ever reports inline keyboards.
            body["reply_markup"] = markup
        return self.new_message(chat, self.bot_user, body, reply_to)

    def send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        self.chat(params["chat_id"])  # "chat not found" comes before text checks in Telegram
        formatted = self.formatted(params, "text")
        body: dict[str, Any] = {"text": formatted.text}
        if formatted.entities:
            body["entities"] = formatted.entities
        return self.send(params, body)

    def send_message_draft(self, params: dict[str, Any]) -> bool:
        """A streamed preview: private chats only, a non-zero draft id, text as sendMessage's
        (empty shows "Thinking…")."""
        chat = self.chat(params["chat_id"])
        if chat.get("type") != "private":
            raise bad_request("draft messages can be sent only to private chats")
        if not params["draft_id"]:
            raise bad_request("draft_id must be non-zero")
        text = self.formatted(params, "text").text if params.get("text") else ""
        with self.lock:
            self.state.drafts.append(
                {"chat_id": chat["id"], "draft_id": params["draft_id"], "text": text}
            )
        return True

    def send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        self.chat(params["chat_id"])
        document = params["document"]
        if isinstance(document, UploadedFile):
            stored = self.store_file(document.content, document.filename, "documents")
            stored["mime_type"] = document.content_type
        else:
            with self.lock:
                known = self.state.files.get(str(document))
            if known is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            stored = {
                "file_id": known.file_id,
                "file_unique_id": known.file_unique_id,
                "file_size": len(known.content),
            }
        body: dict[str, Any] = {"document": stored}
        if params.get("caption"):
            formatted = self.formatted(params, "caption", caption=True)
            body["caption"] = formatted.text
            if formatted.entities:
                body["caption_entities"] = formatted.entities
        return self.send(params, body)

    def send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo: an upload (PNG or JPEG, within the spec's size limits) or the file_id of
        one sent before. One size comes back, the photo as sent: the fake makes no smaller
        copies (Telegram adds thumbnails to the list)."""
        self.chat(params["chat_id"])
        photo = params["photo"]
        if isinstance(photo, UploadedFile):
            if len(photo.content) > MAX_PHOTO_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            width, height = image_size(photo.content)
            if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(
                width, height
            ):
                raise bad_request("PHOTO_INVALID_DIMENSIONS")
            stored = self.store_file(photo.content, photo.filename or "photo.png", "photos")
            del stored["file_name"]
        else:
            with self.lock:
                known = self.state.files.get(str(photo))
            if known is None:
                # HTTP URLs too: the fake fetches nothing from the Internet.
                raise bad_request("wrong file identifier/HTTP URL specified")
            width, height = image_size(known.content)
            stored = {
                "file_id": known.file_id,
                "file_unique_id": known.file_unique_id,
                "file_size": len(known.content),
            }
        body: dict[str, Any] = {"photo": [{**stored, "width": width, "height": height}]}
        if params.get("caption"):
            formatted = self.formatted(params, "caption", caption=True)
            body["caption"] = formatted.text
            if formatted.entities:
                body["caption_entities"] = formatted.entities
            if params.get("show_caption_above_media"):
                body["show_caption_above_media"] = True
        if params.get("has_spoiler"):
            body["has_media_spoiler"] = True
        return self.send(params, body)

    def editable(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("chat_id") is None or params.get("message_id") is None:
            raise bad_request("message identifier is not specified")
        chat = self.chat(params["chat_id"])
        with self.lock:
            message = self.state.messages.get((chat["id"], params["message_id"]))
        if message is None:
            raise bad_request("message to edit not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request("message can't be edited")
        return message

    def store_edit(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        def content(m: dict[str, Any]) -> tuple[Any, ...]:
            return (m.get("text"), m.get("entities"), m.get("reply_markup"))

        if content(old) == content(new):
            raise bad_request(_NOT_MODIFIED.removeprefix("Bad Request: "))
        new["edit_date"] = int(time.time())
        with self.lock:
            self.state.messages[(new["chat"]["id"], new["message_id"])] = new
        return new

    def edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            self.formatted(params, "text")
            _check_reply_markup(params.get("reply_markup"), inline_only=True)
            return True  # inline messages live on the user's side; Telegram answers True
        message = self.editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        formatted = self.formatted(params, "text")
        markup = _check_reply_markup(params.get("reply_markup"), inline_only=True)
        edited = {
            k: v for k, v in message.items() if k not in ("entities", "reply_markup", "edit_date")
        }
        edited["text"] = formatted.text
        if formatted.entities:
            edited["entities"] = formatted.entities
        # Editing the text without passing reply_markup removes the keyboard, as in Telegram.
        if markup is not None:
            edited["reply_markup"] = markup
        return self.store_edit(message, edited)

    def edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = _check_reply_markup(params.get("reply_markup"), inline_only=True)
        if params.get("inline_message_id"):
            return True
        message = self.editable(params)
        edited = {k: v for k, v in message.items() if k not in ("reply_markup", "edit_date")}
        if markup is not None and markup.get("inline_keyboard"):
            edited["reply_markup"] = markup
        return self.store_edit(message, edited)

    def send_chat_action(self, params: dict[str, Any]) -> bool:
        self.chat(params["chat_id"])
        if params["action"] not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @staticmethod
    def commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse commands JSON object")
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", "")).strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        with self.lock:
            self.state.commands[self.commands_key(params)] = commands
        return True

    def get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        with self.lock:
            return self.state.commands.get(self.commands_key(params), [])

    def delete_my_commands(self, params: dict[str, Any]) -> bool:
        with self.lock:
            self.state.commands.pop(self.commands_key(params), None)
        return True

    def close_query(self, query_id: str) -> None:
        with self.lock:
            if query_id not in self.state.open_queries:
                raise bad_request(
                    "query is too old and response timeout expired or query ID is invalid"
                )
            self.state.open_queries.discard(query_id)

    def answer_callback_query(self, params: dict[str, Any]) -> bool:
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.close_query(str(params["callback_query_id"]))
        return True

    def answer_inline_query(self, params: dict[str, Any]) -> bool:
        results = params["results"]
        if not isinstance(results, list):
            raise ApiError(400, _JSON_ERRORS["results"])
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            self.check_inline_result(result, seen)
        self.close_query(str(params["inline_query_id"]))
        return True

    def check_inline_result(self, result: Any, seen: set[str]) -> None:
        if not isinstance(result, dict) or "type" not in result or "id" not in result:
            raise bad_request(
                'can\'t parse inline query result: fields "type" and "id" are required'
            )
        result_id = str(result["id"])
        if not 1 <= _utf8_len(result_id) <= 64:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        # The spec's InlineQueryResult subtypes say which fields each result type requires.
        variants = self.spec.inline_result_types.get(str(result["type"]))
        if not variants:
            raise bad_request("RESULT_TYPE_INVALID")
        if not any(required <= result.keys() for required in variants):
            missing = sorted(min(variants, key=lambda r: len(r - result.keys())) - result.keys())
            raise bad_request(f'can\'t parse inline query result: field "{missing[0]}" is required')
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            self.formatted(content, "message_text")
        if result.get("reply_markup") is not None:
            _check_reply_markup(result["reply_markup"], inline_only=True)

    def get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            stored = self.state.files.get(str(params["file_id"]))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }

    def set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params["url"])
        parts = urlsplit(url)
        try:
            loopback = ipaddress.ip_address(parts.hostname or "").is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        # Telegram insists on HTTPS; plain HTTP is allowed here for loopback so tests need no TLS.
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        with self.lock:
            self.state.webhook = {k: v for k, v in params.items() if k != "certificate"}
            if params.get("allowed_updates") is not None:
                allowed = params["allowed_updates"]
                self.state.allowed_updates = (
                    frozenset(allowed) if allowed else self.default_update_types()
                )
            if params.get("drop_pending_updates"):
                self.state.updates = []
        return True

    def delete_webhook(self, params: dict[str, Any]) -> bool:
        with self.lock:
            self.state.webhook = {}
            if params.get("drop_pending_updates"):
                self.state.updates = []
        return True

    def webhook_info(self) -> dict[str, Any]:
        with self.lock:
            webhook = dict(self.state.webhook)
            pending = len(self.state.updates)
        info: dict[str, Any] = {
            "url": webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        for key in ("ip_address", "max_connections", "allowed_updates"):
            if key in webhook:
                info[key] = webhook[key]
        return info
