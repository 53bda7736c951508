"""Domain tables (see DESIGN.md). Amounts are DecimalField; unique constraints carry the invariants:
one MasterEvent per (strategy, exchange id), one CopyOrder per (master event, subscription), and
globally unique client order ids."""
from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


def money(**kwargs: object) -> fields.DecimalField:
    return fields.DecimalField(max_digits=38, decimal_places=18, **kwargs)


class UserStatus(StrEnum):
    ACTIVE = "active"
    BANNED = "banned"
    BLOCKED_BOT = "blocked_bot"  # the user blocked the bot: notifications stop


class AccountStatus(StrEnum):
    ACTIVE = "active"
    INVALID = "invalid"  # key stopped authenticating or lost a permission
    DISABLED = "disabled"


class StrategyStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAUSED = "paused"
    SUSPENDED = "suspended"  # automatic: trader drawdown beyond the platform threshold
    DEACTIVATED = "deactivated"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    CANCELLED = "cancelled"
    STOPPED = "stopped"


class SizingMode(StrEnum):
    PROPORTIONAL = "proportional"
    FIXED = "fixed"


class CopyOrderStatus(StrEnum):
    PENDING = "pending"  # written to the outbox, not sent yet
    SENT = "sent"  # request on the wire, outcome unknown until acked or looked up
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"  # deliberately not placed; `reason` says why
    FAILED = "failed"
    EXPIRED = "expired"


class User(Model):
    id = fields.IntField(primary_key=True)
    telegram_id = fields.BigIntField(unique=True)
    username = fields.CharField(max_length=64, null=True)
    full_name = fields.CharField(max_length=256, default="")
    language = fields.CharField(max_length=8, default="en")
    status = fields.CharEnumField(UserStatus, default=UserStatus.ACTIVE)
    is_trader = fields.BooleanField(default=False)
    disclaimer_accepted_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "users"


class ExchangeAccount(Model):
    """An exchange account reached with one API key, or a paper (demo) account.

    `credentials` is the vault ciphertext of the key, secret and passphrase, bound to this
    row's id as associated data; the id is a UUID so it exists before the first save."""

    id = fields.UUIDField(primary_key=True)
    owner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="accounts")
    exchange = fields.CharField(max_length=16)  # binance, okx, bybit, bitget, paper
    market_type = fields.CharField(max_length=8, default="spot")  # spot, swap
    label = fields.CharField(max_length=64, default="")
    credentials = fields.TextField(null=True)
    key_hint = fields.CharField(max_length=32, default="")  # masked key: first 4 and last 4 characters
    is_demo = fields.BooleanField(default=False)
    status = fields.CharEnumField(AccountStatus, default=AccountStatus.ACTIVE)
    can_trade = fields.BooleanField(default=False)
    can_withdraw = fields.BooleanField(default=False)
    last_checked_at = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=255, null=True)
    equity = money(default=0)  # total assets (margin balance for margin accounts), last known
    equity_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "exchange_accounts"


class Strategy(Model):
    id = fields.IntField(primary_key=True)
    trader: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="strategies")
    account: fields.ForeignKeyRelation[ExchangeAccount] = fields.ForeignKeyField(
        "models.ExchangeAccount", related_name="strategies"
    )
    name = fields.CharField(max_length=64, unique=True)
    description = fields.TextField(default="")
    status = fields.CharEnumField(StrategyStatus, default=StrategyStatus.PENDING)
    status_reason = fields.CharField(max_length=255, null=True)
    is_public = fields.BooleanField(default=True)
    is_margin = fields.BooleanField(default=False)
    quote_currency = fields.CharField(max_length=16, default="USDT")
    min_deposit = money(default=0)
    recommended_deposit = money(default=0)
    subscription_step = money(default=0)
    fee_fixed = money(default=0)  # charged per fee period
    fee_period_days = fields.IntField(default=30)
    profit_share_pct = money(default=0)  # on new highs above the high-water mark
    channel_chat_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "strategies"


