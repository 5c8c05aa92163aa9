"""PostgreSQL engine: tsvector chunks over the bigram terms, with a GIN index.

The tsvector is read from our own terms (tsvector_text, written with COPY) and queries are
cast to tsquery, so no PostgreSQL parser or dictionary touches them. A tsvector keeps at most
256 positions per term and positions up to 16383, so a text is cut into chunks (file name =
chunk 0) that stay inside both limits, each overlapping the previous by OVERLAP terms so
phrases that straddle a cut are still found. Each word of the query is checked over all of a version's
chunks (a semi-join per word), so 'a b' finds a in chunk 1 and b in chunk 7.
Ranking, GIN path: the sum of ts_rank over the matching chunks (with several required words:
the chunks holding the narrowest one, pg_rum.narrowest), by that word's terms less those
in nearly every chunk (pg_rum.rank_tsquery), then newest; visibility and filters are joined
before ranking so a filtered query ranks only what it may return. Where
the RUM index exists (migration 0012, the rum extension) and HANDOVER_SEARCH_RUM is on,
search/engines/pg_rum.py ranks from the index instead (ORDER BY tsv <=> query LIMIT n).

Where the chunks live (migration 0014): new chunks are written to search_chunks_recent (GIN,
cheap to insert) and moved into search_chunks (RUM or GIN) by the worker's search_merge job
(pg_merge.py). Chunks of versions no longer current are marked past (migration 0016,
pg_current.py): a latest-only query reads the current chunks of the view search_chunks_all,
an all-versions query every chunk (chunks_views).
"""
from __future__ import annotations

from collections import Counter

from sqlalchemy import Boolean, Integer, bindparam, cast, column, except_, func, intersect, not_, select, table, text
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR

from core import db
from deliverables.models import Version
from search.analysis import tokens
from search.engines import pg_current, pg_rum
from search.query_syntax import AnyOf, Leaf, Query
from search.scope import conditions, join_versions

MAX_POS = 16000
# Memory for this transaction's sorts, hashes and RUM's scans (PostgreSQL's default is 4 MB):
# measured at 20,000 versions, the count of '"点 和 边"' (then read as 点 和 边 apart, ending in
# the prefix term 边: RUM gathers every term it begins) spilled 9 MB to temporary files and took
# 57 ms; 21 ms with this.
WORK_MEM = "64MB"
MAX_PER_TERM = 255
OVERLAP = 16


def chunks(terms: list[str]) -> list[list[str]]:
    """Cut a term list into chunks within tsvector's limits (overlapping by OVERLAP)."""
    if len(terms) <= MAX_POS:  # the usual text: one chunk, checked by one C-speed count
        counts = Counter(terms)
        if not counts or max(counts.values()) <= MAX_PER_TERM:
            return [terms]
    out: list[list[str]] = []
    cur: list[str] = []
    counts = Counter()
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


# What follows term i: "':i '" (its position, then the next entry's opening quote), made once.
_AFTER = [f"':{i} '" for i in range(MAX_POS + OVERLAP + 2)]


def tsvector_text(terms: list[str]) -> str:
    """The tsvector input of a chunk as written: one entry per term, in order ('a':1 'b':2
    'a':3). The server's tsvector input merges a term's entries (tests/test_search_pg_vectors.py
    compares it with the grouped form), so no Python loop groups them and no text parser is
    involved. Terms are letters and digits (search.analysis), never a quote or a space, at most
    MAX_TOKEN characters. Built by one join of the terms interleaved with _AFTER (C speed:
    4.4x faster than formatting each entry, measured on 60 corpus texts)."""
    n = len(terms)
    if not n:
        return ""
    parts = [""] * (2 * n)
    parts[::2] = terms
    parts[1::2] = _AFTER[1:n + 1] if n < len(_AFTER) else [f"':{i} '" for i in range(1, n + 1)]
    return "'" + "".join(parts)[:-2]


RECENT = "search_chunks_recent"  # new chunks, until pg_merge moves them into search_chunks
NEW_CHUNKS = RECENT  # where index() writes (a test writes straight to search_chunks)


