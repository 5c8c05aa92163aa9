"""PostgreSQL ranking from the index: the RUM path of the PostgreSQL engine (issue 17).

With the `rum` extension (Debian: postgresql-15-rum) migration 0012 puts a RUM index over
search_chunks.tsv (rum_tsvector_ops: lexeme positions stored in the index) in place of GIN.
An unfiltered query then reads chunks from that index in rank order (ORDER BY tsv <=> query,
through a server-side cursor, in growing batches) and stops as soon as the page is certain,
instead of computing ts_rank over every matching chunk read back from the table (the GIN path
in postgres_fts.py, used where RUM is absent or switched off). RUM ranks every match inside
the index (no table reads), so its cost still grows with the number of matches, but slowly.

Ranking: a version ranks by its best chunk (most versions have two: the file name and one
body chunk); equal distances, newest first. Chunks are ordered by the narrowest required
word's terms joined by & (RUM's ordered scan does not rank the phrase operator <->), less those
found in nearly every chunk (rank_tsquery), while the match is still the whole query. A
filtered query (project, phase, status, document) ranks its few candidates in one statement,
filter first; so does a query of several words with few matches (_rank_listed).
`total` is exact: the matching version ids (set operations over index scans) counted where
the user may see them (scope.visible_matches), except for a common query (search/common.py:
more than COMMON_PG chunks hold its words), which shows the newest visible matches, read from
the second RUM index of migration 0015 (each term's chunks by version id, newest first, a
scan that stops early) and counted up to CAP (_search_common). New chunks wait in search_chunks_recent until
the worker's search_merge job moves them here (pg_merge.py); they are ranked by the same
distance and merged into the index's order (_ranked_chunks).

Only the current chunks are read by a latest-only search (pg_current.py, migration 0016): both
RUM indexes above are partial (WHERE NOT past), and the chunks of superseded versions, marked
past, have RUM indexes of their own (ranked and newest-first) that an all-versions search
reads too: its ranked scan and its common-query walk merge both parts.

Which path runs: RUM when HANDOVER_SEARCH_RUM is on (default) and the index exists; the
answer is cached per app and logged once ("search: PostgreSQL ranks with ...");
`flask search status` prints it.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Boolean, Integer, bindparam, cast, column, exists, func, literal, not_, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY, TSVECTOR

from core import db
from deliverables.models import Version
from search import common as rule
from search.scope import conditions, join_versions, visible_matches

INDEX = "ix_search_chunks_rum"
NEWEST = "ix_search_chunks_newest"  # migration 0015: each term's chunks, newest version first
NEWEST_KEY = "handover.search_newest_index"
PAST_NEWEST = "ix_search_chunks_past_newest"  # migration 0016: the same over the past chunks
PAST_NEWEST_KEY = "handover.search_past_newest_index"
LAST_ID = 2147483647  # ORDER BY version_id <=| LAST_ID: the newest index's order, newest first
SAMPLE = 64  # a walk's density: the whole query checked on this many of its newest chunks (each read back: about 90 µs a chunk at 200,000 versions, 28 ms for 256)
WALK = 8000  # chunks the newest-first walk reads at most before the query is ranked instead
BATCH = 200  # chunks read from the index at first, then twice as many each time, up to MAX_BATCH
MAX_BATCH = 3200
UBIQUITOUS = 0.45  # a term in this share of chunks (nearly every body chunk) does not rank (rank_tsquery)
LISTED = 20_000  # a multi-word query's visible matches are listed once up to this many (search)
# Up to this many listed matches are ranked one by one (_rank_listed). Measured in-process, 30 two-word
# queries of the bench: 300 / 1,000 / 2,000 took 1,096-1,177 / 1,094-1,148 / 1,019-1,100 ms in all
# at 20,000 versions, and 300 / 2,000 / 8,000 took 3,474 / 3,237 / 4,715 ms (15 queries) at 200,000.
RANK_LISTED = 2000
CACHE_KEY = "handover.search_rum_index"
STATS_KEY = "handover.search_term_shares"
STATS_TTL_S = 600.0  # the planner's statistics change slowly (autovacuum's ANALYZE)
MAIN = table("search_chunks", column("version_id", Integer), column("tsv", TSVECTOR), column("past", Boolean))  # RUM-indexed
RECENT = table("search_chunks_recent", column("version_id", Integer), column("tsv", TSVECTOR))  # pg_merge
log = logging.getLogger(__name__)


def index_exists(name: str = INDEX) -> bool:
    """True when search_chunks has the index `name`: by default the RUM index of migration
    0012 (rum was installed on the server)."""
    return db.session().scalar(text("SELECT 1 FROM pg_indexes WHERE tablename = 'search_chunks' "
                                    "AND indexname = :i"), {"i": name}) is not None


def rum_index() -> bool:
    """True when the RUM index of migration 0012 exists (cached per app, logged once): then the
    chunk indexes are partial (migration 0016: current chunks, past ones), whether or not this
    app ranks with RUM."""
    found = current_app.extensions.get(CACHE_KEY)
    if found is None:
        found = current_app.extensions[CACHE_KEY] = index_exists()
        log.info("search: PostgreSQL %s", f"has the RUM index {INDEX}" if found else
                 "has no RUM index: it ranks with GIN (install postgresql-15-rum, then `flask db upgrade` on a "
                 "fresh database, or downgrade this one to 0011 and upgrade it again)")
    return found


def ranking_path() -> tuple[str, str]:
    """('rum' | 'gin', why): the path the PostgreSQL engine takes in this app."""
    if not current_app.config.get("HANDOVER_SEARCH_RUM", True):
        return "gin", "HANDOVER_SEARCH_RUM=0"
    return ("rum", f"index {INDEX}") if rum_index() else ("gin", "rum extension or index absent")


def use_rum() -> bool:
    return ranking_path()[0] == "rum"


def newest_index(all_versions: bool = False) -> bool:
    """True when migration 0015 made the newest-first index (cached per app) and, for an
    all-versions search, 0016 its twin over the past chunks."""
    wanted = [(NEWEST_KEY, NEWEST)] + ([(PAST_NEWEST_KEY, PAST_NEWEST)] if all_versions else [])
    for key, name in wanted:
        found = current_app.extensions.get(key)
        if found is None:
            found = current_app.extensions[key] = index_exists(name)
        if not found:
            return False
    return True


@dataclass
class Common:
    """What the common-query rule needs of a query (postgres_fts builds it): `every` required
    word as one tsquery, phrases kept (what a name chunk must hold to come first, and what the
    sample tests); `walk`, the streamed word's rarest terms (rarest_terms: what the walk
    reads from the newest-first index, a superset of the word); `checks`, what each walked
    version must pass [(tsquery, present?)]: the streamed word itself when `walk` is wider,
    the other required words, the excluded ones; `sample`: whether `walk` may be wider than
    the whole query (then its density is sampled before walking). `walk_terms` holds the
    walk's terms as (term, prefix?) (rarest_terms); `walk` is their tsquery."""
    every: str
    walk_terms: list[tuple[str, bool]]
    checks: list
    sample: bool = True

    @property
    def walk(self) -> str:
        return " | ".join(f"'{t}'" + (":*" if prefix else "") for t, prefix in self.walk_terms)


