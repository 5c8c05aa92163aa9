"""Search benchmark: the curve at 2k / 20k / 200k versions, loaded through the bulk import.

Usage:
  .venv/bin/python bench/search.py [--docs 200000] [--engines sqlite,whoosh,tantivy,postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/bench] [--pg-rum on|off|both] [--queries 100]
        [--whoosh-max 20000] [--data DIR [--snapshot]] [--json FILE] [--label TEXT]
  .venv/bin/python bench/search.py --resume --data DIR --docs 200000 ...       (continue a kept load)
  .venv/bin/python bench/search.py --measure-only --data DIR --engines tantivy  (measure a kept load)
  .venv/bin/python bench/search.py --table FILE.jsonl [FILE.jsonl ...]          (one table from runs)

One run per database: SQLite (engines sqlite = FTS5, and whoosh / tantivy built beside it from
the stored texts; --snapshot copies the load at each point, so other engines can be measured at
that size while the load goes on) and PostgreSQL (tsvector; the ranking path, RUM or GIN, as
search/engines/pg_rum.py reports it; --pg-rum both serves it with HANDOVER_SEARCH_RUM=1 and 0). Versions are generated (about 8 KB each: shuffled paragraphs of
the real Chinese docs in tests/corpus/nebula-docs-cn) as vendor folder trees of 100 files per
project (catalog names with version marks and dates, e.g. 需求分析_V1.3_20220405.md) and
brought in with the bulk import (imports.run: the operation behind `flask --app app import`,
called in-process once per project), so the database's own engine is indexed inside the
import's batches. At each curve point (2,000, 20,000, 200,000, up to --docs) every engine is
served by gunicorn (gunicorn.conf.py, one worker, one thread) on 127.0.0.1 and queried over
HTTP as a pm who is a member of every project, --queries queries of each kind:
  one word   a term found in about 10 % of the versions (measured on the generated texts)
  two words  such a term and a common one (AND)
  phrase     a quoted phrase of the docs
  filtered   one word with project and phase filters
Printed per point: p50/p95 per kind, the server's CPU time per query (gunicorn's processes only:
PostgreSQL's own backend is not in it), mean total per kind, index size, load rate (versions/s
of the import; whoosh/tantivy: their rebuild rate), the server's RSS after start and its peak
(VmHWM, worker + master) after the queries. Figures are printed (and appended to --json),
never asserted; the machine is named with its load average, as other jobs share it.
"""
from __future__ import annotations

import argparse
import http.client
import importlib
import importlib.util
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "corpus" / "nebula-docs-cn"
POINTS = (2000, 20000, 200000)
PER_PROJECT = 100
# Terms whose document frequency in the generated texts is about 10 % (checked and printed at start).
ONE_WORDS = ["队列", "选举", "扩容", "测试环境", "原生索引", "工作空间", "事务", "逗号分隔", "时间戳", "示例数据",
             "数据转换", "绝对路径", "聚合", "获取方式", "默认情况", "快速开始", "多个地址", "日期", "集合", "容器",
             "镜像", "upstream", "grant", "variable", "overview", "topic", "follower", "users"]
COMMON = ["数据", "集群", "存储服务", "索引", "配置", "节点", "nebula", "schema", "查询", "版本"]
PHRASES = ["图数据库", "存储服务", "nebula graph", "create space", "数据 导入", "spark connector", "点 和 边",
           "查询语句", "meta 服务", "storage 服务"]
KINDS = ("one word", "two words", "phrase", "filtered")


