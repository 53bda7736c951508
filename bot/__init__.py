"""Telegram front end (aiogram 3)."""
