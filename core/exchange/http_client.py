"""A lean keep-alive HTTP/1.1 client for ccxt's REST calls (core/exchange/ccxt_fetch.py).

aiohttp builds a request object, a response object, stream readers, timers, trace hooks and a
cookie jar for every call: about 40 % of the engine's CPU in a fan-out of thousands of signed
orders went there (py-spy, bench/replication.py). An exchange's REST API needs none of it: a few
origins, small JSON bodies, connections kept alive. Here a request is one `transport.write` and the
answer is parsed by httptools (llhttp, Node.js's parser), which also reads chunked bodies; gzip and
deflate bodies are inflated here.

It never retries. A request that times out, or whose connection drops before the whole answer came,
raises (TimeoutError, or a ConnectionError), and its connection is never reused: the caller decides
what an unknown outcome means (the dispatcher looks an order up by client id before any resend).
"""
from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from dataclasses import dataclass

import httptools

KEEPALIVE_SECONDS = 15.0  # an idle connection older than this is closed, not reused (aiohttp's default)


class ProtocolError(ConnectionError):
    """The server's answer was not HTTP, or the connection ended before the whole answer came."""


@dataclass(slots=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # as the server spelled the names; repeated headers joined with ", "
    body: bytes


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection carrying one request at a time."""

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Response] | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reset()

    def _reset(self) -> None:
        self.reason = ""
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.encoding = ""
        self.framed = False  # Content-Length or chunked: the parser knows where the body ends
        self.headers_done = False

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self.waiter is None:  # nothing was asked: a server that speaks out of turn is not trusted
            self.close()
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._finish(exc=ProtocolError(f"malformed HTTP answer: {exc}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed:
            self.closed = True
            self.pool.lost(self)
        if self.waiter is not None:
            if exc is None and self.headers_done and not self.framed:  # an answer delimited by a clean close
                self._complete()
            else:
                self._finish(exc=ProtocolError("connection closed before the whole answer came"))

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._reset()

    def on_status(self, status: bytes) -> None:
        self.reason += status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        key, text = name.decode("latin-1"), value.decode("latin-1")
        lower = key.lower()
        if lower == "content-encoding":
            self.encoding = text.strip().lower()
        elif lower in ("content-length", "transfer-encoding"):
            self.framed = True
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self._complete()

    # internals

    def _complete(self) -> None:
        body = b"".join(self.chunks)
        try:
            body = _inflate(body, self.encoding)
        except zlib.error as exc:
            self._finish(exc=ProtocolError(f"bad {self.encoding} body: {exc}"))
            self.close()
            return
        reusable = self.parser.should_keep_alive()
        self._finish(Response(self.parser.get_status_code(), self.reason.strip(), self.headers, body))
        if not reusable:
            self.close()

    def _finish(self, response: Response | None = None, exc: Exception | None = None) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if exc is None:
            waiter.set_result(response)  # type: ignore[arg-type]
        else:
            waiter.set_exception(exc)

    @property
    def usable(self) -> bool:
        return not self.closed and self.waiter is None and self.transport is not None and not self.transport.is_closing()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.abort()


def _expire(waiter: asyncio.Future[Response]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def _inflate(body: bytes, encoding: str) -> bytes:
    if not body or encoding in ("", "identity"):
        return body
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":  # zlib-wrapped as the RFC says, or raw as some servers send it
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise zlib.error(f"unsupported content encoding {encoding!r}")


class _Pool:
    """The connections to one origin: idle ones reused last-in first-out, at most `limit` open."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, limit: int) -> None:
        self.host, self.port, self.tls, self.limit = host, port, tls, limit
        self.idle: list[_Connection] = []
        self.open = 0  # connected or connecting
        self.connections: set[_Connection] = set()  # connected, idle or busy
        self.waiters: deque[asyncio.Future[_Connection | None]] = deque()

    def take_idle(self) -> _Connection | None:
        while self.idle:
            conn = self.idle.pop()
            if conn.usable:
                if time.monotonic() - conn.idle_since < KEEPALIVE_SECONDS:
                    return conn
                conn.close()  # the server may be closing it right now: not worth the race
        return None

    async def acquire(self) -> _Connection:
        while True:
            conn = self.take_idle()
            if conn is not None:
                return conn
            if self.open < self.limit:
                return await self._connect()
            waiter: asyncio.Future[_Connection | None] = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                conn = await waiter
            except BaseException:
                if not waiter.done() or waiter.cancelled():
                    self._forget(waiter)
                elif waiter.result() is not None:
                    self.release(waiter.result())  # handed over just as we were cancelled
                else:
                    self._wake()  # the freed slot goes to the next in line
                raise
            if conn is not None and conn.usable:
                return conn
            # a slot was freed (or the connection handed over has closed since): connect, or wait again

    async def _connect(self) -> _Connection:
        self.open += 1
        conn = _Connection(self)
        try:
            await asyncio.get_running_loop().create_connection(
                lambda: conn, self.host, self.port, ssl=self.tls, server_hostname=self.host if self.tls else None)
        except BaseException:
            if not conn.closed:  # never connected, so connection_lost will not give the slot back
                conn.closed = True
                self.lost(conn)
            raise
        self.connections.add(conn)
        return conn

    def release(self, conn: _Connection) -> None:
        if not conn.usable:
            conn.close()
            return
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return
        conn.idle_since = time.monotonic()
        self.idle.append(conn)

    def lost(self, conn: _Connection) -> None:
        """A connection (or an attempt to open one) ended: its slot goes to the first waiter."""
        self.open -= 1
        self.connections.discard(conn)
        self._wake()

    def _wake(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _forget(self, waiter: asyncio.Future[_Connection | None]) -> None:
        try:
            self.waiters.remove(waiter)
        except ValueError:
            pass

    def close(self) -> None:
        for conn in list(self.connections):
            conn.close()
        self.idle.clear()


class HttpClient:
    """Pools of keep-alive connections, one per origin; one client per event loop, closed last."""

    def __init__(self, ssl_context: ssl.SSLContext, limit_per_origin: int = 256) -> None:
        self.ssl_context = ssl_context
        self.limit = limit_per_origin
        self._pools: dict[str, tuple[_Pool, str]] = {}  # origin -> (pool, Host header)

    async def request(self, method: str, url: str, headers: dict[str, str], body: bytes | None,
                      timeout: float) -> Response:
        """Send one request and read the whole answer within `timeout` seconds."""
        scheme_end = url.find("://")
        path_start = url.find("/", scheme_end + 3)
        origin, target = (url, "/") if path_start < 0 else (url[:path_start], url[path_start:])
        entry = self._pools.get(origin) or self._add_pool(origin)
        pool, host = entry
        head = _head(method, target, host, headers, body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        conn = pool.take_idle()
        if conn is None:  # connect, or wait for a busy connection: rare once the pool is warm
            try:
                async with asyncio.timeout_at(deadline):
                    conn = await pool.acquire()
            except BaseException:
                if conn is not None:  # acquired as the deadline passed
                    pool.release(conn)
                raise
        # a timer handle, not asyncio.timeout: the latter cost 7 % of an order's CPU in a fan-out
        waiter = conn.waiter = loop.create_future()
        timer = loop.call_at(deadline, _expire, waiter)
        try:
            conn.transport.write(head + body if body else head)  # type: ignore[union-attr]
            response = await waiter
        except BaseException:
            conn.waiter = None
            conn.close()  # an answer may still be on its way: this connection carries no other
            raise
        finally:
            timer.cancel()
        pool.release(conn)
        return response

    def _add_pool(self, origin: str) -> tuple[_Pool, str]:
        scheme, _, netloc = origin.partition("://")
        if scheme not in ("http", "https") or not netloc or "@" in netloc:
            raise ValueError(f"unsupported URL origin {origin!r}")
        tls = scheme == "https"
        host, port = netloc, 443 if tls else 80
        if netloc.startswith("["):  # [IPv6]:port
            bracket = netloc.index("]")
            host, rest = netloc[1:bracket], netloc[bracket + 1:]
            port = int(rest[1:]) if rest.startswith(":") else port
        elif ":" in netloc:
            host, _, port_text = netloc.rpartition(":")
            port = int(port_text)
        entry = self._pools[origin] = (_Pool(host, port, self.ssl_context if tls else None, self.limit), netloc)
        return entry

    async def close(self) -> None:
        for pool, _ in self._pools.values():
            pool.close()
        self._pools.clear()


_OURS = frozenset({"host", "content-length", "transfer-encoding", "connection"})


def _head(method: str, target: str, host: str, headers: dict[str, str], body: bytes | None) -> bytes:
    if " " in target or "\r" in target or "\n" in target:
        raise ValueError("a request target must be URL-encoded")
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
    for name, value in headers.items():
        value = str(value)
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(f"header {name!r} would break the request")  # the value is not echoed: it may be a key
        if name.lower() not in _OURS:  # framing is this client's to say
            lines.append(f"{name}: {value}\r\n")
    if body is not None or method in ("POST", "PUT", "PATCH", "DELETE"):
        lines.append(f"Content-Length: {len(body) if body else 0}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode()
