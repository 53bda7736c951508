"""HttpClient against real servers on loopback: an aiohttp server, a TLS one, and raw sockets for broken answers."""
from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import ipaddress
import json
import socket
import ssl
import struct
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import certifi
import pytest
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.exchange.http_client import HttpClient, ProtocolError

Serve = Callable[..., Awaitable[str]]


class Observed:
    """What the server saw: each request's client port (one per connection) and the peak concurrency."""

    def __init__(self) -> None:
        self.ports: list[int] = []
        self.active = 0
        self.peak = 0


def make_app(observed: Observed) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response({"method": request.method, "path": request.path_qs, "body": body.decode(),
                                  "headers": dict(request.headers)}, headers={"X-Trace": "a"})

    async def slow(request: web.Request) -> web.Response:
        observed.active += 1
        observed.peak = max(observed.peak, observed.active)
        await asyncio.sleep(float(request.query.get("s", "0.05")))
        observed.active -= 1
        return web.json_response({"ok": True})

    async def chunked(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for part in (b'{"parts": [', b'"a", ', b'"b"]}'):
            await response.write(part)
        await response.write_eof()
        return response

    async def encoded(request: web.Request) -> web.Response:
        raw = json.dumps({"encoding": request.match_info["how"]}).encode()
        how = request.match_info["how"]
        body = gzip.compress(raw) if how == "gzip" else zlib.compress(raw) if how == "deflate" else zlib.compress(raw)[2:-4]
        return web.Response(body=body, headers={"Content-Encoding": "deflate" if how == "raw-deflate" else how,
                                                "Content-Type": "application/json"})

    async def closing(request: web.Request) -> web.Response:
        return web.json_response({"bye": True}, headers={"Connection": "close"})

    @web.middleware
    async def observe(request: web.Request, handler):  # type: ignore[no-untyped-def]
        observed.ports.append(request.transport.get_extra_info("peername")[1])
        return await handler(request)

    app = web.Application(middlewares=[observe])
    app.router.add_route("*", "/echo", echo)
    app.router.add_get("/slow", slow)
    app.router.add_get("/chunked", chunked)
    app.router.add_get("/encoded/{how}", encoded)
    app.router.add_get("/close", closing)
    return app


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Start the test app (optionally over TLS or with a short keep-alive); yields its base URL."""
    runners: list[web.AppRunner] = []

    async def start(observed: Observed, *, tls: ssl.SSLContext | None = None, keepalive: float = 75.0) -> str:
        runner = web.AppRunner(make_app(observed), keepalive_timeout=keepalive)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls)
        await site.start()
        runners.append(runner)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    http = HttpClient(ssl.create_default_context(cafile=certifi.where()))
    yield http
    await http.close()


async def raw_server(answer: bytes, *, reset: bool = False) -> tuple[asyncio.Server, str]:
    """A server that reads one request and writes `answer` as it is, then hangs up (with a TCP reset if `reset`)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        if reset:
            await asyncio.sleep(0.05)  # let the bytes reach the client before the reset
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_a_request_is_framed_and_its_answer_read_whole(serve: Serve, client: HttpClient) -> None:
    base = await serve(Observed())
    response = await client.request("POST", f"{base}/echo?symbol=BTCUSDT&side=BUY", {"X-MBX-APIKEY": "k1",
                                    "Content-Type": "application/x-www-form-urlencoded"}, b"a=1&b=2", 2.0)
    assert (response.status, response.reason, response.headers["X-Trace"]) == (200, "OK", "a")
    seen = json.loads(response.body)
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/echo?symbol=BTCUSDT&side=BUY", "a=1&b=2")
    assert seen["headers"]["X-MBX-APIKEY"] == "k1"
    assert seen["headers"]["Content-Length"] == "7"
    assert seen["headers"]["Host"] == base.removeprefix("http://")


async def test_a_post_without_body_says_so_and_a_get_sends_no_length(serve: Serve, client: HttpClient) -> None:
    base = await serve(Observed())
    posted = json.loads((await client.request("DELETE", f"{base}/echo", {}, None, 2.0)).body)
    got = json.loads((await client.request("GET", f"{base}/echo", {}, None, 2.0)).body)
    assert posted["headers"]["Content-Length"] == "0"
    assert "Content-Length" not in got["headers"]


async def test_connections_are_kept_alive_and_reused(serve: Serve, client: HttpClient) -> None:
    observed = Observed()
    base = await serve(observed)
    for _ in range(5):
        assert (await client.request("GET", f"{base}/echo", {}, None, 2.0)).status == 200
    assert len(observed.ports) == 5 and len(set(observed.ports)) == 1


async def test_at_most_the_limit_of_connections_per_origin(serve: Serve) -> None:
    observed = Observed()
    base = await serve(observed)
    http = HttpClient(ssl.create_default_context(), limit_per_origin=3)
    try:
        answers = await asyncio.gather(*(http.request("GET", f"{base}/slow", {}, None, 5.0) for _ in range(20)))
    finally:
        await http.close()
    assert all(a.status == 200 for a in answers)
    assert observed.peak == 3 and len(set(observed.ports)) == 3


async def test_chunked_gzip_and_deflate_bodies_are_decoded(serve: Serve, client: HttpClient) -> None:
    base = await serve(Observed())
    assert json.loads((await client.request("GET", f"{base}/chunked", {}, None, 2.0)).body) == {"parts": ["a", "b"]}
    for how in ("gzip", "deflate", "raw-deflate"):
        body = (await client.request("GET", f"{base}/encoded/{how}", {"Accept-Encoding": "gzip, deflate"}, None, 2.0)).body
        assert json.loads(body) == {"encoding": how}


async def test_a_connection_the_server_closes_is_not_reused(serve: Serve, client: HttpClient) -> None:
    observed = Observed()
    base = await serve(observed, keepalive=0.1)
    await client.request("GET", f"{base}/close", {}, None, 2.0)  # Connection: close
    await client.request("GET", f"{base}/echo", {}, None, 2.0)
    await asyncio.sleep(1.0)  # well past the server's keep-alive: it has closed the idle connection
    assert (await client.request("GET", f"{base}/echo", {}, None, 2.0)).status == 200
    assert len(set(observed.ports)) == 3


async def test_a_timeout_raises_and_its_connection_is_dropped(serve: Serve, client: HttpClient) -> None:
    observed = Observed()
    base = await serve(observed)
    with pytest.raises(TimeoutError):
        await client.request("GET", f"{base}/slow?s=1", {}, None, 0.2)
    assert (await client.request("GET", f"{base}/echo", {}, None, 2.0)).status == 200
    assert len(set(observed.ports)) == 2  # the late answer could not be read as the next request's


async def test_a_slot_freed_by_a_failure_goes_to_a_waiting_request(serve: Serve) -> None:
    base = await serve(Observed())
    http = HttpClient(ssl.create_default_context(), limit_per_origin=1)
    try:
        hung = asyncio.create_task(http.request("GET", f"{base}/slow?s=1", {}, None, 0.2))
        waiting = asyncio.create_task(http.request("GET", f"{base}/echo", {}, None, 2.0))
        with pytest.raises(TimeoutError):
            await hung
        assert (await waiting).status == 200
        cancelled = asyncio.create_task(http.request("GET", f"{base}/slow?s=0.3", {}, None, 2.0))
        await asyncio.sleep(0.05)
        queued = asyncio.create_task(http.request("GET", f"{base}/echo", {}, None, 2.0))
        await asyncio.sleep(0.05)
        queued.cancel()  # gives up its place in the queue: the slot is not lost with it
        assert (await cancelled).status == 200
        assert (await http.request("GET", f"{base}/echo", {}, None, 2.0)).status == 200
    finally:
        await http.close()


async def test_the_timeout_bounds_the_wait_for_a_connection_too(serve: Serve) -> None:
    base = await serve(Observed())
    http = HttpClient(ssl.create_default_context(), limit_per_origin=1)
    try:
        busy = asyncio.create_task(http.request("GET", f"{base}/slow?s=0.6", {}, None, 2.0))
        await asyncio.sleep(0.05)
        with pytest.raises(TimeoutError):  # queued behind the busy connection past its deadline
            await http.request("GET", f"{base}/echo", {}, None, 0.2)
        assert (await busy).status == 200
        assert (await http.request("GET", f"{base}/echo", {}, None, 2.0)).status == 200
    finally:
        await http.close()


async def test_a_refused_connection_is_a_connection_error(client: HttpClient) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionError):
        await client.request("GET", f"http://127.0.0.1:{port}/", {}, None, 2.0)


