"""Translations: where the catalogs live, compiling them, and picking a user's language.

Handlers translate with aiogram's context-bound `gettext as _` (and `lazy_gettext as __` for texts
defined at import time, like menu labels); the I18n middleware sets the user's locale per update.
aiogram's I18n refuses a locale whose .po has no .mo, so `compile_catalogs` builds stale ones first.
"""
from __future__ import annotations

from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.config import Settings

DOMAIN = "messages"
LANGUAGES = {"en": "English", "ru": "Русский"}  # endonyms: shown untranslated, so anyone finds theirs


def locales_dir() -> Path:
    """`locales/` of the source tree, or of the working directory when installed (the Docker image)."""
    source = Path(__file__).resolve().parents[1] / "locales"
    return source if source.is_dir() else Path.cwd() / "locales"


def compile_catalogs(path: Path | None = None) -> list[Path]:
    """Compile every .po that is newer than its .mo (or has none); return the .mo files written."""
    written = []
    for po_path in sorted((path or locales_dir()).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def create_i18n(settings: Settings, path: Path | None = None) -> I18n:
    path = path or locales_dir()
    compile_catalogs(path)
    return I18n(path=path, default_locale=settings.default_language, domain=DOMAIN)


def detect_language(language_code: str | None, default: str) -> str:
    """Our language for Telegram's `language_code` ("ru", "ru-RU", "en-GB"…), else `default`."""
    if language_code:
        language = language_code.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return default
