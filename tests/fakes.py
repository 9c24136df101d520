"""Real local stand-ins for outside services, shared by the tests (no mocks of client libraries)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What the fake judge answers per behavior, keyed by the behavior's title in the prompt.
ANSWERS = {"verification": 3, "backtracking": 1, "subgoal setting": 0, "backward chaining": 2}


class JudgeServer:
    """A tiny /v1/chat/completions server: answers a count per behavior, or misbehaves.

    Modes: ``count`` (good answers), ``garbage`` (prose without a count), ``html`` (a 200 HTML page),
    ``empty`` (a completion with no choices), ``malformed`` (a 200 body that is not JSON), ``hang``
    (never answers). ``good_first`` requests are answered well before the mode applies.
    """

    def __init__(self, mode: str = "count", good_first: int = 0) -> None:
        self.mode = mode
        self.good_first = good_first
        self.requests = 0
        self.bodies: list[dict] = []
        self.released = threading.Event()  # set on exit, so hanging handlers end
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                server.requests += 1
                server.bodies.append(body)
                if self.path != "/v1/chat/completions":
                    self.send_response(404)
                    self.end_headers()
                    return
                mode = "count" if server.requests <= server.good_first else server.mode
                if mode == "hang":
                    server.released.wait(120)
                    return
                prompt = body["messages"][-1]["content"]
                title = next(t for t in ANSWERS if f"**{t}**" in prompt)
                content = (f"Looking at the reasoning... <count>{ANSWERS[title]}</count>" if mode == "count"
                           else "I think there are several, maybe. <count>many</count>")
                choices = [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]
                payload = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [] if mode == "empty" else choices,
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data, kind = json.dumps(payload).encode(), "application/json"
                if mode == "html":
                    data, kind = b"<html><body>Please log in to the proxy</body></html>", "text/html"
                elif mode == "malformed":
                    data = data[: len(data) // 2]
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()
        self.httpd.shutdown()
        self.httpd.server_close()
