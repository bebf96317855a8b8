"""A fake Telegram Bot API HTTP server that real python-telegram-bot code talks to in tests."""

from __future__ import annotations

import asyncio
import copy
import json
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import aiohttp
from aiohttp import web

from fakes.telegram_api import DEFAULT_SPEC_PATH, ApiError, BotApi, UploadedFile, load_spec
from fakes.telegram_html import auto_entities

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# The bot's own sends and edits, i.e. what fake.sent() reports.
MESSAGE_METHODS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)


@dataclass
class Call:
    """One HTTP request to the Bot API endpoint, as answered."""

    method: str
    params: dict[str, Any]
    time: float
    status: int
    response: dict[str, Any]
    content_type: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def result(self) -> Any:
        return self.response.get("result")


class Refusal(NamedTuple):
    method: str
    params: dict[str, Any]
    description: str


class Throttle(NamedTuple):
    method: str
    params: dict[str, Any]
    retry_after: int


class FakeTelegram:
    """The Bot API for one bot token, served on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        token: str,
        *,
        bot_username: str = "newsdesk_test_bot",
        spec_path: Path = DEFAULT_SPEC_PATH,
        strict_html: bool = True,
    ) -> None:
        self.token = token
        bot_id = token.split(":", 1)[0]
        bot_user: dict[str, Any] = {
            "id": int(bot_id) if bot_id.isdigit() else 7000000001,
            "is_bot": True,
            "first_name": "Newsdesk Test",
            "username": bot_username,
        }
        self.api = BotApi(load_spec(spec_path), bot_user, strict_html=strict_html)
        # Guards the records below; notified on every recorded call for the *_sync waiters.
        self._changed = threading.Condition()
        self._calls: list[Call] = []
        self._refused: list[Refusal] = []
        self._throttled: list[Throttle] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def bot_user(self) -> dict[str, Any]:
        return self.api.bot_user

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/file/bot"

    def start(self) -> FakeTelegram:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # handed to start()'s caller, not lost in the thread
                failure.append(exc)
                loop.close()
                ready.set()
                return
            self._loop = loop
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(30) or failure:
            self._thread = None
            raise RuntimeError("the fake Telegram server did not start") from (
                failure[0] if failure else None
            )
        return self

    async def _serve(self) -> None:
        self.api.updates_queued = asyncio.Event()  # for this loop, should the fake be restarted
        self.api.stopping = False
        app = web.Application(client_max_size=64 * 1024 * 1024)  # Telegram takes 50 MB uploads
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client went away (PTB cancelling getUpdates on
        # shutdown) must end at once instead of lingering and holding up stop().
        self._runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=1.0,
            handler_cancellation=True,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        self._thread = self._loop = None

    async def _shutdown(self) -> None:
        # Parked long polls answer at once (with no updates) rather than holding up cleanup().
        self.api.stopping = True
        self.api.updates_queued.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----------------------------------------------------------------- test controls

    @property
    def calls(self) -> list[Call]:
        with self._changed:
            return list(self._calls)

    @property
    def refused(self) -> list[Refusal]:
        with self._changed:
            return list(self._refused)

    @property
    def throttled(self) -> list[Throttle]:
        with self._changed:
            return list(self._throttled)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates the bot has not confirmed yet."""
        with self.api.lock:
            return list(self.api.state.updates)

    @property
    def waiting_polls(self) -> int:
        """getUpdates long polls currently parked on the server, i.e. the bot is listening."""
        with self.api.lock:
            return self.api.state.waiting_polls

    def fail_next(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 Too Many Requests."""
        with self.api.lock:
            queue = self.api.state.fail_next.setdefault(method.lower(), [])
            queue.extend([retry_after] * times)

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent or edited (the API's results), oldest first."""
        with self._changed:
            return self._sent_locked(chat_id)

    def _sent_locked(self, chat_id: int | None) -> list[dict[str, Any]]:
        return [
            call.result
            for call in self._calls
            if call.method in MESSAGE_METHODS
            and call.ok
            and isinstance(call.result, dict)
            and (chat_id is None or call.result["chat"]["id"] == chat_id)
        ]

    def drafts(self, chat_id: int) -> list[dict[str, Any]]:
        """The streamed previews (sendMessageDraft) the bot showed in a chat, oldest first."""
        with self.api.lock:
            return [d for d in self.api.state.drafts if d["chat_id"] == chat_id]

    def register_chat(self, chat: dict[str, Any]) -> None:
        """Make a chat known without a message in it (Telegram answers "chat not found" else)."""
        with self.api.lock:
            self.api.state.chats[chat["id"]] = chat

    # ----------------------------------------------------------------- injecting updates

    @staticmethod
    def user(
        id: int,
        first_name: str = "Tester",
        username: str | None = None,
        *,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def private_message(
        self, user: dict[str, Any], text: str, *, reply_to: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return self._queue_message(chat, user, {"text": text}, reply_to)

    def group_message(
        self,
        chat_id: int,
        user: dict[str, Any],
        text: str,
        *,
        reply_to: dict[str, Any] | None = None,
        chat_title: str = "Newsroom",
    ) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": chat_title}
        return self._queue_message(chat, user, {"text": text}, reply_to)

    def document_message(
        self,
        chat_id: int,
        user: dict[str, Any],
        file_name: str,
        content: bytes,
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_type: str = "private",
    ) -> dict[str, Any]:
        """A user sends a file; getFile and the file URL then serve `content`."""
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        else:
            chat = {"id": chat_id, "type": chat_type, "title": "Newsroom"}
        document = self.api.store_file(content, file_name, "documents")
        guessed = mimetypes.guess_type(file_name)[0]
        document["mime_type"] = mime_type or guessed or "application/octet-stream"
        body: dict[str, Any] = {"document": document}
        if caption is not None:
            body["caption"] = caption
        return self._queue_message(chat, user, body, None)

    def callback_query(
        self, user: dict[str, Any], message: dict[str, Any], data: str
    ) -> dict[str, Any]:
        """A user presses an inline button with `data` under `message` (e.g. from sent())."""
        query_id = self._open_query()
        chat_instance = str(abs(message["chat"]["id"]) * 7919 % 10**12)  # stable per chat
        return self._queue(
            "callback_query",
            {
                "id": query_id,
                "from": user,
                "message": message,
                "chat_instance": chat_instance,
                "data": data,
            },
        )

    def inline_query(self, user: dict[str, Any], query: str) -> dict[str, Any]:
        payload = {"id": self._open_query(), "from": user, "query": query, "offset": ""}
        return self._queue("inline_query", payload)

    def _open_query(self) -> str:
        # Query ids are long decimal strings in Telegram; only open ones may be answered.
        query_id = str(next(self.api.ids) + 4_000_000_000_000_000_000)
        with self.api.lock:
            self.api.state.open_queries.add(query_id)
        return query_id

    def _queue_message(
        self,
        chat: dict[str, Any],
        user: dict[str, Any],
        body: dict[str, Any],
        reply_to: dict[str, Any] | None,
    ) -> dict[str, Any]:
        # Telegram marks commands and mentions in what users type; CommandHandler relies on it.
        for key, entities_key in (("text", "entities"), ("caption", "caption_entities")):
            if key in body and (entities := auto_entities(body[key])):
                body[entities_key] = entities
        with self.api.lock:
            self.api.state.chats[chat["id"]] = chat
        message = self.api.new_message(chat, user, body, reply_to)
        return self._queue("message", message)

    def _queue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = self.api.queue_update(kind, payload)
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.api.updates_queued.set)  # wake long polls
        return update

    # ----------------------------------------------------------------- observing the bot

    def _find(self, predicate: Callable[[Call], bool], since: int) -> Call | None:
        return next((call for call in self._calls[since:] if predicate(call)), None)

    @staticmethod
    def _as_predicate(predicate: Callable[[Call], bool] | str) -> Callable[[Call], bool]:
        if isinstance(predicate, str):
            method = predicate
            return lambda call: call.method == method and call.ok
        return predicate

    def _timeout_report(self, what: str, timeout: float) -> str:
        with self._changed:
            calls = [c for c in self._calls if c.method != "getUpdates"]
            polls = len(self._calls) - len(calls)
            refused = list(self._refused)
        lines = [
            f"{what} did not happen within {timeout}s; besides {polls} getUpdates polls the "
            f"bot made {len(calls)} calls, the last ones:"
        ]
        lines += [f"  {c.method} -> {c.status} {c.params!r:.300}" for c in calls[-15:]]
        lines += [f"refused: {r.method}: {r.description}" for r in refused]
        return "\n".join(lines)

    async def wait_for(
        self, predicate: Callable[[Call], bool] | str, timeout: float = 30.0, *, since: int = 0
    ) -> Call:
        """The first recorded call from index `since` matching `predicate` (a method name means
        its first successful call); AssertionError listing recent calls on timeout."""
        match = self._as_predicate(predicate)
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                found = self._find(match, since)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(
                    self._timeout_report(f"a call matching {predicate!r}", timeout)
                )
            # Polling keeps this independent of the server thread; 10 ms is far below any
            # latency a test cares about.
            await asyncio.sleep(0.01)

    def wait_for_sync(
        self, predicate: Callable[[Call], bool] | str, timeout: float = 30.0, *, since: int = 0
    ) -> Call:
        match = self._as_predicate(predicate)
        with self._changed:
            found = self._changed.wait_for(lambda: self._find(match, since), timeout)
        if found is None:
            raise AssertionError(self._timeout_report(f"a call matching {predicate!r}", timeout))
        return found

    async def wait_for_messages(
        self, chat_id: int, n: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        """All messages the bot sent or edited in the chat, once there are at least `n`."""
        deadline = time.monotonic() + timeout
        while len(messages := self.sent(chat_id)) < n:
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_report(f"{n} messages to {chat_id}", timeout))
            await asyncio.sleep(0.01)
        return messages

    def wait_for_messages_sync(
        self, chat_id: int, n: int = 1, timeout: float = 30.0
    ) -> list[dict[str, Any]]:
        with self._changed:
            self._changed.wait_for(lambda: len(self._sent_locked(chat_id)) >= n, timeout)
            messages = self._sent_locked(chat_id)
        if len(messages) < n:
            raise AssertionError(self._timeout_report(f"{n} messages to {chat_id}", timeout))
        return messages

    # ----------------------------------------------------------------- webhook delivery

    async def post_update_to_webhook(
        self, update: dict[str, Any], *, secret: str | None = None
    ) -> int:
        """POST an update to the setWebhook URL as Telegram would; returns the HTTP status.
        `secret` replaces the registered secret token ("" sends none) to test rejection. Async
        because the bot's webhook server usually runs on the calling test's own event loop."""
        future = asyncio.run_coroutine_threadsafe(self._deliver(update, secret), self._running())
        return await asyncio.wrap_future(future)

    def post_update_to_webhook_sync(
        self, update: dict[str, Any], *, secret: str | None = None
    ) -> int:
        future = asyncio.run_coroutine_threadsafe(self._deliver(update, secret), self._running())
        return future.result(60)

    def _running(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._loop

    async def _deliver(self, update: dict[str, Any], secret: str | None) -> int:
        with self.api.lock:
            url = self.api.state.webhook.get("url")
            token = self.api.state.webhook.get("secret_token") if secret is None else secret
        if not url:
            raise RuntimeError("no webhook is set: the bot never called setWebhook")
        headers = {"Content-Type": "application/json"}
        if token:
            headers[SECRET_HEADER] = token
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=json.dumps(update), headers=headers) as response,
        ):
            status = response.status
        if 200 <= status < 300:  # delivered, so Telegram forgets it
            with self.api.lock:
                self.api.state.updates = [
                    u for u in self.api.state.updates if u["update_id"] != update["update_id"]
                ]
        return status

    # ----------------------------------------------------------------- HTTP layer

    @staticmethod
    async def _read_params(request: web.Request) -> dict[str, Any]:
        # Telegram takes parameters from the query string, form bodies and JSON bodies alike.
        params: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
            if isinstance(body, dict):
                params.update(body)
            return params
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.content_type, value.file.read())
            else:
                params[key] = value
        return params

    async def _handle_api(self, request: web.Request) -> web.Response:
        method, params = request.match_info["method"], {}
        try:
            params = await self._read_params(request)
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            method, params, result = await self.api.call(method, params)
        except ApiError as error:
            return self._record(request, error.method or method, error.params or params, error)
        # A copy, so later edits of the stored message do not rewrite recorded history.
        return self._record(request, method, params, None, copy.deepcopy(result))

    def _record(
        self,
        request: web.Request,
        method: str,
        params: dict[str, Any],
        error: ApiError | None,
        result: Any = None,
    ) -> web.Response:
        if error is None:
            status, body = 200, {"ok": True, "result": result}
        else:
            status = error.code
            body = {"ok": False, "error_code": error.code, "description": error.description}
            if error.parameters:
                body["parameters"] = error.parameters
        call = Call(method, params, time.time(), status, body, request.content_type)
        with self._changed:
            self._calls.append(call)
            if error is not None and error.code == 429 and error.parameters:
                retry_after = int(error.parameters["retry_after"])
                self._throttled.append(Throttle(method, params, retry_after))
            elif error is not None:
                self._refused.append(Refusal(method, params, error.description))
            self._changed.notify_all()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            error = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(error, status=401)
        path = request.match_info["file_path"]
        with self.api.lock:
            stored = next((f for f in self.api.state.files.values() if f.file_path == path), None)
        if stored is None:
            error = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(error, status=404)
        return web.Response(body=stored.content, content_type="application/octet-stream")