def index(version, name: str, body: str, bulk: bool = False) -> None:
    """Write a version's chunks (file name, then body) to the recent table, searchable at once."""
    index_many([(version, name, body)])


def index_many(entries) -> None:
    """index() for [(version, name, body)]: one COPY into the recent table (db.copy_rows, in
    the session's transaction), fed while the texts are cut into terms, so the server reads
    the vectors and builds their index entries while the next text is being analysed.
    Measured with the bulk import at 2,000 versions: an executemany of INSERTs building each
    vector with to_tsvector took 1.7 ms a version, waited for after the analysis."""
    db.copy_rows(NEW_CHUNKS, ("version_id", "chunk", "tsv"),
                 ((version.id, i, tsvector_text(terms)) for version, name, body in entries
                  for i, terms in enumerate([tokens(name)] + chunks(tokens(body)))))


def remove(version_id: int) -> None:
    """Drop a version's chunks from both tables. The recent table first: a merge moving them
    right now holds their rows, so this waits for it and then finds them in search_chunks."""
    s = db.session()
    s.execute(text(f"DELETE FROM {RECENT} WHERE version_id = :v"), {"v": version_id})
    s.execute(text("DELETE FROM search_chunks WHERE version_id = :v"), {"v": version_id})


def clear() -> None:
    db.session().execute(text(f"TRUNCATE search_chunks, {RECENT}"))


def abort_bulk() -> None:
    """Nothing to undo: the transaction's rollback does it."""


def finish_bulk() -> None:
    db.session().execute(text(f"ANALYZE search_chunks, {RECENT}"))


def leaf_tsquery(leaf: Leaf) -> str:
    parts = [f"'{t}'" for t in leaf.terms]
    if leaf.prefix:
        parts[-1] += ":*"
    return "(" + " <-> ".join(parts) + ")"


def _any(leaves) -> str:
    return " | ".join(leaf_tsquery(l) for l in leaves)


def _view(name: str, *more):
    return table(name, column("version_id", Integer), column("chunk", Integer), column("tsv", TSVECTOR), *more)


def chunks_views(all_versions: bool, rum: bool) -> tuple:
    """(joined, matched): the chunks a query reads (columns version_id, chunk, tsv), as joined
    to versions and probed per version (`joined`) and as matched by its words through an index
    (`matched`: the set operations, the counts). A latest-only search reads the current chunks
    and the recent table: search_chunks_all with NOT past, a subquery the planner flattens, so
    joins still probe it by version id (pg_current says why). An all-versions search probes
    every chunk of search_chunks_all (flattenable, through the primary key) and, on the RUM path,
    matches through search_chunks_parts, whose legs each read their own partial index (a plain
    match of search_chunks could use neither); the GIN path's one index serves both."""
    every = _view(pg_current.ALL_VIEW, column("past", Boolean))
    if all_versions:
        return every, (_view(pg_current.PARTS_VIEW) if rum else every)
    current = select(every.c.version_id, every.c.chunk, every.c.tsv).where(not_(every.c.past)).subquery("chunks")
    return current, current


CHUNKS = chunks_views(False, True)[0]  # what a latest-only search reads


def _leaves(node) -> list[Leaf]:
    return list(node.leaves) if isinstance(node, AnyOf) else [node]


def every_tsquery(q: Query) -> str:
    """Every required word (its alternatives joined by |) joined by &, phrases kept: what a
    version's name chunk must hold to come first under the common-query rule, as
    common.name_matches tests a stored name."""
    return " & ".join("(" + _any(_leaves(n)) + ")" for n in q.required)


