"""Page setup, language and styles of a generated DOCX.

Every style the renderer uses gets explicit East Asian and Latin font names (``w:rFonts``
without ``*Theme`` attributes, which would override them) and the document language is zh-CN,
so neither Word nor LibreOffice falls back to theme or Japanese fonts.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor

from . import fonts

BLACK = RGBColor(0, 0, 0)
GREY = RGBColor(0x80, 0x80, 0x80)
#: 填写说明 (hints): a blue no one takes for the text; removed for the signing copy.
HINT_BLUE = RGBColor(0x2F, 0x55, 0x97)
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")

# Style names (python-docx UI names for built-ins; ids are derived by Word/LibreOffice from names).
BODY = "Normal"
HINT = "Hint"
FIGURE = "Figure Placeholder"
TABLE_TEXT = "Table Text"
CAPTION = "Caption"
FRONT_HEADING = "Front Heading"
FRONT_SUBHEADING = "Front Subheading"
COVER_PROJECT = "Cover Project"
COVER_TITLE = "Cover Title"
COVER_INFO = "Cover Info"
DOC_TITLE = "Document Title"
DOC_META = "Document Meta"
HEADER = "Header"
FOOTER = "Footer"
TOC_STYLES = ("toc 1", "toc 2", "toc 3")


#: The names Chinese Word users read in the Styles pane, for this renderer's own styles. Only the
#: w:name changes: the ids (Hint, TableText, ...) stay, so hints.py, the signing copy and
#: documents generated before keep working. Built-in styles (Normal, heading n, toc n, Caption,
#: Header, Footer, Table Grid) keep their canonical English names on purpose: Word shows them
#: localised itself (正文, 标题 1, 目录 1, 题注, 页眉, 页脚, 网格型) and recognises them as
#: built-ins only under those names (a renamed "标题 1" would become a second, custom style).
ZH_NAMES = {HINT: "填写说明", FIGURE: "图片占位", TABLE_TEXT: "表格文字", FRONT_HEADING: "前置部分标题",
            FRONT_SUBHEADING: "前置部分小标题", COVER_PROJECT: "封面项目名称", COVER_TITLE: "封面文档名称",
            COVER_INFO: "封面信息", DOC_TITLE: "文件标题", DOC_META: "文件信息"}


def localise_style_names(doc) -> None:
    """Give this renderer's own styles their Chinese names (ZH_NAMES); the last step of the base
    template (python-docx looks styles up by name, so nothing after it may ask for "Hint")."""
    ids = {style_id(name): zh for name, zh in ZH_NAMES.items()}
    for el in doc.styles.element.findall(qn("w:style")):
        zh = ids.get(el.get(qn("w:styleId")))
        if zh:
            el.find(qn("w:name")).set(qn("w:val"), zh)


def style_id(name: str) -> str:
    """The ``w:styleId`` of a style name used here (python-docx drops the spaces)."""
    if name.startswith("toc "):
        return "TOC" + name[4:]
    return name.replace(" ", "")


def add_para(container, text: str = "", style: str = BODY):
    """Append a paragraph with ``style`` to a document, cell, header or footer.

    Writes ``w:pStyle`` directly: python-docx's lookup by style name scans every style of the
    template for each paragraph and dominated the render time.
    """
    paragraph = container.add_paragraph(text)
    paragraph._p.style = style_id(style)
    return paragraph


def set_para_style(paragraph, style: str) -> None:
    """Set the style of an existing paragraph (fast path, see :func:`add_para`)."""
    paragraph._p.style = style_id(style)


@dataclass(frozen=True)
class Profile:
    """Typographic settings of one profile (技术 or 公文)."""

    key: str
    margins_mm: tuple[float, float, float, float]  # top, bottom, left, right
    body_font: str
    body_size: float
    line_exact_pt: float | None  # fixed line spacing, or None for 1.5 lines
    headings: tuple[tuple[str, float, bool], ...]  # font, size, bold for levels 1..4
    heading_indent: bool  # 公文 headings are indented two characters like the body
    page_number_format: tuple[str, str]  # text before and after the PAGE field
    page_number_size: float


TECH = Profile(
    key="tech",
    margins_mm=(25.4, 25.4, 31.7, 31.7),
    body_font=fonts.SONG,
    body_size=fonts.pt("小四"),
    line_exact_pt=None,
    headings=(
        (fonts.HEI, fonts.pt("三号"), True),
        (fonts.HEI, fonts.pt("四号"), True),
        (fonts.HEI, fonts.pt("小四"), True),
        (fonts.HEI, fonts.pt("小四"), True),
    ),
    heading_indent=False,
    page_number_format=("第 ", " 页"),
    page_number_size=fonts.pt("小五"),
)

# GB/T 9704-2012: top 37 mm, left 28 mm, text block 156 x 225 mm on A4 (210 x 297).
GONGWEN = Profile(
    key="gongwen",
    margins_mm=(37.0, 297 - 37.0 - 225, 28.0, 210 - 28.0 - 156),
    body_font=fonts.FANGSONG,
    body_size=fonts.pt("三号"),
    line_exact_pt=29.0,
    headings=(
        (fonts.HEI, fonts.pt("三号"), False),
        (fonts.KAI, fonts.pt("三号"), False),
        (fonts.FANGSONG, fonts.pt("三号"), True),
        (fonts.FANGSONG, fonts.pt("三号"), False),
    ),
    heading_indent=True,
    page_number_format=("— ", " —"),
    page_number_size=fonts.pt("四号"),
)

PROFILES = {"tech": TECH, "gongwen": GONGWEN}


def set_run_fonts(rpr, east_asia: str, latin: str = fonts.LATIN) -> None:
    """Write explicit font names into an ``w:rPr`` and drop theme font attributes."""
    rfonts = rpr.get_or_add_rFonts()
    for attr in _THEME_ATTRS:
        key = qn(attr)
        if key in rfonts.attrib:
            del rfonts.attrib[key]
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")


def _get_style(doc, name: str, kind=WD_STYLE_TYPE.PARAGRAPH, base: str | None = BODY):
    try:
        return doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, kind)
        if base:
            style.base_style = doc.styles[base]
        style.quick_style = True
        return style


def _style(doc, name, east_asia, size, *, bold=False, italic=False, color=BLACK,
           align=None, indent_chars=0, line_exact=None, line_multiple=None,
           before=0.0, after=0.0, keep_next=False, base=BODY, outline_level=None):
    style = _get_style(doc, name, base=base)
    font = style.font
    set_run_fonts(style.element.get_or_add_rPr(), east_asia)
    font.size = Pt(size)
    font.bold = bold
    font.italic = italic
    font.color.rgb = color
    pf = style.paragraph_format
    if align is not None:
        pf.alignment = align
    if indent_chars:
        pf.first_line_indent = Pt(size * indent_chars)
        # LibreOffice ignores firstLineChars; Word prefers it. Write both.
        pf.element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), str(indent_chars * 100))
    else:
        pf.first_line_indent = Pt(0)
    if line_exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_exact)
    elif line_multiple:
        pf.line_spacing = line_multiple
    pf.space_before = Pt(before)
    pf.space_after = Pt(after)
    pf.keep_with_next = keep_next
    pf.widow_control = True
    if outline_level is not None:
        ppr = style.element.get_or_add_pPr()
        lvl = ppr.find(qn("w:outlineLvl"))
        if lvl is None:
            lvl = OxmlElement("w:outlineLvl")
            ppr.append(lvl)  # outlineLvl is near the end of pPr; only jc may follow
            jc = ppr.find(qn("w:jc"))
            if jc is not None:
                jc.addnext(lvl)
        lvl.set(qn("w:val"), str(outline_level))
    return style


def _fix_defaults(doc) -> None:
    """docDefaults and every ``w:rFonts`` of styles.xml: explicit fonts, zh-CN language."""
    styles = doc.styles.element
    for rfonts in styles.iter(qn("w:rFonts")):
        for attr in _THEME_ATTRS:
            if qn(attr) in rfonts.attrib:
                del rfonts.attrib[qn(attr)]
        rfonts.set(qn("w:ascii"), fonts.LATIN)
        rfonts.set(qn("w:hAnsi"), fonts.LATIN)
        rfonts.set(qn("w:cs"), fonts.LATIN)
        rfonts.set(qn("w:eastAsia"), fonts.SONG)
    for color in styles.iter(qn("w:color")):
        for attr in ("w:themeColor", "w:themeShade", "w:themeTint"):
            if qn(attr) in color.attrib:
                del color.attrib[qn(attr)]
        color.set(qn("w:val"), "000000")
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_run_fonts(rpr_default, fonts.SONG)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), fonts.LANG_LATIN)
    lang.set(qn("w:eastAsia"), fonts.LANG_EAST_ASIA)
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr_default.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")


def _fix_settings(doc) -> None:
    """zh-CN theme font language and ``updateFields`` so Word fills the 目录 on open."""
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.find(qn("w:clrSchemeMapping")).addprevious(lang)
    lang.set(qn("w:val"), fonts.LANG_LATIN)
    lang.set(qn("w:eastAsia"), fonts.LANG_EAST_ASIA)
    if settings.find(qn("w:updateFields")) is None:
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.find(qn("w:compat")).addprevious(update)
    tab = settings.find(qn("w:defaultTabStop"))
    if tab is not None:
        tab.set(qn("w:val"), "420")


# name, altName, panose, family: declared in fontTable.xml with the GB2312 charset (86) instead
# of the Japanese fonts of python-docx's default template.
_FONT_TABLE = (
    (fonts.SONG, "SimSun", "02010600030101010101", "auto"),
    (fonts.HEI, "SimHei", "02010609060101010101", "modern"),
    (fonts.FANGSONG, "FangSong", "02010609060101010101", "modern"),
    (fonts.KAI, "KaiTi", "02010609060101010101", "modern"),
    (fonts.XIAOBIAOSONG, "FZXiaoBiaoSong-B05S", "02000000000000000000", "auto"),
)


def _fix_font_table(doc) -> None:
    """Replace the template's font table (which declares ＭＳ 明朝 / ＭＳ ゴシック)."""
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/word/fontTable.xml":
            w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
            items = [f'<w:font w:name="{fonts.LATIN}"><w:panose1 w:val="02020603050405020304"/>'
                     '<w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>']
            for name, alt, panose, family in _FONT_TABLE:
                items.append(f'<w:font w:name="{name}"><w:altName w:val="{alt}"/>'
                             f'<w:panose1 w:val="{panose}"/><w:charset w:val="86"/>'
                             f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>')
            xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
                   f'<w:fonts xmlns:w="{w}">' + "".join(items) + "</w:fonts>")
            part._blob = xml.encode("utf-8")
            return