def rarest_terms(leaves) -> list[tuple[str, bool]]:
    """Each leaf's rarest term (term_shares; a trailing prefix term only when alone, then as a
    prefix), once each, as (term, prefix?): what a common query's walk reads from the
    newest-first index (Common.walk). One term a leaf because that index's ordered scan starts
    slower with every term it intersects: at 200,000 versions, 16 ms for the three bigrams of
    '示例数据' (数据 is in nearly every chunk), 3.9 ms for '例数' alone."""
    shares, unlisted = term_shares()

    def one(leaf) -> tuple[str, bool]:
        terms = leaf.terms[:-1] if leaf.prefix else leaf.terms
        if not terms:
            return leaf.terms[-1], True
        return min(terms, key=lambda t: shares.get(t, unlisted)), False
    return list(dict.fromkeys(one(leaf) for leaf in leaves))


def rank_tsquery(leaves) -> str:
    """The tsquery the ranking orders by: the narrowest required word's leaves (its
    alternatives, joined by |), each by its terms joined by & (RUM's ordered scan does not rank
    the phrase operator <->: it returns those matches in table order), leaving out the terms
    found in nearly every chunk (UBIQUITOUS, from term_shares), but never the leaf's rarest.
    Why: RUM's distance (and ts_rank) walks every position of each term, and a term of nearly
    every text has dozens per chunk while telling no chunk from another. Measured at 20,000
    versions: the ordered scan of '"nebula graph"' (both words in every text) took 169 ms ranked
    by both, 56 ms by 'nebula'. The match is still the whole query (qany)."""
    shares, unlisted = term_shares()

    def one(leaf) -> str:
        terms = leaf.terms[:-1] if leaf.prefix else leaf.terms
        if not terms:  # a lone prefix term
            return f"('{leaf.terms[-1]}':*)"
        rarest = min(terms, key=lambda t: shares.get(t, unlisted))
        kept = [t for t in dict.fromkeys(terms) if t == rarest or shares.get(t, unlisted) < UBIQUITOUS]
        return "(" + " & ".join(f"'{t}'" for t in kept) + ")"
    return " | ".join(one(leaf) for leaf in leaves)


