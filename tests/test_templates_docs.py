"""Tests of templates_docs: outlines, DOCX and Markdown skeletons, CLI, PDF conversion."""

from __future__ import annotations

import datetime
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import markdown
import pytest
import yaml
from docx import Document
from docx.oxml.ns import qn

from templates_docs import (
    DocFacts, Person, document_number, load_outline, outline_keys, render_docx, render_markdown,
    split_front_matter,
)
from templates_docs.numbering import chinese_number, heading_texts
from templates_docs.outline import OutlineError, parse_outline

ROOT = Path(__file__).resolve().parents[1]
CATALOG = yaml.safe_load((ROOT / "catalog" / "catalog.yaml").read_text(encoding="utf-8"))
DOCUMENTS = {d["key"]: d["name_zh"] for d in CATALOG["documents"]}
RECORDS = {r["key"]: r["name_zh"] for r in CATALOG["records"]}
ALL_KEYS = sorted({**DOCUMENTS, **RECORDS})
FORM_TYPES = {"acceptance_report", "installation_confirmation", "equipment_checklist"}
THEME_ATTRS = ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")
DATE = datetime.date(2026, 11, 25)

PEOPLE = (
    Person("张伟", "项目经理", "华信智联科技有限公司", "138-0000-0001", "zhangwei@example.com"),
    Person("李娜", "技术负责人", "华信智联科技有限公司", "138-0000-0002", "lina@example.com"),
    Person("王强", "甲方项目负责人", "某市城市管理局", "139-0000-0005", "wq@example.gov.cn"),
)


def facts_for(key: str, date: datetime.date = DATE, **extra) -> DocFacts:
    name = {**DOCUMENTS, **RECORDS}.get(key) or load_outline(key).name
    return DocFacts(
        project_name="智慧园区综合管理平台", project_code="ZHYQ-2026", client="某市城市管理局",
        vendor="华信智联科技有限公司", document_key=key, document_name=name, version_label="V1.0",
        date=date, people=PEOPLE, extra=extra,
    )


def docx_of(key: str, **extra):
    data = render_docx(facts_for(key, **extra))
    return data, Document(io.BytesIO(data))


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(c.text for c in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
    return "\n".join(parts)


def table_headers(doc) -> list[tuple[str, ...]]:
    return [tuple(c.text for c in t.rows[0].cells) for t in doc.tables]


def _format_number(n: int, fmt: str) -> str:
    return {"decimal": str(n), "upperLetter": chr(ord("A") + n - 1),
            "chineseCounting": chinese_number(n)}[fmt]


def docx_headings(doc) -> list[str]:
    """Heading texts with the numbers Word shows: computed from numbering.xml (the lists the
    heading styles or the paragraphs are bound to), not typed into the text."""
    numbering = doc.part.numbering_part.element
    abstract = {a.get(qn("w:abstractNumId")): a.findall(qn("w:lvl"))
                for a in numbering.findall(qn("w:abstractNum"))}
    lists = {n.get(qn("w:numId")): abstract[n.find(qn("w:abstractNumId")).get(qn("w:val"))]
             for n in numbering.findall(qn("w:num"))}
    counters: dict[str, list[int]] = {}
    out = []
    for p in doc.paragraphs:
        if not p.style.name.startswith("Heading"):
            continue
        num_pr = p._p.pPr.numPr if p._p.pPr is not None else None
        if num_pr is None:
            num_pr = p.style.element.pPr.numPr
        assert num_pr is not None, f"heading not numbered: {p.text}"
        num_id, ilvl = str(num_pr.numId.val), num_pr.ilvl.val
        count = counters.setdefault(num_id, [0] * 9)
        count[ilvl] += 1
        count[ilvl + 1:] = [0] * (8 - ilvl)
        lvls = lists[num_id]
        label = lvls[ilvl].find(qn("w:lvlText")).get(qn("w:val"))
        for j in range(ilvl + 1):
            label = label.replace(f"%{j + 1}", _format_number(count[j], lvls[j].find(qn("w:numFmt")).get(qn("w:val"))))
        space = " " if lvls[ilvl].find(qn("w:suff")).get(qn("w:val")) == "space" else ""
        out.append(label + space + p.text)
    return out


def md_headings(md: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"^#{2,5} (.+)$", md, flags=re.M)]


