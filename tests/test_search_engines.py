"""The engine suite: every engine (the database's own, Whoosh) on every backend passes it."""
from __future__ import annotations

import io
import zipfile

import pytest

from search_support import deliverables, make_docx, search, sign_off, upload, version_ids


@pytest.fixture(params=["db", "whoosh"])
def engine(request, app):
    app.config["HANDOVER_SEARCH"] = request.param
    return request.param


@pytest.fixture
def docs(engine, client, world):
    return deliverables(client, world)


def ids(client, world, who="pm", **params):
    return version_ids(search(client, world, who, **params))


def test_compound_words(docs, client, world):
    a = upload(client, world, docs["test_report"], "a.md", "本次集成测试发现缺陷七个。")["id"]
    b = upload(client, world, docs["system_design"], "b.txt", "该服务不可用时切换到备用节点。")["id"]
    c = upload(client, world, docs["master_plan"], "c.txt", "缺，陷不是一个词；测 试也不是。")["id"]
    assert ids(client, world, q="测试") == {a}
    assert ids(client, world, q="缺陷") == {a}
    assert ids(client, world, q="发现缺陷七个") == {a}
    assert ids(client, world, q="可用") == {b}
    assert ids(client, world, q="不可用") == {b}
    assert ids(client, world, q="缺陷 可用") == set()
    assert ids(client, world, q="集成测试缺陷") == set()  # not contiguous in any text
    assert c  # 缺，陷 and 测 试 are not the words


def test_single_cjk_character(docs, client, world):
    a = upload(client, world, docs["test_report"], "a.md", "发现缺陷")["id"]
    b = upload(client, world, docs["system_design"], "b.md", "尚有欠缺")["id"]   # 缺 ends the run
    c = upload(client, world, docs["master_plan"], "c.md", "缺")["id"]          # a run of one
    upload(client, world, docs["data_dictionary"], "d.md", "完整无误")
    assert ids(client, world, q="缺") == {a, b, c}


def test_english_inside_chinese_docx(docs, client, world):
    data = make_docx(["系统采用NebulaGraph图数据库存储关系。"], table=[["组件", "Kafka消息队列"]],
                     header="页眉Confidential", footer="页脚Handover")
    v = upload(client, world, docs["system_design"], "设计.docx", data)["id"]
    for q in ("nebulagraph", "NebulaGraph", "NEBULAGRAPH", "kafka", "消息队列", "confidential", "handover",
              "图数据库", "ＫＡＦＫＡ"):
        assert ids(client, world, q=q) == {v}, q
    hit = search(client, world, q="kafka")["hits"][0]
    assert "<mark>Kafka</mark>" in hit["snippet"]
    assert hit["filename"] == "设计.docx" and hit["version"] == 1


def test_case_insensitive_and_whole_words(docs, client, world):
    v = upload(client, world, docs["system_design"], "a.txt", "Deploy with KUBERNETES and Helm charts.")["id"]
    assert ids(client, world, q="kubernetes") == {v}
    assert ids(client, world, q="Kubernetes HELM") == {v}
    assert ids(client, world, q="kube") == set()  # Latin words match whole words


def test_phrase_or_exclude(docs, client, world):
    a = upload(client, world, docs["system_design"], "a.txt", "graph database and vector index")["id"]
    b = upload(client, world, docs["master_plan"], "b.txt", "database graph, vector search")["id"]
    assert ids(client, world, q='"graph database"') == {a}
    assert ids(client, world, q="graph database") == {a, b}
    assert ids(client, world, q="graph -index") == {b}
    assert ids(client, world, q='index OR search') == {a, b}
    assert ids(client, world, q='graph "vector search" OR "vector index"') == {a, b}
    assert ids(client, world, q='"database graph" -"vector index"') == {b}


def test_filters_phase_status_document_project(docs, client, world):
    t = upload(client, world, docs["test_report"], "t.md", "巡检结论正常")["id"]
    d = upload(client, world, docs["system_design"], "d.md", "巡检结论正常")["id"]
    p2 = deliverables(client, world, "P2", who="pm2")
    o = upload(client, world, p2["test_report"], "o.md", "巡检结论正常", who="admin")["id"]
    sign_off(client, world, d)
    assert ids(client, world, "admin", q="巡检") == {t, d, o}
    r = search(client, world, "admin", q="巡检", phase="testing")
    assert version_ids(r) == {t, o} and r["total"] == 2
    assert ids(client, world, "admin", q="巡检", project="P1", phase="testing") == {t}
    assert ids(client, world, "admin", q="巡检", status="signed_off") == {d}
    assert ids(client, world, "admin", q="巡检", document="system_design") == {d}
    assert ids(client, world, "pm", q="巡检") == {t, d}
    search(client, world, "pm", expect=404, q="巡检", project="P2")
    search(client, world, "pm", expect=400, q="巡检", phase="nope")
    search(client, world, "pm", expect=400, q="巡检", status="nope")


