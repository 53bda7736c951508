"""A local exchange emulator for tests, benchmarks and the demo.

It speaks enough of each exchange's REST API for ccxt, checks signatures like the real exchange,
and injects faults on demand. Each exchange is mounted under its own path prefix
(`/binance`, `/okx`, `/bybit`, `/bitget`); a ccxt client reaches it with the base-URL override
`http://127.0.0.1:<port>/<exchange>`."""
