"""The common-query rule: what a search shows when its words are in very many versions.

A query whose words occur in more than COMMON versions (some phrases match 30-100 % of a
200,000-version archive) is not ranked by relevance: ranking reads every match (bm25's idf
pass, RUM's ordered scan), more than the 100 ms a search may take. Such a query shows the
newest visible matches, up to CAP: those whose indexed name (file name and catalog name)
matches come first, then newest first; the total is exact up to CAP, else AtLeast(CAP), shown
as 'more than CAP' (total_exact false in the API). Users of such a query add words or filters
rather than page past CAP. A project filter never uses the rule.

SQLite FTS5 applies it (sqlite_fts): it counts the versions holding every word, positions not
checked, up to COMMON + 1 (an upper bound of the matches, never a full count), then reads the
newest visible matches (CAP + 1) in rowid order, and page() orders and cuts them.

PostgreSQL with RUM applies it too (pg_rum._search_common) to a latest-only search from
COMMON_PG chunks of current versions (pg_current.py: the only ones such a search reads), expected
from the planner's statistics (counted where there are none yet): the chunks holding the
rarest term of the query's narrowest word, times, when the query is more than that term (a
phrase, a CJK word of three characters or more, other words), the share of its newest
chunks that hold the whole query (a sample). The threshold is in chunks and differs from
SQLite's because ranking costs differently there: RUM's ordered scan sorts every match
(30-40 ms for 20,000 matching chunks at 20,000 versions, ten times that at 200,000),
where FTS5's bm25 over 30,000 matches fits in the 100 ms a search may take. The newest
matches come from the newest-first index (migration 0015), each batch checked for
visibility and the query's words; when WALK chunks hold fewer than CAP + 1 matches this
user may see, the query is ranked after all (nothing is lost, only the order differs).
The GIN path (no rum), Whoosh and tantivy rank every query.
"""
from __future__ import annotations

from search.analysis import index_text
from search.query_syntax import AnyOf, Query

COMMON, CAP = 30_000, 1_000
# Chunks of current versions holding every word (PostgreSQL with RUM). 15,000 while every chunk
# was read; since only current ones are (migration 0016), a word in 10 % of a 200,000-version
# archive is in about 6,000-8,000 of them, and ranking it took 82-241 ms in-process where the
# newest-first walk took 45-102 ms (measured 2026-11-28; at 20,000 versions both thresholds
# gave the same medians).
COMMON_PG = 5_000


class AtLeast(int):
    """A total that is a lower bound: 'more than' this many (the common-query rule)."""
    exact = False


def name_matches(q: Query, name: str) -> bool:
    """True when the indexed name (its terms joined by spaces: index_text) holds every required
    leaf, a phrase's terms in a row, as FTS5's `name : (...)` finds it (exclusions: the
    caller's rows have none)."""
    padded = " " + index_text(name) + " "
    return all(any(" " + " ".join(l.terms) + ("" if l.prefix else " ") in padded
                   for l in (n.leaves if isinstance(n, AnyOf) else (n,))) for n in q.required)


def page(cands: list, in_name: set[int], limit: int, offset: int) -> tuple[int, list[tuple[int, float]]]:
    """(total, [(version id, score)]) from the newest visible matches `cands` (rows with .id and
    .created_at, up to CAP + 1, newest first): file-name matches (`in_name`, score 1) first,
    then newest first; the total exact up to CAP, else AtLeast(CAP)."""
    if not cands:
        return 0, []
    total = len(cands) if len(cands) <= CAP else AtLeast(CAP)
    cands = cands[:CAP]
    cands.sort(key=lambda c: (c.id not in in_name, -c.created_at.timestamp(), -c.id))
    return total, [(c.id, 1.0 if c.id in in_name else 0.0) for c in cands[offset:offset + limit]]
