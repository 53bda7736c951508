"""copytrade core: everything that is not Telegram. Never imports aiogram."""
