"""A fake SMS gateway: a real HTTP server on loopback that records what it is sent and
answers with the statuses a test lines up (200 with a message id when none is left)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGateway:
    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.answers: deque[int] = deque()
        self.delay_seconds = 0.0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                if gateway.delay_seconds:
                    time.sleep(gateway.delay_seconds)
                gateway.received.append(fields)
                status = gateway.answers.popleft() if gateway.answers else 200
                body = (
                    {"message_id": f"gw-{len(gateway.received)}"}
                    if status == 200
                    else {"error": "refused" if status < 500 else "busy"}
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
