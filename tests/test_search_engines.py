"""The engine suite: every engine (the database's own, Whoosh) on every backend passes it."""
from __future__ import annotations

import io
import zipfile

import pytest

from conftest import BACKENDS
from search_support import make_docx, version_ids

ENGINES = ("db", "whoosh", "tantivy")
# Every engine on every backend; on PostgreSQL the database's engine once more with the RUM
# index switched off ("db-gin"), so both of its ranking paths (search/engines/pg_rum.py) pass,
# and once with every chunk written straight to the RUM-indexed table and the chunks of superseded
# versions marked past at once ("db-merged": where the worker's search_merge job leaves them;
# "db" finds them all in search_chunks_recent).
CASES = [(b, e) for b in BACKENDS for e in ENGINES] + [(b, e) for b in BACKENDS if b == "postgresql"
                                                       for e in ("db-gin", "db-merged")]


@pytest.fixture(params=CASES, ids=["-".join(c) for c in CASES])
def case(request):
    return request.param


@pytest.fixture
def backend(case):
    """In this module the backend comes with the engine (conftest's `app` reads it)."""
    return case[0]


@pytest.fixture
def engine(case, app, monkeypatch):
    name = case[1]
    app.config["HANDOVER_SEARCH"] = "db" if name.startswith("db-") else name
    app.config["HANDOVER_SEARCH_RUM"] = name != "db-gin"
    if name == "db-merged":
        from search.engines import pg_merge, postgres_fts
        monkeypatch.setattr(postgres_fts, "NEW_CHUNKS", "search_chunks")
        write = postgres_fts.index_many

        def write_and_mark(entries):
            write(entries)
            pg_merge.mark_batch(10 ** 6)  # in the upload's transaction: the superseded version's chunks
        monkeypatch.setattr(postgres_fts, "index_many", write_and_mark)
    return name


@pytest.fixture
def docs(engine, actions):
    return actions.deliverables()


def ids(actions, who="pm", **params):
    return version_ids(actions.search(who, **params))


def test_compound_words(actions, docs):
    a = actions.upload(docs["test_report"], filename="a.md", data="本次集成测试发现缺陷七个。")["id"]
    b = actions.upload(docs["system_design"], filename="b.txt", data="该服务不可用时切换到备用节点。")["id"]
    c = actions.upload(docs["master_plan"], filename="c.txt", data="缺，陷不是一个词；测 试也不是。")["id"]
    assert ids(actions, q="测试") == {a}
    assert ids(actions, q="缺陷") == {a}
    assert ids(actions, q="发现缺陷七个") == {a}
    assert ids(actions, q="可用") == {b}
    assert ids(actions, q="不可用") == {b}
    assert ids(actions, q="缺陷 可用") == set()
    assert ids(actions, q="集成测试缺陷") == set()  # not contiguous in any text
    assert c  # 缺，陷 and 测 试 are not the words


def test_single_cjk_character(actions, docs):
    a = actions.upload(docs["test_report"], filename="a.md", data="发现缺陷")["id"]
    b = actions.upload(docs["system_design"], filename="b.md", data="尚有欠缺")["id"]   # 缺 ends the run
    c = actions.upload(docs["master_plan"], filename="c.md", data="缺")["id"]          # a run of one
    actions.upload(docs["data_dictionary"], filename="d.md", data="完整无误")
    assert ids(actions, q="缺") == {a, b, c}


def test_english_inside_chinese_docx(actions, docs):
    data = make_docx(["系统采用NebulaGraph图数据库存储关系。"], table=[["组件", "Kafka消息队列"]],
                     header="页眉Confidential", footer="页脚Handover")
    v = actions.upload(docs["system_design"], filename="设计.docx", data=data)["id"]
    for q in ("nebulagraph", "NebulaGraph", "NEBULAGRAPH", "kafka", "消息队列", "confidential", "handover",
              "图数据库", "ＫＡＦＫＡ"):
        assert ids(actions, q=q) == {v}, q
    hit = actions.search(q="kafka")["hits"][0]
    assert "<mark>Kafka</mark>" in hit["snippet"]
    assert hit["filename"] == "设计.docx" and hit["version"] == 1