# --- outlines -------------------------------------------------------------------------------


def test_every_catalog_key_has_an_outline_with_its_name():
    keys = set(outline_keys())
    assert set(ALL_KEYS) <= keys
    assert len(DOCUMENTS) == 33 and len(RECORDS) == 7
    for key, name in {**DOCUMENTS, **RECORDS}.items():
        outline = load_outline(key)
        assert outline.name == name
        assert outline.profile in ("tech", "gongwen")
        assert all(s.hint for _, s in outline.walk())
        assert (key in FORM_TYPES) <= outline.form_type


def test_unknown_key_raises_key_error():
    with pytest.raises(KeyError):
        load_outline("no_such_document")
    with pytest.raises(KeyError):
        render_docx(DocFacts("p", "C", "c", "v", "no_such_document", "x", "V1", DATE))
    with pytest.raises(KeyError):
        render_markdown(DocFacts("p", "C", "c", "v", "no_such_document", "x", "V1", DATE))


@pytest.mark.parametrize("raw, message", [
    ({"key": "x", "name": "X", "profile": "other", "sections": [{"title": "a", "hint": "b"}]}, "profile"),
    ({"key": "x", "name": "X", "profile": "tech", "sections": [{"title": "a"}]}, "hint"),
    ({"key": "x", "name": "X", "profile": "tech", "sections": [
        {"title": "a", "hint": "b", "tables": [{"caption": "t", "columns": ["A", "B"], "rows": [["1"]]}]}]},
     "cells"),
    ({"key": "y", "name": "X", "profile": "tech", "sections": [{"title": "a", "hint": "b"}]}, "file name"),
])
def test_outline_validation(raw, message):
    with pytest.raises(OutlineError, match=message):
        parse_outline(raw, "x")


def test_document_number_scheme():
    # fallback only: the register gives the number (catalog.yaml numbering); never the version
    assert document_number("ZHYQ-2026", "support_manual", "V1.0") == "ZHYQ-2026-support_manual"


def test_gbt8567_chapter_structures():
    srs = heading_texts(load_outline("requirements_analysis"))
    assert srs[0] == "1 范围" and "1.1 标识" in srs and "2 引用文件" in srs
    assert any(h.endswith("合格性规定") for h in srs) and any(h.endswith("需求可追踪性") for h in srs)
    stp = heading_texts(load_outline("test_plan"))
    assert any(h.endswith("软件测试环境") for h in stp) and any(h.endswith("计划的测试") for h in stp)
    sum_ = heading_texts(load_outline("user_manual"))
    assert any(h.endswith("软件综述") for h in sum_) and any(h.endswith("使用软件指南") for h in sum_)


