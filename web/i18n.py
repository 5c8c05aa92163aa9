"""UI language: zh-CN by default, English on request (/lang/en sets the `lang` cookie).

The Chinese UI string is the message id; translations live in standard gettext catalogs
(translations/<lang>/LC_MESSAGES/messages.po, read with Babel's PO parser at start-up by
core.messages, so translators use their usual tools and nothing needs compiling). A test
checks that every string used by the templates and pages has an English entry. Error
messages are looked up by code (core.messages.error_message); labels come from
core.labels, deliverables.labels and maintenance.labels.
"""
from __future__ import annotations

from flask import Flask, request
from markupsafe import Markup

from core.errors import HandoverError
from core.labels import ROLE_ZH  # noqa: F401  (re-exported for the templates and tests)
from core.messages import LANGS, catalog, error_message, message_of, translate  # noqa: F401  (catalog re-exported)
from deliverables.labels import STATUS_ZH, catalog_name, display_name, version_note  # noqa: F401  (STATUS_ZH re-exported)
from maintenance.labels import channel_name, fault_ref_of, level_name

COOKIE = "lang"


def current_lang() -> str:
    try:
        value = request.cookies.get(COOKIE, "zh")
    except RuntimeError:  # outside a request
        return "zh"
    return value if value in LANGS else "zh"


def gettext(message: str, **kw) -> str:
    """`message` (Chinese) in the current language, formatted with `kw`; a message with
    plural forms in the catalog takes the form for `n` (the count is always called n)."""
    message = translate(message, current_lang(), kw.get("n"))
    if kw:
        message = message.format(**kw)
    return message


def error_text(exc: HandoverError) -> str:
    """An operation error's message in the current UI language (looked up by its code)."""
    return message_of(exc, current_lang())


# Punctuation around translated words: full-width in Chinese, ASCII in English
# ("甲方：" / "Client: ", "（初始 2级）" / " (initially level 2)", "、" / ", ").
COLON = {"zh": "：", "en": ": "}
LIST_SEP = {"zh": "、", "en": ", "}


def colon() -> str:
    """The colon after a label in the current language."""
    return COLON[current_lang()]


def list_sep() -> str:
    """The separator between listed words in the current language."""
    return LIST_SEP[current_lang()]


def paren(text) -> Markup:
    """`text` in brackets as the current language writes them (escaped unless Markup)."""
    return Markup("（{}）" if current_lang() == "zh" else " ({})").format(text)


def init_app(app: Flask) -> None:
    def _jinja_gettext(message: str, **kw) -> str:
        # Arguments are escaped before formatting; the message itself is ours.
        from markupsafe import escape
        translated = translate(message, current_lang(), kw.get("n"))
        return Markup(translated).format(**{k: escape(v) for k, v in kw.items()}) if kw else translated

    app.jinja_env.globals["_"] = _jinja_gettext
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["error_message"] = lambda code, params=None, fallback=None: error_message(
        code, current_lang(), params, fallback)
    app.jinja_env.globals["deliverable_name"] = lambda d: display_name(d, current_lang())
    # the Chinese name an English page shows beside the English one (marked lang="zh-CN")
    app.jinja_env.globals["deliverable_name_zh"] = lambda d: display_name(d, "zh")
    app.jinja_env.globals["catalog_name"] = lambda key: catalog_name(key, current_lang())
    app.jinja_env.globals["version_note"] = lambda note: version_note(note, current_lang())
    app.jinja_env.globals["fault_ref"] = fault_ref_of
    app.jinja_env.globals.update(colon=colon, list_sep=list_sep, paren=paren)
    app.jinja_env.globals["level_name"] = lambda rules, n: level_name(rules, n, current_lang())
    app.jinja_env.globals["channel_name"] = lambda rules, key: channel_name(rules, key, current_lang())