class Subscription(Model):
    id = fields.IntField(primary_key=True)
    follower: fields.ForeignKeyRelation[User] = fields.ForeignKeyField("models.User", related_name="subscriptions")
    strategy: fields.ForeignKeyRelation[Strategy] = fields.ForeignKeyField(
        "models.Strategy", related_name="subscriptions"
    )
    account: fields.ForeignKeyRelation[ExchangeAccount] = fields.ForeignKeyField(
        "models.ExchangeAccount", related_name="subscriptions"
    )
    status = fields.CharEnumField(SubscriptionStatus, default=SubscriptionStatus.ACTIVE)
    status_reason = fields.CharField(max_length=255, null=True)
    sizing_mode = fields.CharEnumField(SizingMode, default=SizingMode.PROPORTIONAL)
    multiplier = money(default=0)  # k, rounded to 6 places
    fixed_amount = money(null=True)  # quote amount per master entry in fixed mode
    allocation = money(default=0)  # quote amount the follower dedicates to this trader
    max_allocation_pct = money(default=30)
    max_drawdown_pct = money(null=True)
    drawdown_action = fields.CharField(max_length=8, default="pause")  # pause, stop
    stop_loss_pct = money(null=True)
    take_profit_pct = money(null=True)
    slippage_tolerance_pct = money(default=1)
    max_open_trades = fields.IntField(null=True)
    min_equity = money(null=True)
    leverage = fields.IntField(null=True)  # fixed leverage; None follows the master
    round_up_to_min = fields.BooleanField(default=False)
    start_equity = money(default=0)
    high_water_mark = money(default=0)  # for the profit share: fees are charged only above it
    peak_equity = money(default=0)  # for the drawdown limit
    drawdown_warned = fields.SmallIntField(default=0)  # highest warning sent since the peak: 0, 50, 80
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "subscriptions"


class MasterEvent(Model):
    """One fill or order change on a master account, stored once per exchange id."""

    id = fields.IntField(primary_key=True)
    strategy: fields.ForeignKeyRelation[Strategy] = fields.ForeignKeyField(
        "models.Strategy", related_name="events"
    )
    exchange_event_id = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16)  # fill, order_new, order_amend, order_cancel
    symbol = fields.CharField(max_length=32)
    side = fields.CharField(max_length=8)
    order_type = fields.CharField(max_length=16, default="market")
    master_order_id = fields.CharField(max_length=128, null=True)
    amount = money()
    price = money(null=True)
    filled = money(default=0)
    master_equity = money(null=True)
    position_before = money(default=0)  # the strategy's signed position in `symbol` before this event
    payload = fields.JSONField(default=dict)
    occurred_at = fields.DatetimeField()
    detected_at = fields.DatetimeField()
    fanned_out_at = fields.DatetimeField(null=True)  # set when every follower's row is final or sent

    class Meta:
        table = "master_events"
        unique_together = (("strategy", "exchange_event_id"),)


class WatchBaseline(Model):
    """Where watching a master symbol began: its trades up to `since_ms` were history, not signals.

    Stored so a watcher that restarts after downtime copies what the master traded meanwhile in a
    symbol it had watched but never seen a fill in, instead of taking those trades for history."""

    id = fields.IntField(primary_key=True)
    strategy: fields.ForeignKeyRelation[Strategy] = fields.ForeignKeyField("models.Strategy", related_name="baselines")
    symbol = fields.CharField(max_length=32)
    since_ms = fields.BigIntField()

    class Meta:
        table = "watch_baselines"
        unique_together = (("strategy", "symbol"),)


class CopyOrder(Model):
    """The outbox: written before the send, with a deterministic client order id."""

    id = fields.IntField(primary_key=True)
    master_event: fields.ForeignKeyRelation[MasterEvent] = fields.ForeignKeyField(
        "models.MasterEvent", related_name="copy_orders"
    )
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="copy_orders"
    )
    leg = fields.SmallIntField(default=0)  # a reversal is two legs: close, then open
    client_order_id = fields.CharField(max_length=40, unique=True)
    symbol = fields.CharField(max_length=32)
    side = fields.CharField(max_length=8)
    order_type = fields.CharField(max_length=16, default="market")  # market, limit, cancel
    amount = money()
    price = money(null=True)
    reduce_only = fields.BooleanField(default=False)
    target: fields.ForeignKeyNullableRelation[CopyOrder] = fields.ForeignKeyField(
        "models.CopyOrder", related_name="followups", null=True
    )  # the mirrored order this row replaces or cancels
    status = fields.CharEnumField(CopyOrderStatus, default=CopyOrderStatus.PENDING)
    reason = fields.CharField(max_length=64, null=True)  # a core.errors code or a risk-check code
    reason_detail = fields.CharField(max_length=255, null=True)
    exchange_order_id = fields.CharField(max_length=128, null=True)
    filled = money(default=0)
    average_price = money(null=True)
    fee = money(default=0)
    fee_currency = fields.CharField(max_length=16, null=True)
    attempts = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    acked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "copy_orders"
        unique_together = (("master_event", "subscription", "leg"),)