# --- DOCX -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_KEYS)
def test_docx_renders_and_reopens(key):
    data, doc = docx_of(key)
    outline = load_outline(key)
    # fonts: explicit East Asian names on every style used, no theme fonts, zh-CN language
    used = {p.style.name: p.style for p in doc.paragraphs}
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                used.update({p.style.name: p.style for p in cell.paragraphs})
    for section in doc.sections[-1:]:
        used.update({p.style.name: p.style for p in section.header.paragraphs + section.footer.paragraphs})
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "toc 1", "toc 2", "toc 3",
                 "Table Grid"):
        used[name] = doc.styles[name]
    for style in used.values():
        rfonts = style.element.rPr.rFonts
        assert rfonts is not None and rfonts.get(qn("w:eastAsia")), style.name
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        styles_xml = z.read("word/styles.xml").decode("utf-8")
        settings_xml = z.read("word/settings.xml").decode("utf-8")
        font_table = z.read("word/fontTable.xml").decode("utf-8")
    assert not any(attr in styles_xml for attr in THEME_ATTRS)
    assert 'w:eastAsia="zh-CN"' in styles_xml and "ja-JP" not in styles_xml + settings_xml
    assert "ＭＳ" not in font_table and "宋体" in font_table
    # headings, facts, tables
    headings = docx_headings(doc)
    assert len(headings) >= 4
    assert headings == heading_texts(outline)
    text = all_text(doc)
    assert "智慧园区综合管理平台" in text
    assert "ZHYQ-2026-" + key in text
    if outline.profile == "tech" and not outline.record:
        assert "V1.0" in text
        assert ("版本", "日期", "修订人", "修订内容", "审核人") in table_headers(doc)
        assert ("角色", "单位", "姓名", "签字", "日期") in table_headers(doc)
        assert 'TOC \\o "1-3"' in doc.element.xml
        assert 'w:updateFields w:val="true"' in settings_xml
    headers = table_headers(doc)
    for spec in outline.tables():
        assert spec.header in headers, spec.caption
        if spec.is_form:
            form = next(t for t in doc.tables if t.rows[0].cells[0].text == "项目"
                        and t.rows[1].cells[0].text == spec.fields[0])
            assert [r.cells[0].text for r in form.rows[1:]] == list(spec.fields)
    if outline.form_type:
        sig = [t for t in doc.tables if t.rows[0].cells[0].text == "签署方"]
        assert sig and [r.cells[0].text for r in sig[-1].rows[1:3]] == ["甲方", "乙方"]
    # every table: borders and a repeated header row
    for table in doc.tables[1 if outline.profile == "tech" and not outline.record else 0:]:
        assert table._tbl.tblPr.find(qn("w:tblBorders")) is not None
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # header / footer / core properties
    main = doc.sections[-1]
    header_text = "".join(p.text for p in main.header.paragraphs)
    assert "智慧园区综合管理平台" in header_text and facts_for(key).document_name in header_text
    assert "PAGE" in main.footer._element.xml
    props = doc.core_properties
    assert props.title and "智慧园区综合管理平台" in props.title
    assert props.author and props.language == "zh-CN"


def test_docx_is_deterministic():
    a = render_docx(facts_for("support_manual"))
    assert a == render_docx(facts_for("support_manual"))
    assert a != render_docx(facts_for("support_manual", date=DATE + datetime.timedelta(days=1)))
    doc = Document(io.BytesIO(a))
    assert doc.core_properties.created == doc.core_properties.modified
    assert doc.core_properties.created.date() == DATE


def test_tech_profile_layout():
    _, doc = docx_of("test_plan")
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 12
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    assert doc.styles["Heading 1"].element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    assert doc.styles["Heading 1"].font.size.pt == 16
    assert doc.sections[0].header.is_linked_to_previous  # the cover has no header
    assert "第 " in "".join(p.text for p in doc.sections[2].footer.paragraphs)
    assert round(doc.sections[2].left_margin.cm, 2) == 3.17
    heads = docx_headings(doc)
    assert heads[0] == "1 范围" and heads[1] == "1.1 标识"


def test_gongwen_profile_layout():
    _, doc = docx_of("kickoff_meeting")
    assert doc.styles["Normal"].element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    assert doc.styles["Normal"].font.size.pt == 16
    assert doc.styles["Heading 2"].element.rPr.rFonts.get(qn("w:eastAsia")) == "楷体"
    assert round(doc.sections[0].top_margin.mm) == 37 and round(doc.sections[0].left_margin.mm) == 28
    assert "—" in "".join(p.text for p in doc.sections[0].footer.paragraphs)
    heads = docx_headings(doc)
    assert heads[0] == "一、会议基本信息"
    headers = table_headers(doc)
    assert ("序号", "事项", "责任方", "完成时间") in headers
    assert doc.paragraphs[0].text == "智慧园区综合管理平台项目启动会议纪要"
    _, doc = docx_of("acceptance_report")
    assert any(h.startswith("（一）") for h in docx_headings(doc))