def search(user, q: Query, filters, limit: int, offset: int, all_versions: bool):
    """(total, [(version id, score)]): ranked from the RUM index where it is in use
    (pg_rum.search), else by the GIN path: one statement, matching chunks joined to the
    visible, filtered versions, then ranked; its totals are exact. The RUM path applies the
    common-query rule (search/common.py) from COMMON_PG chunks of the versions it reads (current
    ones, or every one for an all-versions search: pg_rum._parts), reading the newest matches
    from the newest-first indexes of migrations 0015 and 0016 (an earlier trial without them
    read each candidate's chunks from the table: about 30 µs a version, 350 ms for a word in
    10 % of 200,000 versions).

    The chunks are joined to versions/deliverables/projects *before* ranking, so the
    planner can start from a narrow filter (project, phase, document) and ts_rank only
    runs on chunks that may be returned."""
    s = db.session()
    s.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))  # until the transaction ends (a request's)
    rum = pg_rum.use_rum()
    view, matched = chunks_views(all_versions, pg_rum.rum_index())
    positives = q.positive_leaves()
    qany = cast(bindparam("qany", _any(positives)), TSQUERY)
    extra = []
    # The distinct matching version ids: every required word (in any chunk of the version),
    # no excluded one; as set operations over index scans, never a scan of every chunk.
    matching = select(matched.c.version_id).where(matched.c.tsv.op("@@")(qany)).distinct()
    simple = len(q.required) == 1 and not q.excluded
    if not simple:
        n = 0

        def ids(leaf_or_group):
            nonlocal n
            n += 1
            leaves = leaf_or_group.leaves if isinstance(leaf_or_group, AnyOf) else [leaf_or_group]
            return select(matched.c.version_id).where(
                matched.c.tsv.op("@@")(cast(bindparam(f"l{n}", _any(leaves)), TSQUERY)))

        required, excluded = [ids(node) for node in q.required], [ids(leaf) for leaf in q.excluded]
        extra = [Version.id.in_(sub) for sub in required] + [not_(Version.id.in_(sub)) for sub in excluded]
        matching = intersect(*required) if len(required) > 1 else select(required[0].subquery().c.version_id)
        if excluded:
            matching = except_(matching, *excluded)
    # The chunks that are ranked: with several required words, those of the narrowest one only
    # (pg_rum.narrowest over each required word's (tsquery, leaves)); the others are checked
    # per version by `extra`. They rank by that word's terms less the ubiquitous ones
    # (pg_rum.rank_tsquery).
    stream, leaves = (_any(positives), positives) if simple else pg_rum.narrowest(
        [(_any(_leaves(n)), _leaves(n)) for n in q.required])
    qstream = qany if simple else cast(bindparam("qstream", stream), TSQUERY)
    qrank = cast(bindparam("qrank", pg_rum.rank_tsquery(leaves)), TSQUERY)
    if rum:
        # The common-query path walks the streamed word's rarest terms (pg_rum.rarest_terms:
        # from the index alone, no phrase checked on the chunk) and checks per version, as
        # (tsquery, present?): that word itself when it is more than one term (a phrase, a CJK
        # word) or a prefix, the other required words, the excluded ones.
        exact = all(len(l.terms) == 1 and not l.prefix for l in leaves)
        words = [] if simple else [_any(_leaves(n)) for n in q.required]
        checks = ([] if exact else [(stream, True)]) + [(w, True) for w in words if w != stream]
        checks += [(_any(_leaves(x)), False) for x in q.excluded]
        common = pg_rum.Common(every_tsquery(q), pg_rum.rarest_terms(leaves), checks, sample=not (exact and simple))
        return pg_rum.search(user, qany, qstream, qrank, extra, matching, view, filters, limit, offset,
                             all_versions, common)
    # The GIN path reads `matched`: where the RUM index exists but is switched off, its partial
    # indexes serve an all-versions match only through search_chunks_parts.
    conds = conditions(user, filters, all_versions) + extra + [matched.c.tsv.op("@@")(qstream)]
    score = func.sum(func.ts_rank(matched.c.tsv, qrank)).label("score")
    ranked = join_versions(select(Version.id, Version.created_at, score)
                           .select_from(matched).join(Version, Version.id == matched.c.version_id)
                           ).where(*conds).group_by(Version.id, Version.created_at).subquery("m")
    rows = s.execute(select(ranked.c.id, ranked.c.score, func.count().over().label("total"))
                     .order_by(ranked.c.score.desc(), ranked.c.created_at.desc(), ranked.c.id.desc())
                     .limit(limit).offset(offset)).all()
    total = rows[0].total if rows else s.scalar(select(func.count()).select_from(ranked))
    return total, [(r.id, r.score) for r in rows]