def term_shares() -> tuple[dict[str, float], float]:
    """({term: share of chunks holding it}, the share assumed for a term not listed): the
    planner's statistics of both chunk tables (their most common lexemes, kept by ANALYZE, over
    every chunk: past ones too, taken to hold terms as often as current ones),
    weighted by the tables' row counts; read once per STATS_TTL_S per app. A term a table does
    not list counts there as its least common listed one. Without statistics every term looks
    alike (1.0)."""
    return _statistics()[0]


def chunk_rows(all_versions: bool = False) -> float:
    """The chunks a search reads, by the planner's statistics: a latest-only one the current
    chunks of search_chunks (its partial RUM index's entries), an all-versions one every chunk,
    and the recent table's (0 without statistics)."""
    return _statistics()[2 if all_versions else 1]


def _statistics() -> tuple[tuple[dict[str, float], float], float, float]:
    """(term_shares, chunk_rows(), chunk_rows(True)), read together and cached per app for
    STATS_TTL_S."""
    cached = current_app.extensions.get(STATS_KEY)
    if cached is not None and time.monotonic() - cached[0] < STATS_TTL_S:
        return cached[1:]
    # The rows of search_chunks that count are its current ones (a latest-only search reads no
    # other: pg_current), as many as the entries of its partial RUM index; the table's own count
    # where there is none (the GIN path, before a first ANALYZE).
    rows = db.session().execute(text(
        "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, greatest(CASE "
        "  WHEN s.tablename = 'search_chunks' THEN coalesce((SELECT nullif(greatest(i.reltuples, 0), 0) "
        "    FROM pg_class i WHERE i.relname = :rum AND i.relnamespace = c.relnamespace), c.reltuples) "
        "  ELSE c.reltuples END, 0), greatest(c.reltuples, 0) "
        "FROM pg_stats s JOIN pg_class c ON c.relname = s.tablename AND c.relnamespace = "
        "current_schema()::regnamespace WHERE s.schemaname = current_schema() "
        "AND s.tablename IN ('search_chunks', 'search_chunks_recent') AND s.attname = 'tsv'"), {"rum": INDEX}).all()
    tables = []  # ({term: share}, least listed share, rows)
    every = 0.0
    for elems, freqs, n, rows_all in rows:
        if elems and n:
            listed = dict(zip(elems, freqs[:len(elems)]))  # then three more: min, max, nulls
            tables.append((listed, min(listed.values()), n))
            every += rows_all
    found: tuple[dict[str, float], float] = ({}, 1.0)
    total = 0.0
    if tables:
        total = sum(n for _, _, n in tables)
        terms = set().union(*(listed for listed, _, _ in tables))
        found = ({t: sum(listed.get(t, least) * n for listed, least, n in tables) / total for t in terms},
                 sum(least * n for _, least, n in tables) / total)
    current_app.extensions[STATS_KEY] = (time.monotonic(), found, total, every)
    return found, total, every