def test_support_manual_content():
    _, doc = docx_of("support_manual")
    text = all_text(doc)
    for needle in ("7×24 热线电话", "电子邮件", "远程支持", "现场支持", "自动升级一级",
                   "申报", "受理登记", "定级", "诊断处理", "恢复确认", "关闭回访"):
        assert needle in text, needle
    levels = next(t for t in doc.tables if t.rows[0].cells[0].text == "故障等级")
    rows = [[c.text for c in r.cells] for r in levels.rows[1:]]
    assert [(r[0][:2], r[2], r[3]) for r in rows] == [
        ("一级", "1 小时", "12 小时"), ("二级", "1 小时", "12 小时"),
        ("三级", "1 小时", "24 小时"), ("四级", "1 小时", "24 小时")]
    contacts = next(t for t in doc.tables if t.rows[0].cells[0].text == "角色"
                    and t.rows[0].cells[-1].text == "服务时间")
    assert contacts.rows[1].cells[1].text == "张伟"
    assert any(h.startswith("附录A") and "故障申报表" in h for h in docx_headings(doc))


def test_extra_fills_weekly_report():
    stats = [["一级", 0, 0, 0, 0], ["二级", 2, 2, 1, 1], ["三级", 3, 3, 3, 0], ["四级", 1, 1, 1, 0]]
    period = "2026-W47 (2026-11-16 至 2026-11-22)"
    _, doc = docx_of("ops_weekly_report", fault_stats=stats, period=period)
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "级别")
    assert [[c.text for c in r.cells] for r in table.rows[1:]] == [[str(v) for v in r] for r in stats]
    assert f"报告周期：{period}。" in all_text(doc)
    md = render_markdown(facts_for("ops_weekly_report", fault_stats=stats, period=period))
    assert "| 二级 | 2 | 2 | 1 | 1 |" in md and period in md
    # dict rows keyed by column heading work too
    _, doc = docx_of("ops_weekly_report", fault_stats=[{"级别": "一级", "故障数": 7}])
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "级别")
    assert [c.text for c in table.rows[1].cells] == ["一级", "7", "", "", ""]


FAULT = {"单号": "ZHYQ-2026-F001", "申报单位": "某市城市管理局信息中心", "申报人": "王强",
         "联系电话": "139-0000-0005", "申报时间": "2026-11-20 09:15", "系统/设备": "园区门禁子系统",
         "故障现象": "门禁刷卡无响应", "影响范围": "东区 3 个出入口", "建议等级": "□一级　■二级　□三级　□四级",
         "受理人/时间": "刘洋 / 09:20", "处理过程": "远程重启门禁控制服务", "处理结果": "已恢复",
         "恢复时间": "2026-11-20 10:05"}


def test_fault_report_form_standalone():
    _, doc = docx_of("fault_report_form", fault=FAULT)
    assert len(doc.tables) == 1 and docx_headings(doc) == []
    values = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows[1:]}
    for field, value in FAULT.items():
        assert values[field] == value
    assert "甲方确认签字" in values and "乙方处理人签字" in values
    md = render_markdown(facts_for("fault_report_form", fault=FAULT))
    assert "| 故障现象 | 门禁刷卡无响应 |" in md
    # the same form in the support manual's appendix is filled as well
    _, doc = docx_of("support_manual", fault={"故障现象": "门禁刷卡无响应"})
    form = doc.tables[-1]
    assert form.rows[6].cells[1].text == "门禁刷卡无响应"


