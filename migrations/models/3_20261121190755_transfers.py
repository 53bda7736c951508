"""Deposits and withdrawals: each exchange transfer recorded once per account, and a per-account sync cursor."""
from tortoise import BaseDBAsyncClient

from core.db.migrate import for_dialect

RUN_IN_TRANSACTION = True

UPGRADE = {
    "sqlite": r"""
CREATE TABLE IF NOT EXISTS "account_transfers" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "exchange_transfer_id" VARCHAR(128) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "currency" VARCHAR(16) NOT NULL,
    "amount" VARCHAR(40) NOT NULL,
    "value" VARCHAR(40) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "detected_at" TIMESTAMP NOT NULL,
    "account_id" CHAR(36) NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_account_tra_account_096a6f" UNIQUE ("account_id", "kind", "exchange_transfer_id")
) /* A completed deposit or withdrawal on an account, stored once per exchange id (core\/transfers.py). */;
        CREATE TABLE IF NOT EXISTS "transfer_cursors" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "since_ms" BIGINT NOT NULL,
    "account_id" CHAR(36) NOT NULL UNIQUE REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE
) /* Where the next transfer sync of an account starts reading (ms since epoch). */;
""",
    "postgres": """
CREATE TABLE IF NOT EXISTS "account_transfers" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "exchange_transfer_id" VARCHAR(128) NOT NULL,
    "kind" VARCHAR(16) NOT NULL,
    "currency" VARCHAR(16) NOT NULL,
    "amount" DECIMAL(38,18) NOT NULL,
    "value" DECIMAL(38,18) NOT NULL,
    "occurred_at" TIMESTAMPTZ NOT NULL,
    "detected_at" TIMESTAMPTZ NOT NULL,
    "account_id" UUID NOT NULL REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE,
    "subscription_id" INT REFERENCES "subscriptions" ("id") ON DELETE CASCADE,
    CONSTRAINT "uid_account_tra_account_096a6f" UNIQUE ("account_id", "kind", "exchange_transfer_id")
);
COMMENT ON TABLE "account_transfers" IS 'A completed deposit or withdrawal on an account, stored once per exchange id (core/transfers.py).';
        CREATE TABLE IF NOT EXISTS "transfer_cursors" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "since_ms" BIGINT NOT NULL,
    "account_id" UUID NOT NULL UNIQUE REFERENCES "exchange_accounts" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "transfer_cursors" IS 'Where the next transfer sync of an account starts reading (ms since epoch).';
""",
}

DOWNGRADE = {
    "sqlite": """
DROP TABLE IF EXISTS "transfer_cursors";
        DROP TABLE IF EXISTS "account_transfers";
""",
    "postgres": """
DROP TABLE IF EXISTS "account_transfers";
        DROP TABLE IF EXISTS "transfer_cursors";
""",
}


async def upgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, UPGRADE)


async def downgrade(db: BaseDBAsyncClient) -> str:
    return for_dialect(db, DOWNGRADE)


