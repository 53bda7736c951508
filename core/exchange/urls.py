"""Point a ccxt client at another host (a proxy or the local exchange emulator).

Only scheme and host are replaced; paths stay, because every exchange signs the path it sends.
`{hostname}` templates (okx, bybit, bitget) are resolved first."""
from __future__ import annotations

import re
from typing import Any

_HOST = re.compile(r"^https?://[^/]+")


def override_api_urls(urls: Any, base_url: str, hostname: str = "") -> Any:
    base = base_url.rstrip("/")
    if isinstance(urls, dict):
        return {key: override_api_urls(value, base, hostname) for key, value in urls.items()}
    if isinstance(urls, str):
        return _HOST.sub(base, urls.replace("{hostname}", hostname or "host"), count=1)
    return urls