def test_client_isolation_and_latest(docs, client, world):
    v1 = upload(client, world, docs["system_design"], "v1.md", "初版 设计说明 甲")["id"]
    sign_off(client, world, v1)
    v2 = upload(client, world, docs["system_design"], "v2.md", "二版 设计说明 乙")["id"]
    p2 = deliverables(client, world, "P2", who="pm2")
    o = upload(client, world, p2["system_design"], "o.md", "设计说明", who="admin")["id"]
    assert ids(client, world, "pm", q="设计说明") == {v2}                  # latest only
    assert ids(client, world, "pm", q="设计说明", all_versions=1) == {v1, v2}
    assert ids(client, world, "client", q="设计说明") == {v1}              # latest signed-off
    assert ids(client, world, "client", q="二版") == set()
    assert ids(client, world, "client", q="二版", all_versions=1) == set()
    assert ids(client, world, "client2", q="设计说明") == set()            # o is not signed off
    sign_off(client, world, o, pm="pm2", cl="client2")
    assert ids(client, world, "client2", q="设计说明") == {o}
    assert ids(client, world, "client", q="设计说明", all_versions=1) == {v1}
    assert ids(client, world, "outsider", q="设计说明") == set()
    search(client, world, "client", expect=404, q="设计说明", project="P2")
    sign_off(client, world, v2)
    assert ids(client, world, "client", q="设计说明") == {v2}


def test_pagination_total_and_ranking(docs, client, world, clock):
    keys = sorted(docs)[:25]
    made = []
    for i, k in enumerate(keys):
        clock.advance(minutes=1)
        made.append(upload(client, world, docs[k], f"f{i}.txt", "运维 手册 " + ("告警 " * (3 if i == 7 else 1)))["id"])
    r = search(client, world, q="告警", limit=10)
    assert r["total"] == 25 and len(r["hits"]) == 10
    assert r["hits"][0]["version_id"] == made[7]                  # most relevant first
    assert [h["version_id"] for h in r["hits"][1:4]] == made[24:21:-1]  # then newest
    seen = []
    for off in (0, 10, 20):
        seen += [h["version_id"] for h in search(client, world, q="告警", limit=10, offset=off)["hits"]]
    assert len(seen) == 25 and set(seen) == set(made)
    assert search(client, world, q="告警", offset=40)["total"] == 25


def test_snippet_escapes_and_marks(docs, client, world):
    upload(client, world, docs["system_design"], "x.html",
           "<html><body><p>前言</p><p>注意 &lt;script&gt;alert(1)&lt;/script&gt; 数据库 迁移</p></body></html>")
    hit = search(client, world, q="数据库")["hits"][0]
    assert "<mark>数据库</mark>" in hit["snippet"]
    assert "<script>" not in hit["snippet"] and "&lt;script&gt;" in hit["snippet"]


def test_file_name_only_types_and_zip_bomb(docs, client, world):
    a = upload(client, world, docs["system_design"], "网络拓扑图.vsdx", b"\x00\x01binary")["id"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<a>" + b" " * (300 * 1024 * 1024) + b"</a>")
    b = upload(client, world, docs["master_plan"], "炸弹计划.docx", buf.getvalue())["id"]
    assert ids(client, world, q="拓扑") == {a}
    assert ids(client, world, q="炸弹") == {b}
    bad = upload(client, world, docs["test_report"], "损坏报告.pdf", b"%PDF-1.4 garbage")["id"]
    assert ids(client, world, q="损坏") == {bad}


def test_reindex_rebuilds_from_files(engine, docs, app, client, world, runner):
    v = upload(client, world, docs["system_design"], "a.md", "容灾演练方案")["id"]
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "reindexed 1 versions" in result.output
    assert ids(client, world, q="容灾") == {v}
    upload(client, world, docs["master_plan"], "b.md", "容灾计划")
    assert len(ids(client, world, q="容灾")) == 2


@pytest.mark.parametrize("q", [
    '"unbalanced', 'OR', 'a OR', 'OR OR -', '-', '"', '""', 'NEAR(a b', 'a*', '*', ':', 'name:x', '^a', 'a AND',
    'NOT', '(a', ')', '{a}', "a'b", 'x' * 999, '缺' * 300, '\x00\x01\x1f测试', '\u202e测试', '%', '\\', 'AND OR NOT',
    '-测试', '测试 -测试',
])
def test_hostile_queries_never_500(docs, client, world, q):
    upload(client, world, docs["system_design"], "a.md", "测试 a name x")
    r = client.get("/api/search", headers=world.h("pm"), query_string={"q": q})
    assert r.status_code in (200, 400), (q, r.status_code)
    body = r.get_json()
    if r.status_code == 400:
        assert set(body["error"]) == {"code", "message"}
    else:
        assert body["total"] == len(body["hits"]) or body["total"] > len(body["hits"])


def test_too_long_and_empty_queries(docs, client, world):
    assert search(client, world, expect=400, q="")["error"]["code"] == "missing_query"
    assert search(client, world, expect=400, q="   ")["error"]["code"] == "missing_query"
    assert search(client, world, expect=400)["error"]["code"] == "missing_query"
    assert search(client, world, expect=400, q="x" * 10_000)["error"]["code"] == "query_too_long"
    search(client, world, expect=400, q="a", limit=0)
    search(client, world, expect=400, q="a", limit=101)
    search(client, world, expect=400, q="a", offset=-1)
    search(client, world, expect=400, q="a", limit="x")


def test_long_text_words_far_apart_and_late_phrases(docs, client, world):
    """PostgreSQL cuts long texts into tsvector chunks; every engine must still find
    words in different chunks together and a phrase after the 256th use of a term."""
    body = "alpha " + "数据，" * 600 + " ".join(f"w{i}" for i in range(20000)) + " 数据库存量 omega"
    v = upload(client, world, docs["system_design"], "long.txt", body)["id"]
    assert ids(client, world, q="alpha omega") == {v}
    assert ids(client, world, q='"数据库存量"') == {v}
    assert ids(client, world, q='"w19998 w19999"') == {v}
    assert ids(client, world, q="alpha -omega") == set()