def test_case_insensitive_and_whole_words(actions, docs):
    v = actions.upload(docs["system_design"], filename="a.txt", data="Deploy with KUBERNETES and Helm charts.")["id"]
    assert ids(actions, q="kubernetes") == {v}
    assert ids(actions, q="Kubernetes HELM") == {v}
    assert ids(actions, q="kube") == set()  # Latin words match whole words


def test_phrase_or_exclude(actions, docs):
    a = actions.upload(docs["system_design"], filename="a.txt", data="graph database and vector index")["id"]
    b = actions.upload(docs["master_plan"], filename="b.txt", data="database graph, vector search")["id"]
    assert ids(actions, q='"graph database"') == {a}
    assert ids(actions, q="graph database") == {a, b}
    assert ids(actions, q="graph -index") == {b}
    assert ids(actions, q='index OR search') == {a, b}
    assert ids(actions, q='graph "vector search" OR "vector index"') == {a, b}
    assert ids(actions, q='"database graph" -"vector index"') == {b}


def test_filters_phase_status_document_project(actions, docs):
    t = actions.upload(docs["test_report"], filename="t.md", data="巡检结论正常")["id"]
    d = actions.upload(docs["system_design"], filename="d.md", data="巡检结论正常")["id"]
    p2 = actions.deliverables("P2", who="pm2")
    o = actions.upload(p2["test_report"], filename="o.md", data="巡检结论正常", who="admin")["id"]
    actions.sign_off(d)
    assert ids(actions, "admin", q="巡检") == {t, d, o}
    r = actions.search("admin", q="巡检", phase="testing")
    assert version_ids(r) == {t, o} and r["total"] == 2
    assert ids(actions, "admin", q="巡检", project="P1", phase="testing") == {t}
    assert ids(actions, "admin", q="巡检", status="signed_off") == {d}
    assert ids(actions, "admin", q="巡检", document="system_design") == {d}
    assert ids(actions, "pm", q="巡检") == {t, d}
    actions.search("pm", expect=404, q="巡检", project="P2")
    actions.search("pm", expect=400, q="巡检", phase="nope")
    actions.search("pm", expect=400, q="巡检", status="nope")


def test_client_isolation_and_latest(actions, docs):
    v1 = actions.upload(docs["system_design"], filename="v1.md", data="初版 设计说明 甲")["id"]
    actions.sign_off(v1)
    v2 = actions.upload(docs["system_design"], filename="v2.md", data="二版 设计说明 乙")["id"]
    p2 = actions.deliverables("P2", who="pm2")
    o = actions.upload(p2["system_design"], filename="o.md", data="设计说明", who="admin")["id"]
    assert ids(actions, "pm", q="设计说明") == {v2}                  # latest only
    assert ids(actions, "pm", q="设计说明", all_versions=1) == {v1, v2}
    assert ids(actions, "client", q="设计说明") == {v1}              # latest signed-off
    assert ids(actions, "client", q="二版") == set()
    assert ids(actions, "client", q="二版", all_versions=1) == set()
    assert ids(actions, "client2", q="设计说明") == set()            # o is not signed off
    actions.sign_off(o, pm="pm2", client="client2")
    assert ids(actions, "client2", q="设计说明") == {o}
    assert ids(actions, "client", q="设计说明", all_versions=1) == {v1}
    assert ids(actions, "outsider", q="设计说明") == set()
    actions.search("client", expect=404, q="设计说明", project="P2")
    actions.sign_off(v2)
    assert ids(actions, "client", q="设计说明") == {v2}
    # v1 (neither the latest nor the latest signed-off) is current no more (PostgreSQL
    # "db-merged": its chunks are marked past): found by an all-versions search only.
    v3 = actions.upload(docs["system_design"], filename="v3.md", data="三版 设计说明 丙")["id"]
    assert ids(actions, "pm", q="设计说明") == {v3}
    assert ids(actions, "pm", q="初版") == set()
    assert ids(actions, "pm", q="初版", all_versions=1) == {v1}
    assert ids(actions, "pm", q="设计说明", all_versions=1) == {v1, v2, v3}
    assert ids(actions, "client", q="设计说明") == {v2}                  # still the latest signed-off
    assert ids(actions, "client", q="设计说明", all_versions=1) == {v1, v2}


