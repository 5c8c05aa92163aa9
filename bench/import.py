"""Bulk import rate: `flask --app app import` of a generated folder tree, next to `sha256sum`
+ `cp` of the same tree (the floor set by reading, hashing and writing the bytes).

Usage: .venv/bin/python bench/import.py [--files 3000] [--size-kb 8] [--ext md] [--pg-url postgresql://...]
       .venv/bin/python bench/import.py --files 20 --size-kb 51200 --ext bin   (large files)
Generates --files files of --size-kb (Chinese text: paragraphs of tests/corpus/nebula-docs-cn)
in a vendor-like tree (one folder per phase, catalog names with versions and dates), creates a
project in a fresh data folder (SQLite, or --pg-url: that database is emptied first), runs the
import as a subprocess and prints versions/s and the ratio to the baseline. Figures are printed,
never asserted.
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [sys.executable, "-m", "flask", "--app", "app"]
CORPUS = ROOT / "tests" / "corpus" / "nebula-docs-cn"


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}, Python {platform.python_version()}"


def generate(root: Path, n: int, size: int, seed: int = 5, ext: str = "md") -> int:
    """n files of about `size` bytes (ext md: Chinese text; any other: random bytes, a type
    without text extraction); returns the total bytes."""
    from catalog import get_catalog
    rnd = random.Random(seed)
    paras = [x.strip() for p in sorted(CORPUS.rglob("*.md")) for x in p.read_text(encoding="utf-8").split("\n\n")
             if len(x.strip()) > 20]
    docs = get_catalog().documents
    phases = {p.key: f"{i + 1:02d}-{p.name_zh}" for i, p in enumerate(get_catalog().phases)}
    total = 0
    for i in range(n):
        d = docs[i % len(docs)]
        if ext == "md":
            body = f"# {d.name_zh} 第{i}稿\n\n"
            while len(body.encode()) < size:
                body += rnd.choice(paras) + "\n\n"
            data = body.encode()[:size]
            data = data.decode("utf-8", "ignore").encode()
        else:
            data = rnd.randbytes(size)
        day = f"20{20 + i % 5}{1 + i % 12:02d}{1 + i % 28:02d}"
        folder = root / phases[d.phase] / d.name_zh
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{d.name_zh}_V1.{i}_{day}.{ext}").write_bytes(data)
        total += len(data)
    return total


def baseline(src: Path, dst: Path) -> float:
    started = time.perf_counter()
    subprocess.run(f"find . -type f -print0 | xargs -0 sha256sum > /dev/null", shell=True, cwd=src, check=True)
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)
    subprocess.run(["sync", "-f", str(dst)], check=True)
    return time.perf_counter() - started


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--size-kb", type=int, default=8)
    ap.add_argument("--ext", default="md", help="md: Chinese text (indexed); e.g. bin: random bytes (large files)")
    ap.add_argument("--pg-url", default="")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        tree, data = work / "tree", work / "data"
        total = generate(tree, args.files, args.size_kb * 1024, ext=args.ext)
        env = dict(os.environ, HANDOVER_DATA=str(data), PYTHONUNBUFFERED="1")
        env.pop("DATABASE_URL", None)
        if args.pg_url:
            env["DATABASE_URL"] = args.pg_url
            from sqlalchemy import create_engine, text
            eng = create_engine(args.pg_url)
            with eng.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE"))
                c.execute(text("CREATE SCHEMA public"))
            eng.dispose()
        subprocess.run(FLASK + ["init"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run(FLASK + ["user", "create", "pm1", "--role", "pm"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        setup = ("from app import create_app\nfrom core import db\nfrom core.users import get_user\n"
                 "from deliverables.projects import create_project\nfrom projects.membership import add_member\n"
                 "app = create_app()\nwith app.app_context():\n"
                 "    p = create_project(None, 'BENCH', '导入基准', '客户')\n"
                 "    add_member(None, p, get_user('pm1'))\n    db.session().commit()\n")
        subprocess.run([sys.executable, "-c", setup], cwd=ROOT, env=env, check=True)
        base = baseline(tree, work / "copy")
        cmd = FLASK + ["import", str(tree), "--project", "BENCH"]
        started = time.perf_counter()
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-4000:])
            sys.exit(1)
        inner = re.search(r"(\d+) versions in ([\d.]+) s \((\d+)/s; ([\d.]+) s of CPU", r.stdout)
        placed = int(inner.group(1)) if inner else 0
        print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.1f}")
        print(f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; tree: {args.files} files of "
              f"{args.size_kb} KB ({total / 1e6:.1f} MB) in {tree}")
        print(f"command: {' '.join(cmd[2:])}")
        print(f"baseline: find . -type f | xargs sha256sum; cp -r; sync -f: {base:.2f} s "
              f"({args.files / base:.0f} files/s)")
        print(f"import: {placed} versions; {inner.group(2) if inner else '?'} s inside the command "
              f"({inner.group(3) if inner else '?'} versions/s; {inner.group(4) if inner else '?'} s of CPU: "
              f"{placed / float(inner.group(4)) if inner else 0:.0f} versions per CPU-second); "
              f"{wall:.2f} s wall clock with start-up "
              f"({placed / wall:.0f} versions/s)")
        print(f"ratio import/baseline (wall clock): {wall / base:.1f}x the time; "
              f"throughput {total / 1e6 / wall:.0f} MB/s vs baseline {total / 1e6 / base:.0f} MB/s")
        r2 = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        print("second run (all duplicates): " + next((l for l in r2.stdout.splitlines() if l.startswith("placed")), "?"))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