MODELS_STATE = (
    "eJztXety4zaWfhWU/sRdpXh86dt4t7ZKtpWMErflaquT7EQpBiIhCWsKYAjIas0k774ASE"
    "q8gBRJS7LEQVXS3SJxQPLDIXju59+tGXWQy047tk3nhA98SNgY+a0r8O8WgTMk/pE3pA1a"
    "0PPWA+QBDkeuooHBYIuHo9VZOGLit83FgDF0GRKHHMRsH3scUyLJOsCmM89FHDnAQR5lmA"
    "PqgwXmU8eHC+gCSgAU/wXTtwHj1BdjKbER8JAP0Fd7CskEAeyAE1uc+9vqDk695ZtTeRsO"
    "tcV9YDLZyxWHZEh+f4buHP0OMAOLKeSAT1E04TcMoD/mmC/BjD6LeUfLNsBEjaALIm4SSM"
    "w4mizFyD/mlCNgz30fEXsJgpmGxPOxuJnFFBEg7n4BGRiLqZ1T8Dubj1b4qsvLeV38jED8"
    "jCClTMwLPczFA4s5gkcSD6TmX9/qmLouXYinVpcWf8zoDBH+pg3I3HXFaXEGzCDjckhABY"
    "Jj4uECCk+gJ56Hicuo1ZgT/MccWZxOkLiY5Lxff43YR55/wsSRf0c4r1jKwk7rt9/EGTEA"
    "fUVMUsqf3pM1xsh1EjyM1RzquMWXnjrWI/w7NVDyxMiyqTufkfVgb8mnlKxG4+B2JogguR"
    "5yeu7PJQ/LRw/5PmLr4KHWQ4JbjNE4aAznrnwTJHVwA+tjLcu67w+sx+7AslqZtySiiLFx"
    "eMimRHKLuFWmnn4ib+Hbi/O3H95+vHz/9qMYom5zdeTDX8Gl18AEhAqe+0HrL3UechiMUB"
    "ivQdUuSQbmmyn09Tjn0aeQF4+URj7CuQj66MAa+/Wmsw/wZ/Cr5SIy4VPx8/ziYwHUP3U+"
    "3/yj8/lEjHojL0nFLhnso/fhqYvgnFyPNf7Rq1EW72h8E/F9Xwbe9/novk+DG+2yVQCO0x"
    "iQS4AMZ9E2n4T4Ftl4Bl09ymuiFMZOQHUaUh8h3gX43nZvep86dyeXH9vnwS7B/nAxR3Hs"
    "356lAVaCR0V8VzQG3k3wUlu98o4FdUwsgOF4hvQop0jTWIe0p9E/moX2oPep+zjofHqQ08"
    "+YgFoB1hl05ZkLdXSZOnqS3lhWk4Cfe4N/APkT/LN/31VwUsYnvrrietzgny15T3DOqUXo"
    "woJOHJPocHQosdCOUBBsXmuhU6QNXOiWj6DTJ+4ylG+PZOFDUbxw3SM9VifYfvnSu835Qi"
    "WoUis+n2PnVNIe4UoXrKzaIS+DpYovgnrS5K4Z1z21yOZqZhrKzWqaBtdw6Q8F1m0oalL1"
    "HT9p9bSYNp3E+TvqIzwhP6KlgrsnbgoSW/ftD21A3VBj66xnPE4OXh9dc4MPFyvLQeoVFk"
    "iI50eBOHDTebzp3HZbuTy9BaAfU9MdFz+XBVnzOuuRlsw9gvbTAvqOleByeYZe0NSR1djs"
    "qdnFLH0EEjhRIMmnkfceWTznDuZ3dNLSWUOjc+1CM6gcZbnhsE3mz3x8NUYyY/l6RcuXWE"
    "XqW1ww6sSHM+037BpPcmHWkjfoQ/b3i4vLyw8XZ5fvP757++HDu49nqwXInipaieve93Ix"
    "EtJftDqJ1dDuuvmGmjVFA80079+WMNO8f5trppGnkgBz6IuNJwCpAsopsv1B3WrtBejLix"
    "JAX17kAi1PaYGuZkZPEDUO5O1zs1DIIQ4+1EmIf3js3+fq8BFJWn/HNgd/AheznUnDrf8e"
    "z4nasMBojl2OCTuVl/2fXS1AAeASooTqHgF98qnzS3oNbu7612l1UE5wnTa1+wjWs60kKY"
    "1p5dBNKxkl9XUE+xvqLfu+o49zWJ8sFO1tMcyiclzJ2IaBdOnP+Yh+vQILH3OOxPuMxkIz"
    "VF55hojTVnEHAAJpM/RnmIhdBdvAdjFSjnRxMYCdbBDDdqfWeuQDp76FnlEgl6b1XSHKGm"
    "/8q+okcgUyqD7OoOvmQhuS1NI8au2UZ7vF9vLiw/sVrPJHEaKPnzp3d1llIngjgje7oiCm"
    "Id2OOPa6fJsQx96elRDHpKMsRxzL+tDYcjaibhWc1xQN1N62r1Qw7FRS26LxDQS3TBBOfg"
    "hOJgAneNOrqsVJqj0qbDPoPyG+H7XNxIocXTCDCiOtiO+K5sXwHpglc+vo+siZ28iiUpfL"
    "YHxNqYsg0WOcokwhPaJ0Z9y7OrJfgK/7/buEEnvdS9mA7798uu6K/SOFflaaYxzyucbUI3"
    "fnLpnPMu645JdwRb3HXdoT2poErhrurYfu/W3v/vsrENIPyWP3fnAllT8+JH1x+gpQcW5I"
    "HjqfBz0h+/6v9V3v7q57K0igz7FQFJZiOVwXOUMSnYl+33Tub7rBIVtCFRx9/LH38CCPsS"
    "fseYqu0wvoIFYjur889D7LA+irhwUjp1XX1/mU+Aiyag6DNUUtTjiwzW3XFtYALSuwmlaH"
    "OUbYPLQv3r0rAbcYlYu3OpcEfBVJX0dt1RI3D/idhOAH+2NFoWlN9DpC6a6sMFuXmeCzeH"
    "bBmHUk0wytkVA3oD1GVTEOKQwXb8LVqpNNkqZr4Ja8fSMB52jmcY3Enx+MEyNpjCX8hV4G"
    "45v9z/PNJtRm6ceovuQxsi2s94FtXUeyvKXSWaD9VOudjtOZFT7kFY7766vlWGgo9/dZPH"
    "j/+yFlsTQd4YJoyFxsi4Ihjzmkele5Qem4nhfmrXxS03Wj2Y6MgcvmrWi2yEPPEDpWqEun"
    "CGU3ji2AnIgFPK59oyzAiQ2zavZVzMihKgPNPY3mfR2SfvfjZ+TCnMSL5gL+1y4jWbuqdt"
    "QjgR6bUt7ShLOmRrSLYlqDSlQWCweXDGwNrgDoGMB4sapsGahgRLzwFOSqNpSsIZWNat3S"
    "vKoAl4d8TB1VAmsoVBXsLoctcEJJUMPry+AGOHDZVtGyI8jEKDHnUi3BG3mFoZQdfCjGSD"
    "JZGMyhCwIWkNvTN/lBs9FdK0thar8O7iiA/wkRqVSZ+NnXjJ9dL0hZA+2aYo/hAYp5W7vC"
    "eJfRcis+z0BcbHSI0zXQjNgkq0PwAanoRVoTmRi9Tb6ksESlRsoqhDhOZrx1hQivK39WBT"
    "lFaXAuxDmSjSqazpJUxsBziHbJBgJcYEGLC/kvtenEpjoujEubc5Lv76FbzY4V5cOuq5Ou"
    "IqWzWmQLTRWYLaIAxtAmULbYOFkX746sCT6C9hQ5QbKsNA90HnrgCS3bQRlrD0pzwYmDZv"
    "RNRKOpKb6liZXlwvaRg4gMz2arCt7Pkq2Ajb0p8jn6yqW1Qh5X8zEkSDiAxBGzMuZNfSif"
    "fiRLggNOxUDMhsSni2+YrFkOmfiPURtDVQJdaMf/peYSp8TVIJD12wCjsio4+ooZZ/HM4j"
    "H2GQcMPqM8I8hLTBr5Bfa2X1hvs2kjVoZBXUn+8fY1ajBsrLS3uWJ3FStHnKaBKYHbj0EL"
    "0uwqpwWmyPZoUmIe3VNW4JYtSuKxUaX8ghWBKZOTwjabxBH78GQhHoivTm7YX5ysCUGrRR"
    "a67i+DhHEuUw9nZaC7699/Hw1PF8lJ1fVHS2uKdf74gtr+MZrGMff2c+Ixs6SspXFWFmVi"
    "xqhMFmazszBlhcBnVJG9W52bQe+n7hUIqIekJ3jwrnd7BTB5hi52huS299i5VimSDmbyDm"
    "ulRG75O2pDInuw6MpEFL4PCTrzRlR4IyRykb24BuhxUoN7BdxdyLglFPGa8c8achMGfcgO"
    "SbVgyPepX01NiFM1QYTdRw7yMfp+j8ZdFoZmVd+yEoRmszrkzcrk2uXvX83NtaMLklOyId"
    "dRGycxmSObXbQKry14D7+wUoHJh4ZuWbdhnK3qR4InWv7WjwTXtBtuCOzJomsyLktM/EK0"
    "HsJpmgpTGDeA0QtxqhBhcZw4xTz/L4WqmQlG1dIxstuaLMnBdOpkhG2foAEVf2xGONrbbl"
    "YzHqXsrYe4QjzID3T0eU5amjCQ8Ey7KPrj/+jI8uekZNCHWBggRoc5IzIkY+4iB4hJVPfy"
    "MCMEUwecoNPJaZQtYj0NW2rAsHVxdvHu27Pzby/Phy1NQ/ltX0AGgZwI6nZIZj2h5RsZmh"
    "FwgQzNUDXewyv5wHYhnsnIjfAyoyXARAguXDaTl8EfwKeLIHLjakigjBehxFlP0BakQrrl"
    "0I96t2MmRsv+8Nyefjv3ZAVAQNCzuJZ8UHV1sWzqEflCtqKXz1HU3l2MVG/F6oFM6surpr"
    "6E61HWPBYtX/OCQbbvRY/xeAWEk1QNBHoHVc7lhlXLeJKkNMaTYzKejGUjk2mtZU+RGtPo"
    "oZlGMwad14lWvkPOBPldwv2lTkSNny6UU1010EJiZKjGbpZWPwlxcSkkLMjBjD4LMXKsJL"
    "KgTK6gQogJudCnY8wBE18TMUWU6hU0/AnzkbJi6tZmVvJpXO1sgycs+w3liqtQzp4WhsWI"
    "QKS0p7IggRNIkgWp1SntVF7TyJQHJFNGC1I6gC1awOYJO6YXxtHl2dap1/riWq31ItW+PN"
    "4OWkfKx0Y72pN2RCivlIwQjW9cKPFOQl+M4z4f/ebqnq+faH1wi73jTGtTQa95ycDxipEa"
    "9TpVUDJfvY7XZKzgC5K9OFQNMdUBN0zalRXEUnXG2oBxwWCOOGcHRcNWKb66jrzbnXpjcb"
    "FVBvSqJKVRfl9T+c2uRwXZS0vcQCl3Jw15jNlhh+qaadVrWvXuC1zTqvd4W/WGslidZnQa"
    "0ubl3+zky2dswqY/8hGjazop7hLdSDuuk6OXoTW8vGmnCKPxraBUVtU9I0ttuLsYb7h0Kd"
    "RsHj889u9zQF6TpMHFNgd/AheznZlgY6XERnPsckzYqbzsa1QTkxAlDO6ZCjbpYjXtpCVd"
    "TpCuYENt5Qyt4xFJkTbQJXIkLpDcuKxkPWqO7HqurxSpWeiDXugxJESsFZ3X6QuZITbBlo"
    "e81pFnYf+luQ/tDW5k6ehDA7m0I7NM7egyGco29ZaBhWmP3aqOBfWdtqtapSlrPL3xFOZ8"
    "N28iX7pEjWcgFhsjB0R0gQM26FaG/G/YqkDzCfVVKlug7X4TRjkn20rJp9Gk/O3qIlsup2"
    "y8ui/06hr3l3F/Han76yidA0djf5I5PUurjn8gRWlwLsTZR9DF/xKapEc023Ah0GlSg3Sx"
    "NwbpKq0U+2JCEoNsIbLUQ6SeYTROaKxlB21BsV3K6uUDxAmNleyQ1zjU6bRGsvzONUmqbX"
    "awOdyl3diw5pByKg7sjdmxBRKu+2u90ACp6dh1nBy80Q6ZfIVNC7v/xKyVlbldY8iMm+Lz"
    "DZksUdFwoyUzH2BjJTwsK6H6OwNrQaptOH47RqzXhXbHxbTit5VBOL8lVYqsATnNRXL0Lj"
    "pSHWEDH6EtOxLCaivQeuje3/buv78CIf2QdB4ePvd/kh17xGbuy1o5Q/LQ+fIoj3hwzuTv"
    "xy+PklAeYnMmSeXR267qBySUFdnuB6mmQOoxa7xM5+dlIsbP8wPGzzUF08SqWEHFn0pW9z"
    "Rh8wL0d1IlADPLm49cbGuczhu6jq3p9tjtJ/pyHG2zHwHcDPoTrOHuTYCv6Ux7pQqI/zGn"
    "HFl1iudkKU0JnXK5VliqRSryoKLBPkVp7PaFdnsf2XQ2U1/2mnjnzGBwL8Q9YQhgHHkVUd"
    "fSG8wLMR8jJGb7Wj0dK05nMN6IcVjIzIFLjW6Va4jRUO4v2PZyVwBvxywTz9aUtUstVbvU"
    "8uyqm7WO3HB0IUdL+z9BriX+1nvFrvEkl6k1xA1y3/z94uLy8sPF2eX7j+/efvjw7uPZir"
    "2zp4r4/Lr3vWT1hHSo6S5r6tHlLkhz69EZh/QOHNKqvXXF9nwJGpMHs9kLHQC2Bd9owxv0"
    "JRhrs+PZOPd349wvk2PECPTYlPIXZhh1VdGFx3Cy45N/crOMEuHTq5qN9YFK1YlsCHfmWk"
    "JMb7+NcI0gQy4mL+0Y+bPsenYdztUkrHYaHhPnL12ITIr/CsJk0kxvImWOSuprg4J8uuOL"
    "KlA+/OheSgcVqDCA7hUIqLPhAzed+5vu3Z2KO7Dlw7quCj0Ij8uh4WEVbDDoPzyoUANOPa"
    "9mOMFZGT/UWb4fKmunN+EE+w0nYPhf4g4suWfWfoWSU+wzOsenHvUlqoHhtFKIzuf+Q//z"
    "oNe/79xdgfhMQ/Jd7xf5ZqycENUrM5Z5L/JzWs8zOa0z8UzYc7FOvy12zyYIje252JsiF9"
    "yqleWaJjXV7TZgDV2X2iupuUo+cYLQcHQhynJbWgNWw4Oln+B1UN+Z13AnsMvWhg5d1AU9"
    "TW42lA2YrwCDtn5XyRceNaT7lGKk/F5RfKkpQm65HoRUHSyXMlaDxzO0hsE3MDiHT8gKIw"
    "qq462hNohvQJy52PPgRBp7XIGDUH7qMHruJK/zFT0/FvTlziXLFVjKYVUltklD2aAwkK0F"
    "N8nQ3Xq1vBOEZhvZwMiubEktdoAKHBwnMaybZV1f6NmONffEpmrNKqdmaKhNgkaFBA3Goc"
    "/rbR1pUqO/F24dUzyZWgsoOyfIZj4VwdZQG7wL8fYQfKrH2ClKg3M5ZX0BfaLLEHgUKLm5"
    "n0cN+f4i5HYcu3558eH96vMofxR9GR8F9HcmdNeE7sop5p5Tc9WTlGbVD2XVI4xiy56JUD"
    "IB2zsI2I6qblcL2U5RmaBtre5g2kLsJRw+YsYsyiYgPhmtnXptS9RiMx03tt1xw2QcHEbG"
    "gbgIYeMX9zQJAR+Esx2fwbJUcLhpAVM668AkspTGykXORPfZrgLUnZqjK/sCNJWlEj186i"
    "MVbxjUEGbaZU5GtKPfzH1G/ZYmKyM1ol2UlxF9bWTJJjG4ZDumn6fIR6oDEkFfOYgmAWxJ"
    "bEDHAJJVqyTlbmBAav8CSnAyY4BhITIA5FF7qunCtOW5TbLIgSWLyAWyZro9o6CsRJyqSa"
    "rnngtKHJql6lU5vb6dKqPz58v12S9BCS2rT9CAij/2p2MdwkJsX8N60XdWmVw0X9fIFJP/"
    "TZ0zVPJDmg+R+Wwd1meLC1ab+HBWuSBSinA7H69DgHrPny75UlUtyR6naV424vbrso/FVa"
    "2qICeIGlCTPZ3yWabSqxhVkPKZqfXqiq/1XBuOmA9znGaPKCOyH5y3nhfxH5qSft25v5eZ"
    "syNZhs8Rv+/6Nz92b63r/kAcdKn9hBxrFFjuXr92PWZWXs2oTZW913QmcLRC4KiDme1CPE"
    "O+JcRp5NWLVsmfxfS6O5xAlWx8kolKy9/qjjM+KS8qrYKJImOQeKmLqLEuX10IAn5pYaoG"
    "xh+YcmeH4y5K1j3T2LMyhdHyDVsLOdRKFGQr6ytSpNJJA8FMlfgDbDkbUReM0ASSK4A5A0"
    "GuIJh7gFPwe2Ty/x0s5ARTzDj1l21AKAcMT4i4Wp7zaDcXG5IheRSHkQMYFVOrq4i5+RRy"
    "IHbrwBkFx/J6MjRefgiBTT2xQ4CFHCN9WuH9qKs7YCYk3MUUuwhgAuCQhLeJOZhCJ7yAA0"
    "ZzDohMRwMMITEOjLErBpG2+F/MJkbSMeDwST6xeG0Yih5uTP3oUfJ8Yb8mQqmC67d+M6bG"
    "1/SQBYuQAbag9NaKYn/66t7MXJdlSjld5pdyusyUcjIuyFe045ro4z1FH5sQ2SKZq10nRL"
    "aKm3d7ElwH+die6kS38EyhzAbXY4w38phe7SIRQciCrGKFpRhJA4WEnVTmlC9VBYTD4Q1E"
    "9/ysXJnZojqz2TZDlHCki3754bF/n2OEXJOkLZDY5uBP4Apl5wjRLgBXgpEwM2baQKc7Pr"
    "eT9kM5wfVLY5Ze+jH76/8B+C2pMQ=="
)
