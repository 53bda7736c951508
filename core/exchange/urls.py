"""Point a ccxt client at another host (a proxy or the local exchange emulator).

Only scheme and host are replaced; paths stay, because every exchange signs the path it sends.
`{hostname}` templates (okx, bybit, bitget) are resolved first. Websocket URLs (ccxt.pro's
`urls['api']['ws']`) move to the same host with the matching scheme: http → ws, https → wss."""
from __future__ import annotations

import re
from typing import Any

_HOST = re.compile(r"^https?://[^/]+")
_WS_HOST = re.compile(r"^wss?://[^/]+")


def override_api_urls(urls: Any, base_url: str, hostname: str = "") -> Any:
    base = base_url.rstrip("/")
    if isinstance(urls, dict):
        return {key: override_api_urls(value, base, hostname) for key, value in urls.items()}
    if isinstance(urls, str):
        url = urls.replace("{hostname}", hostname or "host")
        if _WS_HOST.match(url):
            return _WS_HOST.sub("ws" + base[len("http"):], url, count=1)
        return _HOST.sub(base, url, count=1)
    return urls
