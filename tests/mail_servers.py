"""Real local servers for notification tests: an SMTP server (aiosmtpd) that keeps what it
receives, and an HTTP receiver (http.server in a thread) standing in for a group robot."""
from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Keep:
    def __init__(self, box: list, owner: "SmtpServer"):
        self.box, self.owner = box, owner

    async def handle_DATA(self, server, session, envelope):
        if self.owner.accept_only is not None and len(self.box) >= self.owner.accept_only:
            return "421 Service not available, closing transmission channel"  # dies mid-way
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.box.append({"to": list(envelope.rcpt_tos), "from": envelope.mail_from, "subject": str(msg["Subject"]),
                         "body": msg.get_body(("plain",)).get_content(), "message_id": str(msg["Message-ID"])})
        return "250 OK"


class SmtpServer:
    """An SMTP server on 127.0.0.1:`port` that may be stopped and started again (an outage);
    `messages` keeps every message received across restarts."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[dict] = []
        self.accept_only: int | None = None  # set: the server fails every message past this many
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller = Controller(_Keep(self.messages, self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class HttpReceiver:
    """Records every request; /redirect* answers 302 to /hook/landed, /fail answers 500,
    anything else 200 with the robot's success JSON."""

    def __init__(self):
        self.requests: list[dict] = []
        box = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                box.append({"path": self.path, "headers": dict(self.headers), "raw": raw,
                            "json": json.loads(raw.decode("utf-8")) if raw else None})
                if self.path.startswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", "/hook/landed")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 500 if self.path.startswith("/fail") else 200
                answer = json.dumps({"errcode": 0, "code": 0, "msg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