def machine() -> str:
    info = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), platform.processor())
    mem = next((int(l.split()[1]) for l in Path("/proc/meminfo").read_text().splitlines()
                if l.startswith("MemTotal")), 0)
    return (f"{os.cpu_count()} cores ({cpu}), {mem / 1024 / 1024:.0f} GB RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def paragraphs() -> list[str]:
    return [x.strip() for p in sorted(CORPUS.rglob("*.md")) for x in p.read_text(encoding="utf-8").split("\n\n")
            if len(x.strip()) > 20]


def text_of(i: int, paras: list[str]) -> str:
    """Version i's text (deterministic): 6-10 KB of shuffled paragraphs."""
    rnd = random.Random(i * 7919 + 1)
    target, parts, size = rnd.randint(6000, 10000), [], 0
    while size < target:
        p = rnd.choice(paras)
        parts.append(p)
        size += len(p.encode())
    return "\n\n".join(parts)


def frequencies(paras: list[str], n: int = 2000) -> dict[str, float]:
    """Share of n generated texts containing each one-word term (a substring test: close to
    the bigram phrase match the engines do)."""
    texts = [text_of(i, paras).lower() for i in range(n)]
    return {w: sum(1 for t in texts if w in t) / n for w in ONE_WORDS}


def write_tree(root: Path, first: int, count: int, paras: list[str]) -> None:
    """A vendor folder tree: one folder per phase, then per document, files named
    <document>_V1.<n>_<date>.md, for versions first .. first+count-1."""
    from catalog import get_catalog
    cat = get_catalog()
    phases = {p.key: f"{k + 1:02d}-{p.name_zh}" for k, p in enumerate(cat.phases)}
    docs = cat.documents
    for i in range(first, first + count):
        d = docs[i % len(docs)]
        day = f"20{20 + i % 5}{1 + i % 12:02d}{1 + i % 28:02d}"
        folder = root / phases[d.phase] / d.name_zh
        folder.mkdir(parents=True, exist_ok=True)
        body = f"# {d.name_zh} 第{i}稿\n\n" + text_of(i, paras)
        (folder / f"{d.name_zh}_V1.{i}_{day}.md").write_text(body, encoding="utf-8")


def pg_index_path(app, rum_setting: bool = True) -> str:
    """'rum' or 'gin': the ranking path the PostgreSQL engine takes with HANDOVER_SEARCH_RUM =
    rum_setting (search/engines/pg_rum.ranking_path where it exists, else the index kinds)."""
    from core import db
    from sqlalchemy import text
    if importlib.util.find_spec("search.engines.pg_rum") is not None:
        from search.engines import pg_rum
        saved = app.config.get("HANDOVER_SEARCH_RUM", True)
        app.config["HANDOVER_SEARCH_RUM"] = rum_setting
        try:
            with app.app_context():
                app.extensions.pop(getattr(pg_rum, "CACHE_KEY", ""), None)
                return pg_rum.ranking_path()[0]
        finally:
            app.config["HANDOVER_SEARCH_RUM"] = saved
    with app.app_context():
        defs = [r[0] for r in db.session().execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_chunks'"))]
    return "rum" if any("USING rum" in d for d in defs) else "gin"


def engine_module(name: str):
    """The engine module for a bench engine name, or None when it does not exist (yet)."""
    modname = {"sqlite": "sqlite_fts", "postgresql": "postgres_fts", "whoosh": "whoosh_engine",
               "tantivy": "tantivy_engine"}[name]
    if importlib.util.find_spec(f"search.engines.{modname}") is None:
        return None
    return importlib.import_module(f"search.engines.{modname}")


def served_by_facade(name: str) -> bool:
    """True when HANDOVER_SEARCH=<name> selects that engine in the search facade."""
    import search

    class _App:
        config = {"HANDOVER_SEARCH": name, "DATABASE_URL": "sqlite://"}
    try:
        return search.engine_name(_App()) == name
    except Exception:  # noqa: BLE001 - an older facade: not selectable
        return False


def index_size(app, engine: str) -> int:
    from core import db
    from sqlalchemy import text
    with app.app_context():
        s = db.session()
        if engine == "sqlite":
            return s.scalar(text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search_fts%'"))
        if engine == "postgresql":
            return s.scalar(text("SELECT pg_total_relation_size('search_chunks') + "
                                 "coalesce(pg_total_relation_size(to_regclass('search_chunks_recent')), 0)"))
    mod = engine_module(engine)
    folder = None
    if hasattr(mod, "index_dir"):
        with app.app_context():
            folder = Path(mod.index_dir())
    folder = folder or Path(app.config["HANDOVER_DATA"]) / engine
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def rebuild(app, engine: str) -> float:
    """Build a side engine (whoosh, tantivy) from the stored texts, as `search reindex` does
    after extraction; returns seconds."""
    from core import db
    from deliverables.models import Version
    from search.models import SearchText
    from sqlalchemy import select
    mod = engine_module(engine)
    with app.app_context():
        s = db.session()
        t0 = time.perf_counter()
        mod.clear()
        stmt = (select(Version, SearchText.name, SearchText.body)
                .join(SearchText, SearchText.version_id == Version.id).order_by(Version.id))
        try:
            for n, (v, name, body) in enumerate(s.execute(stmt.execution_options(yield_per=500)), 1):
                mod.index(v, name, body, bulk=True)
                s.expunge(v)
        except BaseException:
            mod.abort_bulk()
            raise
        mod.finish_bulk()
        s.commit()
        return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_pids(root: int) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def rss_mb(root: int, field: str = "VmRSS") -> float:
    """Sum of `field` (VmRSS now, VmHWM peak) over the server's processes, in MB."""
    total = 0
    for pid in tree_pids(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def cpu_seconds(root: int) -> float:
    """CPU time (user + system) used so far by the server's processes: per-query CPU is a figure
    that other jobs on a shared machine disturb much less than the wall clock."""
    total = 0
    for pid in tree_pids(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def serve(data: str, url: str, engine: str, rum: bool = True):
    port = free_port()
    search_setting = engine if engine in ("whoosh", "tantivy") else "db"
    env = dict(os.environ, HANDOVER_DATA=data, DATABASE_URL=url, HANDOVER_SEARCH=search_setting,
               HANDOVER_SEARCH_RUM="1" if rum else "0",
               HANDOVER_SECRET_KEY="bench", HANDOVER_BIND=f"127.0.0.1:{port}", HANDOVER_WEB_WORKERS="1",
               HANDOVER_WEB_THREADS="1")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:create_app()"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def get(port: int, token: str, params: dict) -> tuple[float, dict]:
    path = "/api/search?" + urllib.parse.urlencode(params)
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = (time.perf_counter() - t0) * 1000
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"{resp.status} {body[:200]!r}")
    return elapsed, json.loads(body)


def workloads(n: int, codes: list[str], seed: int = 11) -> dict[str, list[dict]]:
    rnd = random.Random(seed)
    from catalog import get_catalog
    phases = [p.key for p in get_catalog().phases]
    return {
        "one word": [{"q": rnd.choice(ONE_WORDS)} for _ in range(n)],
        "two words": [{"q": f"{rnd.choice(ONE_WORDS)} {rnd.choice(COMMON)}"} for _ in range(n)],
        "phrase": [{"q": f'"{rnd.choice(PHRASES)}"'} for _ in range(n)],
        "filtered": [{"q": rnd.choice(ONE_WORDS), "project": rnd.choice(codes),
                      "phase": rnd.choice(phases)} for _ in range(n)],
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Run:
    """One database: its data folder, app, users; loads projects through the bulk import."""

    def __init__(self, db_engine: str, data: Path, pg_url: str, fresh: bool):
        from app import create_app
        from core.migrate import upgrade
        self.db_engine, self.data = db_engine, data
        if db_engine == "sqlite":
            self.url = f"sqlite:///{data}/handover.db"
        else:
            self.url = pg_url
        if fresh:
            shutil.rmtree(data, ignore_errors=True)
            if db_engine == "postgresql":
                from sqlalchemy import create_engine, text
                eng = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
                with eng.begin() as c:
                    c.execute(text("DROP SCHEMA public CASCADE"))
                    c.execute(text("CREATE SCHEMA public"))
                eng.dispose()
        data.mkdir(parents=True, exist_ok=True)
        self.app = create_app({"HANDOVER_DATA": str(data), "DATABASE_URL": self.url, "HANDOVER_SEARCH": "db",
                               "SECRET_KEY": "b"})
        if fresh:
            upgrade(self.app.extensions["handover.db"].kw["bind"])
        self.token = self._users(fresh)

    def _users(self, fresh: bool) -> str:
        from core import db
        from core.users import create_user
        from core.models import User
        from sqlalchemy import select
        tok = self.data / "pm-token"
        with self.app.app_context():
            if fresh:
                create_user("admin", "admin")
                _, token = create_user("pm", "pm")
                db.session().commit()
                tok.write_text(token)
            self.pm_id = db.session().scalar(select(User.id).where(User.username == "pm"))
        return tok.read_text()

    def versions(self) -> int:
        from core import db
        from deliverables.models import Version
        from sqlalchemy import func, select
        with self.app.app_context():
            return db.session().scalar(select(func.count()).select_from(Version))

    def codes(self) -> list[str]:
        from core import db
        from projects.models import Project
        from sqlalchemy import select
        with self.app.app_context():
            return list(db.session().scalars(select(Project.code).order_by(Project.code)))

    def load(self, first: int, upto: int, paras: list[str], tmp: Path) -> tuple[float, float, int, int]:
        """Import versions first .. upto-1, PER_PROJECT to a new project each (tree written,
        imported, deleted); returns (import seconds, tree-writing seconds, placed, unmatched)."""
        from core import db
        from core.models import User
        from deliverables.projects import create_project
        from imports.matching import Matcher
        from imports.run import plan, run
        from projects.membership import add_member
        from projects.models import Project
        from sqlalchemy import select
        import_s = gen_s = 0.0
        placed = unmatched = 0
        with self.app.app_context():
            s = db.session()
            pm = s.get(User, self.pm_id)
            # A resumed load (--resume after a kill) re-imports the last project: the import
            # skips the versions it already holds (same sha256) and places the rest.
            for start in range(first - first % PER_PROJECT, upto, PER_PROJECT):
                count = min(PER_PROJECT, upto - start)
                t0 = time.perf_counter()
                tree = tmp / f"tree-{start}"
                write_tree(tree, start, count, paras)
                t1 = time.perf_counter()
                code = f"B{start // PER_PROJECT:04d}"
                p = s.scalar(select(Project).where(Project.code == code))
                if p is None:
                    p = create_project(None, code, f"项目{start // PER_PROJECT}", "客户")
                    add_member(None, p, pm)
                    s.commit()
                out = run(p, pm, plan(tree, Matcher([])))
                t2 = time.perf_counter()
                shutil.rmtree(tree)
                gen_s += t1 - t0
                import_s += t2 - t1
                placed += len(out.placed)
                unmatched += len(out.unmatched) + len(out.failed)
                s.expunge_all()
                if (start + count) % 10000 == 0:
                    print(f"    loaded {start + count} ({placed / import_s:.0f} versions/s so far)", flush=True)
        return import_s, gen_s, placed, unmatched

    def merge(self) -> float:
        """PostgreSQL: what the worker's search_merge job does after an import (the import
        writes to search_chunks_recent), run here to the end; returns its seconds."""
        if self.db_engine != "postgresql" or importlib.util.find_spec("search.engines.pg_merge") is None:
            return 0.0
        from search.engines import pg_merge
        t0 = time.perf_counter()
        with self.app.app_context():
            while pg_merge.merge(budget_s=3600):
                pass
            pg_merge.mark_past(budget_s=3600)  # chunks of versions superseded since they were moved
        return time.perf_counter() - t0

    def analyze(self) -> None:
        if self.db_engine != "postgresql":
            return
        from core import db
        with self.app.app_context():
            # What autovacuum does a little after a bulk load: planner statistics.
            db.session().connection().exec_driver_sql("ANALYZE")
            db.session().commit()


def measure(run: Run, engine: str, n_queries: int, rum: bool = True) -> dict:
    codes = run.codes()
    proc, port = serve(str(run.data), run.url, engine, rum)
    try:
        get(port, run.token, {"q": "数据"})
        rss_start = rss_mb(proc.pid)
        for w in workloads(5, codes, seed=3)["one word"]:
            get(port, run.token, w)
        out = {}
        for kind, params in workloads(n_queries, codes).items():
            times, totals, more_than = [], [], 0
            cpu0 = cpu_seconds(proc.pid)
            for p in params:
                ms, body = get(port, run.token, p)
                times.append(ms)
                totals.append(body["total"])
                more_than += body.get("total_exact", True) is False  # the common-query rule's "more than"
            out[kind] = {"p50": pct(times, 50), "p95": pct(times, 95), "total": statistics.mean(totals),
                         "cpu_ms": (cpu_seconds(proc.pid) - cpu0) * 1000 / len(params),
                         "more_than": more_than / len(params)}
        return {"kinds": out, "rss_start_mb": rss_start, "rss_peak_mb": rss_mb(proc.pid, "VmHWM"),
                "rss_end_mb": rss_mb(proc.pid)}
    finally:
        proc.terminate()
        proc.wait()


RESULTS: list[dict] = []


def emit(record: dict, json_path: str | None) -> None:
    RESULTS.append(record)
    print("  RESULT " + json.dumps(record, ensure_ascii=False), flush=True)
    if json_path:
        with open(json_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_database(db_engine: str, engines: list[str], args, paras: list[str], command: str) -> None:
    data = Path(args.data) / db_engine
    run = Run(db_engine, data, args.pg_url, fresh=not (args.measure_only or args.resume))
    tmp = Path(tempfile.mkdtemp(prefix="trees-", dir=args.data))
    have = run.versions()
    points = [have] if args.measure_only else sorted({p for p in POINTS if have < p <= args.docs} | {args.docs})
    path = f" (ranking path with HANDOVER_SEARCH_RUM=1: {pg_index_path(run.app)})" if db_engine == "postgresql" else ""
    print(f"\n== {db_engine}{path}: data {data}; points {points}", flush=True)
    loaded_s = 0.0
    for point in points:
        rate = None
        if point > have:
            t0 = time.perf_counter()
            import_s, gen_s, placed, unmatched = run.load(have, point, paras, tmp)
            merge_s = run.merge()
            if merge_s:
                print(f"  search_merge (the worker's job, run to the end): {merge_s:.0f} s "
                      f"({placed / merge_s:.0f} versions/s into the RUM-indexed table)", flush=True)
            run.analyze()
            rate = placed / import_s
            loaded_s += time.perf_counter() - t0
            print(f"  loaded {have}..{point}: {placed} placed, {unmatched} not placed; import {import_s:.0f} s "
                  f"({rate:.0f} versions/s), writing trees {gen_s:.0f} s", flush=True)
            have = run.versions()
        served = [(e, True) for e in engines if e != "postgresql"]
        if "postgresql" in engines:
            served += [("postgresql", r) for r in {"on": [True], "off": [False], "both": [True, False]}[args.pg_rum]]
        for e, rum in served:
            rec = {"database": db_engine, "engine": e, "versions": have, "command": command, "label": args.label,
                   "machine": machine(),
                   "load_average": os.getloadavg()[0], "when": time.strftime("%Y-%m-%d %H:%M", time.gmtime())}
            if e == "postgresql":
                rec["index_path"] = pg_index_path(run.app, rum)
                if not rum and rec["index_path"] == "rum":
                    rec["index_path"] = "gin"
                if rum is False and ("postgresql", True) in served and pg_index_path(run.app, True) == "gin":
                    continue  # no RUM index: the two settings are the same path
            if e in ("whoosh", "tantivy"):
                if engine_module(e) is None or not served_by_facade(e):
                    print(f"  note: {e} skipped (search/engines/{e}_engine.py not there, or HANDOVER_SEARCH={e} "
                          "not selectable yet)", flush=True)
                    continue
                if e == "whoosh" and have > args.whoosh_max:
                    print(f"  note: whoosh skipped at {have} versions (over --whoosh-max {args.whoosh_max}: its "
                          "rebuild and queries take too long at this size)", flush=True)
                    continue
                secs = rebuild(run.app, e)
                rec["rate"], rec["rate_kind"] = have / secs, "rebuild"
            else:
                rec["rate"], rec["rate_kind"] = rate, "import"
            rec["index_bytes"] = index_size(run.app, e)
            rec.update(measure(run, e, args.queries, rum))
            emit(rec, args.json)
        if args.snapshot and db_engine == "sqlite" and not args.measure_only:
            snap = snapshot(run, data.parent / f"sqlite-{have}")
            print(f"  snapshot of the {have}-version load: {snap} (measure it with --measure-only --data "
                  f"{snap.parent}/... )", flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    run.app.extensions["handover.db"].kw["bind"].dispose()


def snapshot(run: Run, dest: Path) -> Path:
    """A copy of a SQLite run's data folder (blobs hard-linked, the database through SQLite's
    backup API) in dest/sqlite, to measure other engines at this size while the load goes on."""
    import sqlite3
    shutil.rmtree(dest, ignore_errors=True)
    target = dest / "sqlite"
    target.parent.mkdir(parents=True)
    subprocess.run(["cp", "-al", str(run.data), str(target)], check=True)
    for f in target.glob("*.db*"):
        f.unlink()
    for name in ("handover.db", "jobs.db"):
        if (run.data / name).exists():
            src, dst = sqlite3.connect(run.data / name), sqlite3.connect(target / name)
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
    return target


NAMES = {"sqlite": "SQLite FTS5", "postgresql": "PostgreSQL", "whoosh": "Whoosh", "tantivy": "tantivy"}


def more_than(kinds: dict) -> str:
    """'0 / 0 / 30 %': the common-query rule's share per word kind ('' for runs before it)."""
    if "more_than" not in kinds["one word"]:
        return ""
    return " / ".join(f"{kinds[x]['more_than'] * 100:.0f}" for x in KINDS[:3]) + " %"


def table(records: list[dict]) -> str:
    """The README table: one row per engine and size."""
    lines = ["Per query kind: p50 / p95 in ms over HTTP (gunicorn, 1 worker), in brackets the server's CPU ms "
             "per query (less disturbed by other jobs). One-word hits: mean `total` (latest versions only). Load: "
             "versions/s of the bulk import into that database (Whoosh, tantivy: their rebuild from the stored texts). "
             "'More than': the share of one-word / two-word / phrase queries answered by the common-query rule "
             "(search/common.py: newest matches, total 'more than 1,000').",
             "",
             "| engine | versions | one word | two words | phrase | filtered | "
             "one-word hits | 'more than' | index | load | server RSS start/peak |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    order = {"sqlite": 0, "postgresql": 1, "tantivy": 2, "whoosh": 3}
    for r in sorted(records, key=lambda r: (order.get(r["engine"], 9), r["versions"])):
        name = NAMES.get(r["engine"], r["engine"])
        if r.get("label"):
            name += f" [{r['label']}]"
        if r.get("index_path"):
            name += f" ({r['index_path'].upper()})"
        k = r["kinds"]
        cells = [f"{k[x]['p50']:.1f} / {k[x]['p95']:.1f}" + (f" ({k[x]['cpu_ms']:.0f})" if "cpu_ms" in k[x] else "")
                 for x in KINDS]
        rate = "" if r.get("rate") is None else f"{r['rate']:.0f}/s" + (" (rebuild)" if r["rate_kind"] == "rebuild" else "")
        lines.append(f"| {name} | {r['versions']:,} | " + " | ".join(cells) +
                     f" | {k['one word']['total']:,.0f} | {more_than(k)} | {r['index_bytes'] / 1e6:,.0f} MB | {rate} | "
                     f"{r['rss_start_mb']:.0f} / {r['rss_peak_mb']:.0f} MB |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000, help="largest curve point (2k, 20k, 200k up to it)")
    ap.add_argument("--engines", default="sqlite,whoosh,tantivy")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", ""))
    ap.add_argument("--queries", type=int, default=100, help="queries per kind")
    ap.add_argument("--pg-rum", choices=("on", "off", "both"), default="on",
                    help="PostgreSQL: HANDOVER_SEARCH_RUM for the server (both: measure the RUM and the GIN path)")
    ap.add_argument("--whoosh-max", type=int, default=20000, help="largest size Whoosh is measured at")
    ap.add_argument("--data", default="", help="data folder kept after the run (default: a temporary one)")
    ap.add_argument("--measure-only", action="store_true", help="measure the load kept in --data, load nothing")
    ap.add_argument("--resume", action="store_true", help="keep the load in --data and continue it up to --docs")
    ap.add_argument("--snapshot", action="store_true",
                    help="SQLite: after each point, copy the data folder to <data>/sqlite-<versions>/sqlite")
    ap.add_argument("--label", default="", help="a note shown next to the engine in the table")
    ap.add_argument("--json", default="", help="append each result as a JSON line to this file")
    ap.add_argument("--table", nargs="*", help="print the table of results in these JSON-lines files and exit")
    args = ap.parse_args()
    if args.table is not None:
        recs = [json.loads(l) for f in args.table for l in Path(f).read_text(encoding="utf-8").splitlines() if l]
        print(table(recs))
        print("\nmachine: " + next((r["machine"] for r in recs if r.get("machine")), machine()))
        print("commands:")
        for c in dict.fromkeys(r["command"] for r in recs):
            print(f"  {c}")
        return
    engines = args.engines.split(",")
    if "postgresql" in engines and not args.pg_url:
        sys.exit("--pg-url is required for postgresql")
    if (args.measure_only or args.resume) and not args.data:
        sys.exit("--measure-only and --resume need --data")
    keep = bool(args.data)
    args.data = args.data or tempfile.mkdtemp(prefix="bench-search-")
    Path(args.data).mkdir(parents=True, exist_ok=True)
    command = " ".join([os.path.relpath(sys.executable, ROOT)] + sys.argv)
    print("machine:", machine(), f"; load average at start {os.getloadavg()[0]:.1f}")
    print("command:", command)
    paras = paragraphs()
    freq = frequencies(paras)
    print(f"one-word terms: mean share of versions containing one {statistics.mean(freq.values()):.1%} "
          f"(min {min(freq.values()):.1%}, max {max(freq.values()):.1%}; 2,000 generated texts)", flush=True)
    start = time.perf_counter()
    runs = []
    if any(e in engines for e in ("sqlite", "whoosh", "tantivy")):
        runs.append(("sqlite", [e for e in ("sqlite", "tantivy", "whoosh") if e in engines]))
    if "postgresql" in engines:
        runs.append(("postgresql", ["postgresql"]))
    for db_engine, served in runs:
        run_database(db_engine, served, args, paras, command)
    print(f"\nwall clock {time.perf_counter() - start:.0f} s; load average now {os.getloadavg()[0]:.1f}")
    print()
    print(table(RESULTS))
    if not keep:
        shutil.rmtree(args.data, ignore_errors=True)


if __name__ == "__main__":
    main()
