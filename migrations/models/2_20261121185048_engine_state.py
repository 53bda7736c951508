"""The replication engine's state: account equity, event position and fan-out marker, copy-order legs and targets, drawdown tracking, and where watching each master symbol began."""
from tortoise import BaseDBAsyncClient

from core.db.migrate import for_dialect

RUN_IN_TRANSACTION = True

UPGRADE = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS "watch_baselines" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "symbol" VARCHAR(32) NOT NULL,
    "since_ms" BIGINT NOT NULL,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_watch_basel_strateg_6b04cb" UNIQUE ("strategy_id", "symbol")
) /* Where watching a master symbol began: its trades up to `since_ms` were history, not signals. */;
CREATE TABLE "copy_orders_new" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "leg" SMALLINT NOT NULL,
    "client_order_id" VARCHAR(40) NOT NULL UNIQUE,
    "symbol" VARCHAR(32) NOT NULL,
    "side" VARCHAR(8) NOT NULL,
    "order_type" VARCHAR(16) NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "price" VARCHAR(40),
    "reduce_only" INT NOT NULL,
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
    "target_id" INT REFERENCES "copy_orders" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_copy_orders_master__42fdbe" UNIQUE ("master_event_id", "subscription_id", "leg")
) /* The outbox: written before the send, with a deterministic client order id. */;
INSERT INTO "copy_orders_new" ("id", "client_order_id", "symbol", "side", "order_type", "amount", "price", "status", "reason", "reason_detail", "exchange_order_id", "filled", "average_price", "fee", "fee_currency", "attempts", "created_at", "sent_at", "acked_at", "master_event_id", "subscription_id", "leg", "reduce_only", "target_id")
    SELECT "id", "client_order_id", "symbol", "side", "order_type", "amount", "price", "status", "reason", "reason_detail", "exchange_order_id", "filled", "average_price", "fee", "fee_currency", "attempts", "created_at", "sent_at", "acked_at", "master_event_id", "subscription_id", 0, 0, NULL FROM "copy_orders";
DROP TABLE "copy_orders";
ALTER TABLE "copy_orders_new" RENAME TO "copy_orders";
ALTER TABLE "exchange_accounts" ADD "equity" VARCHAR(40) NOT NULL DEFAULT 0;
ALTER TABLE "exchange_accounts" ADD "equity_at" TIMESTAMP;
ALTER TABLE "master_events" ADD "position_before" VARCHAR(40) NOT NULL DEFAULT 0;
ALTER TABLE "master_events" ADD "fanned_out_at" TIMESTAMP;
ALTER TABLE "master_events" DROP COLUMN "position_after";
ALTER TABLE "subscriptions" ADD "drawdown_warned" SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE "subscriptions" ADD "peak_equity" VARCHAR(40) NOT NULL DEFAULT 0;
""",
    "postgres": """
ALTER TABLE "copy_orders" DROP CONSTRAINT IF EXISTS "uid_copy_orders_master__191863";
        CREATE TABLE IF NOT EXISTS "watch_baselines" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "symbol" VARCHAR(32) NOT NULL,
    "since_ms" BIGINT NOT NULL,
    "strategy_id" INT NOT NULL REFERENCES "strategies" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_watch_basel_strateg_6b04cb" UNIQUE ("strategy_id", "symbol")
);
COMMENT ON TABLE "watch_baselines" IS 'Where watching a master symbol began: its trades up to `since_ms` were history, not signals.';
        ALTER TABLE "copy_orders" ADD "target_id" INT;
        ALTER TABLE "copy_orders" ADD "reduce_only" BOOL NOT NULL DEFAULT False;
        ALTER TABLE "copy_orders" ADD "leg" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "exchange_accounts" ADD "equity_at" TIMESTAMPTZ;
        ALTER TABLE "exchange_accounts" ADD "equity" DECIMAL(38,18) NOT NULL DEFAULT 0;
        ALTER TABLE "master_events" ADD "fanned_out_at" TIMESTAMPTZ;
        ALTER TABLE "master_events" ADD "position_before" DECIMAL(38,18) NOT NULL DEFAULT 0;
        ALTER TABLE "master_events" DROP COLUMN "position_after";
        ALTER TABLE "subscriptions" ADD "drawdown_warned" SMALLINT NOT NULL DEFAULT 0;
        ALTER TABLE "subscriptions" ADD "peak_equity" DECIMAL(38,18) NOT NULL DEFAULT 0;
        ALTER TABLE "copy_orders" ADD CONSTRAINT "fk_copy_ord_copy_ord_9d117f3e" FOREIGN KEY ("target_id") REFERENCES "copy_orders" ("id") ON DELETE CASCADE;
        CREATE UNIQUE INDEX IF NOT EXISTS "uid_copy_orders_master__42fdbe" ON "copy_orders" ("master_event_id", "subscription_id", "leg");