def setup_page(section, profile: Profile, landscape: bool = False) -> None:
    """A4 page with the margins of ``profile``."""
    top, bottom, left, right = profile.margins_mm
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        # keep the long margins at the binding edge
        top, bottom, left, right = left, right, top, bottom
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(1.75 if profile.key == "tech" else 0.7)


def _box(ppr) -> None:
    """A dashed frame around a paragraph (pBdr goes before shd/tabs/spacing/ind/jc in pPr)."""
    bdr = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        el = OxmlElement(f"w:{side}")
        for k, v in (("w:val", "dashed"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "2F5597")):
            el.set(qn(k), v)
        bdr.append(el)
    for tag in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc"):
        successor = ppr.find(qn(tag))
        if successor is not None:
            successor.addprevious(bdr)
            return
    ppr.append(bdr)


def setup_styles(doc, profile: Profile) -> None:
    """Define every style the renderer uses for ``profile``."""
    _fix_defaults(doc)
    _fix_settings(doc)
    _fix_font_table(doc)
    center = WD_ALIGN_PARAGRAPH.CENTER
    exact = profile.line_exact_pt
    body_line = dict(line_exact=exact) if exact else dict(line_multiple=1.5)
    _style(doc, BODY, profile.body_font, profile.body_size, indent_chars=2,
           align=WD_ALIGN_PARAGRAPH.JUSTIFY, **body_line)
    for level, (font, size, bold) in enumerate(profile.headings, start=1):
        gap = (12, 6) if level == 1 else (6, 3)
        _style(doc, f"Heading {level}", font, size, bold=bold, keep_next=True,
               indent_chars=2 if profile.heading_indent else 0, before=gap[0], after=gap[1],
               align=WD_ALIGN_PARAGRAPH.LEFT, outline_level=level - 1, **body_line)
    hint_font = fonts.KAI if profile.key == "gongwen" else fonts.SONG
    _style(doc, HINT, hint_font, fonts.pt("五号") if profile.key == "tech" else fonts.pt("四号"),
           color=HINT_BLUE, indent_chars=2, line_multiple=1.25, keep_next=True)
    figure = _style(doc, FIGURE, fonts.SONG, fonts.pt("五号"), color=HINT_BLUE, align=center,
                    line_multiple=1.0, before=6, keep_next=True)
    _box(figure.element.get_or_add_pPr())
    _style(doc, TABLE_TEXT, fonts.SONG, fonts.pt("五号"), line_multiple=1.0,
           align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, CAPTION, fonts.HEI, fonts.pt("五号"), align=center, before=6, after=3,
           keep_next=True, line_multiple=1.0)
    # 文档控制 / 目录 and 修订记录 / 审批 bold like the body's headings (they came out regular
    # beside bold chapter headings in the rendition).
    _style(doc, FRONT_HEADING, fonts.HEI, fonts.pt("三号"), bold=True, align=center, before=12, after=12,
           keep_next=True, line_multiple=1.0)
    _style(doc, FRONT_SUBHEADING, fonts.HEI, fonts.pt("小四"), bold=True, before=12, after=6,
           keep_next=True, line_multiple=1.0, align=WD_ALIGN_PARAGRAPH.LEFT)
    _style(doc, COVER_PROJECT, fonts.HEI, fonts.pt("二号"), align=center, line_multiple=1.2, after=12)
    _style(doc, COVER_TITLE, fonts.HEI, fonts.pt("一号"), align=center, line_multiple=1.2, after=12)
    _style(doc, COVER_INFO, fonts.SONG, fonts.pt("四号"), align=center, line_multiple=1.5)
    _style(doc, DOC_TITLE, fonts.GONGWEN_TITLE, fonts.pt("二号"), align=center, line_multiple=1.3,
           after=6)
    _style(doc, DOC_META, profile.body_font, fonts.pt("小四"), align=center, after=12,
           line_multiple=1.2)
    _style(doc, HEADER, fonts.SONG, fonts.pt("小五"), line_multiple=1.0, align=WD_ALIGN_PARAGRAPH.LEFT)
    doc.styles[HEADER].paragraph_format.tab_stops.clear_all()
    _style(doc, FOOTER, fonts.SONG, profile.page_number_size, align=center, line_multiple=1.0)
    for level, name in enumerate(TOC_STYLES, start=1):
        # Exactly 20 pt (固定值): 1.5 lines of a CJK face are ~26 pt in LibreOffice, and a 30-entry
        # 目录 then spilled one entry onto a second page (seen in the rendition).
        style = _style(doc, name, fonts.SONG if level > 1 else fonts.HEI, fonts.pt("小四"),
                       line_exact=20, align=WD_ALIGN_PARAGRAPH.LEFT)
        style.paragraph_format.left_indent = Pt(12 * 2 * (level - 1))
        style.element.set(qn("w:styleId"), f"TOC{level}")
        style.unhide_when_used = True


