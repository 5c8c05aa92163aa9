"""Group-robot webhooks: the allowed hosts, the masked URL, and the Markdown message in each
robot's own format (企业微信 markdown, 钉钉 markdown, 飞书 interactive card with lark_md)."""
from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from flask import current_app

from core.errors import UserValueError

KINDS = ("wecom", "dingtalk", "feishu")
KIND_ZH = {"wecom": "企业微信", "dingtalk": "钉钉", "feishu": "飞书"}
MAX_URL = 1000


def allowed_hosts() -> set[str]:
    """HANDOVER_WEBHOOK_HOSTS as a set of lower-case host names."""
    raw = current_app.config.get("HANDOVER_WEBHOOK_HOSTS") or ""
    return {h.strip().lower().rstrip(".") for h in raw.split(",") if h.strip()}


def check_url(url: str) -> str:
    """The URL if it is http(s) to an allowed host, without user info; else UserValueError (400)."""
    url = (url or "").strip()
    if not url or len(url) > MAX_URL or not url.isascii() or any(c.isspace() or ord(c) < 32 for c in url):
        raise UserValueError("'url' must be an http(s) address (ASCII) of at most 1000 characters.",
                             "invalid_webhook_url")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        parts.port  # noqa: B018  (a bad port raises ValueError here)
    except ValueError:
        raise UserValueError("'url' is not a valid address.", "invalid_webhook_url") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise UserValueError("'url' must be an http(s) address without user name.", "invalid_webhook_url")
    if host not in allowed_hosts():
        raise UserValueError(f"Webhooks may only go to hosts in HANDOVER_WEBHOOK_HOSTS; {host} is not one.",
                             "webhook_host_not_allowed", host=host)
    return url


def mask(url: str) -> str:
    """What is shown of a stored URL: scheme, host and the last 4 characters (the key is secret)."""
    parts = urlsplit(url)
    tail = url[-4:] if len(url) > 12 else ""
    return f"{parts.scheme}://{parts.netloc}/…{tail}"


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


def md_escape(text: str) -> str:
    """Text typed by users, shown literally in a robot's Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def payload(kind: str, subject: str, body: str, link: str) -> bytes:
    """The JSON body the robot of `kind` expects for one notice."""
    if kind == "feishu":
        content = "\n".join(md_escape(line) for line in body.splitlines()) + f"\n[打开系统查看]({link})"
        data = {"msg_type": "interactive",
                "card": {"header": {"title": {"tag": "plain_text", "content": subject}},
                         "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": content}}]}}
    else:
        # 企业微信 and 钉钉: one Markdown text; a line break needs a blank line in 钉钉.
        sep = "\n\n" if kind == "dingtalk" else "\n"
        text = f"### {md_escape(subject)}{sep}" + sep.join(md_escape(x) for x in body.splitlines()) \
            + f"{sep}[打开系统查看]({link})"
        if kind == "wecom":
            data = {"msgtype": "markdown", "markdown": {"content": text}}
        else:
            data = {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def accepted(kind: str, status: int, answer: bytes) -> str | None:
    """None when the robot took the message, else why not (HTTP 2xx with errcode/code 0)."""
    if not 200 <= status < 300:
        return f"HTTP {status}"
    try:
        data = json.loads(answer.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        return None  # a 2xx without JSON: taken
    if not isinstance(data, dict):
        return None
    code = data.get("code" if kind == "feishu" else "errcode", data.get("StatusCode", 0))
    if code not in (0, None, "0"):
        return f"robot answered {code}: {str(data.get('msg') or data.get('errmsg') or '')[:200]}"
    return None
