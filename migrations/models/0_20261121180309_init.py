"""Initial schema: every table of core/db/models.py except job_runs (added by migration 1)."""
from tortoise import BaseDBAsyncClient

from core.db.migrate import for_dialect

RUN_IN_TRANSACTION = True

UPGRADE = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "audit_log" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "actor_telegram_id" BIGINT,
    "action" VARCHAR(64) NOT NULL,
    "target_type" VARCHAR(32) NOT NULL,
    "target_id" VARCHAR(64) NOT NULL,
    "details" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS "users" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "telegram_id" BIGINT NOT NULL UNIQUE,
    "username" VARCHAR(64),
    "full_name" VARCHAR(256) NOT NULL,
    "language" VARCHAR(8) NOT NULL,
    "status" VARCHAR(11) NOT NULL /* ACTIVE: active
BANNED: banned
BLOCKED_BOT: blocked_bot */,
    "is_trader" INT NOT NULL,
    "disclaimer_accepted_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS "exchange_accounts" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "exchange" VARCHAR(16) NOT NULL,
    "market_type" VARCHAR(8) NOT NULL,
    "label" VARCHAR(64) NOT NULL,
    "credentials" TEXT,
    "key_hint" VARCHAR(32) NOT NULL,
    "is_demo" INT NOT NULL,
    "status" VARCHAR(8) NOT NULL /* ACTIVE: active
INVALID: invalid
DISABLED: disabled */,
    "can_trade" INT NOT NULL,
    "can_withdraw" INT NOT NULL,
    "last_checked_at" TIMESTAMP,
    "last_error" VARCHAR(255),
    "created_at" TIMESTAMP NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* An exchange account reached with one API key, or a paper (demo) account. */;