""",
}

DOWNGRADE = {
    "sqlite": """
DROP INDEX IF EXISTS "uid_copy_orders_master__42fdbe";
        ALTER TABLE "copy_orders" DROP FOREIGN KEY "fk_copy_ord_copy_ord_9d117f3e";
        ALTER TABLE "copy_orders" DROP COLUMN "target_id";
        ALTER TABLE "copy_orders" DROP COLUMN "leg";
        ALTER TABLE "copy_orders" DROP COLUMN "reduce_only";
        ALTER TABLE "exchange_accounts" DROP COLUMN "equity";
        ALTER TABLE "exchange_accounts" DROP COLUMN "equity_at";
        ALTER TABLE "master_events" ADD "position_after" VARCHAR(40);
        ALTER TABLE "master_events" DROP COLUMN "position_before";
        ALTER TABLE "master_events" DROP COLUMN "fanned_out_at";
        ALTER TABLE "subscriptions" DROP COLUMN "drawdown_warned";
        ALTER TABLE "subscriptions" DROP COLUMN "peak_equity";
        DROP TABLE IF EXISTS "watch_baselines";
        CREATE UNIQUE INDEX "uid_copy_orders_master__191863" ON "copy_orders" ("master_event_id", "subscription_id");
""",
    "postgres": """
DROP INDEX IF EXISTS "uid_copy_orders_master__42fdbe";
        ALTER TABLE "copy_orders" DROP CONSTRAINT IF EXISTS "fk_copy_ord_copy_ord_9d117f3e";
        ALTER TABLE "copy_orders" DROP COLUMN "target_id";
        ALTER TABLE "copy_orders" DROP COLUMN "reduce_only";
        ALTER TABLE "copy_orders" DROP COLUMN "leg";
        ALTER TABLE "master_events" ADD "position_after" DECIMAL(38,18);
        ALTER TABLE "master_events" DROP COLUMN "fanned_out_at";
        ALTER TABLE "master_events" DROP COLUMN "position_before";
        ALTER TABLE "subscriptions" DROP COLUMN "drawdown_warned";
        ALTER TABLE "subscriptions" DROP COLUMN "peak_equity";
        ALTER TABLE "exchange_accounts" DROP COLUMN "equity_at";
        ALTER TABLE "exchange_accounts" DROP COLUMN "equity";
        DROP TABLE IF EXISTS "watch_baselines";
        CREATE UNIQUE INDEX IF NOT EXISTS "uid_copy_orders_master__191863" ON "copy_orders" ("master_event_id", "subscription_id");
""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, UPGRADE)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, DOWNGRADE)


