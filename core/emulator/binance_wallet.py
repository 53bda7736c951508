"""Binance spot's wallet side in the emulator: deposits and withdrawals.

`deposit` and `withdraw` are test helpers that move an account's balance; the sapi capital history
endpoints list them in Binance's shapes, status codes and time filters, as ccxt's
`fetch_deposits` / `fetch_withdrawals` read them (core/transfers.py keeps them out of the yields).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from core.emulator.binance_common import BinanceError, now_ms, utc_text
from core.emulator.keys import EmulatedKey
from core.money import ZERO, plain  # Binance's transfer amounts are plain decimals ("4500", "0.01844487")

if TYPE_CHECKING:
    from core.emulator.binance import SpotAccount

DEPOSIT_SUCCESS = 1  # capital/deposit/hisrec status (0 pending, 6 credited but cannot withdraw)
WITHDRAW_COMPLETED = 6  # capital/withdraw/history status (0 email sent … 4 processing, 5 failure)
HISTORY_WINDOW_MS = 90 * 86_400_000


class SpotWallet:
    """Mixed into BinanceSpot, whose accounts carry the deposit and withdrawal rows."""

    _transfer_ids: Iterator[int]

    if TYPE_CHECKING:
        def open_account(self, account_id: str, balances: dict[str, Decimal]) -> SpotAccount: ...

        def _account(self, key: EmulatedKey) -> SpotAccount: ...

    def deposit(self, account_id: str, asset: str, amount: Decimal, *, pending: bool = False) -> str:
        """Record a deposit (status 1, success) and credit the spot balance; a pending one (status 0)
        credits nothing until `credit_deposit`. Returns the deposit id."""
        account = self.open_account(account_id, {})
        number = next(self._transfer_ids)
        now = now_ms()
        account.deposits.append({
            "id": str(700_000_000_000 + number), "amount": plain(amount), "coin": asset, "network": "TRX", "status": 0,
            "address": "TXemulatedDepositAddress", "addressTag": "", "txId": f"Internal transfer {51_000_000_000 + number}",
            "insertTime": now, "completeTime": None, "transferType": 1, "confirmTimes": "1/1", "unlockConfirm": 0,
            "walletType": 0,
        })
        if not pending:
            self.credit_deposit(account_id, account.deposits[-1]["id"])
        return account.deposits[-1]["id"]

    def credit_deposit(self, account_id: str, deposit_id: str) -> None:
        """A pending deposit reaches its confirmations: status 1 and the balance credited."""
        account = self.open_account(account_id, {})
        row = next(d for d in account.deposits if d["id"] == deposit_id and d["status"] == 0)
        row["status"], row["completeTime"] = DEPOSIT_SUCCESS, now_ms()
        account.free[row["coin"]] = account.free.get(row["coin"], ZERO) + Decimal(row["amount"])

    def withdraw(self, account_id: str, asset: str, amount: Decimal, *, fee: Decimal = ZERO) -> str:
        """A completed withdrawal (status 6): `amount` is sent, `fee` is charged on top. Returns its id."""
        account = self.open_account(account_id, {})
        if account.free.get(asset, ZERO) < amount + fee:
            raise ValueError(f"cannot withdraw {amount + fee} {asset}: {account.free.get(asset, ZERO)} free")
        account.free[asset] -= amount + fee
        now = now_ms() // 1000 * 1000  # applyTime has whole seconds
        account.withdrawals.append({
            "id": f"{next(self._transfer_ids):032x}", "amount": plain(amount), "transactionFee": plain(fee), "coin": asset,
            "status": WITHDRAW_COMPLETED, "address": "TXemulatedWithdrawAddress", "txId": f"{now:064x}",
            "applyTime": utc_text(now), "network": "TRX", "transferType": 0, "info": "", "confirmNo": 1, "walletType": 0,
            "txKey": "", "completeTime": utc_text(now), "_time": now,
        })
        return account.withdrawals[-1]["id"]

    def deposit_history(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        return self._history(self._account(key).deposits, params, lambda row: row["insertTime"])

    def withdraw_history(self, key: EmulatedKey, params: dict[str, str]) -> list[dict]:
        rows = self._history(self._account(key).withdrawals, params, lambda row: row["_time"])
        return [{name: value for name, value in row.items() if not name.startswith("_")} for row in rows]

    @staticmethod
    def _history(rows: list[dict], params: dict[str, str], time_of: Callable[[dict], int]) -> list[dict]:
        """Binance's filters: coin, status, a startTime..endTime window of at most 90 days (the last 90
        days by default), offset and limit (1000 at most), newest first."""
        end = int(params.get("endTime") or now_ms())
        start = int(params.get("startTime") or end - HISTORY_WINDOW_MS)
        if end - start > HISTORY_WINDOW_MS:
            raise BinanceError(400, -1127, "More than 90 days between startTime and endTime.")
        limit = min(int(params.get("limit") or 1000), 1000)
        offset = int(params.get("offset") or 0)
        coin, status = params.get("coin"), params.get("status")
        chosen = [row for row in rows if start <= time_of(row) <= end and coin in (None, row["coin"])
                  and status in (None, str(row["status"]))]
        chosen.sort(key=time_of, reverse=True)
        return chosen[offset:offset + limit]
