"""Unit tests of analysis, query syntax, snippets, extraction and chunking (no engine)."""
from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest

from core.errors import UserValueError
from search import extract
from search.analysis import fold, tokens
from search.engines.postgres_fts import MAX_PER_TERM, chunks, leaf_tsquery, tsvector_text
from search.engines.sqlite_fts import compile_match
from search.query_syntax import AnyOf, Leaf, parse
from search.snippet import make_snippet
from search_support import make_docx, tsvector_literal


def test_bigrams_words_and_trailing_character():
    assert tokens("发现缺陷七个") == ["发现", "现缺", "缺陷", "陷七", "七个", "个"]
    assert tokens("缺") == ["缺"]
    assert tokens("NebulaGraph数据库 v2.0") == ["nebulagraph", "数据", "据库", "库", "v2", "0"]
    assert tokens("ＡＢＣ１２３") == ["abc123"]                      # NFKC: full width
    assert tokens("テスト・データ") == ["テス", "スト", "ト", "デー", "ータ", "タ"]  # middle dot separates
    assert tokens("한국어") == ["한국", "국어", "어"]
    assert tokens("a_b-c\x00d") == ["a", "b", "c", "d"]
    stored = unicodedata.normalize("NFKC", "İSTANBUL ǅ")               # the stored text is NFKC
    assert len(fold(stored)) == len(stored)                             # offsets survive folding


def test_parse_words_phrases_or_exclude():
    q = parse('测试 "nebula graph" kafka OR spark -docker')
    assert q.required[0] == Leaf(("测试",))
    assert q.required[1] == Leaf(("nebula", "graph"))
    assert q.required[2] == AnyOf((Leaf(("kafka",)), Leaf(("spark",))))
    assert q.excluded == [Leaf(("docker",))]
    assert parse("缺").required == [Leaf(("缺",), prefix=True)]
    assert parse("集成测试").required == [Leaf(("集成", "成测", "测试"))]


def test_a_space_between_chinese_words_in_a_phrase_is_no_gap():
    """Chinese is written without spaces: "点 和 边" is the phrase 点和边, and its snippet marks
    that text; punctuation typed between the words keeps them apart (any separator in the
    text), and a space beside a Latin word changes nothing (the bigrams never cross it)."""
    assert parse('"点 和 边"').required == parse('"点和边"').required == [Leaf(("点和", "和边"))]
    assert parse('"数据  导入"').required == [Leaf(("数据", "据导", "导入"))]
    assert parse('"图，数据库"').required == [Leaf(("图", "数据", "据库"))]
    assert parse('"点 和，边"').required == [Leaf(("点和", "和", "边"), prefix=True)]
    assert parse('"meta 服务"').required == parse('"meta服务"').required == [Leaf(("meta", "服务"))]
    assert parse("数据 导入").required == [Leaf(("数据",)), Leaf(("导入",))]   # words stay words
    assert parse('"データ ベース"').required == parse('"データベース"').required   # Japanese: as Chinese
    korean = parse('"그래프 데이터베이스"').required[0]                         # Korean keeps its spaces
    assert korean.terms[:3] == ("그래", "래프", "프") and len(korean.runs) == 2
    body = "图空间中的点和边。数据，导入。"
    assert "<mark>点和边</mark>" in make_snippet(body, "a.md", parse('"点 和 边"').positive_leaves())
    assert "<mark>数据，导入</mark>" in make_snippet(body, "a.md", parse('"数据，导入"').positive_leaves())
    assert "<mark>" not in make_snippet(body, "a.md", parse('"数据 导入"').positive_leaves())
    assert "<mark>그래프 데이터베이스</mark>" in make_snippet("그래프 데이터베이스는", "a.md",
                                                        parse('"그래프 데이터베이스"').positive_leaves())
    # two Latin words need a separator between them, in the snippet as in the terms
    s = make_snippet("NebulaGraph 是图数据库。nebula graph", "a.md", parse('"nebula graph"').positive_leaves())
    assert "<mark>nebula graph</mark>" in s and "<mark>NebulaGraph" not in s


