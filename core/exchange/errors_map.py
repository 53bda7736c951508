"""ccxt exceptions -> core.errors, with messages that cannot leak credentials.

ccxt's messages can carry the request URL, and a signed GET URL holds the query string with its
signature. So the text we keep is only the exchange's own error code and message (parsed from the
JSON body ccxt appends), and anything resembling a credential is redacted on top of that.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping

import ccxt.async_support as ccxt

from core import errors

_SIGNED = re.compile(r"(signature|sign|apikey|api_key|secret|passphrase|password)=[^&\s\"']*", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")

# Order matters: the first matching ccxt class wins (subclasses before their bases).
_MAP: tuple[tuple[type[Exception], type[errors.ExchangeError]], ...] = (
    (ccxt.PermissionDenied, errors.PermissionDenied),
    (ccxt.AccountSuspended, errors.PermissionDenied),
    (ccxt.AuthenticationError, errors.AuthenticationFailed),
    (ccxt.InsufficientFunds, errors.InsufficientFunds),
    (ccxt.OrderNotFound, errors.OrderNotFound),
    (ccxt.BadSymbol, errors.BadSymbol),
    (ccxt.InvalidOrder, errors.InvalidOrder),
    (ccxt.BadRequest, errors.InvalidOrder),
    (ccxt.OnMaintenance, errors.ExchangeUnavailable),
    (ccxt.ExchangeNotAvailable, errors.ExchangeUnavailable),
    (ccxt.RequestTimeout, errors.RequestTimeout),
    (ccxt.NetworkError, errors.ExchangeUnavailable),
)

_GENERIC = {
    errors.RateLimited: "rate limited",
    errors.RequestTimeout: "request timed out",
    errors.ExchangeUnavailable: "exchange unavailable",
}


def exchange_message(exc: BaseException) -> tuple[str | None, str]:
    """The exchange's (code, message) from a ccxt exception, without URL or query string."""
    text = str(exc)
    start = text.find("{")
    if start >= 0:
        try:
            body = json.loads(text[start:])
        except ValueError:
            body = None
        if isinstance(body, dict):
            code = body.get("code", body.get("retCode"))
            msg = body.get("msg", body.get("retMsg", body.get("message", "")))
            return (None if code is None else str(code)), str(msg)
    return None, ""


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    text = _URL.sub("<url>", _SIGNED.sub(r"\1=***", text))
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def translate(
    exc: Exception,
    exchange: str,
    *,
    secrets: Iterable[str | None] = (),
    response_headers: Mapping[str, str] | None = None,
) -> errors.ExchangeError:
    """Build the typed error for a ccxt exception. Raise it `from None` so the ccxt text stays out of tracebacks."""
    code, msg = exchange_message(exc)
    if isinstance(exc, ccxt.DDoSProtection) and code == "-2015":
        # ccxt reads Binance's -2015 after one successful call as a temporary ban; it is what Binance
        # answers when the key lacks the permission (e.g. trading on a read-only key), so it is not retried.
        target: type[errors.ExchangeError] = errors.PermissionDenied
    elif isinstance(exc, (ccxt.DDoSProtection, ccxt.RateLimitExceeded)):
        return errors.RateLimited(
            _message(exchange, code, msg, errors.RateLimited, secrets),
            exchange=exchange,
            retry_after=_retry_after(response_headers),
        )
    else:
        target = next((ours for ccxt_class, ours in _MAP if isinstance(exc, ccxt_class)), errors.ExchangeError)
    error = target(_message(exchange, code, msg, target, secrets), exchange=exchange)
    error.details["exchange_code"] = code
    return error


def _message(
    exchange: str, code: str | None, msg: str, target: type[errors.ExchangeError], secrets: Iterable[str | None]
) -> str:
    text = f"{code} {msg}".strip() if code or msg else _GENERIC.get(target, target.code)
    return redact(f"{exchange}: {text}", secrets)


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return int(value)  # delta-seconds (RFC 9110)
            except ValueError:
                return None
    return None