def _expected(terms: list[str], all_versions: bool = False) -> float:
    """How many chunks hold any of `terms`, by the planner's statistics (term_shares), among
    those the search reads (chunk_rows): an upper bound for a term they do not list."""
    shares, unlisted = term_shares()
    return min(1.0, sum(shares.get(t, unlisted) for t in terms)) * chunk_rows(all_versions)


def _share(leaves, shares: dict[str, float], unlisted: float) -> float:
    """The share of chunks a word (its leaves: alternatives) is expected to match: a leaf at
    most as often as its rarest term (a prefix term not counted), alternatives together."""
    total = 0.0
    for leaf in leaves:
        terms = leaf.terms[:-1] if leaf.prefix else leaf.terms
        total += min((shares.get(t, unlisted) for t in terms), default=1.0)
    return min(total, 1.0)


def narrowest(options: list[tuple[str, list]]) -> tuple[str, list]:
    """Of the required words [(tsquery, its leaves)], the one expected to match the fewest
    chunks (term_shares). The ranked scan reads that word's chunks only, ranked by it alone
    (rank_tsquery): a common word beside a rare one would make it rank nearly every chunk."""
    shares, unlisted = term_shares()
    return min(options, key=lambda o: _share(o[1], shares, unlisted))


def search(user, qany, qstream, qrank, extra: list, matching, chunks, filters, limit: int, offset: int,
           all_versions: bool, common: Common | None = None):
    """(total, [(version id, rank)]) ranked by the RUM index's distance (rank = 1 / distance).

    `qany` (a tsquery expression of every positive leaf) is the match, `qrank` what the
    chunks are ranked by (rank_tsquery of the narrowest word's leaves); `extra` holds the
    per-version conditions of multi-word and excluded terms, `matching` the matching version
    ids as one select (postgres_fts builds all five); `qstream` the chunks the ranked scan
    reads: qany, or with several required words the narrowest one (narrowest()), the others
    checked per version by `extra`, so a version ranks by its best chunk among those holding
    that word. A query with a filter (project, phase, status, document) ranks its few
    versions in one statement (_filter_first). Without one the total comes first (_count; a
    query of several words lists its visible matches once instead, _listed, and ranks them
    one by one when few, _rank_listed), then the page from the index in rank order
    (_page_from_index): a query nothing matches (or a page past the end) reads no ranked chunk."""
    if filters.project_id is not None or filters.phase or filters.status or filters.document_key:
        conds = conditions(user, filters, all_versions) + extra
        return _filter_first(conds, qany, qrank, chunks, limit, offset)

    def visible(stmt, vid, *more):  # the matched ids `vid` the user may see (scope.visible_matches)
        return visible_matches(stmt, vid, user, filters, all_versions).where(*more)
    if common is not None and newest_index(all_versions):
        found = _search_common(visible, common, chunks, limit, offset, all_versions)
        if found is not None:
            return found
    if extra:  # several words or an exclusion: list the visible matches once (usually few)
        known = _listed(visible, matching)
        if known is not None:
            if offset >= len(known):
                return len(known), []
            if len(known) <= RANK_LISTED:
                return len(known), _rank_listed(known, qstream, qrank, chunks, limit, offset)
            return len(known), _page_from_index(lambda ids: [(v, known[v]) for v in ids if v in known],
                                                qstream, qrank, limit, offset, all_versions)
    total = _count(visible, matching)
    if offset >= total:
        return total, []

    def lookup(ids):  # one query per batch: which of `ids` are visible matches, with their dates
        u = _id_list(ids)
        return db.session().execute(visible(select(Version.id, Version.created_at).select_from(u), u.c.vid, *extra))
    return total, _page_from_index(lookup, qstream, qrank, limit, offset, all_versions)


def _id_list(ids) -> object:
    """`ids` as a one-column subquery (vid) of unnest(ARRAY[...]): one parameter, whatever the
    number of ids, to join or to correlate per id."""
    return select(func.unnest(bindparam("ids", list(ids), type_=ARRAY(Integer))).label("vid")).subquery("u")