@pytest.mark.parametrize("q", ['"', "OR", "- -", "***", ":::", "NEAR(", "\x00\x01", "OR OR", "-a"])
def test_parse_hostile_input_is_empty_or_best_effort(q):
    parsed = parse(q)
    for leaf in parsed.all_leaves():
        assert all(t.isalnum() for t in leaf.terms)


def test_parse_limits():
    with pytest.raises(UserValueError):
        parse("x" * 1001)
    with pytest.raises(UserValueError):
        parse(" ".join(f"w{i}" for i in range(40)))


def test_fts5_expression_quotes_every_term():
    assert compile_match(parse('a "b c" d OR e -f')) == '("a" AND "b c" AND ("d" OR "e")) NOT ("f")'
    expr = compile_match(parse('NEAR(x y) -z 缺'))
    assert expr == '("near x" AND "y" AND "缺" *) NOT ("z")'  # NEAR(x is one word: a phrase


def test_tsquery_and_tsvector_literals():
    assert leaf_tsquery(Leaf(("集成", "成测", "测试"))) == "('集成' <-> '成测' <-> '测试')"
    assert leaf_tsquery(Leaf(("abc", "的"), prefix=True)) == "('abc' <-> '的':*)"
    assert tsvector_literal(["a", "b", "a"]) == "'a':1,3 'b':2"
    assert tsvector_text(["a", "b", "a"]) == "'a':1 'b':2 'a':3"


def test_chunks_respect_tsvector_limits_and_overlap():
    terms = ["数据"] * 600 + [f"w{i}" for i in range(40000)]
    out = chunks(terms)
    assert all(len(c) <= 16000 for c in out)
    assert all(c.count("数据") <= MAX_PER_TERM for c in out)
    for a, b in zip(out, out[1:]):
        assert b[:16] == a[-16:]  # phrases across a cut are kept
    assert chunks([]) == [[]]


def test_snippet_marks_and_escapes():
    body = "前言<b>。" + "无关内容。" * 60 + "本次集成测试发现缺陷七个 & NebulaGraph。"
    s = make_snippet(body, "a.md", parse("缺陷 nebulagraph").positive_leaves())
    assert "<mark>缺陷</mark>" in s and "<mark>NebulaGraph</mark>" in s and "&amp;" in s
    assert s.startswith("…")
    assert "<b>" not in make_snippet(body, "a.md", parse("前言").positive_leaves())
    s = make_snippet("", "网络<拓扑>.vsdx", parse("拓扑").positive_leaves())
    assert s == "网络&lt;<mark>拓扑</mark>&gt;.vsdx"
    assert "<mark>" not in make_snippet("graphs and nebulagraph", "x", parse("graph").positive_leaves())


@pytest.mark.parametrize("q", ["数据", "nebula", '"nebula graph"', "图数据库", "点", '"meta 服务"', "v2", "的", "缺席词"])
def test_one_word_snippet_matches_only_its_first_window_and_shows_the_same(q):
    """make_snippet, one word: only the first window is matched (_first_window); the snippet
    is the one the general path gives (the same leaf twice goes through _spans and
    _best_window), for real texts, with and without front matter."""
    from pathlib import Path
    corpus = sorted((Path(__file__).parent / "corpus" / "nebula-docs-cn").rglob("*.md"))[:60]
    leaf = parse(q).positive_leaves()[0]
    for path in corpus:
        body = unicodedata.normalize("NFKC", path.read_text(encoding="utf-8"))
        for text in (body, "---\ntitle: 数据 nebula\n---\n\n" + body):
            assert make_snippet(text, path.name, [leaf]) == make_snippet(text, path.name, [leaf, leaf]), path


