"""Which catalog document a file of a vendor's folder tree is: by the mapping file first, then
by the file's name, then by its folders (nearest first).

Names are compared after normalisation (NFKC, lower case, no spaces, punctuation, leading
numbers like `03-`, version marks like `V2.1` or dates like `20240312`); the longest catalog
name or alias contained in the name wins, so 集成测试报告 beats 测试报告.
"""
from __future__ import annotations

import fnmatch
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

import yaml

from catalog import get_catalog
from core.errors import UserValueError

# Names vendors use for the catalog's documents besides the catalog's own (name_zh, name_en).
ALIASES: dict[str, tuple[str, ...]] = {
    "implementation_methodology": ("实施方法",),
    "pm_engineering_plan": ("项目管理方案", "工程实施方案", "项目实施方案"),
    "project_organization": ("项目组织", "项目成员", "组织架构"),
    "master_plan": ("项目计划", "总体计划", "进度计划"),
    "kickoff_meeting": ("启动会", "开工会"),
    "construction_plan": ("建设方案", "建设与实施方案"),
    "requirements_research": ("需求调研",),
    "requirements_analysis": ("需求分析", "需求规格说明书", "需求说明书", "软件需求规格"),
    "requirements_change": ("变更申请", "需求变更单", "变更记录"),
    "data_dictionary": ("数据库设计", "数据字典说明"),
    "system_design": ("总体设计", "概要设计", "详细设计", "设计说明书", "架构设计"),
    "source_code": ("源码",),
    "test_plan": ("测试方案",),
    "test_cases": ("测试用例",),
    "test_report": ("测试总结",),
    "integration_test_report": ("联调测试报告", "系统集成测试"),
    "equipment_checklist": ("设备清单",),
    "equipment_installation_report": ("设备安装",),
    "installation_confirmation": ("安装确认",),
    "initial_data_plan": ("初始化数据", "数据初始化", "基础数据方案"),
    "installation_manual": ("安装部署手册", "部署手册", "安装指南"),
    "training_plan": ("培训方案",),
    "training_materials": ("培训教材", "培训课件", "培训讲义"),
    "system_operation_manual": ("操作手册",),
    "acceptance_report": ("验收申请", "验收意见", "终验报告", "初验报告"),
    "user_operation_manual": ("用户操作指南",),
    "user_manual": ("使用手册", "用户指南", "使用说明书"),
    "admin_manual": ("管理员手册", "系统管理员手册"),
    "product_description": ("产品说明书", "产品说明"),
    "software_list_spec": ("软件清单", "功能技术说明书"),
    "technical_reference": ("技术参考",),
    "maintenance_manual": ("运维手册", "维护手册"),
    "support_manual": ("技术支持", "支持手册"),
}

# Files that are never documents: lock files of office programs, OS litter.
IGNORED = ("~$*", ".~*", ".*", "Thumbs.db", "desktop.ini", "*.tmp", "*.bak", "*.lnk")