def test_pagination_total_and_ranking(actions, docs, clock):
    # Equal relevance needs rows of equal length (bm25 weighs the row's length, and the
    # indexed name carries the document's English name: search.indexed_name), so the
    # documents here all have three-word English names.
    from catalog import get_catalog
    from search.analysis import index_text
    keys = sorted(k for k in docs if len(index_text(get_catalog().document(k).name_en).split()) == 3)
    assert len(keys) == 16
    made = []
    for i, k in enumerate(keys):
        clock.advance(minutes=1)
        made.append(actions.upload(docs[k], filename=f"f{i}.txt", data="运维 手册 " + ("告警 " * (3 if i == 7 else 1)))["id"])
    r = actions.search(q="告警", limit=10)
    assert r["total"] == 16 and len(r["hits"]) == 10
    assert r["hits"][0]["version_id"] == made[7]                  # most relevant first
    assert [h["version_id"] for h in r["hits"][1:4]] == made[15:12:-1]  # then newest
    seen = []
    for off in (0, 10):
        seen += [h["version_id"] for h in actions.search(q="告警", limit=10, offset=off)["hits"]]
    assert len(seen) == 16 and set(seen) == set(made)
    assert actions.search(q="告警", offset=40)["total"] == 16


def test_snippet_escapes_and_marks(actions, docs):
    actions.upload(docs["system_design"], filename="x.html",
                   data="<html><body><p>前言</p><p>注意 &lt;script&gt;alert(1)&lt;/script&gt; 数据库 迁移</p></body></html>")
    hit = actions.search(q="数据库")["hits"][0]
    assert "<mark>数据库</mark>" in hit["snippet"]
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]


