"""``flask docs preview [KEY]``: render skeletons with demo facts into a folder for review.

Registered by the application with ``app.cli.add_command(docs_cli)``; imports no app code
(only the catalog, for the demo document numbers).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from catalog import get_catalog

from .docx_render import render_docx
from .facts import DocFacts, Person, today_shanghai
from .hints import strip_hints
from .markdown_render import render_markdown
from .outline import load_outline, outline_keys

docs_cli = AppGroup("docs", help="Document skeletons (templates_docs).")

DEMO_PEOPLE = (
    Person("张伟", "项目经理", "华信智联科技有限公司", "138-0000-0001", "zhangwei@example.com"),
    Person("李娜", "技术负责人", "华信智联科技有限公司", "138-0000-0002", "lina@example.com"),
    Person("刘洋", "运维工程师（7×24 值班）", "华信智联科技有限公司", "138-0000-0003", "support@example.com"),
    Person("陈静", "项目总监", "华信智联科技有限公司", "138-0000-0004", "chenjing@example.com"),
    Person("王强", "甲方项目负责人", "某市城市管理局", "139-0000-0005", "wangqiang@example.gov.cn"),
)

DEMO_EXTRA = {
    "period": "2026-W47 (2026-11-16 至 2026-11-22)",
    "fault_stats": [
        ["一级", 0, 0, 0, 0],
        ["二级", 1, 1, 1, 0],
        ["三级", 3, 3, 2, 1],
        ["四级", 5, 5, 5, 0],
    ],
    # the 系统运行报告's tables from the database (maintenance/weekly_report.py), as an example
    "sla": [["一级", 0, 0, 0, 0, 0, "—"], ["二级", 1, 1, 0, 0, 0, "100%"], ["三级", 3, 2, 1, 0, 1, "66.7%"],
            ["四级", 5, 5, 0, 0, 0, "100%"], ["合计", 9, 8, 1, 0, 1, "88.9%"]],
    "week_faults": [["ZHYQ-2026-F007", "11-17 09:12", "三级→二级", "门禁系统无法开门", "已恢复", "11-17 09:40",
                     "11-17 15:05"]],
    "week_records": [["系统日常检查记录册", "ZHYQ-2026-JCJL-2026W47", "2026-W47", "已提交", "2026-11-22 17:30"]],
}


def demo_doc_no(code: str, key: str) -> str:
    """The number the register would give ``key`` in a new project (catalog.yaml ``numbering``)."""
    cat = get_catalog()
    doc = cat.document(key)
    if doc is not None:
        return cat.numbering.document_no(code, doc.phase, cat.documents_in(doc.phase).index(doc) + 1)
    if cat.record(key) is None:  # a standalone form (故障申报表): numbered like a ticket
        return f"{code}-F001"
    rhythm = cat.record(key).rhythm
    period = {"weekly": "2026-W47", "monthly": "2026-11", "once": "once"}.get(rhythm, "E001")
    return cat.numbering.record_no(code, key, period)


def demo_facts(key: str, date: datetime.date | None = None) -> DocFacts:
    """Facts of the demo project 智慧园区综合管理平台 for document ``key``."""
    return DocFacts(
        doc_no=demo_doc_no("ZHYQ-2026", key),
        project_name="智慧园区综合管理平台",
        project_code="ZHYQ-2026",
        client="某市城市管理局",
        vendor="华信智联科技有限公司",
        document_key=key,
        document_name=load_outline(key).name,
        version_label="" if load_outline(key).form_only else "V1.0",
        date=date or today_shanghai(),
        people=DEMO_PEOPLE,
        extra=dict(DEMO_EXTRA),
    )


def write_preview(key: str, out: Path, fmt: str = "both") -> list[Path]:
    """Render ``key`` with demo facts into ``out``; return the written paths."""
    out.mkdir(parents=True, exist_ok=True)
    facts = demo_facts(key)
    stem = f"{facts.project_code}-{key}"
    paths = []
    if fmt in ("docx", "both"):
        path = out / f"{stem}.docx"
        path.write_bytes(render_docx(facts))
        paths.append(path)
    if fmt in ("md", "both"):
        path = out / f"{stem}.md"
        path.write_text(render_markdown(facts), encoding="utf-8")
        paths.append(path)
    return paths


@docs_cli.command("preview")
@click.argument("key", required=False)
@click.option("--out", "out_dir", default="instance/previews", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder to write to.")
@click.option("--format", "fmt", type=click.Choice(["docx", "md", "both"]), default="both",
              show_default=True)
def preview(key: str | None, out_dir: Path, fmt: str) -> None:
    """Write the skeleton of KEY (default: every outline) with demo facts to --out."""
    keys = outline_keys()
    if key is not None and key not in keys:
        raise click.BadParameter(f"unknown document key {key!r}; known: {', '.join(keys)}",
                                 param_hint="KEY")
    for k in [key] if key else keys:
        for path in write_preview(k, out_dir, fmt):
            click.echo(str(path))


@docs_cli.command("strip-hints")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def strip_hints_command(source: Path, target: Path) -> None:
    """清除填写说明: write the signing copy of DOCX SOURCE (every 填写说明 removed) to TARGET.

    Exit 1 when SOURCE is not a readable DOCX; a version in the register gets its signing copy
    with POST /api/versions/<id>/strip-hints (or the button on the document's page)."""
    try:
        data, removed = strip_hints(source.read_bytes())
    except ValueError as exc:
        raise click.ClickException(f"{source}: not a readable DOCX ({exc})") from None
    target.write_bytes(data)
    click.echo(f"{target}: {removed} 条填写说明已清除")