_DATE = re.compile(r"(?<!\d)(20\d\d|19\d\d)[-_.年/]?(0[1-9]|1[0-2])[-_.月/]?(0[1-9]|[12]\d|3[01])日?(?!\d)")
_VERSION = re.compile(r"(?i)(?<![a-z])v(?:er(?:sion)?)?[\s._-]?(\d+(?:\.\d+){0,3})")
_LEADING_NO = re.compile(r"^[\d０-９]+(?:[.．、_\-\s]+[\d０-９]+)*[.．、_\-\s]*")
_DROP = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """The comparable form of a name: NFKC, lower case, without numbering, spaces or punctuation."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = _LEADING_NO.sub("", t)
    t = _DATE.sub("", t)
    t = _VERSION.sub("", t)
    return _DROP.sub("", t)


def date_in_name(name: str) -> date | None:
    """The last valid date written in a file name (`20240312`, `2024-03-12`, `2024年3月12日` with two digits)."""
    found = None
    for m in _DATE.finditer(unicodedata.normalize("NFKC", name)):
        try:
            found = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            continue
    return found


def version_in_name(name: str) -> tuple[int, ...]:
    """The version mark of a file name as numbers (`V2.1` → (2, 1)); () when there is none."""
    m = None
    for m in _VERSION.finditer(unicodedata.normalize("NFKC", PurePosixPath(name).stem)):
        pass
    return tuple(int(x) for x in m.group(1).split(".")) if m else ()


@dataclass(frozen=True)
class Rule:
    pattern: str
    key: str | None  # None: ignore the matching files


class Matcher:
    """Matches relative POSIX paths to document keys (see the module docstring)."""

    def __init__(self, rules: list[Rule] | None = None, catalog=None):
        cat = catalog or get_catalog()
        self.rules = rules or []
        names: list[tuple[str, str]] = []
        for d in cat.documents:
            for n in (d.name_zh, d.name_en, *ALIASES.get(d.key, ())):
                norm = normalise(n)
                if norm:
                    names.append((norm, d.key))
        names.sort(key=lambda x: -len(x[0]))  # longest first: 集成测试报告 before 测试报告
        self.names = names
        self.keys = {d.key for d in cat.documents}

    def _by_name(self, text: str) -> str | None:
        norm = normalise(text)
        if not norm:
            return None
        for name, key in self.names:
            if name in norm:
                return key
        return None

    def ignored(self, relpath: str) -> bool:
        base = PurePosixPath(relpath).name
        return any(fnmatch.fnmatchcase(base, p) for p in IGNORED) or any(
            part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(relpath).parts[:-1])

    def match(self, relpath: str) -> tuple[str | None, str]:
        """(document key or None, how): 'map', 'ignore', 'name', 'folder' or 'unmatched'."""
        for rule in self.rules:
            if _glob(rule.pattern, relpath):
                return (rule.key, "map") if rule.key else (None, "ignore")
        p = PurePosixPath(relpath)
        key = self._by_name(p.stem)
        if key:
            return key, "name"
        for folder in reversed(p.parts[:-1]):
            key = self._by_name(folder)
            if key:
                return key, "folder"
        return None, "unmatched"


def _glob(pattern: str, relpath: str) -> bool:
    """A pattern with a '/' matches the whole relative path (`*` stays inside a folder, `**/`
    any folders); one without matches the file name. A plain path matches itself."""
    pattern = pattern.strip()
    pattern = pattern[2:] if pattern.startswith("./") else pattern
    if "/" not in pattern:
        return fnmatch.fnmatchcase(PurePosixPath(relpath).name, pattern)
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*") \
        .replace(r"\?", "[^/]")
    return re.fullmatch(regex, relpath) is not None or relpath.startswith(pattern.rstrip("/") + "/")


def load_mapping(text: str) -> list[Rule]:
    """Rules from a mapping file (YAML): `map:` pattern → document key (first match wins, in
    file order) and `ignore:` a list of patterns; raises UserValueError naming the problem."""
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise UserValueError(f"The mapping file is not valid YAML: {exc}", "invalid_mapping") from None
    if not isinstance(raw, dict):
        raise UserValueError("The mapping file must be a YAML mapping with `map` and `ignore`.", "invalid_mapping")
    keys = {d.key for d in get_catalog().documents}
    rules: list[Rule] = []
    mapping = raw.get("map") or {}
    items = mapping.items() if isinstance(mapping, dict) else \
        [(k, v) for entry in mapping if isinstance(entry, dict) for k, v in entry.items()]
    for pattern, key in items:
        if key not in keys:
            raise UserValueError(f"The mapping file names an unknown document key '{key}' (for '{pattern}').",
                                 "invalid_mapping")
        rules.append(Rule(str(pattern), str(key)))
    for pattern in raw.get("ignore") or []:
        rules.append(Rule(str(pattern), None))
    return rules
