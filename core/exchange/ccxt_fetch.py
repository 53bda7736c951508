"""ccxt's REST calls over the process's HttpClient (core/exchange/http_client.py) instead of aiohttp.

ccxt keeps everything but the transport: it builds and signs the request, throttles it, and reads
the answer into its typed errors (`handle_errors`, `handle_http_status_code`) exactly as in its own
`fetch`, which this replaces. What is left out on purpose:
- proxies: copytrade configures none, and a client with `http` unset (or a ccxt.pro client) keeps
  ccxt's own aiohttp path;
- ccxt's request log line: it would write signed query strings and the API key header at DEBUG;
- `last_request_headers`: a shared signing client would keep one account's key header on it.
"""
from __future__ import annotations

from functools import cache
from typing import Any

import ccxt.async_support as ccxt

from core.exchange.http_client import HttpClient


class DirectFetchMixin:
    """Mixed in before a ccxt exchange class; `http` is set by the gateway that builds the client."""

    http: HttpClient | None = None
    id: str
    timeout: int
    closed_by_user: bool
    enableLastHttpResponse: bool
    enableLastResponseHeaders: bool
    enableLastJsonResponse: bool
    returnResponseHeaders: bool

    async def fetch(self, url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        http = self.http
        if http is None:
            return await super().fetch(url, method, headers, body)  # type: ignore[misc]
        if self.closed_by_user:
            raise ccxt.ExchangeClosedByUser(self.id + " instance was closed by the user")
        request_headers = self.prepare_request_headers(headers)  # type: ignore[attr-defined]
        try:
            response = await http.request(method, url, request_headers, body.encode() if body else None,
                                          self.timeout / 1000)
        except TimeoutError as exc:
            raise ccxt.RequestTimeout(f"{self.id} {method} {url}") from exc
        except OSError as exc:  # refused, reset, DNS, TLS, or the answer cut short
            raise ccxt.ExchangeNotAvailable(f"{self.id} {method} {url}") from exc
        status, reason, response_headers = response.status, response.reason, response.headers
        text = self.on_rest_response(  # type: ignore[attr-defined]
            status, reason, url, method, response_headers, response.body.decode("utf-8", "replace"),
            request_headers, body)
        json_response = self.parse_json(text)  # type: ignore[attr-defined]
        if self.enableLastHttpResponse:
            self.last_http_response = text
        if self.enableLastResponseHeaders:
            self.last_response_headers = response_headers
        if self.enableLastJsonResponse:
            self.last_json_response = json_response
        if json_response and not isinstance(json_response, list) and self.returnResponseHeaders:
            json_response["responseHeaders"] = response_headers
        self.handle_errors(status, reason, url, method, response_headers, text, json_response,  # type: ignore[attr-defined]
                           request_headers, body)
        self.handle_http_status_code(status, reason, url, method, text)  # type: ignore[attr-defined]
        if json_response is not None:
            return json_response
        if self.is_text_response(response_headers) or not text:  # type: ignore[attr-defined]
            return text
        return response.body


@cache
def direct_class(exchange: str) -> type[ccxt.Exchange]:
    """The exchange's ccxt class with REST calls over HttpClient."""
    base: type[ccxt.Exchange] = getattr(ccxt, exchange)
    return type(f"Direct{base.__name__}", (DirectFetchMixin, base), {})