CREATE TABLE IF NOT EXISTS "strategies" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "name" VARCHAR(64) NOT NULL UNIQUE,
    "description" TEXT NOT NULL,
    "status" VARCHAR(11) NOT NULL /* PENDING: pending
APPROVED: approved
PAUSED: paused
SUSPENDED: suspended
DEACTIVATED: deactivated */,
    "status_reason" VARCHAR(255),
    "is_public" INT NOT NULL,
    "is_margin" INT NOT NULL,
    "quote_currency" VARCHAR(16) NOT NULL,
    "min_deposit" VARCHAR(40) NOT NULL,
    "recommended_deposit" VARCHAR(40) NOT NULL,
    "subscription_step" VARCHAR(40) NOT NULL,
    "fee_fixed" VARCHAR(40) NOT NULL,
    "fee_period_days" INT NOT NULL,
    "profit_share_pct" VARCHAR(40) NOT NULL,
    "channel_chat_id" BIGINT,
    "created_at" TIMESTAMP NOT NULL,
    "account_id" CHAR(36) NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "trader_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "master_events" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "exchange_event_id" VARCHAR(128) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "order_type" VARCHAR(16) NOT NULL,
    "master_order_id" VARCHAR(128),
    "amount" VARCHAR(40) NOT NULL,
    "price" VARCHAR(40),
    "filled" VARCHAR(40) NOT NULL,
    "master_equity" VARCHAR(40),
    "position_after" VARCHAR(40),
    "payload" JSON NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "detected_at" TIMESTAMP NOT NULL,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_master_even_strateg_765eeb" UNIQUE ("strategy_id", "exchange_event_id")
) /* One fill or order change on a master account, stored once per exchange id. */;
CREATE TABLE IF NOT EXISTS "subscriptions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "status" VARCHAR(10) NOT NULL /* ACTIVE: active
PAUSED: paused
CANCELLING: cancelling
CANCELLED: cancelled
STOPPED: stopped */,
    "status_reason" VARCHAR(255),
    "sizing_mode" VARCHAR(12) NOT NULL /* PROPORTIONAL: proportional
FIXED: fixed */,
    "multiplier" VARCHAR(40) NOT NULL,
    "fixed_amount" VARCHAR(40),
    "allocation" VARCHAR(40) NOT NULL,
    "max_allocation_pct" VARCHAR(40) NOT NULL,
    "max_drawdown_pct" VARCHAR(40),
    "drawdown_action" VARCHAR(8) NOT NULL,
    "stop_loss_pct" VARCHAR(40),
    "take_profit_pct" VARCHAR(40),
    "slippage_tolerance_pct" VARCHAR(40) NOT NULL,
    "max_open_trades" INT,
    "min_equity" VARCHAR(40),
    "leverage" INT,
    "round_up_to_min" INT NOT NULL,
    "start_equity" VARCHAR(40) NOT NULL,
    "high_water_mark" VARCHAR(40) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "account_id" CHAR(36) NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "follower_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS "copy_orders" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "client_order_id" VARCHAR(40) NOT NULL UNIQUE,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "order_type" VARCHAR(16) NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "price" VARCHAR(40),
    "status" VARCHAR(16) NOT NULL /* PENDING: pending
SENT: sent
OPEN: open
PARTIALLY_FILLED: partially_filled
FILLED: filled
CANCELLED: cancelled
SKIPPED: skipped
FAILED: failed
EXPIRED: expired */,
    "reason" VARCHAR(64),
    "reason_detail" VARCHAR(255),
    "exchange_order_id" VARCHAR(128),
    "filled" VARCHAR(40) NOT NULL,
    "average_price" VARCHAR(40),
    "fee" VARCHAR(40) NOT NULL,
    "fee_currency" VARCHAR(16),
    "attempts" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "sent_at" TIMESTAMP,
    "acked_at" TIMESTAMP,
    "master_event_id" INT NOT NULL REFERENCES "master_events" ("id") ON DELETE CASCADE,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_copy_orders_master__191863" UNIQUE ("master_event_id", "subscription_id")
) /* The outbox: written before the send, with a deterministic client order id. */;
CREATE TABLE IF NOT EXISTS "equity_snapshots" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "period" VARCHAR(8) NOT NULL,
    "taken_at" TIMESTAMP NOT NULL,
    "equity" VARCHAR(40) NOT NULL,
    "deposits" VARCHAR(40) NOT NULL,
    "withdrawals" VARCHAR(40) NOT NULL,
    "strategy_id" INT REFERENCES "strategies" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_equity_snap_strateg_3bbf28" UNIQUE ("strategy_id", "subscription_id", "period", "taken_at")
) /* Equity of a strategy's master account or of a subscription at a moment. */;
CREATE TABLE IF NOT EXISTS "ledger_entries" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "currency" VARCHAR(16) NOT NULL,
    "period_key" VARCHAR(32) NOT NULL,
    "note" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ledger_entr_subscri_d7f5af" UNIQUE ("subscription_id", "kind", "period_key")
) /* Money that moved for a reason: fees, profit share, deposits, withdrawals. */;
CREATE TABLE IF NOT EXISTS "positions" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "entry_price" VARCHAR(40) NOT NULL,
    "realized_pnl" VARCHAR(40) NOT NULL,
    "fees" VARCHAR(40) NOT NULL,
    "opened_at" TIMESTAMP NOT NULL,
    "closed_at" TIMESTAMP,
    "account_id" CHAR(36) NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE
) /* A copied position on a follower's account (or the master's, with subscription null). */;
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "audit_log" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "actor_telegram_id" BIGINT,
    "action" VARCHAR(64) NOT NULL,
    "target_type" VARCHAR(32) NOT NULL,
    "target_id" VARCHAR(64) NOT NULL,
    "details" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS "users" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "telegram_id" BIGINT NOT NULL UNIQUE,
    "username" VARCHAR(64),
    "full_name" VARCHAR(256) NOT NULL,
    "language" VARCHAR(8) NOT NULL,
    "status" VARCHAR(11) NOT NULL,
    "is_trader" BOOL NOT NULL,
    "disclaimer_accepted_at" TIMESTAMPTZ,
    "created_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON COLUMN "users"."status" IS 'ACTIVE: active
