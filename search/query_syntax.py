"""Query syntax: words (AND), "phrases", OR, -exclude -> a small AST.

Every word or phrase becomes a Leaf: the analysed terms that must appear in a row
(CJK words are phrases of their bigrams, so 缺陷 matches 发现缺陷七个 but not 缺，陷).
A query ending in a single CJK character marks that last term as a prefix (缺 matches
the bigrams 缺陷, 缺少, ... and the one-character term 缺). Inside a phrase, spaces between
Chinese or Japanese characters are not gaps: those are written without them (Korean is not), so "点 和 边" is the phrase
点和边 (typed punctuation still separates: "图，数据库" finds 图，数据库 and 图 数据库). Nothing the user types reaches
an engine's own syntax: each engine compiles the AST itself, quoting every term.
Hostile input degrades: unbalanced quotes close at the end, lone OR and '-' are ignored,
punctuation and control characters separate words.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.errors import UserValueError
from search.analysis import Run, fold, is_hangul, run_tokens, runs

MAX_QUERY_CHARS = 1000
MAX_TERMS = 256
MAX_LEAVES = 32


@dataclass(frozen=True)
class Leaf:
    """Terms that must appear consecutively; `prefix`: the last one is a prefix."""
    terms: tuple[str, ...]
    prefix: bool = False
    runs: tuple[tuple[str, bool], ...] = field(default=(), compare=False)  # (folded text, cjk), for snippets

    @property
    def is_single(self) -> bool:
        return len(self.terms) == 1


@dataclass(frozen=True)
class AnyOf:
    """At least one of the leaves (an OR group)."""
    leaves: tuple[Leaf, ...]


@dataclass
class Query:
    """All `required` (Leaf or AnyOf) and none of `excluded`."""
    required: list = field(default_factory=list)
    excluded: list[Leaf] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.required

    def positive_leaves(self) -> list[Leaf]:
        out: list[Leaf] = []
        for node in self.required:
            out.extend(node.leaves if isinstance(node, AnyOf) else [node])
        return out

    def all_leaves(self) -> list[Leaf]:
        return self.positive_leaves() + list(self.excluded)


def _joined(folded: str, rs: list[Run]) -> list[Run]:
    """`rs` with CJK runs that only whitespace parts made one run. A user who types
    "数据 导入" in quotes means the text 数据导入 (Chinese puts no spaces between words);
    read as two runs it would need a separator in the text and find only 数据，导入. Not
    beside hangul: Korean is written with spaces ("그래프 데이터베이스" stays two words)."""
    out: list[Run] = []
    end = 0  # where the last run of `out` ends in `folded`
    for r in rs:
        prev = out[-1] if out else None
        if (prev and prev.cjk and r.cjk and folded[end:r.start].isspace()
                and not is_hangul(prev.text[-1]) and not is_hangul(r.text[0])):
            out[-1] = Run(prev.text + r.text, True, prev.start)
        else:
            out.append(r)
        end = r.start + len(r.text)
    return out


def analyse(text: str) -> Leaf | None:
    """A word or phrase as typed -> its Leaf (None when it holds no letters or digits)."""
    folded = fold(text)
    rs = _joined(folded, list(runs(folded)))
    if not rs:
        return None
    terms: list[str] = []
    for r in rs[:-1]:
        terms.extend(run_tokens(r, trailing=True))
    last = rs[-1]
    prefix = last.cjk and len(last.text) == 1
    terms.extend(run_tokens(last, trailing=False))
    return Leaf(tuple(terms), prefix, tuple((r.text, r.cjk) for r in rs))


def _lex(q: str) -> list[tuple[str, str, bool]]:
    """Items (kind, text, negated): kind 'word', 'phrase' or 'or'."""
    items: list[tuple[str, str, bool]] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        if c.isspace():
            i += 1
            continue
        neg = False
        if c == "-" and i + 1 < n and not q[i + 1].isspace():
            neg, i = True, i + 1
            c = q[i]
        if c == '"':
            end = q.find('"', i + 1)
            end = n if end < 0 else end
            items.append(("phrase", q[i + 1:end], neg))
            i = end + 1
            continue
        j = i
        while j < n and not q[j].isspace() and q[j] != '"':
            j += 1
        word = q[i:j]
        items.append(("or", "", False) if word == "OR" and not neg else ("word", word, neg))
        i = j
    return items


def parse(q: str) -> Query:
    """Parse user input; raises UserValueError (400) only for oversized queries."""
    if len(q) > MAX_QUERY_CHARS:
        raise UserValueError(f"The query is longer than {MAX_QUERY_CHARS} characters.", "query_too_long")
    q = "".join(" " if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) else c for c in q)
    groups: list[list[Leaf]] = []
    excluded: list[Leaf] = []
    join_next = False
    for kind, text, neg in _lex(q):
        if kind == "or":
            join_next = bool(groups)
            continue
        leaf = analyse(text)
        if leaf is None:
            continue
        if neg:
            if not join_next:
                excluded.append(leaf)
            join_next = False  # 'a OR -b': the negated side is dropped
            continue
        if join_next:
            groups[-1].append(leaf)
        else:
            groups.append([leaf])
        join_next = False
    query = Query([g[0] if len(g) == 1 else AnyOf(tuple(dict.fromkeys(g))) for g in groups], excluded)
    leaves = query.all_leaves()
    if len(leaves) > MAX_LEAVES or sum(len(l.terms) for l in leaves) > MAX_TERMS:
        raise UserValueError("The query has too many words.", "query_too_complex")
    return query