@pytest.mark.parametrize(("answer", "reset"), [
    (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", False),  # not HTTP at all
    (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"cut\": ", False),  # the connection ends mid-body
    (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnot-z", False),  # does not inflate
    # an answer delimited by the end of the connection, cut by a TCP reset: an error, not a short body
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"cut", True),
])
async def test_a_broken_answer_is_a_protocol_error(client: HttpClient, answer: bytes, reset: bool) -> None:
    server, base = await raw_server(answer, reset=reset)
    try:
        with pytest.raises(ProtocolError):
            await client.request("GET", f"{base}/", {}, None, 2.0)
    finally:
        server.close()


async def test_an_answer_delimited_by_the_end_of_the_connection_is_read(client: HttpClient) -> None:
    server, base = await raw_server(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"whole\": true}")
    try:
        response = await client.request("GET", f"{base}/", {}, None, 2.0)
    finally:
        server.close()
    assert json.loads(response.body) == {"whole": True}


async def test_a_header_that_would_split_the_request_is_refused_without_echoing_it(client: HttpClient) -> None:
    with pytest.raises(ValueError) as caught:
        await client.request("GET", "http://127.0.0.1:9/", {"X-MBX-APIKEY": "secret\r\nX-Evil: 1"}, None, 2.0)
    assert "secret" not in str(caught.value)
    with pytest.raises(ValueError):
        await client.request("GET", "http://127.0.0.1:9/a b", {}, None, 2.0)


def self_signed(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, a client context that trusts only this certificate) for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    return server, ssl.create_default_context(cafile=str(cert_file))


async def test_https_verifies_the_server_certificate(serve: Serve, client: HttpClient, tmp_path: Path) -> None:
    server_tls, trusting = self_signed(tmp_path)
    base = await serve(Observed(), tls=server_tls)
    with pytest.raises(ssl.SSLCertVerificationError):  # not signed by a CA this client trusts
        await client.request("GET", f"{base}/echo", {}, None, 2.0)
    http = HttpClient(trusting)
    try:
        response = await http.request("GET", f"{base}/echo", {}, None, 2.0)
    finally:
        await http.close()
    assert response.status == 200 and json.loads(response.body)["method"] == "GET"