# --- Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ALL_KEYS)
def test_markdown_matches_docx(key):
    facts = facts_for(key)
    md = render_markdown(facts)
    outline = load_outline(key)
    doc = Document(io.BytesIO(render_docx(facts)))
    assert md_headings(md) == docx_headings(doc)
    front = yaml.safe_load(md.split("---\n")[1])
    assert front["project_name"] == "智慧园区综合管理平台"
    assert front["document_number"] == f"ZHYQ-2026-{key}"
    assert front["client"] == "某市城市管理局" and front["version"] == "V1.0"
    meta = markdown.Markdown(extensions=["meta", "tables"])
    html = meta.convert(md)
    assert meta.Meta["project_code"] == ["ZHYQ-2026"]
    assert "---" not in html and "project_name:" not in html
    assert html.count("<table>") == len(doc.tables)  # the cover table too
    for spec in outline.tables():
        assert "| " + " | ".join(spec.header) + " |" in md
    # with the tables extension alone, on the body without front matter
    data, body = split_front_matter(md)
    assert data["project_name"] == "智慧园区综合管理平台"
    plain = markdown.markdown(body, extensions=["tables"])
    assert plain.count("<table>") == len(doc.tables) and "<hr" not in plain
    assert plain.startswith("<h1>")


# --- CLI ------------------------------------------------------------------------------------


def test_cli_preview(tmp_path):
    from flask import Flask

    from templates_docs.cli import docs_cli

    app = Flask(__name__)
    app.cli.add_command(docs_cli)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["docs", "preview", "support_manual", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["ZHYQ-2026-support_manual.docx", "ZHYQ-2026-support_manual.md"]
    assert str(tmp_path / "ZHYQ-2026-support_manual.docx") in result.output
    result = runner.invoke(args=["docs", "preview", "--out", str(tmp_path / "all"), "--format", "md"])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "all").glob("*.md"))) == len(outline_keys())
    result = runner.invoke(args=["docs", "preview", "nope", "--out", str(tmp_path)])
    assert result.exit_code != 0 and "unknown document key" in result.output


# --- PDF through LibreOffice ----------------------------------------------------------------


def _pdf_text(pdf: Path) -> str:
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True,
                              capture_output=True, timeout=60).stdout.decode("utf-8")
    from pypdf import PdfReader  # fallback when poppler-utils is missing

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed; cannot convert DOCX to PDF")
def test_support_manual_pdf_has_chinese_text(tmp_path):
    src = tmp_path / "support_manual.docx"
    src.write_bytes(render_docx(facts_for("support_manual")))
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "support_manual.pdf"
    assert pdf.exists()
    text = re.sub(r"\s+", "", _pdf_text(pdf))
    for needle in ("智慧园区综合管理平台", "技术支持手册", "文档控制", "故障等级", "一级", "自动升级一级",
                   "故障申报表", "申报单位", "第1页"):
        assert needle in text, needle


def test_form_defaults_and_unfilled_placeholders():
    _, doc = docx_of("acceptance_report")
    info = next(t for t in doc.tables if t.rows[1].cells[0].text == "项目名称")
    values = {r.cells[0].text: r.cells[1].text for r in info.rows[1:]}
    assert values["项目名称"] == "智慧园区综合管理平台" and values["建设单位（甲方）"] == "某市城市管理局"
    assert values["承建单位（乙方）"] == "华信智联科技有限公司" and values["监理单位"] == ""
    _, doc = docx_of("ops_weekly_report")  # no extra["period"]
    text = all_text(doc)
    assert "报告周期：（待填写）。" in text and "{period}" not in text
    assert "{" not in render_markdown(facts_for("daily_check_book")).split("---", 2)[2]


# --- Word mechanics (issue 15) ----------------------------------------------------------------


@pytest.mark.parametrize("key,level1,level2", [("test_plan", "%1", "%1.%2"),
                                                 ("kickoff_meeting", "%1、", "（%2）")])