class Position(Model):
    """A copied position on a follower's account (or the master's, with subscription null)."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[ExchangeAccount] = fields.ForeignKeyField(
        "models.ExchangeAccount", related_name="positions"
    )
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="positions", null=True
    )
    symbol = fields.CharField(max_length=32)
    side = fields.CharField(max_length=8)  # long, short
    amount = money(default=0)
    entry_price = money(default=0)
    realized_pnl = money(default=0)
    fees = money(default=0)
    opened_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "positions"


class EquitySnapshot(Model):
    """Equity of a strategy's master account or of a subscription at a moment.

    `period` is "daily" (one per UTC day, the basis of yields) or "intraday" (drawdown watch)."""

    id = fields.IntField(primary_key=True)
    strategy: fields.ForeignKeyNullableRelation[Strategy] = fields.ForeignKeyField(
        "models.Strategy", related_name="snapshots", null=True
    )
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="snapshots", null=True
    )
    period = fields.CharField(max_length=8, default="daily")
    taken_at = fields.DatetimeField()
    equity = money()
    deposits = money(default=0)
    withdrawals = money(default=0)

    class Meta:
        table = "equity_snapshots"
        unique_together = (("strategy", "subscription", "period", "taken_at"),)


class LedgerEntry(Model):
    """Money that moved for a reason: fees, profit share, deposits, withdrawals.

    (subscription, kind, period_key) is unique so a fee for one period is never charged twice."""

    id = fields.IntField(primary_key=True)
    subscription: fields.ForeignKeyRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="ledger"
    )
    kind = fields.CharField(max_length=16)  # fee_fixed, profit_share, deposit, withdrawal
    amount = money()
    currency = fields.CharField(max_length=16, default="USDT")
    period_key = fields.CharField(max_length=32)
    note = fields.CharField(max_length=255, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "ledger_entries"
        unique_together = (("subscription", "kind", "period_key"),)


class AccountTransfer(Model):
    """A completed deposit or withdrawal on an account, stored once per exchange id (core/transfers.py).

    `value` is what the account's equity moved by, in the owning strategy's quote currency at the
    price when it was found. `subscription` is the live subscription whose capital it changed (the
    account's follower at that moment), null for a master account or a move that predates it."""

    id = fields.IntField(primary_key=True)
    account: fields.ForeignKeyRelation[ExchangeAccount] = fields.ForeignKeyField(
        "models.ExchangeAccount", related_name="transfers"
    )
    subscription: fields.ForeignKeyNullableRelation[Subscription] = fields.ForeignKeyField(
        "models.Subscription", related_name="transfers", null=True
    )
    exchange_transfer_id = fields.CharField(max_length=128)
    kind = fields.CharField(max_length=16)  # deposit, withdrawal
    currency = fields.CharField(max_length=16)
    amount = money()  # in `currency`; a withdrawal includes its fee
    value = money()
    occurred_at = fields.DatetimeField()
    detected_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account_transfers"
        unique_together = (("account", "kind", "exchange_transfer_id"),)


class TransferCursor(Model):
    """Where the next transfer sync of an account starts reading (ms since epoch)."""

    id = fields.IntField(primary_key=True)
    account: fields.OneToOneRelation[ExchangeAccount] = fields.OneToOneField(
        "models.ExchangeAccount", related_name="transfer_cursor"
    )
    since_ms = fields.BigIntField()

    class Meta:
        table = "transfer_cursors"


class AuditLog(Model):
    id = fields.IntField(primary_key=True)
    actor_telegram_id = fields.BigIntField(null=True)
    action = fields.CharField(max_length=64)
    target_type = fields.CharField(max_length=32, default="")
    target_id = fields.CharField(max_length=64, default="")
    details = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_log"


class JobRun(Model):
    """One run of a scheduled job for one period (e.g. "daily_k" for "2025-01-31").

    (job, period_key) is unique so the scheduler claims a period by inserting this row first:
    a second scheduler, a restart or a misfire catch-up can never run the same job twice for it."""

    id = fields.IntField(primary_key=True)
    job = fields.CharField(max_length=64)
    period_key = fields.CharField(max_length=32)
    started_at = fields.DatetimeField(auto_now_add=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "job_runs"
        unique_together = (("job", "period_key"),)
