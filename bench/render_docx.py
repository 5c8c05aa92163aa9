"""Benchmark: time to render each DOCX skeleton (median and worst over N runs per document).

Run from the repository root:  .venv/bin/python bench/render_docx.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from templates_docs import outline_keys, render_docx  # noqa: E402
from templates_docs.cli import demo_facts  # noqa: E402

import yaml  # noqa: E402

TARGET_MS = 150.0


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def catalog_groups() -> tuple[list[str], list[str]]:
    catalog = yaml.safe_load((Path(__file__).resolve().parents[1] / "catalog" / "catalog.yaml")
                             .read_text(encoding="utf-8"))
    return [d["key"] for d in catalog["documents"]], [r["key"] for r in catalog["records"]]


def time_key(key: str, runs: int) -> list[float]:
    facts = demo_facts(key)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render_docx(facts)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: nproc={os.cpu_count()}  cpu={cpu_model()}")
    print(f"python:  {platform.python_implementation()} {platform.python_version()}")
    print(f"command: {' '.join([Path(sys.executable).name] + sys.argv)}")
    documents, records = catalog_groups()
    extra = [k for k in outline_keys() if k not in documents and k not in records]
    render_docx(demo_facts(documents[0]))  # warm-up: imports, outline cache
    for title, keys in (("catalog documents", documents), ("maintenance records", records),
                        ("other", extra)):
        if not keys:
            continue
        print(f"\n{title} ({len(keys)}), {args.runs} runs each, ms")
        print(f"  {'key':34s} {'median':>8s} {'worst':>8s}")
        medians, worsts = [], []
        for key in keys:
            times = time_key(key, args.runs)
            med, worst = statistics.median(times), max(times)
            medians.append(med)
            worsts.append(worst)
            flag = "  > target" if med > TARGET_MS else ""
            print(f"  {key:34s} {med:8.1f} {worst:8.1f}{flag}")
        print(f"  {'ALL: median of medians / worst':34s} {statistics.median(medians):8.1f} "
              f"{max(worsts):8.1f}   (slowest median {max(medians):.1f}; target < {TARGET_MS:.0f})")


if __name__ == "__main__":
    main()