#: Parts of python-docx's default template that a generated document does not need.
_DROPPED_PARTS = ("stylesWithEffects", "webSettings", "customXml", "thumbnail")
#: Styles Word expects to exist (defaults of each kind) besides the ones defined here.
_DEFAULT_STYLES = ("Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid")


def prune_template(doc) -> None:
    """Drop python-docx's default-template leftovers: every style this renderer does not
    define (and the styles they are based on), the latent-style list, and the parts
    stylesWithEffects, webSettings, customXml and the thumbnail (about 26 KB per file)."""
    styles = doc.styles.element
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep = set(_DEFAULT_STYLES) | {style_id(n) for n in (
        BODY, HINT, FIGURE, TABLE_TEXT, CAPTION, FRONT_HEADING, FRONT_SUBHEADING, COVER_PROJECT, COVER_TITLE,
        COVER_INFO, DOC_TITLE, DOC_META, HEADER, FOOTER, *TOC_STYLES)} | {f"Heading{i}" for i in range(1, 5)}
    todo = list(keep)
    while todo:  # based-on / linked / next styles of the kept ones
        el = by_id.get(todo.pop())
        if el is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = el.find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) not in keep:
                keep.add(ref.get(qn("w:val")))
                todo.append(ref.get(qn("w:val")))
    for sid, el in by_id.items():
        if sid not in keep:
            styles.remove(el)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    for part, rels in ((doc.part, doc.part.rels), (doc.part.package, doc.part.package.rels)):
        for r_id, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in _DROPPED_PARTS:
                del rels[r_id]