MODELS_STATE = (
    "eJztXXtz2za2/yoY/dNkxs3YshO73jt3RraVrFpH8kRK27tVh4VIWMI1BbAEFEW7zXdfAC"
    "QlPkBKpCVZYjHTNBGIA5I/PHje5z+NKXWQy960Zg7m93TcuAb/aRA4ReIfmWsnoAE9b3VF"
    "NnA4clVnKHtZbthtxLgPbS4uPEKXIdHkIGb72OOYEtFKZq4rG6ktOmIyXjXNCP5zhixOx4"
    "hPkC8u/Pa7aMbEQV8Ri356T9YjRq6TeF7syHurdosvPNXWIfy96ijvNrJs6s6mZNXZW/AJ"
    "JcvemHDZOkYE+ZAjOTz3Z/Lx5dOFrxq9UfCkqy7BI8ZoHPQIZy6Pve7IWrU1LKvbG1j99s"
    "CyGiUAsimR4IpHZertx/IRvm+eXVxeXJ2/u7gSXdRjLlsuvwW3XgETECp4uoPGN3Udchj0"
    "UBivQBWzSH2LIxeNfTi1dBjf4HEuzFry9ahHGMdgD0Fdoh51WcG+Wmr7w/2HZvP8/LJ5ev"
    "7u6u3F5eXbq9PlBGQvFc3ETeeDnAzRgYqdE+ypaHYSsyGfMzMFtxPo505ASJFCXbzMBqhn"
    "FvtLwz6FXy0XkTGfiJ/vLgoQ/bn16fafrU+v3l28TsLaDa801aUkwBz64uAJQCqBcopsf1"
    "A3GnsB+ry5AdDnzVyg5SUt0LrzZC3M2lPk+EHe/mp2EIc4+FAnIf6x3+vqIY6RpAB2sM3B"
    "X8DFbJPjuhrQ//M4I+rAAqMZdjkm7I287f/uagIKAJcQyZGnjP3pxoF+9bH1a3oObu97Nw"
    "oyyvjYV6OoAW5SE2L7SEJmQZ6dkztxheMp0s9LkjI9NSHpm+gfx3iyixd0esRdhN/6gqkZ"
    "dD62+4PWx4fE/Ny1Bm15palaF6nWV+9Sc7YcBPzSGfwTyJ/gX71uOz2Ny36DfzXkM8EZpx"
    "ahcws6MV4vao1Q+ya51MenGEslG0bQfppD37EyV2iT5vXNXpo2p+kWSOBYzZkEVz5myLzf"
    "Um/R8x3FSGc4+9XFQtbeFt0sKvuxjZj7xmCCAJ3xEf16DeY+5hyJ/YweqY+A4OkBQ8Q5AX"
    "PMJwACcd4gf4qJOFWwDWwXI8KBuhnAzptGaulseWiNsPGbwJIJOgt9QQFfymaj1dsp5m7c"
    "+N3IJC8ok8gZyKDan0LXzYU2JKkkeVQ6KU93i+158/LdElb5owjR/sfW/X1WmAh2RLCzSz"
    "JiGtLtsGMvu24T7NjF6Qbs2MVpLjsmLyUBZ4vpiLplcF5R1FB6275QwbBTSmyL+tcQ3KsN"
    "sL3KhfYqjWyw08uKxUmqPQpsU+g/Ib4fse3s3QZQn6XZzxXW8lJKyzOlM6KTEJCNxVcuR9"
    "GzJEoLBwHVm5D6CFd2Ab537duO+Lq9Or86OQuWs+D7MUfpMzoJsOdjW7OQC/Fd0jwb3gPT"
    "ZG4dXR85MxtZVMpyGYxvKHURJHqMU5QppEeU7mz1Llv2C/BNr3efEGJvOikdcPfzx5u2OD"
    "9S6Ge5OcYhn2lUPfJ0bpPZVCHeEQ8GSbCOk1/CJfUeT2lPSGsSuHK4Nx7a3btO98M1COmH"
    "pN/uDq6l8MeHpCcuXwMqrg3JQ+vToCN43/+z3nfu79t3ggT6HAtBYSGmw3WRMyTRlej3ba"
    "t72w6abAlV0Nr/qfPwINvYE/Y8RdfqBHQQqx7tXx86n2QD+uphsZDTouvLfEp8BFk5g8GK"
    "otJKOLDDbdca1gAtK9Caloc5Rlg/tJtv324At+iVi7e6lgQcfbUnkIxRJbFVS1w/4M+am3"
    "D/olf+QdLMSADB+ViSaVoRvQxTuistzNZ5JvhFvLtYmFU40wyt4VDXoP2IymIcUphVvA5X"
    "y575PiK2hvXPP5fTdDU8krevJOAcTT2u4fjznXFiJLXRhD/TymBss38/22xCbJZ2jPJTHi"
    "Pbwnwf2NF1JNMbYVI4v9B+qrSn43Rmhg95huP2eq08mPs91FDu77N48Pb32BkZ84Aoh7CG"
    "0iCsQbjAGzIX2yJnyGN2qX4WqBm3K/05kYX5PfURHpOf0CKjKE9hGzpPfVTDtaPRjmwBf4"
    "tWU9S6Wg4+nC8dmXRHpNJauiiQBW9b/dvWXbuRe15sAel+ariaQq05K9dDHRwCWwA54Qt4"
    "XOfGpgAnDkw9tPlOmjElB3VdOp95Gsn7JiR9/9Mn5MKcwIv6Av5tl56s7T9nmC/6BHpsQn"
    "lD486a6nFS5NOKVF+LhZ03dGwN7gDoI4BA9uVovPiOgeCQBNC2pQsGoH7YI7ahAeSiZUqn"
    "4hzNerVuadwhGZI/PORj6vwBMANDIapgdzFsgFeUICCugM+DW+DAxYnylh1BJnqJMRdqCl"
    "7LOwwl7+BD0UeSOWIDOXROwBxye/I632k2emqlKUyd18ETBfA/ISKFKuM/+5L+s6sJ2VRB"
    "u6LYo3uAWryNXWG8S2+55TrPQFysdIjT1VCNWCetQ/ABKWlFWhEZH711tiQHiSnDOvtGIc"
    "RxMmOtK0RYhsnIDzzURQgWgpyiNDgX4hzxRiVVZ0kqo+A5RL1kDQEu0KDFmfzn6nRiQx0X"
    "xhurc5L799C1ZseK8qZKs5cJv22HDoetQIRv6LQWqS4nhWqLyIEx1AlsqLdoERBRLrUJPo"
    "L2BDlBsKxUD7QeOuAJLU6kFgACD0p1wSsHTenriCaruNjWwEpzYfvIQUS6ZzOlvpAqii9y"
    "WQEbexPkc/SVS22FbFfjMSRIOIDEEaMy5k18KN9+JIZ0AKeiI2ZD4tP5dwxgB0Am/mPUxn"
    "IXACkd/0ONJS6Ju0Hw+XPnDjAKMBcvhRln8cjiR+wzDhj8gvKUIM9Rachbl9BpzGbYeSNp"
    "qvBW61UbsTQM6k7yfxcvkYMhiAAMxLy4AKdevVjHES3LMlqOOE0NQwK374MWhNmVDgtMke"
    "1RpcQ8uqeowC1rlMRro1LxBUsCkyYnhW02iCP24clCPBBfnVy3vzhZHZxWizR07V8HCeVc"
    "Jh/OUkF33+t+iLqnk+QkkRefcWuCdfb4/JUdp6nd4t5+TDxmluS1NMbKokjMGJWJwqx3FK"
    "bMEPgFlVzejdbtoPNz+xoE1EPSEWvwvnN3DTD5Al3sDMldp9+6USGSDmbyCSuFRG75O2pD"
    "AaoPdWkiCvdDgs7siBI7QiIX6YsrgB4nNbiXwN2FjFtCEK/o/6whN27Qh2yQVBOGfJ/65c"
    "SEOFUdWNh9xCAfo+33aMxloWtW+SMrQWgOq0M+rEysXf75Vd9YOzonOSkbcg21cRITObLe"
    "RKvw2oL18DPbyDH50NDd1GwYX1bVPcGVp5F4wmd6gj+Ew9QIb53/C0bPxKmEz8Bx4hSzZT"
    "8XqnqGzOw0wOBHOvo0Iw2NiT68clJkmf9/OrL8GdnQIN8jCIjeoT+/NJfPXOQAMQh4lG7+"
    "gbc+pg54hd6M30Se/NbTsKE6DBvN0+bb70/Pvj8/GzZeZw3z276BNNC/EtQnIZn1hBavpd"
    "k8WDLSbK7yb4d38oHtQjyVVvXwNqMFwER8VLh4QGWYBz6dB1b16yGB0pZPibMa4ESQCs6D"
    "Q58HfgNTzERvBGwZifD9zJPZ2QBBX8S95Iuqu4tpU6/I59hG6j0wz49ZED3VDlq+kAlLeN"
    "GwhHA+NlVdRNNXP0P99i2csTVeAuEkVQ2B3kEGanlgVRJsk5RGsD0mwfZRFpmYVJr2FKlR"
    "Wx2a2iojbL+MJ+k9csbIbxPuL3QsavxyIZ/qqo4WEj1DgWw9t/pRsIsLwWFBDqb0i2AjHx"
    "VHFqQwFVQIMcEX+vQRc8DE10QMEYXhBMVYwliRLJu6tZEVfxoXoE7AE5a1YHLZVShHTzPD"
    "okfAUtoTGSzuBJxkQdhrSs6S9zQ85QHxlNGEbOxcFE1g/ZgdU6fg6GIgq+TSfHYezWpeRJ"
    "/7d4PGka5jIx3tSToilJdyFI/6187NcyduCcaomo9+fWXPlw+CPbjJ3nEUrMluVr9AzXg2"
    "P414nUr2ly9ex/PllbAFyToJKr+Tqk4aBlTK7E6pHFAngHGxwBxxzQ4SOi3DL3XVUrc79N"
    "rET8vo1GW6QCP8vqTwm52PEryXlriGXO5OiqUYtcMOxTVTRtWUUd0XuKaM6vGWUQ15sSqF"
    "wjSk9YuN2MmXz+iETe3aI0bXVLnbJbqRdFwlfipDa9byupMi9Cu3gjRGZc+MLLVZ3cV4w4"
    "VLoebw+LHf6+aAvCJJg4ttDv4CLmY7U8HG0jyNZtjlmLA38rYvkelJQpRQuGeyi6QTiZwk"
    "NelygHR2EWorY2gVi0iKtIYmkSMxgeT6ZSVzBXNkVzN9pUjNRB/0RD9CQsRc0VmVmn0ZYu"
    "NsechzHVkW9p82+dB2cC3T+h4ayBsbMjfJ67tJ9KhNvUWgYdpjJaFjQX2nkX7LgFuNpTce"
    "jJtv5k1E/m6QfxeIycbIARFdYIANKkkh/zu2TJ77ivoqlC2Qdr8LvZyTJX/k22hC/nZ1ky"
    "2nujVW3WdadY35y5i/jtT8dZTGgaPRP8mYnoVVxT6QojQ4F+LsI+jifwtJ0iOaY7gQ6DSp"
    "QbrYGoN0OUOKbTEhiUG2EFnqIVJNMRonNNqyg9ag2C5l1eIB4oRGS3bIcxzKdFolWX5VkS"
    "TVNquLHO7Uri0mckgxFQe2Y3asgYSr2kfPVEBqqikd5wpeq4dMbmFTXuzvGLWyVLdrFJlx"
    "VXy+IpMlcvOt1WTmA2y0hIelJVR/Z2AtCLUN+29HifWy0O44mVb8sTII55cLSpHVIKa5iI"
    "/eRbWgIyyuIqRlR0JYbgYaD+3uXaf74RqE9EPSenj41PtZVlMRh7kvc+UMyUPrc1+2eHDG"
    "5O/+574klE1sxiSpbL1rq1otQliRpViQKtiiXrPCZjo728Rj/CzfYfxMkzBNzIoVZPwppX"
    "VPE9bPQX8nWQIws7zZyMW2xui8piLUim6PlViiL8fRFmIRwE2hP8aa1b0O8BWdKX1TAvE/"
    "Z5Qjq0rynCylSaGzWawVlmKR8jwoqbBPURq9faHe3kc2nU7Vl70i3jkjGNwLcU8oAhhHXk"
    "nUtfQG80LMHxESo30tH44VpzMYr8U4TGTmwIVGtspVxGgo9+dse74rgLejlolHa8rcpZbK"
    "XWp5dtnDWkduVnThipb6f4JcS/ytt4rd4HHuotYQ18h880OzeX5+2Tw9f3f19uLy8u3V6X"
    "J5Zy8VrfObzge51BPcoabyp8lHlzsh9c1HZwzSOzBIq9LDJUunJWhMHMx6K3QA2BZsozUv"
    "npZYWOsNz8a4vxvj/iYxRoxAj00of2aEUVslXeiHgx0f/5MbZZRwn17mbKwOVCpPZE1WZ6"
    "4mxFSpWwvXCDLkYvLc2oe/yKpnN+FYdcJqp+4x8fWlc5FJrb8CN5n0ojeeMkfF9Z2Agni6"
    "4/MqUDb86Fk2dipQbgDtaxBQZ90Hblvd2/b9vfI7sOXLuq5yPQjbZdewWTkbDHoPD8rVgF"
    "PPq+hOcLqJHeo03w6V1dMbd4L9uhMw/G/xBJY8MytvoeQQ+/TO8alHfYlqoDgt5aLzqffQ"
    "+zTo9Lqt+2sQH2lI3nd+lTtjaYQon5lxk32RH9N6lolpnYp3wp6LdfJtsXk2QWh0z8XWFD"
    "nhVqUo1zSpyW63BmvoutRecs1l4okThGZFF6Isj6UVYBUsWPoBXgb1nVkNdwK7LG3o0HlV"
    "0NPk5kBZg/kSMGjrT5V85lFDuk8uRvLvJdmXiizklvNBSNHBciljFdZ4htYs8DULnMMnZI"
    "UeBeXx1lAbxNcgzlzseXAslT2uwEEIP1UWeu4gL/MVPTsW9OXJJdMVWMpgVca3SUNZIzeQ"
    "rTk3Sdfdarm8E4TmGFmzkF1ZklqcACVWcJzELN3s0vWFnO1YM08cqta0dGiGhtoEaJQI0G"
    "Ac+rza0ZEmNfJ74dExweOJNYeycoIs5lMSbA21wbsQbw/Bp2oLO0VpcN5MWJ9Dn+giBPoC"
    "JTf386gh35+H3I5918+bl++Wn0f5o+jL2BfQ3xvXXeO6K4eYeU7FWU9Smlk/lFmPMIpNe8"
    "ZDyThs78BhO8q6Xc5lO0VlnLa1soMpC7EXd/hoMWZRNg7xSW/t1LbdIBebqbix7YobJuLg"
    "MCIOTFWTjR3pTWzGxli5yBnrvkRlgLpXY7Rlqvu6LqlEWZrqSMVr4NRkMe0yzEBxN5rwgo"
    "jryQ8rmLHwmDThBEfFNZ+A/HACLr6bYx9OS+ceSBFuR0Q5BKj3nHZAbqqy2U/jNPVz/N9+"
    "CtRHcVerLMgJohqkP01HV2ySVE30KoiuyKRVc4XwMdNa/vNhjtPsEWVE9oPz1l0Q/6bRXz"
    "etblcGqYxUVVzx+753+1P7zrrpDUSjS+0n5FijQKJ4+TSxmFl56RnWJdFc0RkfjRI+Gg5m"
    "tgvxFPkWtG3kVSyvnTuKKStzODahrCnQGIDzj7rjNAXmGYAzFoBNtHyhtvC5qqvaald12n"
    "783BwQNVT1m8wih6PGSqYY0eizMjlI8hVbc9nVSuQ+WV8l+5cJ8hFQpAIcAMP61CAoXwxG"
    "aAzJNcCcgcAtH8w8wCn4g2EZEzFlf4C5HGCCGaf+4gQQygHDYyLulq2WvcubDcmQ9EUzcg"
    "CjYmh1FyRrbkMOxGktXVgZgI/yftILTX4Ig+LdDMxln1Vx7uDuDpgKDnc+wS4CmAA4JOFj"
    "Yg4m0Alv4IDRjAMiPb8BQ0gV/8au6EROxB8xmuhJHwGHT/KNxbZhKHq5R+pHr5JX8/u3hN"
    "UyLCn9u1E1mkrgL8iK7bwSeLDZyyly41R1cjTZsx7XOPrsydHHeKMU8VwnVbxR8mWoXXJw"
    "LeRje6Jj3cIrhTwbXPUx1shj2tpFLILgBVnJZAYxkhoyCTtJgiU3VQmEw+41RPfsdLOMbk"
    "Up3bIZ/SnhSOfO92O/181RQq5I0hpIbHPwF3CFsHOEaBeAK8FIqBkzFRfTxRVPkvpDOcCN"
    "jlPY58fs238BwvAvCA=="
)
