"""Search benchmark: indexing rate, index size, and p50/p95 latency over real HTTP.

Usage: .venv/bin/python bench/search.py [--docs 20000] [--engines sqlite,whoosh[,postgresql]]
                                        [--pg-url postgresql://postgres@127.0.0.1:5432/bench] [--queries 100]
Two corpora: the real Chinese documentation in tests/corpus/nebula-docs-cn (a copy of shared/corpus) (225 files),
and a generated one of --docs versions (about 5 KB each: shuffled paragraphs of the real docs)
across --docs/100 projects of 33 deliverables. Versions are loaded through the upload operation
(deliverables.versions.add_version, which indexes them in its transaction with the database's
engine); Whoosh is then built with `reindex`. Each engine is served by `flask run` on 127.0.0.1
and queried as a pm who is a member of every project. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
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
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus" / "nebula-docs-cn"
WORDS = ["图数据库", "数据", "集群", "存储服务", "分布式", "索引", "导入数据", "副本", "性能", "查询语句", "快照",
         "负载均衡", "子图", "属性", "权限", "升级", "监控", "配置文件", "版本", "节点", "nebula", "spark", "kafka",
         "schema", "raft", "compaction", "leader", "客户端", "机器", "内存", "超时", "日志", "备份", "恢复"]
PHRASES = ["图数据库", "存储服务", "nebula graph", "create space", "数据 导入", "spark connector", "点 和 边",
           "查询语句", "meta 服务", "storage 服务"]


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"


def paragraphs() -> list[str]:
    out = []
    for p in sorted(CORPUS.rglob("*.md")):
        out += [x.strip() for x in p.read_text(encoding="utf-8").split("\n\n") if len(x.strip()) > 20]
    return out


def generated(n: int, seed: int = 7):
    rnd = random.Random(seed)
    paras = paragraphs()
    for i in range(n):
        target, parts, size = rnd.randint(3000, 7000), [], 0
        while size < target:
            p = rnd.choice(paras)
            parts.append(p)
            size += len(p.encode())
        yield f"v{i:05d}.md", ("\n\n".join(parts)).encode()


def real():
    for i, p in enumerate(sorted(CORPUS.rglob("*.md"))):
        yield f"doc{i:03d}.md", p.read_bytes()


def load(app, docs, n_projects: int) -> tuple[float, int, int, str]:
    """Create projects and users, upload every doc; returns (seconds, versions, bytes, pm token)."""
    from core import db
    from core.storage import store_bytes
    from core.users import create_user
    from deliverables.models import Deliverable
    from deliverables.projects import create_project
    from projects.membership import add_member
    from deliverables.versions import add_version
    from sqlalchemy import select
    with app.app_context():
        s = db.session()
        admin, _ = create_user("admin", "admin")
        pm, token = create_user("pm", "pm")
        eng, _ = create_user("eng", "engineer")
        dels = []
        for i in range(n_projects):
            p = create_project(admin, f"B{i:04d}", f"项目{i}", "客户")
            add_member(admin, p, pm)
            add_member(admin, p, eng)
            dels += list(s.scalars(select(Deliverable).where(Deliverable.project_id == p.id)))
        s.commit()
        started, count, nbytes = time.perf_counter(), 0, 0
        for i, (name, data) in enumerate(docs):
            d = dels[(i * 7919) % len(dels)]
            add_version(eng, d, store_bytes(data), name)
            count, nbytes = count + 1, nbytes + len(data)
            if count % 200 == 0:
                s.commit()
        s.commit()
        return time.perf_counter() - started, count, nbytes, token


def index_size(app, engine: str) -> int:
    from core import db
    from sqlalchemy import text
    with app.app_context():
        s = db.session()
        if engine == "sqlite":
            return s.scalar(text("SELECT (SELECT coalesce(sum(length(block)), 0) FROM search_fts_data) + "
                                 "(SELECT coalesce(sum(length(term)) + 16 * count(*), 0) FROM search_fts_idx) + "
                                 "(SELECT coalesce(sum(length(sz)) + 8 * count(*), 0) FROM search_fts_docsize)"))
        if engine == "postgresql":
            return s.scalar(text("SELECT pg_total_relation_size('search_chunks')"))
        return sum(f.stat().st_size for f in (Path(app.config["HANDOVER_DATA"]) / "whoosh").iterdir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(data: str, url: str, engine: str):
    port = free_port()
    env = dict(os.environ, HANDOVER_DATA=data, DATABASE_URL=url,
               HANDOVER_SEARCH="whoosh" if engine == "whoosh" else "db", HANDOVER_SECRET_KEY="bench")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
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
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    elapsed = (time.perf_counter() - t0) * 1000
    conn.close()
    if resp.status != 200:
        raise RuntimeError(f"{resp.status} {body[:200]!r}")
    return elapsed, json.loads(body)


def workloads(n: int, n_projects: int, seed: int = 11) -> dict[str, list[dict]]:
    rnd = random.Random(seed)
    from catalog import get_catalog
    phases = [p.key for p in get_catalog().phases]
    return {
        "one word": [{"q": rnd.choice(WORDS)} for _ in range(n)],
        "two words": [{"q": " ".join(rnd.sample(WORDS, 2))} for _ in range(n)],
        "phrase": [{"q": f'"{rnd.choice(PHRASES)}"'} for _ in range(n)],
        "filtered": [{"q": rnd.choice(WORDS), "project": f"B{rnd.randrange(n_projects):04d}",
                      "phase": rnd.choice(phases)} for _ in range(n)],
    }


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_corpus(label: str, docs, n_projects: int, engines: list[str], pg_url: str, n_queries: int) -> list[str]:
    from app import create_app
    from core.migrate import upgrade
    from core import db as core_db
    rows = []
    for db_engine in [e for e in engines if e in ("sqlite", "postgresql")]:
        data = tempfile.mkdtemp(prefix=f"bench-search-{db_engine}-")
        if db_engine == "sqlite":
            url = f"sqlite:///{data}/handover.db"
        else:
            url = pg_url
            from sqlalchemy import create_engine, text
            eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
            with eng.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE"))
                c.execute(text("CREATE SCHEMA public"))
            eng.dispose()
        app = create_app({"HANDOVER_DATA": data, "DATABASE_URL": url, "HANDOVER_SEARCH": "db", "SECRET_KEY": "b"})
        upgrade(app.extensions["handover.db"].kw["bind"])
        secs, count, nbytes, token = load(app, list(docs()), n_projects)
        if db_engine == "postgresql":
            # What autovacuum does a little after a bulk load: without statistics the planner
            # estimates one row per join and a one-word query can take tens of seconds.
            with app.app_context():
                core_db.session().connection().exec_driver_sql("ANALYZE")
                core_db.session().commit()
        rows.append(f"{label}: {count} versions, {nbytes / 1e6:.1f} MB of text; upload+index ({db_engine}) "
                    f"{count / secs:.0f} versions/s ({nbytes / 1e6 / secs:.2f} MB/s) over {secs:.1f} s")
        import search
        serve_engines = [db_engine] + (["whoosh"] if "whoosh" in engines and db_engine == "sqlite" else [])
        for e in serve_engines:
            with app.app_context():
                t0 = time.perf_counter()
                search.reindex([e])
                core_db.session().commit()
                rt = time.perf_counter() - t0
            rows.append(f"  {e:10s} reindex {count / rt:7.0f} versions/s ({nbytes / 1e6 / rt:.2f} MB/s); "
                        f"index size {index_size(app, e) / 1e6:.1f} MB")
        for e in serve_engines:
            proc, port = serve(data, url, e)
            try:
                for w in workloads(5, n_projects)["one word"]:
                    get(port, token, w)
                for kind, params in workloads(n_queries, n_projects).items():
                    times, totals = [], []
                    for p in params:
                        ms, body = get(port, token, p)
                        times.append(ms)
                        totals.append(body["total"])
                    rows.append(f"  | {label:9s} | {e:10s} | {kind:9s} | {pct(times, 50):8.1f} | {pct(times, 95):8.1f} | "
                                f"{statistics.mean(totals):9.0f} |")
            finally:
                proc.terminate()
                proc.wait()
        app.extensions["handover.db"].kw["bind"].dispose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=20000)
    ap.add_argument("--engines", default="sqlite,whoosh")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", ""))
    ap.add_argument("--queries", type=int, default=100, help="queries per kind")
    args = ap.parse_args()
    engines = args.engines.split(",")
    if "postgresql" in engines and not args.pg_url:
        sys.exit("--pg-url is required for postgresql")
    print("machine:", machine())
    print("command:", " ".join([os.path.relpath(sys.executable, ROOT)] + sys.argv))
    n_projects = max(1, args.docs // 100)
    lines = []
    lines += run_corpus("real", real, 3, engines, args.pg_url, args.queries)
    lines += run_corpus("generated", lambda: generated(args.docs), n_projects, engines, args.pg_url, args.queries)
    print()
    for l in [l for l in lines if not l.startswith("  |")]:
        print(l)
    print()
    print("latency over HTTP (ms; 'hits' = mean total matches per query):")
    print("  | corpus    | engine     | query     |      p50 |      p95 |      hits |")
    print("  |-----------|------------|-----------|----------|----------|-----------|")
    for l in lines:
        if l.startswith("  |"):
            print(l)


if __name__ == "__main__":
    main()