def _search_common(visible, common: Common, chunks, limit: int, offset: int, all_versions: bool = False):
    """A common query (search/common.py): more than rule.COMMON_PG chunks hold the rarest
    terms of its narrowest word (`walk`), counted newest first in the newest-first index, which
    stops there, and, where `walk` is wider than the query, enough of them hold the whole of it
    (_common_enough). Then the newest visible matches (_newest_matches), file-name matches
    first (_in_name), counted up to rule.CAP. None when the query is not common, or when WALK
    chunks held fewer than CAP + 1 visible matches (this user sees few of them): the caller
    ranks it. Ranking reads every match in RUM's ordered scan; this reads about (CAP + 1) /
    (share visible) chunks. A latest-only search walks the current chunks, an all-versions one
    the past ones too (pg_current)."""
    parts = _parts(all_versions)
    if not _common_enough(common, parts):
        return None
    cands = _newest_matches(visible, common, chunks, parts)
    if cands is None:
        return None
    if not cands:
        return 0, []
    return rule.page(cands, _in_name(common, chunks, [c.id for c in cands[:rule.CAP]]), limit, offset)


def _in_name(common: Common, chunks, ids: list[int]) -> set[int]:
    """Those of `ids` whose name chunk (chunk 0: file name and catalog name, the text
    common.name_matches reads) holds every required word, tested per version through the
    primary key: 1,000 names in about 2 ms, where matching the stored names in Python took
    23 ms."""
    u = _id_list(ids)
    named = exists(select(literal(1)).select_from(chunks).where(
        chunks.c.version_id == u.c.vid, chunks.c.chunk == 0,
        chunks.c.tsv.op("@@")(cast(bindparam("every", common.every), TSQUERY)).is_(True)).offset(0))
    return set(db.session().scalars(select(u.c.vid).where(named)))


def _parts(all_versions: bool) -> list[bool]:
    """The parts of search_chunks a search reads, as values of `past`: the current chunks, and
    for an all-versions search the past ones."""
    return [False, True] if all_versions else [False]


def _part(past: bool):
    """The condition of one part of search_chunks (`[NOT] past`): the predicate of its partial
    RUM indexes (migration 0016)."""
    return MAIN.c.past if past else not_(MAIN.c.past)


def _newest(stmt, past: bool = False):
    """`stmt` over one part of search_chunks (the current chunks, or the past ones) in its
    newest-first index's order (newest version first); `[NOT] past AND version_id > 0` is that
    partial index's predicate (migrations 0015, 0016: the second half is true of every row)."""
    return stmt.where(_part(past), MAIN.c.version_id > 0).order_by(MAIN.c.version_id.op("<=|")(literal(LAST_ID)))


# Planner switches (_planned) of the common-query path; the ranked scan (_ranked_chunks) turns off
# bitmap scans alone. Each is restored once its statement is planned. By
# index: the planner would otherwise sort a bitmap scan of every match (its estimates for
# tsvector matches are poor). By nested loops: for a batch of 3,143 ids at 200,000 versions it
# hashed all 66,000 deliverables (25.9 ms) or merged along their whole index (20.7 ms) where
# probing each id takes 6.0 ms.
BY_INDEX = ("enable_bitmapscan", "enable_seqscan")
BY_PROBES = ("enable_hashjoin", "enable_mergejoin")


def _planned(s, stmt, switches, **options):
    """Execute `stmt` planned with `switches` off, then restore them. On an error nothing is
    restored here: the transaction is aborted, and its rollback undoes SET LOCAL."""
    for name in switches:
        s.execute(text(f"SET LOCAL {name} = off"))
    result = s.execute(stmt.execution_options(**options))
    for name in switches:
        s.execute(text(f"SET LOCAL {name} TO DEFAULT"))
    return result


