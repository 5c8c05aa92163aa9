"""UI language: zh-CN by default, English on request (/lang/en sets the `lang` cookie).

The Chinese UI string is the message id; translations live in standard gettext catalogs
(translations/<lang>/LC_MESSAGES/messages.po, read with Babel's PO parser at start-up, so
translators use their usual tools and nothing needs compiling). A test checks that every
string used by the templates and pages has an English entry.
"""
from __future__ import annotations

from flask import Flask, request
from markupsafe import Markup

from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """msgid -> msgstr of `lang` (untranslated and fuzzy entries left out)."""
    path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        po = read_po(fh, locale=lang)
    return {m.id: m.string for m in po if m.id and m.string and not m.fuzzy}

LANGS = ("zh", "en")
COOKIE = "lang"

STATUS_ZH = {"missing": "缺失", "draft": "草稿", "in_review": "审核中", "rejected": "已驳回",
             "signed_off": "已签署"}
ROLE_ZH = {"admin": "系统管理员", "pm": "项目经理", "engineer": "实施工程师", "client": "甲方代表"}


def current_lang() -> str:
    try:
        value = request.cookies.get(COOKIE, "zh")
    except RuntimeError:  # outside a request
        return "zh"
    return value if value in LANGS else "zh"


def gettext(message: str, **kw) -> str:
    """`message` (Chinese) in the current language, formatted with `kw`."""
    if current_lang() == "en":
        message = catalog("en").get(message, message)
    if kw:
        message = message.format(**kw)
    return message


def init_app(app: Flask) -> None:
    def _jinja_gettext(message: str, **kw) -> str:
        # Arguments are escaped before formatting; the message itself is ours.
        from markupsafe import escape
        translated = gettext(message)
        return Markup(translated).format(**{k: escape(v) for k, v in kw.items()}) if kw else translated

    app.jinja_env.globals["_"] = _jinja_gettext
    app.jinja_env.globals["current_lang"] = current_lang
