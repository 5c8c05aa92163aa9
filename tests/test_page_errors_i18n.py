"""One error path for the pages, every error code in Chinese and English, one place per label.

- a refused form post comes back to its page with the message in the user's language
  (Chinese first, English after /lang/en) and the form keeps what was typed (no password);
- the 404 / 403 / 405 / 413 / CSRF-failure pages speak Chinese first, in the site's layout;
- every code the code base can raise has a Chinese and an English message (source scan);
- the fault page and the 故障申报表 agree on the fault event labels.
"""
from __future__ import annotations

import ast
import html as htmllib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from core import db
from core.messages import DEFAULTS, ERRORS, catalog, error_message, placeholders
from web_support import login, page_token

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", ".git", "instance"}
CJK = re.compile(r"[\u4e00-\u9fff]")


# ------------------------------------------------------------------ helpers ----------------

def _doc_id(app, world, project="P1") -> int:
    from deliverables.models import Deliverable
    with app.app_context():
        return db.session().scalar(select(Deliverable.id).where(Deliverable.project_id == world.ids[project])
                                   .order_by(Deliverable.position))


def _english(client):
    assert client.get("/lang/en?next=/").status_code == 302


def _flashes(html: str) -> list[str]:
    return [htmllib.unescape(m) for m in re.findall(r'<div class="flash error" role="alert">([^<]*)</div>', html)]


def _form(html: str, action: str) -> str:
    """The HTML of the form posting to `action`."""
    m = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert m, f"no form posting to {action}"
    return m.group(0)


def _input_value(html: str, name: str) -> str | None:
    m = re.search(rf'<input name="{name}"[^>]*?value="([^"]*)"', html)
    return m.group(1) if m else None


@dataclass(frozen=True)
class FormCase:
    """A form post an operation refuses: where it goes, what comes back (zh, en)."""
    name: str
    who: str
    page: str          # the page holding the form (also where the post must come back to)
    action: str        # the form's action
    data: dict
    zh: str
    en: str


def _cases(app, world, client, upload) -> dict[str, FormCase]:
    d_id = _doc_id(app, world)
    v = upload(d_id, b"first", "a.txt", who="engineer")
    fid = client.post("/api/projects/P1/faults", headers=world.h("client"),
                      json={"level": 3, "title": "门禁故障", "channel": "phone"}).json["id"]
    cases = [
        FormCase("create_user", "admin", "/admin/users", "/admin/users",
                 {"username": "pm", "role": "client", "display_name": "张三", "organisation": "某局",
                  "password": "long enough 1"},
                 "用户名 pm 已存在。", "The username pm exists already."),
        FormCase("update_user", "admin", "/admin/users", "/admin/users/engineer",
                 {"action": "password", "password": "short"}, "密码至少 8 个字符。",
                 "The password must have at least 8 characters."),
        FormCase("members", "pm", "/projects/P1/members", "/projects/P1/members",
                 {"username": "nobody", "action": "add"}, "用户 nobody 不存在。", "No user nobody."),
        FormCase("upload", "engineer", f"/deliverables/{d_id}", f"/deliverables/{d_id}/upload",
                 {"note": "第二版说明"}, "请选择要上传的文件。", "Choose a file to upload."),
        FormCase("draft", "engineer", f"/deliverables/{d_id}", f"/deliverables/{d_id}/draft",
                 {"format": "pdf"}, "所选项无效。", "The chosen option is not valid."),
        FormCase("sign", "pm", f"/deliverables/{d_id}", f"/versions/{v['id']}/sign",
                 {"decision": "reject", "comment": "缺少附录", "password": "wrong password"},
                 "密码错误，未签署。", "Wrong password; nothing was signed."),
        FormCase("report_fault", "client", "/projects/P1/maintenance", "/projects/P1/faults",
                 {"level": "2", "channel": "phone", "title": "", "description": "机房空调停机"},
                 "请填写故障标题。", "Enter a title for the fault."),
        FormCase("create_record", "engineer", "/projects/P1/maintenance", "/projects/P1/records",
                 {"record_key": "complaint_form", "title": "长" * 201},
                 "内容不能超过 200 个字符。", "The text must not be longer than 200 characters."),
        FormCase("fault_event", "engineer", f"/faults/{fid}", f"/faults/{fid}/events",
                 {"kind": "restore", "note": "已更换电源"},
                 "请先记录响应，再记录恢复。", "Record the response before the restoration."),
    ]
    return {c.name: c for c in cases}


def _post_form(client, case: FormCase):
    token = page_token(client, case.page)
    data = {"csrf_token": token, **case.data}
    multipart = case.name == "upload"
    return client.post(case.action, data=data, content_type="multipart/form-data" if multipart else None)


# ------------------------------------------------------- refused form posts ----------------