def _common_enough(common: Common, parts: list[bool]) -> bool:
    """True when more than rule.COMMON_PG chunks are expected to hold the query: those holding
    `walk`, by the planner's statistics (term_shares; counted newest first in both tables
    where there are none yet), times, where `walk` may be wider than the query (common.sample:
    a phrase, a CJK word of three characters or more, another word, an exclusion), the share
    of the newest SAMPLE of them that hold `every` word. A rare phrase of common words is
    ranked, not walked: the walk would read every chunk to find it. Statistics rather than a
    count because counting 15,000 chunks took 11 ms at 200,000 versions (before migration
    0016); they are what the planner itself trusts, refreshed by ANALYZE (the bulk import runs
    it, autovacuum too).
    The sample tests `every` word within one chunk: a query whose words lie in different
    chunks of its versions (one in the file name) looks rarer than it is, and is ranked."""
    s = db.session()
    walk = cast(bindparam("walk", common.walk), TSQUERY)
    # A prefix term has no statistics of its own (it stands for every term it begins): counted.
    prefix = any(p for _, p in common.walk_terms)
    expected = _expected([t for t, _ in common.walk_terms], True in parts) if chunk_rows() and not prefix else None
    if expected is not None and expected <= rule.COMMON_PG:
        return False
    share = 1.0
    if common.sample:  # the newest SAMPLE chunks of each table
        every = cast(bindparam("every", common.every), TSQUERY)
        held = read = 0
        for t, past in [(RECENT, None)] + [(MAIN, past) for past in parts]:
            sample = select(t.c.tsv).where(t.c.tsv.op("@@")(walk))
            sample = (sample.order_by(t.c.version_id.desc()) if past is None else _newest(sample, past)
                      ).limit(SAMPLE).subquery()
            h, r = _planned(s, select(func.count().filter(sample.c.tsv.op("@@")(every)), func.count())
                            .select_from(sample), BY_INDEX).one()
            held, read = held + h, read + r
        if held * 4 < read:  # in under a quarter of the chunks walked: ranked
            return False
        share = held / read if read else 1.0
    if expected is not None:
        return expected * share > rule.COMMON_PG
    upto = int(rule.COMMON_PG / share) + 1
    recent = s.scalar(select(func.count()).select_from(
        select(RECENT.c.version_id).where(RECENT.c.tsv.op("@@")(walk)).limit(upto).subquery()))
    for past in parts:
        newest = _newest(select(MAIN.c.version_id).where(MAIN.c.tsv.op("@@")(walk)), past).limit(upto)
        recent += _planned(s, select(func.count()).select_from(newest.subquery()), BY_INDEX).scalar()
    return recent >= upto


def _newest_matches(visible, common: Common, chunks, parts: list[bool]) -> list | None:
    """Up to CAP + 1 visible matches, newest first (rows with .id and .created_at): the chunks
    holding `walk` newest first (the newest-first index, through a server-side cursor, merged
    with the few recent chunks), each batch's new versions checked at once for visibility and
    the checks (_check). Batches are sized by the share found so far. None past WALK chunks
    read."""
    s = db.session()
    walk = cast(bindparam("walk", common.walk), TSQUERY)
    recent = sorted(s.scalars(select(RECENT.c.version_id).where(RECENT.c.tsv.op("@@")(walk))), reverse=True)
    streams = [_planned(s, _newest(select(MAIN.c.version_id).where(MAIN.c.tsv.op("@@")(walk)), past), BY_INDEX,
                        stream_results=True, max_row_buffer=BATCH) for past in parts]
    ids = heapq.merge(recent, *((r[0] for part in stream.partitions(BATCH) for r in part) for stream in streams),
                      reverse=True)
    want, read, size = rule.CAP + 1, 0, BATCH
    seen: set[int] = set()
    found: list = []
    try:
        while len(found) < want:
            if read >= WALK:
                return None
            batch = list(itertools.islice(ids, size))
            if not batch:
                break
            read += len(batch)
            new = [v for v in dict.fromkeys(batch) if v not in seen]
            seen.update(new)
            if new:
                found += sorted(_check(visible, common, chunks, new), key=lambda r: -r.id)
            # the next batch: what the rest should take at the rate seen so far, a fifth more
            size = min(MAX_BATCH, max(BATCH, int((want - len(found)) * read / max(len(found), 1) * 1.2)))
    finally:
        for stream in streams:
            stream.close()
    return found[:want]


