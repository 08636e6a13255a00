"""The throughput bench's client (bench/throughput.py) talks to a real HTTP server on loopback the way it says: one
kept-alive connection by default, a connection of its own for every request with ``--connection-per-request``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from bench.throughput import Client


class _Answer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client closes

    def do_POST(self) -> None:  # noqa: N802 — http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((self.client_address[1], self.headers["Authorization"], json.loads(body)))
        answer = json.dumps({"ok": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    httpd.seen = []  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize(("new_connections", "connections"), [(False, 1), (True, 3)])
def test_the_bench_client_keeps_its_connection_unless_told_to_open_one_per_request(server, new_connections,
                                                                                   connections):
    target = SimpleNamespace(port=server.server_address[1], tokens={"clerk": "secret-token"})
    client = Client(target, new_connections=new_connections)  # type: ignore[arg-type]
    try:
        answers = [client.call("clerk", "POST", "/tasks/1/complete", {"data": {"n": n}}) for n in range(3)]
        kept = client.connection.sock is not None
    finally:
        client.close()
    assert answers == [(200, {"ok": True})] * 3
    ports = [port for port, _auth, _body in server.seen]
    assert len(ports) == 3 and len(set(ports)) == connections
    assert {auth for _port, auth, _body in server.seen} == {"Bearer secret-token"}
    assert [body for _port, _auth, body in server.seen] == [{"data": {"n": n}} for n in range(3)]
    assert kept is not new_connections  # a connection per request is closed once its answer is read
