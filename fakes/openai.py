"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, answering from a script."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    """One scripted answer: streamed pieces, or an error status, after an optional delay."""

    pieces: list[str] = field(default_factory=list)
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw: list[str] | None = None  # event lines sent as they are, instead of pieces


class FakeOpenAI:
    """Serves POST /v1/chat/completions; `script` is consumed one reply per request (the last
    one repeats). `requests` holds every JSON body received."""

    def __init__(self, *script: Reply) -> None:
        self.script = list(script) or [Reply(["Not in the archive."])]
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                reply = fake.script.pop(0) if len(fake.script) > 1 else fake.script[0]
                time.sleep(reply.delay)
                if self.path != "/v1/chat/completions":
                    reply = Reply(status=404)
                if reply.status != 200:
                    data = json.dumps({"error": {"message": f"status {reply.status}"}}).encode()
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                lines = (
                    reply.raw
                    if reply.raw is not None
                    else [
                        "data: " + json.dumps({"choices": [{"delta": {"content": piece}}]})
                        for piece in reply.pieces
                    ]
                    + ["data: [DONE]"]
                )
                for line in lines:
                    self.wfile.write(f"{line}\n\n".encode())
                    self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