def _check(visible, common: Common, chunks, ids: list[int]):
    """(id, created_at) of those of `ids` the user may see that pass every check (Common),
    probed one id at a time (BY_PROBES); each word tested per version through the chunks'
    primary key (IS TRUE: a test no index serves; OFFSET 0: kept a subplan run per row, not
    made a semi-join over a word's every chunk, 178 ms for '"nebula graph"' at 20,000
    versions), on Version.id: after the joins, so only the visible ones are tested (a phrase
    reads the chunk's vector)."""
    u = _id_list(ids)
    conds = []
    for i, (tsq, present) in enumerate(common.checks):
        has = exists(select(literal(1)).select_from(chunks).where(
            chunks.c.version_id == Version.id,
            chunks.c.tsv.op("@@")(cast(bindparam(f"w{i}", tsq), TSQUERY)).is_(True)).offset(0))
        conds.append(has if present else not_(has))
    return _planned(db.session(), visible(select(Version.id, Version.created_at).select_from(u), u.c.vid, *conds),
                    BY_PROBES).all()


def _rank_listed(known: dict, qstream, qrank, chunks, limit: int, offset: int) -> list[tuple[int, float]]:
    """The page of a few listed matches (`known`: {id: created_at}, at most RANK_LISTED): each
    version's chunks holding the narrowest word, found through the primary key, ranked by the
    same distance as the index's; best first, then newest. Cheaper than reading the narrowest
    word's chunks in rank order until enough of them belong to the few (measured at 20,000
    versions: '数据转换 存储服务', 38 matches, 60-90 ms that way; '数据转换 集群', 358 matches,
    10 ms this way, about 30 ms that way: the stream evaluates the phrase 数据转换 in the index
    for every chunk holding it)."""
    # Each id's best distance by a subquery run per id, through the primary key. Joined as a
    # set (version_id = ANY(ids), or a join to the list), the planner misjudged the cost of
    # testing the vectors and, at 613 ids, scanned all 40,000 chunks at 20,000 versions,
    # reading every vector (160-190 ms instead of about 15). IS TRUE: a test no index serves.
    u = _id_list(known)
    d = (select(func.min(chunks.c.tsv.op("<=>")(qrank))).where(
        chunks.c.version_id == u.c.vid, chunks.c.tsv.op("@@")(qstream).is_(True)).scalar_subquery())
    best = [r for r in db.session().execute(select(u.c.vid, d)).all() if r[1] is not None]
    best.sort(key=lambda r: (r[1], -known[r[0]].timestamp(), -r[0]))
    return [(vid, _rank(d)) for vid, d in best[offset:offset + limit]]


def _listed(visible, matching) -> dict | None:
    """{version id: created_at} of the visible matches (`matching`: every word, set operations
    over index scans), or None past LISTED. A query of several words reads the chunks of its
    narrowest word (qstream), most of which lack another word: checking `extra` per batch of
    them would evaluate each other word's matches again every batch (13-18 ms a batch at
    20,000 versions for '数据转换 存储服务'); listed once, the batches need no query at all."""
    m = matching.subquery("m")
    rows = db.session().execute(visible(select(Version.id, Version.created_at).select_from(m), m.c.version_id)
                                .limit(LISTED + 1)).all()
    return None if len(rows) > LISTED else dict(map(tuple, rows))


def _ranked_chunks(s, qstream, qrank, all_versions: bool = False):
    """(version id, distance) of every chunk matching `qstream`, best first: the RUM index's
    ordered scan of the current chunks of search_chunks (a server-side cursor: only what is read
    is fetched), for an all-versions search also that of the past ones (ix_search_chunks_past,
    migration 0016), merged with the few chunks still in search_chunks_recent, ranked one by one
    by the same distance. The views are not used here: the planner would rank every match
    above the union instead of reading the index in order. It also prefers a bitmap scan plus a
    sort when it expects few matches (its estimates for tsvector matches are poor), so that is
    off while the cursors' plans are made. Each row read costs about 13 µs: PostgreSQL computes
    the ORDER BY expression for every row the scan returns (a hidden output column; EXPLAIN
    VERBOSE shows it), reading the vector back from TOAST, rather than taking the index's value
    (1,400 rows of '事务' at 20,000 versions: 19.5 ms ordered, 0.9 ms unordered). Returns
    (iterator, cursors to close)."""
    recent = s.execute(select(RECENT.c.version_id, RECENT.c.tsv.op("<=>")(qrank).label("d"))
                       .where(RECENT.c.tsv.op("@@")(qstream))).all()
    distance = MAIN.c.tsv.op("<=>")(qrank)
    streams = [_planned(s, select(MAIN.c.version_id, distance.label("d"))
                        .where(_part(past), MAIN.c.tsv.op("@@")(qstream)).order_by(distance),
                        ("enable_bitmapscan",), stream_results=True, max_row_buffer=BATCH)
               for past in _parts(all_versions)]
    rows = [(tuple(r) for part in stream.partitions(BATCH) for r in part) for stream in streams]
    return heapq.merge(sorted(map(tuple, recent), key=_by_distance), *rows, key=_by_distance), streams