BANNED: banned
BLOCKED_BOT: blocked_bot';
CREATE TABLE IF NOT EXISTS "exchange_accounts" (
    "id" UUID NOT NULL PRIMARY KEY,
    "exchange" VARCHAR(16) NOT NULL,
    "market_type" VARCHAR(8) NOT NULL,
    "label" VARCHAR(64) NOT NULL,
    "credentials" TEXT,
    "key_hint" VARCHAR(32) NOT NULL,
    "is_demo" BOOL NOT NULL,
    "status" VARCHAR(8) NOT NULL,
    "can_trade" BOOL NOT NULL,
    "can_withdraw" BOOL NOT NULL,
    "last_checked_at" TIMESTAMPTZ,
    "last_error" VARCHAR(255),
    "created_at" TIMESTAMPTZ NOT NULL,
    "owner_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "exchange_accounts"."status" IS 'ACTIVE: active
INVALID: invalid
DISABLED: disabled';
COMMENT ON TABLE "exchange_accounts" IS 'An exchange account reached with one API key, or a paper (demo) account.';
CREATE TABLE IF NOT EXISTS "strategies" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "name" VARCHAR(64) NOT NULL UNIQUE,
    "description" TEXT NOT NULL,
    "status" VARCHAR(11) NOT NULL,
    "status_reason" VARCHAR(255),
    "is_public" BOOL NOT NULL,
    "is_margin" BOOL NOT NULL,
    "quote_currency" VARCHAR(16) NOT NULL,
    "min_deposit" DECIMAL(38,18) NOT NULL,
    "recommended_deposit" DECIMAL(38,18) NOT NULL,
    "subscription_step" DECIMAL(38,18) NOT NULL,
    "fee_fixed" DECIMAL(38,18) NOT NULL,
    "fee_period_days" INT NOT NULL,
    "profit_share_pct" DECIMAL(38,18) NOT NULL,
    "channel_chat_id" BIGINT,
    "created_at" TIMESTAMPTZ NOT NULL,
    "account_id" UUID NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "trader_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "strategies"."status" IS 'PENDING: pending
APPROVED: approved
PAUSED: paused
SUSPENDED: suspended
DEACTIVATED: deactivated';
CREATE TABLE IF NOT EXISTS "master_events" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "exchange_event_id" VARCHAR(128) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "order_type" VARCHAR(16) NOT NULL,
    "master_order_id" VARCHAR(128),
    "amount" DECIMAL(38,18) NOT NULL,
    "price" DECIMAL(38,18),
    "filled" DECIMAL(38,18) NOT NULL,
    "master_equity" DECIMAL(38,18),
    "position_after" DECIMAL(38,18),
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ NOT NULL,
    "detected_at" TIMESTAMPTZ NOT NULL,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_master_even_strateg_765eeb" UNIQUE ("strategy_id", "exchange_event_id")
);
COMMENT ON TABLE "master_events" IS 'One fill or order change on a master account, stored once per exchange id.';
CREATE TABLE IF NOT EXISTS "subscriptions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "status" VARCHAR(10) NOT NULL,
    "status_reason" VARCHAR(255),
    "sizing_mode" VARCHAR(12) NOT NULL,
    "multiplier" DECIMAL(38,18) NOT NULL,
    "fixed_amount" DECIMAL(38,18),
    "allocation" DECIMAL(38,18) NOT NULL,
    "max_allocation_pct" DECIMAL(38,18) NOT NULL,
    "max_drawdown_pct" DECIMAL(38,18),
    "drawdown_action" VARCHAR(8) NOT NULL,
    "stop_loss_pct" DECIMAL(38,18),
    "take_profit_pct" DECIMAL(38,18),
    "slippage_tolerance_pct" DECIMAL(38,18) NOT NULL,
    "max_open_trades" INT,
    "min_equity" DECIMAL(38,18),
    "leverage" INT,
    "round_up_to_min" BOOL NOT NULL,
    "start_equity" DECIMAL(38,18) NOT NULL,
    "high_water_mark" DECIMAL(38,18) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "account_id" UUID NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "follower_id" INT NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE
);
COMMENT ON COLUMN "subscriptions"."status" IS 'ACTIVE: active
PAUSED: paused
CANCELLING: cancelling
CANCELLED: cancelled
STOPPED: stopped';
COMMENT ON COLUMN "subscriptions"."sizing_mode" IS 'PROPORTIONAL: proportional
FIXED: fixed';
CREATE TABLE IF NOT EXISTS "copy_orders" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "client_order_id" VARCHAR(40) NOT NULL UNIQUE,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "order_type" VARCHAR(16) NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "price" DECIMAL(38,18),
    "status" VARCHAR(16) NOT NULL,
    "reason" VARCHAR(64),
    "reason_detail" VARCHAR(255),
    "exchange_order_id" VARCHAR(128),
    "filled" DECIMAL(38,18) NOT NULL,
    "average_price" DECIMAL(38,18),
    "fee" DECIMAL(38,18) NOT NULL,
    "fee_currency" VARCHAR(16),
    "attempts" INT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "sent_at" TIMESTAMPTZ,
    "acked_at" TIMESTAMPTZ,
    "master_event_id" INT NOT NULL REFERENCES "master_events" ("id") ON DELETE CASCADE,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_copy_orders_master__191863" UNIQUE ("master_event_id", "subscription_id")
);
COMMENT ON COLUMN "copy_orders"."status" IS 'PENDING: pending
SENT: sent
OPEN: open
PARTIALLY_FILLED: partially_filled
FILLED: filled
CANCELLED: cancelled
SKIPPED: skipped
FAILED: failed
EXPIRED: expired';
COMMENT ON TABLE "copy_orders" IS 'The outbox: written before the send, with a deterministic client order id.';
CREATE TABLE IF NOT EXISTS "equity_snapshots" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "period" VARCHAR(8) NOT NULL,
    "taken_at" TIMESTAMPTZ NOT NULL,
    "equity" DECIMAL(38,18) NOT NULL,
    "deposits" DECIMAL(38,18) NOT NULL,
    "withdrawals" DECIMAL(38,18) NOT NULL,
    "strategy_id" INT REFERENCES "strategies" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_equity_snap_strateg_3bbf28" UNIQUE ("strategy_id", "subscription_id", "period", "taken_at")
);
COMMENT ON TABLE "equity_snapshots" IS 'Equity of a strategy''s master account or of a subscription at a moment.';
CREATE TABLE IF NOT EXISTS "ledger_entries" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(16) NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "currency" VARCHAR(16) NOT NULL,
    "period_key" VARCHAR(32) NOT NULL,
    "note" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "subscription_id" INT NOT NULL REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_ledger_entr_subscri_d7f5af" UNIQUE ("subscription_id", "kind", "period_key")
);
COMMENT ON TABLE "ledger_entries" IS 'Money that moved for a reason: fees, profit share, deposits, withdrawals.';
CREATE TABLE IF NOT EXISTS "positions" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "entry_price" DECIMAL(38,18) NOT NULL,
    "realized_pnl" DECIMAL(38,18) NOT NULL,
    "fees" DECIMAL(38,18) NOT NULL,
    "opened_at" TIMESTAMPTZ NOT NULL,
    "closed_at" TIMESTAMPTZ,
    "account_id" UUID NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "positions" IS 'A copied position on a follower''s account (or the master''s, with subscription null).';
