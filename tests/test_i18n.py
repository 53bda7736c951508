"""The catalogs match the code: every string the bot shows is in English and Russian, translated,
with the same placeholders and HTML tags, and no catalog entry outlives its string.

Messages are extracted with Babel's own extractor and the project's babel.cfg, the same way the
recipe in babel.cfg regenerates the catalogs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiogram.utils.i18n import I18n
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.i18n import DOMAIN, compile_catalogs, locales_dir

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, "__": None, "lazy_gettext": None}
LANGUAGES = ("en", "ru")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")
TAG = re.compile(r"</?[a-z]+")
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def extracted() -> dict[str, list[str]]:
    """msgid → where the code uses it."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return found


def catalog(language: str) -> Catalog:
    with (locales_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def messages() -> dict[str, list[str]]:
    found = extracted()
    assert len(found) > 50, "the extractor found almost nothing: is babel.cfg right?"
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_bot_is_in_the_catalog(messages: dict[str, list[str]], language: str) -> None:
    entries = catalog(language)
    missing = [f"{where[0]}: {msgid!r}" for msgid, where in messages.items() if entries.get(msgid) is None]
    assert not missing, f"{len(missing)} string(s) not in locales/{language}:\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated(language: str) -> None:
    entries = [m for m in catalog(language) if m.id]
    untranslated = [m.id for m in entries if not m.string or m.fuzzy]
    assert not untranslated, f"untranslated or fuzzy in locales/{language}: {untranslated}"
    if language == "ru":
        english = [m.id for m in entries if not CYRILLIC.search(m.string)]
        assert not english, f"left in English in locales/ru: {english}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_placeholders_and_tags(language: str) -> None:
    broken = []
    for message in catalog(language):
        if not message.id or not message.string:
            continue
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            broken.append(("placeholders", message.id))
        if sorted(TAG.findall(message.id)) != sorted(TAG.findall(message.string)):
            broken.append(("html tags", message.id))
    assert not broken, broken


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_stale_entries(messages: dict[str, list[str]], language: str) -> None:
    stale = [m.id for m in catalog(language) if m.id and m.id not in messages]
    assert not stale, f"in locales/{language} but no longer in the code: {stale}"


def test_compiled_catalogs_translate(tmp_path: Path) -> None:
    for language in LANGUAGES:
        target = tmp_path / language / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / f"{DOMAIN}.po").write_bytes((locales_dir() / language / "LC_MESSAGES" / f"{DOMAIN}.po").read_bytes())
    assert sorted(p.parent.parent.name for p in compile_catalogs(tmp_path)) == ["en", "ru"]
    assert compile_catalogs(tmp_path) == []  # up to date: nothing recompiled
    i18n = I18n(path=tmp_path, default_locale="en")
    assert i18n.gettext("Main menu", locale="ru") == "Главное меню"
    assert i18n.gettext("Main menu", locale="en") == "Main menu"
    assert i18n.gettext("Main menu", locale="de") == "Main menu"