@pytest.mark.parametrize("name", ["create_user", "update_user", "members", "upload", "draft", "sign",
                                  "report_fault", "create_record", "fault_event"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_refused_form_comes_back_to_its_page_with_the_message(app, client, world, upload, name, lang):
    case = _cases(app, world, client, upload)[name]
    login(client, case.who)
    if lang == "en":
        _english(client)
    r = _post_form(client, case)
    assert r.status_code == 302 and r.headers["Location"] == case.page
    html = client.get(case.page).get_data(as_text=True)
    assert _flashes(html) == [case.zh if lang == "zh" else case.en]
    if lang == "en":
        assert not CJK.search(_flashes(html)[0])
    assert _flashes(client.get(case.page).get_data(as_text=True)) == []  # said once


def test_the_create_user_form_keeps_what_was_typed_but_not_the_password(app, client, world, upload):
    case = _cases(app, world, client, upload)["create_user"]
    login(client, "admin")
    r = _post_form(client, case)
    assert r.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "用户名 pm 已存在。" in page and "long enough 1" not in page
    form = _form(page, "/admin/users")
    assert _input_value(form, "username") == "pm"
    assert _input_value(form, "display_name") == "张三"
    assert _input_value(form, "organisation") == "某局"
    assert re.findall(r'<option value="(\w+)" selected>', form) == ["client"]
    # the next visit is a fresh form again
    form = _form(client.get("/admin/users").get_data(as_text=True), "/admin/users")
    assert _input_value(form, "username") == "" and _input_value(form, "display_name") == ""
    assert re.findall(r'<option value="(\w+)" selected>', form) == ["engineer"]


def test_the_fault_and_sign_forms_keep_what_was_typed(app, client, world, upload):
    cases = _cases(app, world, client, upload)
    login(client, "client")
    _post_form(client, cases["report_fault"])
    form = _form(client.get("/projects/P1/maintenance").get_data(as_text=True), "/projects/P1/faults")
    assert ">机房空调停机</textarea>" in form and re.findall(r'<option value="(\w+)" selected>', form) == ["2", "phone"]
    login(client, "pm")
    _post_form(client, cases["sign"])
    html = client.get(cases["sign"].page).get_data(as_text=True)
    assert ">缺少附录</textarea>" in html and 'value="reject" checked' in html
    assert "wrong password" not in html


def test_a_refused_form_writes_nothing(app, client, world, upload):
    from core.models import User
    case = _cases(app, world, client, upload)["create_user"]
    login(client, "admin")
    _post_form(client, case)
    with app.app_context():
        assert db.session().scalar(select(User.role).where(User.username == "pm")) == "pm"


def test_the_scripted_upload_still_gets_the_error_page_in_chinese(app, client, world):
    d_id = _doc_id(app, world)
    login(client, "engineer")
    token = page_token(client, f"/deliverables/{d_id}")
    r = client.post(f"/deliverables/{d_id}/upload", headers={"X-CSRFToken": token, "X-Requested-With": "XMLHttpRequest"},
                    data={"file": (io.BytesIO(b""), "empty.txt")}, content_type="multipart/form-data")
    assert r.status_code == 400
    assert '<p class="message" data-code="empty_file">文件为空。</p>' in r.get_data(as_text=True)


# ------------------------------------------------------------- error pages -----------------

def _error_page(r, status: int, code: str) -> str:
    html = r.get_data(as_text=True)
    assert r.status_code == status, html[:300]
    assert '<header class="top">' in html and 'class="card error-page"' in html  # the site's layout
    m = re.search(rf'<p class="message" data-code="{code}">([^<]*)</p>', html)
    assert m, html
    return m.group(1)


def test_error_pages_speak_chinese_first_then_english(app, client, world):
    login(client, "pm")
    pages = [
        (lambda: client.get("/no/such/page"), 404, "not_found", "找不到页面或对象。", "No such page or object."),
        (lambda: client.get("/deliverables/99999"), 404, "deliverable_not_found",
         "交付物 99999 不存在或您无权查看。", "No deliverable 99999, or you may not see it."),
        (lambda: client.get("/admin/users"), 403, "admin_only", "只有系统管理员可以管理用户。",
         "Only an admin may manage users."),
        (lambda: client.get("/logout"), 405, "method_not_allowed", "此地址不支持该请求方式。",
         "This address does not accept that request method."),
        (lambda: client.post("/projects/P1/faults", data={"title": "x"}), 400, "csrf_failed",
         "页面已过期或表单无效，请刷新页面后重试。",
         "The page has expired or the form is not valid; reload the page and try again."),
    ]
    for get, status, code, zh, _en in pages:
        r = get()
        assert _error_page(r, status, code) == zh
        assert '<html lang="zh-CN">' in r.get_data(as_text=True)
    _english(client)
    for get, status, code, _zh, en in pages:
        assert _error_page(get(), status, code) == en


def test_the_413_page_is_chinese_and_names_the_limit(app, client, world):
    login(client, "pm")
    token = page_token(client, "/projects/P1/maintenance")
    app.config["MAX_CONTENT_LENGTH"] = 2000  # what Werkzeug refuses before reading the body
    r = client.post("/projects/P1/faults", data={"csrf_token": token, "title": "x" * 5000})
    # a page form (not a file upload) has the small limit of other bodies (core.upload.OTHER_BODY_MAX)
    assert _error_page(r, 413, "too_large") == "提交的内容超过 1 MiB 的大小上限（文件上传与其他表单各有上限）。"
    d = _doc_id(app, world)  # a file upload: the upload limit is named
    token = page_token(client, f"/deliverables/{d}")
    r = client.post(f"/deliverables/{d}/upload", data={"csrf_token": token, "file": (io.BytesIO(b"x" * 5000), "a.txt")},
                    content_type="multipart/form-data")
    limit = app.config["HANDOVER_MAX_UPLOAD_MB"]
    assert _error_page(r, 413, "too_large").startswith(f"提交的内容超过 {limit} MiB")


def test_the_api_keeps_english_and_answers_chinese_on_request(client, world):
    r = client.get("/api/deliverables/99999", headers=world.h("pm"))
    assert r.status_code == 404 and r.json["error"] == {"code": "deliverable_not_found",
                                                        "message": "No deliverable 99999."}
    r = client.get("/api/deliverables/99999", headers={**world.h("pm"), "Accept-Language": "zh-CN,zh;q=0.9"})
    assert r.json["error"] == {"code": "deliverable_not_found", "message": "交付物 99999 不存在或您无权查看。"}


# ---------------------------------------------------- every code, both languages -----------

def _error_classes() -> dict[str, type]:
    from core import errors
    return {n: c for n, c in vars(errors).items() if isinstance(c, type) and issubclass(c, errors.HandoverError)}


# Codes built at run time from a closed set (the scan cannot read them): prefix -> the set.
DYNAMIC = {"version_": {"version_rejected", "version_signed_off"}}  # projects.permissions: already rejected / signed off


NOT_ERROR_CODES = {"project_code"}  # `*_code` arguments that are not error codes


@dataclass
class Site:
    code: str
    where: str
    params: frozenset[str] | None  # None: the site cannot pass parameters


def _code_of(node, default: str | None, where: str) -> list[str]:
    if node is None:
        return [default] if default else []
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        prefix = node.values[0].value
        assert prefix in DYNAMIC, f"{where}: a code built at run time ({ast.unparse(node)}); list its values in DYNAMIC"
        return sorted(DYNAMIC[prefix])
    return []  # a variable: its values are collected where they are written (defaults, *_code=)


def raise_sites() -> list[Site]:
    """Every place in the sources that names an error code an operation can raise:
    HandoverError subclasses called with a code (or their default code), permission refusals
    (refuse(code, ...)), `*_code="..."` arguments and defaults, and the codes the error
    handlers use (core.requests, web.form_errors)."""
    classes = _error_classes()
    sites: list[Site] = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in SKIP_DIRS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name = node.func.id if isinstance(node.func, ast.Name) else (
                    node.func.attr if isinstance(node.func, ast.Attribute) else "")
                kw = {k.arg: k.value for k in node.keywords if k.arg}
                if name in classes:
                    code_node = node.args[1] if len(node.args) > 1 else kw.get("code")
                    params = frozenset(k for k in kw if k != "code")
                    sites += [Site(c, where, params) for c in _code_of(code_node, classes[name].code, where)]
                elif name == "refuse" and node.args:  # refuse(code, message, error, **params)
                    sites += [Site(c, where, frozenset(kw)) for c in _code_of(node.args[0], None, where)]
                elif name == "error_response" and len(node.args) > 1:
                    params = None
                    if len(node.args) > 3 and isinstance(node.args[3], ast.Dict):
                        params = frozenset(k.value for k in node.args[3].keys if isinstance(k, ast.Constant))
                    sites += [Site(c, where, params if params is not None else frozenset())
                              for c in _code_of(node.args[1], None, where)]
                for k, value in kw.items():
                    if k.endswith("_code") and k not in NOT_ERROR_CODES:
                        sites += [Site(c, where, frozenset()) for c in _code_of(value, None, where)]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + node.args.defaults \
                    + node.args.kw_defaults
                for arg, default in zip(args, defaults):
                    if arg.arg.endswith("_code") and arg.arg not in NOT_ERROR_CODES and default is not None:
                        sites += [Site(c, where, frozenset()) for c in _code_of(default, None, where)]
    from core.requests import HTTP_CODES
    sites += [Site(c, "core/requests.py HTTP_CODES", None) for c in HTTP_CODES.values()]  # params: see _http_error
    return sites


def test_the_scan_finds_the_codes_it_should():
    codes = {s.code for s in raise_sites()}
    assert {"not_found", "forbidden", "empty_file", "own_upload", "already_held", "admin_only",
            "version_not_found", "version_signed_off", "csrf_failed", "internal_error", "too_large",
            "method_not_allowed", "not_a_member", "members_only", "invalid_date"} <= codes
    assert len(codes) > 60


def test_every_raised_code_has_a_chinese_and_an_english_message():
    en = catalog("en")
    missing = []
    for code in sorted({s.code for s in raise_sites()}):
        zh = ERRORS.get(code)
        if not zh or not CJK.search(zh):
            missing.append(f"{code}: no Chinese message in core.messages.ERRORS")
        elif not en.get(zh):
            missing.append(f"{code}: no English for {zh!r} in translations/en/LC_MESSAGES/messages.po")
        elif placeholders(en[zh]) != placeholders(zh):
            missing.append(f"{code}: the English shows {placeholders(en[zh])}, the Chinese {placeholders(zh)}")
    assert missing == []


def test_every_registered_message_is_complete_in_both_languages():
    en = catalog("en")
    for code, zh in ERRORS.items():
        assert CJK.search(zh) and en.get(zh) and not CJK.search(en[zh]), code
        assert placeholders(en[zh]) == placeholders(zh), code


def test_every_raise_site_passes_the_parameters_its_message_shows():
    wrong = []
    for s in raise_sites():
        need = placeholders(ERRORS.get(s.code, "")) - set(DEFAULTS.get(s.code, {}))
        if need and s.params is not None and not need <= s.params:
            wrong.append(f"{s.where} raises {s.code} without {sorted(need - s.params)}")
    assert wrong == []


def test_the_lookup_fills_parameters_and_falls_back():
    assert error_message("version_not_found", "zh", {"version_id": 5}) == "版本 5 不存在或您无权查看。"
    assert error_message("version_not_found", "en", {"version_id": 5}) == "No version 5, or you may not see it."
    assert error_message("invalid_date", "zh") == "日期须在 1990-01-01 至 2100-12-31 之间。"
    assert error_message("no_such_code", "zh", fallback="Fallback.") == "Fallback."
    assert error_message("version_not_found", "zh", {}, fallback="No version.") == "No version."


# ----------------------------------------------------------------- labels ------------------

def test_the_fault_page_and_the_report_agree_on_event_and_status_labels(app, client, world, clock):
    from maintenance.labels import EVENT_ZH, FAULT_STATUS_ZH
    fid = client.post("/api/projects/P1/faults", headers=world.h("client"),
                      json={"level": 3, "title": "门禁故障", "channel": "phone"}).json["id"]
    for who, kind in (("engineer", "respond"), ("pm", "hold_level")):
        r = client.post(f"/api/faults/{fid}/events", headers=world.h(who), json={"kind": kind})
        assert r.status_code == 201, r.json
    login(client, "pm")
    html = client.get(f"/faults/{fid}").get_data(as_text=True)
    assert f"<b>{EVENT_ZH['hold_level']}</b>" in html and f"<b>{EVENT_ZH['respond']}</b>" in html
    assert FAULT_STATUS_ZH["open"] in html and "P1-F001" in html
    docx = client.get(f"/faults/{fid}/report.docx")
    assert docx.status_code == 200 and "P1-F001" in docx.headers["Content-Disposition"]
    text = re.sub(r"<[^>]+>", "", zipfile.ZipFile(io.BytesIO(docx.data)).read("word/document.xml").decode())
    assert EVENT_ZH["hold_level"] in text and EVENT_ZH["respond"] in text
    assert FAULT_STATUS_ZH["open"] in text
    assert "同意不升级" not in text  # the report's own label of old


# A fault reference or a role / fault-event label written out anywhere but a labels module.
LABEL_DEFINITIONS = r"""F\{[^}]*03d\}|'%03d'|["']admin["']:\s*["']系统管理员|["']hold_level["']:\s*["']"""


def test_one_place_for_role_labels_and_names():
    import deliverables.drafts as drafts
    import web.i18n as i18n
    from core.labels import ROLE_ZH
    assert i18n.ROLE_ZH is ROLE_ZH and not hasattr(drafts, "ROLE_ZH")
    sources = [p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in SKIP_DIRS]
    templates = list((ROOT / "web" / "templates").glob("*.html"))
    offenders = [str(p.relative_to(ROOT)) for p in sources + templates
                 if p.name != "labels.py" and re.search(LABEL_DEFINITIONS, p.read_text(encoding="utf-8"))]
    assert offenders == []