CREATE TABLE IF NOT EXISTS "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
""",
}

DOWNGRADE = {
    "sqlite": """

""",
    "postgres": """

""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, UPGRADE)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, DOWNGRADE)


MODELS_STATE = (
    "eJztXf1v2zYa/lcI/7IUyBWJkzZZ7nCAk7g9r65tJM6ut2XQGImxiciiKtJJva3/+5GUZO"
    "uDki1F/tIIDNtC8aGlh6+ol+8X/2xMiIVs+rY1tTDrklHjAvzZcOAE8f9JXTsEDei6iyui"
    "gcEHW3aGopdhB90eKPOgyfiFR2hTxJssRE0PuwwTh7c6U9sWjcTkHbEzWjRNHfx1igxGRo"
    "iNkccv/Pobb8aOhb4hGv7pPhmPGNlW7H6xJX5bthts5sq2jsM+yI7i1x4Mk9jTibPo7M7Y"
    "mDjz3thhonWEHORBhsTwzJuK2xd3Fzxq+ET+nS66+LcYwVjoEU5tFnncB2PR1jCMXn9o3L"
    "aHhtEoQJBJHEEuv1Uqn34kbuEfzePTs9Pzk/en57yLvM15y9l3/6cXxPhASU9v2Pgur0MG"
    "/R6S4wWpfBaJZzBko5EHJ4aK40s8yqRZCV/OeshxhPaA1DnrYZcF7QtR2xzvPzabJydnza"
    "OT9+fvTs/O3p0fzScgfSlvJi47H8Vk8A6Evzn+OxXOTmw2xH2mpuBqDL3MCQgQCdb5w6zA"
    "ekrYt037BH4zbOSM2Jj/+f40h9GfWzdX/2ndHLw/fROntRdcacpLcYIZ9PjC45NUgOUEbH"
    "NUNxobIfqkuQLRJ81MosUlJdGq9WQpzcpVZP9Jrl6aLcQg9j/UcYp/uu331BRHIAmCLWwy"
    "8BewMV1luS5H9L8ep45csMDDFNsMO/St+Nl/r2sCcggXFImRJ5R+taNEH3xufUnOwVW3fy"
    "kpI5SNPDmKHOAyMSGmhwRlBmTpObnmVxieIPW8xJHJqQmgb8P/2ceVnT+g1XfsWfCtz5ma"
    "Yedz+3bY+jyIzc91a9gWV5qydZZoPXifmLP5IOC/neF/gPgT/NLvtZPTOO83/KUh7glOGT"
    "Ec8mJAK6Lrha0ha9+Flvr4FFGpRMMDNJ9eoGcZqSukSbL6pi9NmpNkC3TgSM6ZIFfcZqC8"
    "XxF31vcsqUinNPvFxVzV3uTdDCL60ZWU+8ZwjACZsgfy7QK8eJgxxN9n9Eg8BLhODyhyrE"
    "PwgtkYQMDXG+RNsMNXFWwC08bIYUD+GMDW20ZCdCoeWrHZ+JVzSTnOQM/I10vp9GHxdL/p"
    "zcgWNyP+HPqyWFB1UECrUSC2S3hMgTg9WkGBOD3KVCDEpfj3is4mD8QuwvMCUcP9RvVqMM"
    "VWoY1G2L+G5J6vwO15JrXnSWb9N73oRi6O2uAWYwK9J8Q2s9E4fr8C1cdJhWnBtbiUsEtM"
    "yNRR6bTIxBNoZ5gm5qCkOuuj3gboPZTsHH6v21edz63uwcn54bEvzlxTxQwl1+g4wa6HTY"
    "Ug5/I7x7ya3h2zvVXOLmWQTRXbZLFOtJ3pRPLb4fcAHZ/R+Jo8R29wvXC5pis4KkZxY9Du"
    "XXd6Hy9AgL93btu94YVQnNm90+eXLwDh1+6dQetm2Gl1u/8zPnS63fY1h0CPYWjbM868bS"
    "Pr3gmvhH9ftXpXbb/JFFT5rbefOoOBaKNP2HUlrtXxcRDLHu0vg86NaEDfXOwhK6n2b2dR"
    "4xtSWszYukCUkoQde83WbZ3y2TJ8i1NxmiPA+rHdfPduBbp5r0y+5bU44eibOYbOCJXaQC"
    "nB9SP+uLmKHsp7ZS8kzZQu6q+PBT/fC9B21KOjffl6w2f+7Fwwy+hIKazWlZaw/YiKchwg"
    "tBQv49Uwp56HHHNWZF1O4mq4JFe/XWUMTVym0PizAxkikFLxCzslvdUYarVf6+/n14ptm4"
    "VFvfiUR2AVzPeOLV17Mr0hJ7nzC82nUu90FKdneJdnOOrrVO4HM7+HCuTmPos778KMrJER"
    "73ExhhVIzXDAcCq6Qi3SabY/EA/hkfMJzVI23QS5QYzEZzlcOxxtz7j+HgpV2LpYTj34Mg"
    "9bUL3N0sBmI3/bctW6vWpdtxuZol0B07eJ4WpKteK1VlO9nYCh9tcpZrNbB7p0TFhDETWU"
    "6HGYFzqEZF+DBp1XjB/yfwGQRwCB6MvQaPYDBb6QAmiawm8IiBf0iBAKIOMtEzLhcpwOHq"
    "po3Hvn3vndRR4m1u8AU3DPtRpsz+4b4IA4CPAr4G54BSw4O5RBSQ+Q8l58zJmcgjfiF+7F"
    "4u1B3kfALC4hFnlxwAtk5vhNdmxSeNfSqJB4X/w78ul/Qo7Qv3S00jajlRYTsqotZ4HYoC"
    "dRCm9BP+JuhHjM5bzg/iSKq6HFoU4bFP8DUtDgvADpwJJlZmcL8SnDKlNoLsVRmDbs5zIs"
    "opHFBx6qEjFySU4gNc+5PIe6UcFddhxVo9TEGpkwakhwjgUjquS/dk8dGWq/OF55Ox1/f3"
    "fdarGvLO+40SKITWr5W/iGymqR6HKYa7YIY50Cm8CKdouWA0Lk3JrgIWiOkeXnJAnzQGvQ"
    "AU9odiisABC4UJgLDiw0IW9CTNpwUdXA0nJheshCjojkpNJ8IUwUz0KsgIndMfIY+saEtU"
    "K0y/Eo4hAGoGPxUSl1xx4UT//Ah7QAI7wjpveOR15+oABbAFL+DyUmFm8BELvjf8qx+CX+"
    "axDc3XWuASUAM/5QmDIaTeB6xB5lgMJnlGUEeY1JQ/x0AZvGdIqttwJTRrdabtqIZLvKXx"
    "L/Ot1GqquftuJv86IbOPno+TaOUCyLWDmimBrmsVQfruLnhhTOZUnANmhSoi7ZUCpLxRYl"
    "/tioUCjyHKCrESS4Tcd7Rz48aYqH/KuTGSEUhdUhvi3PQtf+MowZ51JlB+YGum6/9zHsnq"
    "xFEGeef8aNMVb5Q7MlO4qpnXBXn8iJqSF0rTTDl4TYCDoZascCleD4gZC1mXTmLZsV7ct+"
    "vxsT7ctOUnbvPl+2+ccxYfNRmCT2L2FLFGJ6RgXFu9G6GnZ+bl8AH33vdLgMdjvXFwA7z9"
    "DG1r1z3bltXcpsKgtTcYelsqcq/o6akJPqQVVuc+77EMPpN6LAGyGYC+3FJUiPQjXvBXi3"
    "IWUG34iXDJVUwHXE5C47JOWEIc8jXrFtQhRVBxV2A+mKOqkgm/36JhWQFycjNzXTzRSF6B"
    "DZ5Q4myVcFvo87ivbRXLeq0yMqVkW9HZEoMBEnwe9QsVu5DKAfPt0gG2bUaQ24HgTD1Ihv"
    "lfceo1fyVMDjuZ88RTxxr6WqngHX39fpaewia4S8tsO8WUPhZYxePszzMNqyo4F4z0Dkl7"
    "sXPxMHzQAbQwYm5BlZ4FF6+vxqGByFED0ErkceMQOUq6J8iDBMy6+JGMQSpf2LlY0sHIwH"
    "URE9BE9YlGT0I1uNJzR7I7yAvgwJLyAUo8vfC2KneTfRw0HPyAPmWFT8tQB7wWamR/DXlE"
    "9f/KaU+/mv6lDorYZChxOysvE5nEDtHtTF17YeWVimLMOrSzKUszLf3V4PN+NCqV6OI6t1"
    "AaLjqBouGNX7qhzCCgUShP1r5wbUZitttor1e0UtjK0HSe/cZK85SlpnH9cvkDeaba/YXi"
    "eS8bO319F89hV3130HyTqmMv9XHhIQBNyK7N9EjvAhoIwLmMWvmX7C7zw8V3VoQbVDL00M"
    "nkcvz9P59eZ3m5vf9HwU0L2U4BpquWupu6nNDmvcrumzIfTZEJsiV58Nsb9nQwS6WJma0w"
    "po/WJn1vLl0zZhfSDHHrOrC6avk91wd1ymtkoKq2V52UoRRO4Y8JGpwq7yl4wUWPO9jG84"
    "swlULB7Zh95GIPrQ25jBvYpDb4kpnaFlPCIJaA1dInviAlkpNl4cuGqWc30loHqid3qiE0"
    "VXVnV0VVBqaddmtZalgHaN5EprAa0Ss5048bp8iG3shO2asL7W+Np5mLvC+xcNgc92/cXi"
    "7Veo2QP4ZGNkgRDnO+UeiW2TF+T9QOcFdw6IJ0vU+DugH4LI13iZYPE0bxT1e9b0IxWXx9"
    "Gevld6+rRLRLtE9tQlspcG472xuIk8j1mpAwoTSM1zLs8egjb+g28jXUexDOcSnYRqpvMt"
    "9EiVqbfsHEhdx3g5s+L47XLGsihQW1B22oJi2oSWixGPAnWpkF2e42BPpzSSZVcijaOqrE"
    "i6u1O7tADpLsXZ79gbs2YLJFzUS36lAVJRgXk/JXipHTL+CuuS5H/HTIa5uV1hyIya4rMN"
    "mfGKGEstmdkEayvhblkJ5X9TtOakXwb9qzFibZfaNZcYjt5WiuHsEsMJWA3yXPP06HVUGN"
    "7Dgqx8t2wJCovNQGPQ7l13eh8vQIC/d1qDwU3/Z1GBlS/mnqifcu8MWne3osWFUyr+vr27"
    "FUDRRKdUQEXrdVvWd+WbFVG+Fckir/IxS7xMx8erRBEfZwcRH6cPVBKzYvhVYApZ3ZPA+g"
    "VtryVzHFPDnT7Y2FQ4nZdUkV7gNli9Nfxy7G3xVk7cBHojrJDuZYQvcLpcbgHGv04JQ0aZ"
    "gipppC6rslr+DRbbIhl5UNBgn0Bqu32u3d5DJplM5Je9JN8ZI2jec3mPGQIoQ25B1pV4zX"
    "ku548I8dG+FU/RieI0x0s5DopbWXCm2FtlGmIUyM0F256si+CqjzX161kasp6l4ZpFF2sV"
    "XEt0rkQL+7+DbIP/V+0Vu8SjTKFWgGvkvvmx2Tw5OWsenbw/f3d6dvbu/Ggu3ulLeXJ+2f"
    "koRD2mHSpOC9E1yjInpL41yrRDeg0OaXlcUcEDC2IYnQez3AvtE1aBb7TmRxbEBGu541k7"
    "99fj3F8lx4g60KVjwl6ZYdSWifi3wWD7p/9kZhnFwqfndfzKE5WoHVgT6cy0hOizITaeux"
    "bjTBX2keA0J/QjOZE6+mOvNJlDkJMjtn+e8mqOLk26xK9avat2tyt96aZ4WNuW7vSgXXQN"
    "mqUDfdgfDKT7nBHXLekiP1rFt3KU7VtJ2561i3yzLnKK/+B3YIg1s/QrFB9ikxEnHnGJJ1"
    "j1jYGFwk5u+oP+zbDT77W6FyA60r3zofNFvBlzw3rxCnQrFaDLqT+X8jnyZ8KujQvXO4oD"
    "tT0130MgJtwolbmZhOqqUku4hrZNzLnSXCRHNgbUEp3LsliWFoSV8MqoB9gO62vzhK2Fdn"
    "GEm0VeypKehOsFZQnnc8KgqV5VspVHBXSTWozQ3wuqLyVVyIprHIitg2ETSkvIeAqrBXyJ"
    "gDP4hIzAS16cbwVaM76EcWpj14UjYeyxOQ9881NG0DMH2c5X9Hhf2Bcrl0jBN6QTpki8jg"
    "JZo9CGygJ2RDhquZrFMaBeRpYIsi2O3uUrQAEJjkK06KZF1+P7bMuYunxRNSaF0w0UaJ10"
    "UCDpgDLosXJLRxKq9++5S8cYj8bGCxQV4sWhJQXJVqA137l86zi+7CW8vnF8U9cqOetxpJ"
    "71XZn1kKPItKeiO3T05hqiN8MSvMXiNxMoHcGpVLp0jfiNxMaGwphmWUfHxkM3E6/tCoWZ"
    "dPn9qsvv6/Dj3Qg/1kccrBxVqwO1V+bKRtZI9SUqQlRXjtEWda/rKlKxMyrKMxU9EKMmwr"
    "TO+Gyp3SjiskOtJzsee0qDZVLHYe+V1nwIsuOwGf9ujjw4KZyInABWs0XZBao3nIMsXqqi"
    "pRCjmPpFTFdfD/GR/6pRlOQYqAa1EJNh6atUWOK9csLSUzWWbL75mCpdptk0RzEbZBk5m+"
    "G58titv2nazGWr1xPR/Q+i/IXF/+72rz61r43L/pA32sR8Qpbx4O8otl8zElMjK1d7WUW9"
    "BU47tws4ty1MTRviCfIMaJrILXn+auYo+oyJ3fEJpV2B2gGcvdTtpyswywGc8gCsYuULrI"
    "WvNV3V1rqqsvZjVexmodz5+pn6dZmB3TFjtZCHzXFDYcgKrhzmmbLgoo+2ZW3sU7RmW9Yz"
    "8mjBHKIIpIaHo64l91y8VAUYDrrXkN3jo9UKKeRVUkiHMhKHIZUz+Kfbfi9DhV1AkvorNh"
    "n4C9iY7rG2oiJXkBFTUlOHdyTP6Uhon2KAS1VASbY6Wf3H7Pv/AWG5iLc="
)
