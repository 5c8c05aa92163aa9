"""gunicorn settings for `make run` / `make serve` (override with HANDOVER_BIND, HANDOVER_WEB_WORKERS,
HANDOVER_WEB_THREADS, HANDOVER_WEB_MAX_REQUESTS; gunicorn's own GUNICORN_CMD_ARGS works too)."""
import multiprocessing
import os

bind = os.environ.get("HANDOVER_BIND", "127.0.0.1:5000")
# Threads serve slow uploads and downloads while other requests go on; processes use the cores.
worker_class = "gthread"
workers = int(os.environ.get("HANDOVER_WEB_WORKERS") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("HANDOVER_WEB_THREADS") or 4)
# Large uploads stream for a while; a request that takes longer than this is a stuck worker.
timeout = 300
graceful_timeout = 30
keepalive = 5
# A bound on slow growth (allocator fragmentation, SQLite page caches of pooled connections): a
# worker is replaced after this many requests (jittered so they do not restart together).
max_requests = int(os.environ.get("HANDOVER_WEB_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# Request logs in the Apache combined format, plus the request time in microseconds.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)s'
# Workers build the app themselves (no preload): each opens its own database connections.
preload_app = False
