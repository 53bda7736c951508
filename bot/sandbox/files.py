"""Uploaded files: kept in memory under Telegram-like file ids, downloadable through the file URL."""
from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from bot.sandbox.api import bad_request

THUMB_SIDE = 90  # Telegram's smallest PhotoSize ("s")
MAX_SIDE = 1280  # and its largest stored size


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_path: str
    filename: str


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, JPEG or GIF; 400 otherwise, as Telegram rejects non-images."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, seg_len = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + seg_len
    raise bad_request("IMAGE_PROCESS_FAILED")


def _scaled(width: int, height: int, side: int) -> tuple[int, int]:
    factor = min(1.0, side / max(width, height))
    return max(1, round(width * factor)), max(1, round(height * factor))


class FileStore:
    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def put(self, content: bytes, filename: str, folder: str) -> StoredFile:
        unique = secrets.token_urlsafe(12)
        ext = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(f"AgAC{secrets.token_urlsafe(24)}", unique, content,
                            f"{folder}/file_{len(self._files)}.{ext}", filename)
        self._files[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        stored = self._files.get(file_id)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)

    def photo_sizes(self, stored: StoredFile) -> list[dict[str, object]]:
        """Telegram's PhotoSize list: a thumbnail and the full size (both serve the stored bytes here)."""
        width, height = image_size(stored.content)
        sizes = []
        if max(width, height) > THUMB_SIDE:
            w, h = _scaled(width, height, THUMB_SIDE)
            sizes.append({"file_id": stored.file_id + "_s", "file_unique_id": stored.file_unique_id + "s",
                          "file_size": len(stored.content), "width": w, "height": h})
            self._files[stored.file_id + "_s"] = stored
        w, h = _scaled(width, height, MAX_SIDE)
        sizes.append({"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                      "file_size": len(stored.content), "width": w, "height": h})
        return sizes
