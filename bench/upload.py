"""Upload and bundle throughput and server memory, over real HTTP.

Usage: .venv/bin/python bench/upload.py [--size-mb 1024]
Starts `flask run` on a free local port (SQLite in a temp folder), uploads one file of
--size-mb through POST /api/deliverables/<id>/versions (streamed multipart), signs it,
downloads the bundle, and prints throughput next to `sha256sum` + `cp` of the same file,
with the server's peak RSS growth (VmHWM) for each step.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import FLASK, ROOT, free_port  # noqa: E402


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def reset_hwm(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def request(port, method, path, token, body=None, headers=None, stream_to=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}", **(headers or {})})
    resp = conn.getresponse()
    if stream_to is not None:
        n = 0
        while chunk := resp.read(1 << 20):
            n += len(chunk)
        return resp.status, n
    data = resp.read()
    return resp.status, json.loads(data) if data[:1] in (b"{", b"[") else data


def multipart(path: Path, boundary: str):
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def gen():
        yield head
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                yield chunk
        yield tail
    return gen(), len(head) + path.stat().st_size + len(tail)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=int, default=1024)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    env = dict(os.environ, HANDOVER_DATA=str(work / "data"), HANDOVER_MAX_UPLOAD_MB=str(args.size_mb + 10))
    env.pop("DATABASE_URL", None)
    subprocess.run(FLASK + ["init"], cwd=ROOT, env=env, check=True, capture_output=True)
    def user(name, role, *extra):
        out = subprocess.run(FLASK + ["user", "create", name, "--role", role, *extra], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
        return out.splitlines()[-1]

    tokens = {"pm": user("pm", "pm")}
    port = free_port()
    server = subprocess.Popen(FLASK + ["run", "--port", str(port), "--no-reload"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        st, body = request(port, "POST", "/api/projects", tokens["pm"],
                           json.dumps({"code": "BENCH", "name": "b", "client": "c"}), {"Content-Type": "application/json"})
        assert st == 201, body
        tokens["eng"] = user("eng", "engineer", "--project", "BENCH")
        tokens["kehu"] = user("kehu", "client", "--project", "BENCH")
        _, ds = request(port, "GET", "/api/projects/BENCH/deliverables", tokens["pm"])
        did = ds[0]["id"]
        src = work / "big.bin"
        with open(src, "wb") as fh:
            for _ in range(args.size_mb):
                fh.write(os.urandom(1 << 20))
        t = time.perf_counter()
        subprocess.run(["sha256sum", str(src)], check=True, capture_output=True)
        shutil.copyfile(src, work / "copy.bin")
        os.sync()
        base_s = time.perf_counter() - t
        (work / "copy.bin").unlink()

        reset_hwm(server.pid)
        rss0 = rss_kib(server.pid, "VmRSS")
        body, length = multipart(src, "BenchBoundary")
        t = time.perf_counter()
        status, v = request(port, "POST", f"/api/deliverables/{did}/versions", tokens["eng"], body,
                            {"Content-Type": "multipart/form-data; boundary=BenchBoundary",
                             "Content-Length": str(length)})
        up_s = time.perf_counter() - t
        up_growth = rss_kib(server.pid, "VmHWM") - rss0
        assert status == 201, v
        for who in ("pm", "kehu"):
            st, _ = request(port, "POST", f"/api/versions/{v['id']}/signoffs", tokens[who],
                            json.dumps({"decision": "approve", "comment": "ok"}), {"Content-Type": "application/json"})
            assert st == 201
        reset_hwm(server.pid)
        rss0 = rss_kib(server.pid, "VmRSS")
        t = time.perf_counter()
        st, n = request(port, "GET", "/api/projects/BENCH/bundle", tokens["kehu"], stream_to=True)
        bundle_s = time.perf_counter() - t
        bundle_growth = rss_kib(server.pid, "VmHWM") - rss0
        assert st == 200
        mb = args.size_mb
        cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}")
        print(f"command: .venv/bin/python bench/upload.py --size-mb {mb}")
        print(f"| step | MiB | seconds | MiB/s | server peak RSS growth |")
        print(f"|---|---|---|---|---|")
        print(f"| sha256sum + cp (baseline) | {mb} | {base_s:.2f} | {mb / base_s:.0f} | - |")
        print(f"| HTTP upload | {mb} | {up_s:.2f} | {mb / up_s:.0f} | {up_growth / 1024:.1f} MiB |")
        print(f"| HTTP bundle download | {n / 2**20:.0f} | {bundle_s:.2f} | {n / 2**20 / bundle_s:.0f} | "
              f"{bundle_growth / 1024:.1f} MiB |")
        print(f"upload throughput / baseline = {(mb / up_s) / (mb / base_s):.2f} (target >= 0.5)")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