def test_file_name_only_types_and_zip_bomb(actions, docs):
    a = actions.upload(docs["system_design"], filename="网络拓扑图.vsdx", data=b"\x00\x01binary")["id"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>")
    b = actions.upload(docs["master_plan"], filename="炸弹计划.docx", data=buf.getvalue())["id"]
    assert ids(actions, q="拓扑") == {a}
    assert ids(actions, q="炸弹") == {b}
    bad = actions.upload(docs["test_report"], filename="损坏报告.pdf", data=b"%PDF-1.4 garbage")["id"]
    assert ids(actions, q="损坏") == {bad}


def test_reindex_rebuilds_from_files(actions, engine, docs, runner):
    v = actions.upload(docs["system_design"], filename="a.md", data="容灾演练方案")["id"]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "reindexed 1 versions" in result.output
    assert ids(actions, q="容灾") == {v}
    actions.upload(docs["master_plan"], filename="b.md", data="容灾计划")
    assert len(ids(actions, q="容灾")) == 2


@pytest.mark.parametrize("q", [
    '"unbalanced', 'OR', 'a OR', 'OR OR -', '-', '"', '""', 'NEAR(a b', 'a*', '*', ':', 'name:x', '^a', 'a AND',
    'NOT', '(a', ')', '{a}', "a'b", 'x' * 999, '缺' * 300, '\x00\x01\x1f测试', '\u202e测试', '%', '\\', 'AND OR NOT',
    '-测试', '测试 -测试',
])
def test_hostile_queries_never_500(actions, docs, client, world, q):
    actions.upload(docs["system_design"], filename="a.md", data="测试 a name x")
    r = client.get("/api/search", headers=world.h("pm"), query_string={"q": q})
    assert r.status_code in (200, 400), (q, r.status_code)
    body = r.get_json()
    if r.status_code == 400:
        assert set(body["error"]) == {"code", "message"}
    else:
        assert body["total"] == len(body["hits"]) or body["total"] > len(body["hits"])


def test_too_long_and_empty_queries(actions, docs):
    assert actions.search(expect=400, q="")["error"]["code"] == "missing_query"
    assert actions.search(expect=400, q="   ")["error"]["code"] == "missing_query"
    assert actions.search(expect=400)["error"]["code"] == "missing_query"
    assert actions.search(expect=400, q="x" * 10_000)["error"]["code"] == "query_too_long"
    actions.search(expect=400, q="a", limit=0)
    actions.search(expect=400, q="a", limit=101)
    actions.search(expect=400, q="a", offset=-1)
    actions.search(expect=400, q="a", limit="x")


def test_long_text_words_far_apart_and_late_phrases(actions, docs):
    """PostgreSQL cuts long texts into tsvector chunks; every engine must still find
    words in different chunks together and a phrase after the 256th use of a term."""
    body = "alpha " + "数据，" * 600 + " ".join(f"w{i}" for i in range(20000)) + " 数据库存量 omega"
    v = actions.upload(docs["system_design"], filename="long.txt", data=body)["id"]
    assert ids(actions, q="alpha omega") == {v}
    assert ids(actions, q='"数据库存量"') == {v}
    assert ids(actions, q='"w19998 w19999"') == {v}
    assert ids(actions, q="alpha -omega") == set()


def test_english_document_names_are_searched(actions, docs, app):
    """An English search finds a version by its document's English catalog name (测试计划 =
    Test plan) whatever the file is called, on every engine, after a rebuild too."""
    plan = actions.upload(docs["test_plan"], filename="测试计划.docx", data=make_docx(["覆盖全部接口。"]))["id"]
    other = actions.upload(docs["system_design"], filename="设计.txt", data="总体架构")["id"]
    assert ids(actions, q="test") == {plan}
    assert ids(actions, q='"test plan"') == {plan}
    assert ids(actions, q="测试计划") == {plan}
    assert other not in ids(actions, q="plan")
    hit = actions.search(q="test")["hits"][0]
    assert hit["filename"] == "测试计划.docx"
    with app.app_context():
        import search
        from core import db
        search.reindex([search.engine_name()])
        db.session().commit()
    assert ids(actions, q="test") == {plan}


def test_versions_of_many_chunks_page_and_count_once(actions, docs, clock, monkeypatch):
    """A long text is many PostgreSQL chunks that all match (a term is cut into a new chunk
    after 255 uses): each version is one hit, counted once, on every page, in a stable order.
    The RUM path reads as few chunks as possible first, so it must read more (and past ties)."""
    from search.engines import pg_rum
    monkeypatch.setattr(pg_rum, "BATCH", 2)
    made = []
    for i, k in enumerate(("system_design", "master_plan", "test_report")):
        clock.advance(minutes=1)
        made.append(actions.upload(docs[k], filename=f"long{i}.txt", data="告警，" * (1500 + 500 * i))["id"])
    actions.upload(docs["data_dictionary"], filename="other.txt", data="无关内容")
    pages = [actions.search(q="告警", limit=1, offset=off) for off in range(4)]
    assert [p["total"] for p in pages] == [3, 3, 3, 3]
    got = [h["version_id"] for p in pages for h in p["hits"]]
    assert sorted(got) == sorted(made) and len(got) == 3
    assert [h["version_id"] for h in actions.search(q="告警", limit=3)["hits"]] == got


def test_ranking_path_is_visible(engine, backend, runner, app):
    """`flask search status` names the engine and, on PostgreSQL, the ranking path: RUM where
    the extension is installed (migration 0012 made its index) unless switched off."""
    out = runner.invoke(args=["search", "status"])
    assert out.exit_code == 0, out.output
    if engine in ("whoosh", "tantivy"):
        assert out.output.startswith(f"engine: {engine}")
    elif backend == "sqlite":
        assert out.output.startswith("engine: sqlite")
    else:
        from sqlalchemy import text
        from core import db
        with app.app_context():
            rum = db.session().scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'rum'")) == 1
        expected = "rum" if rum and engine in ("db", "db-merged") else "gin"
        assert f"engine: postgresql; ranking: {expected} (" in out.output
        assert ("common queries newest first (index ix_search_chunks_newest)" in out.output) == (expected == "rum")