def _by_distance(row) -> float:
    return row[1]


def _page_from_index(lookup, qstream, qrank, limit: int, offset: int,
                     all_versions: bool = False) -> list[tuple[int, float]]:
    """The page, read in rank order (_ranked_chunks) in batches (BATCH chunks, then twice as
    many each time); `lookup(ids)` gives (id, created_at) of a batch's new versions that are
    visible matches. A version ranks by its first (best) chunk, ties newest first; reading
    stops once the offset + limit best visible versions are certain: the next chunk ranks
    strictly lower."""
    s = db.session()
    want = offset + limit
    ordered, streams = _ranked_chunks(s, qstream, qrank, all_versions)
    seen: set[int] = set()
    scores: dict[int, float] = {}
    ranked: list[tuple[int, float, int]] = []  # (rank group, -created, -id) of visible versions
    group, last = -1, None
    size = BATCH
    try:
        while True:
            batch = list(itertools.islice(ordered, size))
            size = min(size * 2, MAX_BATCH)  # a long run of equal distances: fewer round trips
            if not batch:
                break
            new = {}
            for vid, d in batch:
                if d != last:  # the index's order; equal distances form one group, ordered newest first
                    group, last = group + 1, d
                if vid not in seen:
                    seen.add(vid)
                    new[vid], scores[vid] = group, d
            if new:
                ranked += [(new[vid], -created.timestamp(), -vid) for vid, created in lookup(list(new))]
                ranked.sort()
            if len(ranked) >= want and group > ranked[want - 1][0]:
                break  # every later chunk is in a later group: the page is certain
    finally:
        for stream in streams:
            stream.close()
    return [(-nid, _rank(scores[-nid])) for _, _, nid in ranked[offset:want]]


def _count(visible, matching) -> int:
    """Exact total: the distinct matching versions (`matching`: set operations over index
    scans of both chunk tables; RUM keeps positions, so a phrase needs no table read either)
    that the user may see, each joined to the deliverable whose latest it is through that
    column's index (migration 0013, scope.visible_matches): the planner cannot misjudge that
    join into probing every version's chunks one by one."""
    m = matching.subquery("m")
    return db.session().scalar(visible(select(func.count()).select_from(m), m.c.version_id))


def _filter_first(conds, qany, qrank, chunks, limit: int, offset: int):
    """A filtered query: the few visible, filtered versions first, each ranked by its best
    chunk's distance (computed on those chunks only), the total from the same statement."""
    s = db.session()
    best = func.min(chunks.c.tsv.op("<=>")(qrank)).label("d")
    matched = join_versions(select(Version.id, Version.created_at, best)
                            .select_from(chunks).join(Version, Version.id == chunks.c.version_id)
                            ).where(*conds, chunks.c.tsv.op("@@")(qany)).group_by(Version.id, Version.created_at
                                                                                  ).subquery("m")
    rows = s.execute(select(matched.c.id, matched.c.d, func.count().over().label("total"))
                     .order_by(matched.c.d, matched.c.created_at.desc(), matched.c.id.desc())
                     .limit(limit).offset(offset)).all()
    total = rows[0].total if rows else s.scalar(select(func.count()).select_from(matched))
    return total, [(r.id, _rank(r.d)) for r in rows]


def _rank(distance: float) -> float:
    return 1.0 / distance if distance else 0.0
