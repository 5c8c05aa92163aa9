"""PostgreSQL engine: tsvector chunks over the bigram terms, with a GIN index.

The tsvector is built from our own terms (equal to to_tsvector('simple', bigram text)
for these letter/digit-only terms) and queries are cast to tsquery, so no PostgreSQL
parser or dictionary touches them. A tsvector keeps at most 256 positions per term and
positions up to 16383, so a text is cut into chunks (file name = chunk 0) that stay
inside both limits, each overlapping the previous by OVERLAP terms so phrases that
straddle a cut are still found. Each word of the query is checked over all of a version's
chunks (a semi-join per word), so 'a b' finds a in chunk 1 and b in chunk 7.
Ranking, GIN path: the sum of ts_rank over the matching chunks, then newest; visibility and
filters are joined before ranking so a filtered query ranks only what it may return. Where
the RUM index exists (migration 0012, the rum extension) and HANDOVER_SEARCH_RUM is on,
search/engines/pg_rum.py ranks from the index instead (ORDER BY tsv <=> query LIMIT n).
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import Integer, bindparam, cast, column, func, not_, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from core import db
from deliverables.models import Version
from search.analysis import tokens
from search.engines import pg_rum
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import conditions, join_versions

MAX_POS = 16000
MAX_PER_TERM = 255
OVERLAP = 16


def chunks(terms: list[str]) -> list[list[str]]:
    """Cut a term list into chunks within tsvector's limits (overlapping by OVERLAP)."""
    out: list[list[str]] = []
    cur: list[str] = []
    counts: Counter = Counter()
    for t in terms:
        if len(cur) >= MAX_POS or counts[t] >= MAX_PER_TERM:
            out.append(cur)
            cur = cur[-OVERLAP:]
            counts = Counter(cur)
        cur.append(t)
        counts[t] += 1
    if cur or not out:
        out.append(cur)
    return out


def tsvector_literal(terms: list[str]) -> str:
    pos: dict[str, list[int]] = {}
    for i, t in enumerate(terms, 1):
        pos.setdefault(t, []).append(i)
    return " ".join(f"'{t}':" + ",".join(map(str, p)) for t, p in pos.items())


def index(version, name: str, body: str, bulk: bool = False) -> None:
    rows = [{"v": version.id, "c": 0, "t": tsvector_literal(tokens(name))}]
    rows += [{"v": version.id, "c": i, "t": tsvector_literal(ch)} for i, ch in enumerate(chunks(tokens(body)), 1)]
    db.session().execute(text("INSERT INTO search_chunks (version_id, chunk, tsv) "
                              "VALUES (:v, :c, CAST(:t AS tsvector))"), rows)


def index_many(entries) -> None:
    """index() for [(version, name, body)] in one executemany."""
    rows = []
    for version, name, body in entries:
        rows.append({"v": version.id, "c": 0, "t": tsvector_literal(tokens(name))})
        rows += [{"v": version.id, "c": i, "t": tsvector_literal(ch)} for i, ch in enumerate(chunks(tokens(body)), 1)]
    db.session().execute(text("INSERT INTO search_chunks (version_id, chunk, tsv) "
                              "VALUES (:v, :c, CAST(:t AS tsvector))"), rows)


def remove(version_id: int) -> None:
    db.session().execute(text("DELETE FROM search_chunks WHERE version_id = :v"), {"v": version_id})


def clear() -> None:
    db.session().execute(text("TRUNCATE search_chunks"))


def abort_bulk() -> None:
    """Nothing to undo: the transaction's rollback does it."""


def finish_bulk() -> None:
    db.session().execute(text("ANALYZE search_chunks"))


def leaf_tsquery(leaf: Leaf) -> str:
    parts = [f"'{t}'" for t in leaf.terms]
    if leaf.prefix:
        parts[-1] += ":*"
    return "(" + " <-> ".join(parts) + ")"


def _any(leaves) -> str:
    return " | ".join(leaf_tsquery(l) for l in leaves)


CHUNKS = table("search_chunks", column("version_id", Integer), column("tsv", TSVECTOR))


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version id, score)]): ranked from the RUM index where it is in use
    (pg_rum.search), else by the GIN path: one statement, matching chunks joined to the
    visible, filtered versions, then ranked.

    The chunks are joined to versions/deliverables/projects *before* ranking, so the
    planner can start from a narrow filter (project, phase, document) and ts_rank only
    runs on chunks that may be returned."""
    s = db.session()
    positives = q.positive_leaves()
    qany = cast(bindparam("qany", _any(positives)), TSQUERY)
    extra = []
    simple = len(q.required) == 1 and not q.excluded
    if not simple:
        n = 0

        def has(leaf_or_group):
            nonlocal n
            n += 1
            leaves = leaf_or_group.leaves if isinstance(leaf_or_group, AnyOf) else [leaf_or_group]
            sub = text(f"SELECT version_id FROM search_chunks WHERE tsv @@ CAST(:l{n} AS tsquery)").bindparams(
                bindparam(f"l{n}", _any(leaves)))
            return Version.id.in_(sub)
        extra = [has(node) for node in q.required] + [not_(has(leaf)) for leaf in q.excluded]
    if pg_rum.use_rum():
        return pg_rum.search(user, qany, positives, extra, CHUNKS, filters, limit, offset, all_versions)
    conds = conditions(user, filters, all_versions) + extra + [CHUNKS.c.tsv.op("@@")(qany)]
    score = func.sum(func.ts_rank(CHUNKS.c.tsv, qany)).label("score")
    matched = join_versions(select(Version.id, Version.created_at, score)
                            .select_from(CHUNKS).join(Version, Version.id == CHUNKS.c.version_id)
                            ).where(*conds).group_by(Version.id, Version.created_at).subquery("m")
    rows = s.execute(select(matched.c.id, matched.c.score, func.count().over().label("total"))
                     .order_by(matched.c.score.desc(), matched.c.created_at.desc(), matched.c.id.desc())
                     .limit(limit).offset(offset)).all()
    total = rows[0].total if rows else s.scalar(select(func.count()).select_from(matched))
    return total, [(r.id, r.score) for r in rows]
