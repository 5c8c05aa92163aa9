"""The common-query rule (search/common.py), SQLite FTS5's and PostgreSQL's with RUM: a query
whose words occur in more than COMMON versions (PostgreSQL: COMMON_PG chunks of current
versions, latest-only searches: test_search_pg_past.py has the all-versions case) shows the newest
visible matches, file-name matches first, counted up to CAP ('more than CAP' beyond); below
it, ranked over every match with an exact total. COMMON, COMMON_PG and CAP are made small
here, so a handful of versions is "common". Every test runs on both databases."""
from __future__ import annotations

import pytest
from search import common as rule
from search.engines import pg_rum, sqlite_fts
from search_support import version_ids


@pytest.fixture
def docs(app, actions):
    app.config["HANDOVER_SEARCH"] = "db"
    return actions.deliverables()


def common(monkeypatch, cap: int, threshold: int = 2, statistics: bool = False) -> None:
    """Small thresholds. PostgreSQL decides by the planner's statistics where there are any,
    and those of an earlier test's tables may linger: without `statistics` it counts, as on a
    database not yet analysed."""
    monkeypatch.setattr(rule, "COMMON", threshold)
    monkeypatch.setattr(rule, "COMMON_PG", threshold)
    monkeypatch.setattr(rule, "CAP", cap)
    if not statistics:
        monkeypatch.setattr(pg_rum, "chunk_rows", lambda: 0.0)


def upload_five(actions, docs, clock) -> list[int]:
    """Five versions (oldest first) holding 巡检 记录; the fourth also in its file name."""
    made = []
    for i, key in enumerate(("system_design", "master_plan", "test_report", "data_dictionary", "user_manual")):
        clock.advance(minutes=1)
        name = "巡检记录.txt" if i == 3 else f"f{i}.txt"
        made.append(actions.upload(docs[key], filename=name, data=f"第{i}份 巡检 记录 内容")["id"])
    return made


def test_probe_is_a_superset_of_the_match():
    """The count that decides the rule reads the words without positions and exclusions."""
    from search.query_syntax import parse
    assert sqlite_fts.compile_probe(parse('"nebula graph" -x')) == '(("nebula" AND "graph"))'
    assert sqlite_fts.compile_probe(parse("数 OR ab")) == '(("数" *) OR ("ab"))'
    assert sqlite_fts.compile_probe(parse("巡检记录")) == '(("巡检" AND "检记" AND "记录"))'
    assert sqlite_fts.compile_probe(parse('"点 和，边"')) == '(("点和" AND "和"))'   # 边 is a prefix
    assert sqlite_fts.compile_probe(parse('"点 和 边"')) == '(("点和" AND "和边"))'  # spaces join Chinese


def test_below_the_threshold_ranked_with_exact_total(actions, docs, clock, monkeypatch, backend):
    common(monkeypatch, cap=3, threshold=10)  # five versions: six chunks hold the word
    made = upload_five(actions, docs, clock)
    r = actions.search(q="巡检")
    assert r["total"] == 5 and r["total_exact"] is True and version_ids(r) == set(made)
    if backend == "sqlite":
        assert r["hits"][0]["version_id"] == made[3]       # bm25 weighs the file name double


@pytest.mark.parametrize("span", [10, 0], ids=["names-by-fts5", "names-by-stored-text"])
def test_common_query_newest_first_file_names_first(actions, docs, clock, monkeypatch, span):
    common(monkeypatch, cap=10)
    monkeypatch.setattr(sqlite_fts, "NAME_SPAN", span)
    made = upload_five(actions, docs, clock)
    r = actions.search(q="巡检")
    assert r["total"] == 5                                   # all of them found: exact
    assert [h["version_id"] for h in r["hits"]] == [made[3], made[4], made[2], made[1], made[0]]
    assert [h["score"] for h in r["hits"]] == [1.0, 0.0, 0.0, 0.0, 0.0]
    pages = [actions.search(q="巡检", limit=2, offset=o) for o in (0, 2, 4, 6)]
    assert [h["version_id"] for p in pages for h in p["hits"]] == [h["version_id"] for h in r["hits"]]
    assert {p["total"] for p in pages} == {5}


def test_common_query_counts_up_to_cap(app, client, actions, docs, clock, monkeypatch):
    common(monkeypatch, cap=3)
    made = upload_five(actions, docs, clock)
    r = actions.search(q="巡检")
    assert r["total"] == 3 and r["total_exact"] is False     # 'more than 3'
    assert [h["version_id"] for h in r["hits"]] == [made[3], made[4], made[2]]
    assert actions.search(q="巡检", offset=3)["hits"] == []
    assert actions.search(q="第4份")["total_exact"] is True   # not common: exact
    actions.login("pm")
    page = client.get("/search", query_string={"q": "巡检"}).get_data(as_text=True)
    assert "超过 3 条结果" in page and "共 3 条结果" not in page
    client.get("/lang/en")
    page = client.get("/search", query_string={"q": "巡检"}).get_data(as_text=True)
    assert "Results: more than 3; the newest 3 are shown." in page


def test_name_matches_as_fts5_does():
    from search.query_syntax import parse
    assert rule.name_matches(parse("巡检"), "巡检记录.txt")
    assert rule.name_matches(parse('"巡检记录" OR nothing'), "x 巡检记录.txt")
    assert not rule.name_matches(parse("巡检 内容"), "巡检记录.txt")      # every word
    assert rule.name_matches(parse("巡"), "巡检记录.txt")                 # a prefix
    assert rule.name_matches(parse("test plan"), "Test_Plan v2.docx")
    assert not rule.name_matches(parse("test pla"), "Test_Plan v2.docx")  # words are whole


def test_common_query_keeps_phrases_exclusions_and_visibility(actions, docs, clock, monkeypatch):
    common(monkeypatch, cap=10)
    made = upload_five(actions, docs, clock)
    assert ids_of(actions, q='"记录，巡检"') == set()        # the words are common, the phrase is not there
    assert ids_of(actions, q="巡检 -第2份") == set(made) - {made[2]}
    actions.sign_off(made[0])
    newer = actions.upload(docs["system_design"], filename="v2.txt", data="巡检 记录 第二版")["id"]
    assert ids_of(actions, q="巡检") == set(made[1:]) | {newer}          # latest only
    assert ids_of(actions, q="巡检", all_versions=1) == set(made) | {newer}
    assert ids_of(actions, "client", q="巡检") == {made[0]}              # latest signed-off
    assert ids_of(actions, "outsider", q="巡检") == set()
    r = actions.search(q="巡检", document="test_report")
    assert version_ids(r) == {made[2]} and r["total"] == 1


def ids_of(actions, who="pm", **params) -> set[int]:
    return version_ids(actions.search(who, **params))


def test_project_filter_keeps_ranking_and_exact_totals(actions, docs, clock, monkeypatch, backend):
    common(monkeypatch, cap=3)
    made = upload_five(actions, docs, clock)
    r = actions.search(q="巡检", project="P1")
    assert r["total"] == 5 and r["total_exact"] is True              # exact: more than CAP
    assert version_ids(r) == set(made)
    if backend == "sqlite":
        assert r["hits"][0]["version_id"] == made[3]                 # bm25, not the rule's order

