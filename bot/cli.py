"""The `copytrade` command: the process entry point that composes core and bot.

It lives in `bot/` because `run` and `demo` start the Telegram side too, and core must not
depend on bot. A `ConfigError` becomes one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from core.config import Settings, load_settings
from core.errors import ConfigError
from core.logging import setup_logging
from core.loop import run


async def _migrate(settings: Settings) -> None:
    from core.db.migrate import migrate

    applied = await migrate(settings.database_url)
    print(f"database up to date ({len(applied)} migration(s) applied)")


async def _rotate(settings: Settings) -> None:
    from core.keystore import rotate_command

    count = await rotate_command(settings)
    print(f"re-encrypted {count} account(s) under the active VAULT_KEY")


async def _run(settings: Settings) -> None:
    from bot.app import run_app

    await run_app(settings)


async def _demo(settings: Settings, seed: int = 7, no_chat: bool = False) -> None:
    from core.demo import run_demo

    await run_demo(seed)
    if not no_chat:
        from bot.demo_chat import run_chat_demo

        print()
        await run_chat_demo(seed)


def _keygen() -> None:
    from core.vault import generate_key

    print(generate_key())


# Each handler gets the settings plus its subcommand's own options (see `_parser`) as keywords.
COMMANDS: dict[str, tuple[str, tuple[str, ...], Callable[..., Coroutine[Any, Any, None]]]] = {
    "run": ("run the bot, the replication engine and the scheduler", ("bot_token", "vault_key"), _run),
    "demo": ("offline demo on the paper exchange and a local Telegram sandbox (no network, no keys)", (), _demo),
    "migrate": ("create or upgrade the database schema in place", (), _migrate),
    "rotate-key": ("re-encrypt every stored key under VAULT_KEY (old keys in VAULT_PREVIOUS_KEYS)", ("vault_key",), _rotate),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="copytrade", description="Copy trading in Telegram.")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {name: sub.add_parser(name, help=help_text) for name, (help_text, _, _) in COMMANDS.items()}
    commands["demo"].add_argument("--seed", type=int, default=7, help="picks the replay window (default 7); same seed, same output")
    commands["demo"].add_argument("--no-chat", action="store_true",
                                  help="skip the follower's conversation with the bot (printed after the engine's summary)")
    sub.add_parser("keygen", help="print a fresh VAULT_KEY (base64 of 32 random bytes)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "keygen":
        _keygen()
        return 0
    _, required, handler = COMMANDS[args.command]
    try:
        settings = load_settings(*required)
        setup_logging(settings.log_level, settings.log_json)
        options = {key: value for key, value in vars(args).items() if key != "command"}
        run(handler(settings, **options))
    except ConfigError as exc:
        print(f"copytrade: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