def test_extract_docx_body_tables_headers_footers(tmp_path):
    p = tmp_path / "a.docx"
    p.write_bytes(make_docx(["正文段落"], table=[["表格单元", "Cell"]], header="页眉文字", footer="页脚文字"))
    text = extract.extract_text(p, "a.docx")
    for part in ("正文段落", "表格单元", "Cell", "页眉文字", "页脚文字"):
        assert part in text


def test_extract_refuses_zip_bombs_and_hostile_xml(tmp_path):
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as z:
        for i in range(extract.MAX_ZIP_ENTRIES + 1):
            z.writestr(f"x{i}", b"")
        z.writestr("word/document.xml", make_docx(["不应被读取"]))
    assert extract.extract_text(many, "many.docx") == ""
    laughs = tmp_path / "laughs.docx"
    xml = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body><w:p><w:r><w:t>&lol2;</w:t></w:r></w:p></w:body></w:document>')
    with zipfile.ZipFile(laughs, "w") as z:
        z.writestr("word/document.xml", xml)
    assert extract.extract_text(laughs, "laughs.docx") == ""
    assert extract.extract_text(tmp_path / "missing.docx", "missing.docx") == ""


def test_extract_text_encodings_html_pdf_and_cap(tmp_path, monkeypatch):
    gb = tmp_path / "gb.txt"
    gb.write_bytes("国标编码的验收报告".encode("gb18030"))
    assert extract.extract_text(gb, "gb.txt") == "国标编码的验收报告"
    h = tmp_path / "a.html"
    h.write_text("<html><head><style>.x{}</style><script>var 脚本=1</script></head>"
                 "<body><p>段落&amp;实体</p></body></html>", encoding="utf-8")
    text = extract.extract_text(h, "a.html")
    assert "段落&实体" in text and "脚本" not in text
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(_tiny_pdf("Hello Kafka PDF"))
    assert "Kafka" in extract.extract_text(pdf, "a.pdf")
    monkeypatch.setattr(extract, "MAX_CHARS", 10)
    assert len(extract.extract_text(gb, "gb.txt")) <= 10
    assert extract.extract_text(gb, "gb.bin") == ""


def _tiny_pdf(text: str) -> bytes:
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R "
            "/Resources << /Font << /F1 5 0 R >> >> >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    stream = f"BT /F1 12 Tf 10 50 Td ({text}) Tj ET".encode()
    objs[3] = f"<< /Length {len(stream)} >>\nstream\n{stream.decode()}\nendstream"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n{o}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def test_tokens_and_runs_equal_the_one_pattern_definition():
    """tokens() and runs() split in two fast steps; this is the definition they must equal: one
    pattern, a run of CJK letters or a run of other letters/digits (random mixed-script texts,
    with kana, hangul, fullwidth forms, radicals, digits of other scripts, underscores)."""
    import random
    import re
    from search.analysis import CJK_CLASS, MAX_TOKEN, runs
    one = re.compile(f"((?:(?=[{CJK_CLASS}])[^\\W_])+)|((?:(?![{CJK_CLASS}])[^\\W_])+)")

    def reference(folded: str) -> list[tuple[str, bool, int]]:
        return [(m.group(1), True, m.start()) if m.group(1) else (m.group(2)[:MAX_TOKEN], False, m.start())
                for m in one.finditer(folded)]

    rnd = random.Random(7)
    alphabet = "ab1_ Z中文・ー　ｱｲ가나ÄöΣς\u0130ﾞ٣١𠀀-,.\u3007々〆\u30fb\u2ed4Ⅻ" + "x" * 5
    for _ in range(5000):
        text = fold("".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 40))) + "y" * rnd.choice((0, 70)))
        ref = reference(text)
        assert [(r.text, r.cjk, r.start) for r in runs(text)] == ref, text
        expected = []
        for t, cjk, _ in ref:
            expected += ([t] if len(t) == 1 else [t[i:i + 2] for i in range(len(t) - 1)] + [t[-1]]) if cjk else [t]
        assert tokens(text, folded=True) == expected, text
