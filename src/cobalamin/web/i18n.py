"""Languages of the web pages: English (the message ids) and Dutch (``locale/nl``).

The catalogues live in the package as gettext ``.po`` files and are compiled in memory when
the application starts, so there is no build step and no stale ``.mo`` file. The language of a
request is chosen by ``?lang=``, then the ``lang`` cookie, then ``Accept-Language``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Translator",
    "choose_language",
    "format_number",
    "translator",
]

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cobalamin"


def _accepted(header: str) -> Iterator[tuple[float, str]]:
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary:
            yield quality, primary


def choose_language(query: str | None, cookie: str | None, accept: str | None) -> str:
    """``?lang=``, then the cookie, then the best of Accept-Language, then English."""
    for given in (query, cookie):
        if given and given.lower() in LANGUAGES:
            return given.lower()
    if accept:
        ranked = sorted(_accepted(accept), key=lambda item: -item[0])
        for quality, primary in ranked:
            if quality > 0 and primary in LANGUAGES:
                return primary
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Translator:
    """gettext for one language; English returns the message id itself."""

    lang: str
    translations: NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)


@cache
def translator(lang: str) -> Translator:
    """The compiled catalogue of a language (English: none needed)."""
    if lang == DEFAULT_LANGUAGE:
        return Translator(lang, NullTranslations())
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translator(lang, Translations(buffer, domain=DOMAIN))


def format_number(value: float, lang: str, digits: int = 1) -> str:
    """A number for people: Dutch writes a decimal comma; trailing zeros are dropped."""
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "nl" else text


def N_(message: str) -> str:
    """Mark a message id for the catalogue; it is translated where it is shown."""
    return message


def extract_messages() -> list[str]:
    """Every message id the templates and the web modules use (for the catalogue's tests)."""
    from babel.messages.extract import extract
    from jinja2 import Environment

    found: dict[str, None] = {}
    env = Environment(extensions=["jinja2.ext.i18n"])
    templates = Path(__file__).parent / "templates"
    for path in sorted(templates.glob("*.html")):
        source = path.read_text(encoding="utf-8")
        for _, _, message in env.extract_translations(source):  # type: ignore[attr-defined]
            if isinstance(message, str):
                found[message] = None
    keywords = {"_": None, "N_": None, "gettext": None}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        with path.open("rb") as handle:
            for _, message, _, _ in extract("python", handle, keywords=keywords):
                if isinstance(message, str):
                    found[message] = None
    return list(found)
