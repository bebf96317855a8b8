"""A small OpenAI-compatible embeddings server on 127.0.0.1 (POST /v1/embeddings), run as a
process of its own, as text-embeddings-inference or Infinity would be:

    python -m fakes.embeddings --encoder onnx --model all-MiniLM-L6-v2

It embeds with the packaged MiniLM (torch, onnx or onnx-int8, as newsdesk loads it), or with
`hashing`, a stand-in that loads no model (each word hashed to a dimension), for tests of the
protocol alone. For failure tests it can answer 429 to a burst of requests (`--busy`), die in
the middle of a request (`--die-after`), want an API key, and it counts what it did
(GET /stats). It prints its URL on one line once it listens. `EmbeddingServer` runs it for a
test or a benchmark.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def hashing(dim: int = 64) -> Callable[[Sequence[str]], np.ndarray]:
    """Texts sharing words point alike; no model (as tests/conftest.py's HashingEmbedder)."""

    def encode(texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % dim] += 1.0
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)

    return encode


def packaged(encoder: str, threads: int) -> Callable[[Sequence[str]], np.ndarray]:
    """The packaged MiniLM as newsdesk runs it in-process."""
    from newsdesk.config import Settings
    from newsdesk.index.vectors.encoders import load_encoder

    settings = Settings(encoder=encoder, torch_threads=threads)
    return load_encoder(settings).encode


class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.encode = hashing() if args.encoder == "hashing" else packaged(args.encoder, 2)
        self.lock = threading.Lock()  # one model call at a time, as newsdesk does
        self.count_lock = threading.Lock()
        self.stats = {"requests": 0, "busy": 0, "served": 0, "texts": 0, "refused": 0}
        self.stats |= {"in_flight": 0, "most_in_flight": 0}  # requests being handled at once

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any], dict[str, str]]:
        args = self.args
        if handler.path.rstrip("/") != "/v1/embeddings":
            return 404, {"error": {"message": f"no route {handler.path}"}}, {}
        body = json.loads(handler.rfile.read(int(handler.headers.get("Content-Length", 0))))
        with self.lock:
            self.stats["requests"] += 1
            if args.api_key and handler.headers.get("Authorization") != f"Bearer {args.api_key}":
                self.stats["refused"] += 1
                return 401, {"error": {"message": "invalid api key"}}, {}
            if self.stats["busy"] < args.busy:
                self.stats["busy"] += 1
                return 429, {"error": {"message": "too many requests"}}, {"Retry-After": "0.05"}
            if args.die_after is not None and self.stats["served"] >= args.die_after:
                os._exit(1)  # killed mid-request: the client's connection drops unanswered
            if body.get("model") != args.model:
                self.stats["refused"] += 1
                return 404, {"error": {"message": f"model {body.get('model')!r} not found"}}, {}
            texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        # Network and queueing time, outside the model's lock: requests overlap here.
        time.sleep(args.delay)
        with self.lock:
            vectors = self.encode(texts)
            self.stats["served"] += 1
            self.stats["texts"] += len(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": v.tolist()}
            for i, v in enumerate(vectors)
        ]
        return 200, {"object": "list", "data": data, "model": args.model}, {}

    def serve(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self.reply(200, dict(server.stats) if self.path == "/stats" else {"ok": True})

            def do_POST(self) -> None:
                stats = server.stats
                with server.count_lock:
                    stats["in_flight"] += 1
                    stats["most_in_flight"] = max(stats["most_in_flight"], stats["in_flight"])
                try:
                    status, payload, headers = server.handle(self)
                finally:
                    with server.count_lock:
                        stats["in_flight"] -= 1
                self.reply(status, payload, headers)

            def reply(
                self, status: int, payload: Any, headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        http = ThreadingHTTPServer(("127.0.0.1", self.args.port), Handler)
        print(f"http://127.0.0.1:{http.server_address[1]}/v1", flush=True)
        http.serve_forever()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An OpenAI-compatible embeddings server")
    parser.add_argument(
        "--encoder", default="onnx", choices=["hashing", "torch", "onnx", "onnx-int8"]
    )
    parser.add_argument("--model", default="all-MiniLM-L6-v2", help="the name it serves")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--busy", type=int, default=0, help="answer 429 to the first N requests")
    parser.add_argument("--die-after", type=int, help="exit during the request after N served")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added per request")
    parser.add_argument("--api-key", help="require this bearer token")
    Server(parser.parse_args(argv)).serve()


class EmbeddingServer:
    """`python -m fakes.embeddings ARGS` as a child process, for the length of a `with`."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.args, self.env = list(args), env
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> EmbeddingServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "fakes.embeddings", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()  # once it listens
        if not self.url:
            raise RuntimeError(f"the embeddings server did not start ({self.process.wait()})")
        return self

    def stats(self) -> dict[str, int]:
        import httpx

        return dict(httpx.get(self.url.removesuffix("/v1") + "/stats", timeout=10).json())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def __enter__(self) -> EmbeddingServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":
    main()
