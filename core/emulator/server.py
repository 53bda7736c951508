"""The emulator's HTTP server: every exchange under its own prefix, fault injection, request counts.

Tests start it on a free port and point ccxt at `base_url(exchange)`; the benchmark runs it in its
own process (`python -m core.emulator`) so it does not share a core with the ccxt client.
"""
from __future__ import annotations

import secrets
from collections import Counter
from decimal import Decimal

from aiohttp import web

from core.emulator import permissions
from core.emulator.binance import ENDINGS, BinanceSpot, SpotAccount, SpotOrder
from core.emulator.binance_futures import BinanceFutures
from core.emulator.binance_ws import BinanceUserStream
from core.emulator.faults import Faults, Handler
from core.emulator.futures_book import FuturesAccount, FuturesPosition
from core.emulator.keys import EmulatedKey, KeyRegistry

DEFAULT_BALANCES = {"USDT": Decimal("10000")}


class ExchangeEmulator:
    def __init__(self) -> None:
        self.keys = KeyRegistry()
        self.faults = Faults()
        self.binance = BinanceSpot(self.keys)
        self.binance_futures = BinanceFutures(self.keys, self.binance.prices)
        self.binance_ws = BinanceUserStream(self.keys, self.binance)  # spot user data stream (ccxt.pro)
        self.requests: Counter[tuple[str, str, str]] = Counter()  # (exchange, method, path) -> count
        self.app = web.Application(middlewares=[self._observe])
        self.app.add_routes(self.binance.routes("/binance"))
        self.app.add_routes(self.binance_futures.routes("/binance"))
        self.app.add_routes(self.binance_ws.routes("/binance"))
        permissions.register(self.app, self.keys)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.faults.release()
        await self.binance_ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def base_url(self, exchange: str) -> str:
        return f"http://127.0.0.1:{self.port}/{exchange}"

    @web.middleware
    async def _observe(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        _, exchange, path = request.path.split("/", 2)
        path = "/" + path
        self.requests[(exchange, request.method, path)] += 1
        fault = self.faults.take(exchange, request.method, path)
        if fault is not None:
            return await self.faults.apply(fault, request, handler)
        return await handler(request)

    def request_count(self, exchange: str, path: str, method: str = "GET") -> int:
        return self.requests[(exchange, method.upper(), path)]

    async def drop_ws(self, api_key: str) -> int:
        """Close the key's Binance user data stream sockets (a network cut); how many were open."""
        return await self.binance_ws.drop(api_key)

    # --- accounts -------------------------------------------------------------------------------
    def add_key(
        self,
        exchange: str,
        api_key: str | None = None,
        secret: str | None = None,
        passphrase: str | None = None,
        read: bool = True,
        trade: bool = True,
        withdraw: bool = False,
        balances: dict[str, Decimal] | None = None,
        account_id: str = "",
    ) -> EmulatedKey:
        """Register a key (random when not given) and open its account with `balances`.

        On Binance the key's USDⓈ-M futures wallet starts with the same USDT as its spot account.
        """
        key = self.keys.add(EmulatedKey(
            exchange=exchange,
            api_key=api_key or secrets.token_hex(16),
            secret=secret or secrets.token_hex(32),
            passphrase=passphrase,
            read=read,
            trade=trade,
            withdraw=withdraw,
            account_id=account_id,
        ))
        if exchange == "binance":
            opening = DEFAULT_BALANCES if balances is None else balances
            self.binance.open_account(key.account_id, opening)
            self.binance_futures.open_account(key.account_id, opening.get("USDT", Decimal(0)))
        return key

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Set a Binance price, spot and perpetual alike ("BTC/USDT" or "BTC/USDT:USDT"); crossed resting limit orders fill."""
        symbol_id = symbol.split(":")[0].replace("/", "")
        self.binance.set_price(symbol_id, price)
        if symbol_id in self.binance_futures.symbols:
            self.binance_futures.set_price(symbol_id, price)

    def set_liquidity(self, symbol: str, amount: Decimal | None, *, unfilled: str = "EXPIRED") -> None:
        """Binance spot: at most `amount` of the symbol trades per match, so orders fill in part (None: no limit).

        A market order's rest that the book cannot fill ends `unfilled`: EXPIRED like Binance, or
        CANCELED like exchanges that cancel the rest of an immediate order (answered so at creation)."""
        if unfilled not in ENDINGS:
            raise ValueError(f"an unfilled rest ends {' or '.join(ENDINGS)}, not {unfilled}")
        symbol_id = symbol.replace("/", "")
        if amount is None:
            self.binance.liquidity.pop(symbol_id, None)
            self.binance.unfilled.pop(symbol_id, None)
        else:
            self.binance.liquidity[symbol_id] = amount
            self.binance.unfilled[symbol_id] = unfilled

    def end_order(self, api_key: str, client_order_id: str, status: str = "CANCELED") -> SpotOrder:
        """End a resting Binance spot order behind the API client's back: cancelled by hand in the
        exchange's app (CANCELED) or expired by the exchange (EXPIRED)."""
        return self.binance.end_order(self._binance_account_id(api_key), client_order_id, status)

    def _spot_account(self, api_key: str, exchange: str) -> SpotAccount:
        key = self.keys.get(exchange, api_key)
        if key is None:
            raise KeyError(f"no {exchange} key {api_key[:4]}…")
        return self.binance.open_account(key.account_id, {})

    def deposit(self, api_key: str, asset: str, amount: Decimal, *, pending: bool = False) -> str:
        """A Binance spot deposit on the key's account (credited unless `pending`); its deposit id."""
        return self.binance.deposit(self._binance_account_id(api_key), asset, amount, pending=pending)

    def credit_deposit(self, api_key: str, deposit_id: str) -> None:
        """Complete a pending deposit: status 1 and the balance credited."""
        self.binance.credit_deposit(self._binance_account_id(api_key), deposit_id)

    def withdraw(self, api_key: str, asset: str, amount: Decimal, *, fee: Decimal = Decimal(0)) -> str:
        """A completed Binance spot withdrawal of `amount` plus `fee` from the key's account; its id."""
        return self.binance.withdraw(self._binance_account_id(api_key), asset, amount, fee=fee)

    def _binance_account_id(self, api_key: str) -> str:
        key = self.keys.get("binance", api_key)
        if key is None:
            raise KeyError(f"no binance key {api_key[:4]}…")
        return key.account_id

    def orders(self, api_key: str, exchange: str = "binance") -> list[SpotOrder]:
        """Every order the account holds (open, filled, cancelled), oldest first."""
        return list(self._spot_account(api_key, exchange).orders.values())

    def balances(self, api_key: str, exchange: str = "binance") -> dict[str, tuple[Decimal, Decimal]]:
        """asset -> (free, locked)."""
        acc = self._spot_account(api_key, exchange)
        return {a: (acc.free.get(a, Decimal(0)), acc.locked.get(a, Decimal(0))) for a in set(acc.free) | set(acc.locked)}

    def _futures_account(self, api_key: str) -> FuturesAccount:
        key = self.keys.get("binance", api_key)
        if key is None:
            raise KeyError(f"no binance key {api_key[:4]}…")
        return self.binance_futures.open_account(key.account_id, Decimal(0))

    def positions(self, api_key: str) -> dict[str, FuturesPosition]:
        """The key's open USDⓈ-M positions by Binance symbol id ("XRPUSDT")."""
        return {s: p for s, p in self._futures_account(api_key).positions.items() if p.amount}

    def futures_wallet(self, api_key: str) -> Decimal:
        """The key's USDⓈ-M USDT wallet balance (deposits + realized PnL − fees)."""
        return self._futures_account(api_key).wallet
