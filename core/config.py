"""Settings from the environment, in one table (documented in README, checked by a test)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("HANDOVER_DATA", "./instance", "Folder for everything the app stores (database, blobs, search index)."),
    Setting("DATABASE_URL", "", "Database URL; default SQLite at $HANDOVER_DATA/handover.db; postgresql://... for a shared server."),
    Setting("HANDOVER_MAX_UPLOAD_MB", "200", "Largest upload in MiB; larger gives 413."),
    Setting("HANDOVER_TZ", "Asia/Shanghai", "Time zone of deadlines, due dates and displayed times."),
    Setting("HANDOVER_SEARCH", "db", "Search engine: `db` (SQLite FTS5 / PostgreSQL tsvector), `whoosh` or `tantivy`."),
    Setting("HANDOVER_SEARCH_RUM", "1", "PostgreSQL: rank from the RUM index where it exists (`0`: the GIN path)."),
    Setting("HANDOVER_SECRET_KEY", "", "Session/CSRF secret; default: a random key kept in $HANDOVER_DATA/secret_key."),
    Setting("HANDOVER_VENDOR", "交付通系统集成有限公司", "Vendor (乙方) name printed on generated documents."),
    Setting("HANDOVER_EXTRACT_SECONDS", "20",
            "Time limit (wall clock and CPU) of extracting one file's text for search; past it the file is kept, "
            "marked text_status=failed."),
    Setting("HANDOVER_EXTRACT_MEMORY_MB", "512", "Memory limit (address space) of the text-extraction subprocess."),
    Setting("HANDOVER_OCR_SECONDS", "300",
            "Time limit of reading one scanned PDF or image by OCR in the worker (tesseract, chi_sim+eng); past it "
            "the file is marked text_status=failed."),
    Setting("HANDOVER_OCR_MEMORY_MB", "1024", "Memory limit (address space) of the OCR subprocess and its tools."),
    Setting("HANDOVER_RENDITIONS", "1",
            "1: the worker makes a PDF rendition of every version (preview, controlled copies) with LibreOffice; "
            "0: none are made (the preview answers no_preview)."),
    Setting("HANDOVER_RENDITION_SECONDS", "120",
            "Wall-clock limit of converting one file to PDF; past it the file gets no_preview (not retried)."),
    Setting("HANDOVER_TOC_WAIT", "8",
            "Seconds a request generating a DOCX draft waits for the worker to answer the 目录's page numbers "
            "(job fill_toc); no answer in time: the draft is stored as rendered (Word fills it on open). 0: no wait."),
    Setting("HANDOVER_RENDITION_MEMORY_MB", "2048",
            "Address-space limit of the worker's LibreOffice (a file that needs more ends as no_preview)."),
    Setting("HANDOVER_ORPHAN_GRACE_MINUTES", "60",
            "Files without a version younger than this are left alone by `fsck --repair` (uploads in flight)."),
    Setting("HANDOVER_HTTPS", "0", "1 when users reach the app over HTTPS: Secure cookies and an HSTS header."),
    Setting("HANDOVER_TRUSTED_PROXIES", "0",
            "Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (ProxyFix); 0: none."),
    Setting("HANDOVER_REDIS_URL", "",
            "`redis://host:port/db`: the job queue and the password throttle's counters live in Redis (several app "
            "servers and workers); unset: the queue in $HANDOVER_DATA/jobs.db (SQLite), the counters in the database."),
    Setting("HANDOVER_BIND", "127.0.0.1:5000", "Address gunicorn listens on (`make run`, `make serve`; read by gunicorn.conf.py)."),
    Setting("HANDOVER_WEB_WORKERS", "", "gunicorn worker processes; default: cores + 1."),
    Setting("HANDOVER_WEB_THREADS", "4", "Threads per gunicorn worker process."),
    Setting("HANDOVER_WEB_MAX_REQUESTS", "5000",
            "Requests after which a gunicorn worker is replaced (±10 %): a bound on slow memory growth."),
    Setting("HANDOVER_AUDIT_KEY", "",
            "HMAC key of the audit chain (at least 32 characters); default: a random key kept in "
            "$HANDOVER_DATA/audit_key (0600). Keep it outside the database and identical on every app server."),
    Setting("HANDOVER_SMTP_URL", "",
            "`smtp://[user:password@]host:port` (STARTTLS when the server offers it) or `smtps://...`: outgoing "
            "e-mail of notifications; unset: no e-mail is sent (no e-mail notices are queued)."),
    Setting("HANDOVER_MAIL_FROM", "handover@localhost", "Sender address of notification e-mails."),
    Setting("HANDOVER_BASE_URL", "http://127.0.0.1:5000", "The public address used in links inside notifications."),
    Setting("HANDOVER_WEBHOOK_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com,open.feishu.cn,open.larksuite.com",
            "Comma-separated host names a project's group-robot webhook may point to; any other is refused (400) "
            "and never contacted."),
)


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply explicit overrides."""
    env = {s.name: os.environ.get(s.name, s.default) for s in SETTINGS}
    overrides = dict(overrides or {})
    data = Path(overrides.get("HANDOVER_DATA") or env["HANDOVER_DATA"]).resolve()
    cfg = {
        "HANDOVER_DATA": str(data),
        "DATABASE_URL": env["DATABASE_URL"] or f"sqlite:///{data / 'handover.db'}",
        "HANDOVER_MAX_UPLOAD_MB": int(env["HANDOVER_MAX_UPLOAD_MB"]),
        "HANDOVER_TZ": env["HANDOVER_TZ"],
        "HANDOVER_SEARCH": env["HANDOVER_SEARCH"],
        "HANDOVER_SEARCH_RUM": env["HANDOVER_SEARCH_RUM"].strip().lower() in ("1", "true", "yes", "on"),
        "HANDOVER_VENDOR": env["HANDOVER_VENDOR"],
        "HANDOVER_EXTRACT_SECONDS": float(env["HANDOVER_EXTRACT_SECONDS"]),
        "HANDOVER_EXTRACT_MEMORY_MB": int(env["HANDOVER_EXTRACT_MEMORY_MB"]),
        "HANDOVER_OCR_SECONDS": float(env["HANDOVER_OCR_SECONDS"]),
        "HANDOVER_OCR_MEMORY_MB": int(env["HANDOVER_OCR_MEMORY_MB"]),
        "HANDOVER_RENDITIONS": env["HANDOVER_RENDITIONS"].strip().lower() in ("1", "true", "yes", "on"),
        "HANDOVER_RENDITION_SECONDS": float(env["HANDOVER_RENDITION_SECONDS"]),
        "HANDOVER_RENDITION_MEMORY_MB": int(env["HANDOVER_RENDITION_MEMORY_MB"]),
        "HANDOVER_TOC_WAIT": float(env["HANDOVER_TOC_WAIT"]),
        "HANDOVER_ORPHAN_GRACE_MINUTES": float(env["HANDOVER_ORPHAN_GRACE_MINUTES"]),
        "SECRET_KEY": env["HANDOVER_SECRET_KEY"] or None,
        "JSON_AS_ASCII": False,
        "HANDOVER_HTTPS": env["HANDOVER_HTTPS"].strip().lower() in ("1", "true", "yes", "on"),
        "HANDOVER_TRUSTED_PROXIES": int(env["HANDOVER_TRUSTED_PROXIES"] or 0),
        "HANDOVER_REDIS_URL": env["HANDOVER_REDIS_URL"].strip(),
        "HANDOVER_AUDIT_KEY": env["HANDOVER_AUDIT_KEY"],
        "HANDOVER_SMTP_URL": env["HANDOVER_SMTP_URL"].strip(),
        "HANDOVER_MAIL_FROM": env["HANDOVER_MAIL_FROM"].strip(),
        "HANDOVER_BASE_URL": env["HANDOVER_BASE_URL"].strip().rstrip("/"),
        "HANDOVER_WEBHOOK_HOSTS": env["HANDOVER_WEBHOOK_HOSTS"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "CLOCK": None,
    }
    cfg.update(overrides)
    return cfg