def test_numbering_bound_to_heading_styles(key, level1, level2):
    _, doc = docx_of(key)
    numbering = doc.part.numbering_part.element
    for level in range(1, 5):
        num_pr = doc.styles[f"Heading {level}"].element.pPr.numPr
        assert num_pr is not None and num_pr.ilvl.val == level - 1
        num = next(n for n in numbering.findall(qn("w:num")) if n.get(qn("w:numId")) == str(num_pr.numId.val))
        abstract_id = num.find(qn("w:abstractNumId")).get(qn("w:val"))
        abstract = next(a for a in numbering.findall(qn("w:abstractNum"))
                        if a.get(qn("w:abstractNumId")) == abstract_id)
        lvl = abstract.findall(qn("w:lvl"))[level - 1]
        assert lvl.find(qn("w:pStyle")).get(qn("w:val")) == f"Heading{level}"
        if level <= 2:
            assert lvl.find(qn("w:lvlText")).get(qn("w:val")) == (level1, level2)[level - 1]
    # no typed numbers in the heading text
    first = next(p for p in doc.paragraphs if p.style.name == "Heading 1")
    assert not re.match(r"^[0-9一二三四五六七八九十]", first.text)
    assert doc.styles["Heading 1"].font.bold or key == "kickoff_meeting"


def test_captions_are_seq_fields_and_diagrams_get_figures():
    _, doc = docx_of("system_design")
    xml = doc.element.xml
    assert "SEQ 表 \\* ARABIC" in xml and "SEQ 图 \\* ARABIC" in xml
    captions = [p.text for p in doc.paragraphs if p.style.name == "Caption"]
    assert "表 1 引用文件" in captions and any(c.startswith("图 1 ") and "架构图" in c for c in captions)
    assert any("拓扑图" in c for c in captions)
    frames = [p.text for p in doc.paragraphs if p.style.style_id == "FigurePlaceholder"]
    assert any("在此插入" in f and "拓扑图" in f for f in frames)
    # GB/T 8567-2006 is cited where the outline follows it
    cited = next(t for t in doc.tables if t.rows[0].cells[1].text == "文件名称")
    assert [c.text for c in cited.rows[1].cells][:3] == ["1", "计算机软件文档编制规范", "GB/T 8567-2006"]
    assert "GB/T 8567-2006" in all_text(docx_of("user_manual")[1])


def test_signature_and_form_tables_are_kept_together():
    _, doc = docx_of("requirements_change")
    sig = next(t for t in doc.tables if t.rows[0].cells[0].text == "签署方")
    form = next(t for t in doc.tables if t.rows[0].cells[0].text == "项目")
    approvals = next(t for t in doc.tables if t.rows[0].cells[0].text == "角色")
    for table in (sig, form, approvals):
        for i, row in enumerate(table.rows):
            assert row._tr.trPr.find(qn("w:cantSplit")) is not None
            if i < len(table.rows) - 1:
                assert all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs)


def test_hints_are_coloured_not_italic():
    _, doc = docx_of("test_plan")
    hint = doc.styles["填写说明"]  # the Hint style (its id), by its Chinese name
    assert not hint.font.italic and str(hint.font.color.rgb) not in ("000000", "808080")


def test_own_styles_have_chinese_names_and_built_ins_keep_theirs():
    """Chinese Word users read 填写说明 / 表格文字 ...; ids stay (hint detection, older files),
    built-ins keep the names Word localises itself (标题 1, 目录 1, 题注)."""
    _, doc = docx_of("system_design")
    names = {s.style_id: s.name for s in doc.styles}
    assert names["Hint"] == "填写说明" and names["TableText"] == "表格文字" and names["FigurePlaceholder"] == "图片占位"
    assert names["CoverTitle"] == "封面文档名称" and names["FrontHeading"] == "前置部分标题"
    assert names["Heading1"] == "Heading 1" and names["TOC1"] == "toc 1" and names["Caption"] == "Caption"
    assert names["Normal"] == "Normal"
    assert not [n for n in names.values() if n in ("Hint", "Table Text", "Figure Placeholder")]
