"""Real servers on the loopback for the channels to the outside: an SMTP server (aiosmtpd; plain, STARTTLS with a
login, or TLS from the start, with a certificate made for the test) and an HTTP server standing in for an SMS
gateway or a group robot, answering as each test tells it to. Nothing here mocks smtplib or the HTTP client."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from conftest import need


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Mailbox:
    """What the SMTP server received; ``refuse`` answers the next DATA commands with these codes instead."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 — aiosmtpd's name
        if self.refuse:
            return self.refuse.pop(0)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the test's own CA), made with the openssl command."""
    need(shutil.which("openssl") is not None, "needs the openssl command to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class _Logins:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and \
                self.users.get(auth_data.login.decode()) == auth_data.password.decode():
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, str]]:
    """A plain SMTP server: (its mailbox, the ONESTOP_SMTP_URL that reaches it)."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def tls_server(box: Mailbox, cert: Path, key: Path, *, implicit: bool,
               users: dict[str, str] | None = None) -> tuple[Controller, int]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    options: dict[str, Any] = {"ssl_context": context} if implicit else {
        "tls_context": context, "require_starttls": True}
    if users:
        options.update(authenticator=_Logins(users), auth_required=True, auth_require_tls=True)
    controller = Controller(box, hostname="127.0.0.1", port=port, server_hostname="127.0.0.1", **options)
    controller.start()
    return controller, port


@dataclass
class Recorder:
    """An HTTP peer (an SMS gateway, a group robot): every POST's JSON body, and the answers to give — each a
    (status, body) pair, "hang up" to close the connection after reading the request without answering, or
    "stall" to keep it open without answering."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)  # ends a "stall" answer


@pytest.fixture
def gateway() -> Iterator[Recorder]:
    recorder = Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 — http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            with recorder.lock:
                recorder.received.append({"path": self.path, "body": body})
                answer = recorder.answers.pop(0) if recorder.answers else (200, {"errcode": 0, "errmsg": "ok"})
            if answer == "stall":  # took the request, never answers (until the test ends)
                recorder.release.wait(timeout=30)
                return
            if answer == "hang up":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield recorder
    finally:
        recorder.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
