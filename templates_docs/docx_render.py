"""``render_docx``: the DOCX skeleton of one document, byte-for-byte reproducible."""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

from docx import Document
from docx.enum.section import WD_SECTION
from docx.shared import Cm

from . import fonts
from .docx_body import add_body, add_signatures
from .docx_front import (
    add_cover, add_document_control, add_gongwen_title, add_toc, block_width,
    restart_page_numbers, setup_header_footer,
)
from .docx_styles import (CAPTION, PROFILES, TABLE_TEXT, add_para, localise_style_names, prune_template, setup_page,
                          setup_styles)
from .docx_numbering import setup_heading_numbering
from .docx_table import add_table, form_row_height, ensure_table_fonts
from .facts import TO_FILL, DocFacts, context, document_number, substitute, timestamp_utc
from .numbering import headings
from .outline import Outline, load_outline
from . import content


@lru_cache(maxsize=None)
def base_template(profile_key: str) -> bytes:
    """An empty document with the styles, numbering and fonts of ``profile_key`` and none of
    the default template's leftovers; built once per process, every render starts from it."""
    profile = PROFILES[profile_key]
    doc = Document()
    setup_styles(doc, profile)
    setup_heading_numbering(doc, profile_key, int(profile.body_size * 2 * 20) if profile.heading_indent else 0)
    ensure_table_fonts(doc)
    prune_template(doc)
    localise_style_names(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _core_properties(doc, facts: DocFacts, outline: Outline) -> None:
    props = doc.core_properties
    stamp = timestamp_utc(facts.date)
    author = content.signatories(facts)["编制"] or facts.vendor
    props.title = f"{facts.project_name} {facts.document_name}"
    props.subject = facts.document_name
    props.author = author
    props.last_modified_by = author
    props.language = fonts.LANG_EAST_ASIA
    props.identifier = facts.number
    props.version = facts.version_label
    props.keywords = f"{facts.project_code}; {facts.document_key}; {outline.profile}"
    props.comments = ""
    props.category = facts.project_name
    props.revision = 1
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp


def _form_only(doc, outline: Outline, facts: DocFacts, ctx, width: int) -> None:
    """A standalone form: the tables of the outline under the title, no headings."""
    for _, section in outline.walk():
        for table in section.tables:
            add_para(doc, substitute(table.caption, ctx), CAPTION)
            rows = content.table_rows(table, facts, ctx)
            weights = [1, 3] if table.is_form else None
            heights = [Cm(1.0) if not r[1] and form_row_height(r[0]) else None for r in rows] \
                if table.is_form else None  # one page: less room for blank descriptions
            add_table(doc, table.header, rows, width_emu=width, weights=weights,
                      first_col_bold=table.is_form, min_row_height=Cm(0.75), row_heights=heights,
                      together=table.is_form)
        for text in section.text:
            add_para(doc, "注：" + substitute(text, ctx, TO_FILL), TABLE_TEXT)


def build_document(facts: DocFacts):
    """The python-docx ``Document`` for ``facts`` (not yet saved)."""
    outline = load_outline(facts.document_key)
    profile = PROFILES[outline.profile]
    ctx = context(facts)
    doc = Document(io.BytesIO(base_template(outline.profile)))
    _core_properties(doc, facts, outline)
    first = doc.sections[0]
    if outline.profile == "tech" and not outline.form_only and not outline.record:
        setup_page(first, profile)
        add_cover(doc, facts)
        front = doc.add_section(WD_SECTION.NEW_PAGE)  # 文档控制 and 目录: pages I, II, ...
        setup_page(front, profile)
        setup_header_footer(front, facts, profile, roman=True)
        restart_page_numbers(front, 1, "upperRoman")
        add_document_control(doc, facts, block_width(front))
        add_toc(doc, [(h.level, h.text) for h in headings(outline)])
        main = doc.add_section(WD_SECTION.NEW_PAGE)  # the body: pages 1, 2, ...
        setup_page(main, profile, landscape=outline.landscape)
        setup_header_footer(main, facts, profile)
        restart_page_numbers(main, 1, "decimal")
        width = block_width(main)
    else:
        setup_page(first, profile, landscape=outline.landscape)
        setup_header_footer(first, facts, profile)
        width = block_width(first)
        add_gongwen_title(doc, facts, substitute(outline.title, ctx) or facts.document_name)
    if outline.form_only:
        _form_only(doc, outline, facts, ctx, width)
    else:
        add_body(doc, outline, facts, ctx, width)
    if outline.form_type:
        add_signatures(doc, facts, width)
    return doc


def _normalise_zip(data: bytes, date) -> bytes:
    """Rewrite the package with fixed entry timestamps so equal inputs give equal bytes."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def render_docx(facts: DocFacts) -> bytes:
    """The DOCX skeleton of ``facts.document_key`` filled with ``facts``.

    Same facts (including the date) give identical bytes. ``KeyError`` for an unknown key.
    """
    doc = build_document(facts)
    buf = io.BytesIO()
    doc.save(buf)
    return _normalise_zip(buf.getvalue(), facts.date)
