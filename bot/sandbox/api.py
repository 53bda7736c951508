"""Request parameters and error answers in the Bot API's own shapes.

Telegram accepts the same parameters as a query string, urlencoded or multipart form, or JSON;
form values are strings (aiogram sends ints as "123", bools as "true", objects as JSON text).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class ApiError(Exception):
    """An answer with ok=false; `description` is Telegram's text, e.g. "Bad Request: chat not found"."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def forbidden(text: str) -> ApiError:
    return ApiError(403, f"Forbidden: {text}")


def not_found() -> ApiError:
    """What Telegram answers for an unknown method."""
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    """What Telegram answers for an unknown token."""
    return ApiError(401, "Unauthorized")


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(exc: ApiError) -> web.Response:
    return web.json_response(exc.payload(), status=exc.code)


@dataclass
class Upload:
    filename: str
    content: bytes


@dataclass
class Params:
    values: dict[str, Any]
    uploads: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f"{name} is empty")
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f"{name} is empty")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1")

    def obj(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def file(self, name: str) -> Upload | str | None:
        """An uploaded part (direct or via "attach://key"), or a file_id / URL string."""
        if name in self.uploads:
            return self.uploads[name]
        ref = self.text(name)
        if ref and ref.startswith("attach://"):
            upload = self.uploads.get(ref.removeprefix("attach://"))
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return upload
        return ref


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if isinstance(body, dict):
            values.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if part.name is None:
                continue
            if part.filename is not None:
                uploads[part.name] = Upload(part.filename, bytes(await part.read()))
            else:
                values[part.name] = await part.text()
    elif request.can_read_body:
        values.update(await request.post())
    return Params(values, uploads)
