"""Load and validate catalog.yaml (phases, the 33 documents, record types, calendar)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")


@dataclass(frozen=True)
class Phase:
    key: str
    name_zh: str
    name_en: str
    position: int


@dataclass(frozen=True)
class DocumentType:
    key: str
    seed_no: int
    name_zh: str
    name_en: str
    stage_zh: str
    phase: str
    position: int


@dataclass(frozen=True)
class RecordType:
    key: str
    name_zh: str
    name_en: str
    rhythm: str
    due_weekday: int | None = None
    due_time: str | None = None
    due_days: int | None = None


@dataclass(frozen=True)
class Numbering:
    """The document-number schemes (format strings) and the codes they use."""
    document: str = "{project}-{phase}-{seq:02d}"
    record: str = "{project}-{record}-{period}"
    phase_codes: dict = field(default_factory=dict)
    record_codes: dict = field(default_factory=dict)

    def document_no(self, project_code: str, phase: str, seq: int) -> str:
        """The number of the `seq`-th document of `phase`, e.g. ``ZHYQ-2026-XQ-02``."""
        code = self.phase_codes.get(phase, phase.upper())
        return self.document.format(project=project_code, phase=code, seq=seq)[:64]

    def record_no(self, project_code: str, record_key: str, period: str) -> str:
        """The number of a record instance, e.g. ``ZHYQ-2026-JCJL-2026W47`` or ``...-TSSL-E003``."""
        code = self.record_codes.get(record_key, record_key.upper())
        compact = (period or "").replace("-", "").upper()
        seq = int(compact[1:]) if compact[:1] == "E" and compact[1:].isdigit() else 0
        return self.record.format(project=project_code, record=code, period=compact, seq=seq)[:64]


@dataclass(frozen=True)
class Catalog:
    phases: tuple[Phase, ...]
    documents: tuple[DocumentType, ...]
    records: tuple[RecordType, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)
    numbering: Numbering = field(default_factory=Numbering)

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)

    def document(self, key: str) -> DocumentType | None:
        return next((d for d in self.documents if d.key == key), None)

    def record(self, key: str) -> RecordType | None:
        return next((r for r in self.records if r.key == key), None)

    def name_zh(self, key: str) -> str:
        item = self.document(key) or self.record(key)
        return item.name_zh if item else key

    def documents_in(self, phase_key: str) -> list[DocumentType]:
        return [d for d in self.documents if d.phase == phase_key]

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


def parse_catalog(raw: dict) -> Catalog:
    """Validate the raw YAML; raise ValueError naming the first problem."""
    phases = tuple(Phase(p["key"], p["name_zh"], p["name_en"], i) for i, p in enumerate(raw["phases"]))
    phase_keys = {p.key for p in phases}
    docs, keys = [], set()
    for i, d in enumerate(raw["documents"]):
        if d["phase"] not in phase_keys:
            raise ValueError(f"document {d['key']}: unknown phase {d['phase']}")
        if d["key"] in keys:
            raise ValueError(f"duplicate key {d['key']}")
        keys.add(d["key"])
        docs.append(DocumentType(d["key"], int(d["seed_no"]), d["name_zh"], d["name_en"], d["stage_zh"], d["phase"], i))
    records = []
    for r in raw.get("records", []):
        if r["key"] in keys:
            raise ValueError(f"duplicate key {r['key']}")
        if r["rhythm"] not in ("weekly", "monthly", "once", "on_demand"):
            raise ValueError(f"record {r['key']}: unknown rhythm {r['rhythm']}")
        keys.add(r["key"])
        records.append(RecordType(r["key"], r["name_zh"], r["name_en"], r["rhythm"], r.get("due_weekday"),
                                  r.get("due_time"), r.get("due_days")))
    # Project order: phases in order, documents in file order within each phase.
    docs.sort(key=lambda d: ([p.key for p in phases].index(d.phase), d.position))
    cal = raw.get("calendar") or {}
    to_dates = lambda xs: frozenset(date.fromisoformat(str(x)) for x in xs or ())  # noqa: E731
    return Catalog(phases, tuple(docs), tuple(records), to_dates(cal.get("holidays")),
                   to_dates(cal.get("extra_workdays")), _numbering(raw.get("numbering") or {}, phases, records))


def _numbering(raw: dict, phases, records) -> Numbering:
    """Validate the `numbering` section: known placeholders, a code for every phase and record."""
    n = Numbering(str(raw.get("document") or Numbering.document), str(raw.get("record") or Numbering.record),
                  {str(k): str(v) for k, v in (raw.get("phase_codes") or {}).items()},
                  {str(k): str(v) for k, v in (raw.get("record_codes") or {}).items()})
    sample = dict(project="P", phase="X", record="R", period="2026W01", seq=1)
    for name, scheme, needed in (("document", n.document, "{seq"), ("record", n.record, "{period")):
        try:
            scheme.format(**sample)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"numbering.{name}: invalid scheme {scheme!r} ({exc})") from None
        if needed not in scheme and "{seq" not in scheme:
            raise ValueError(f"numbering.{name}: the scheme needs {needed}}} to be unique")
    missing = [p.key for p in phases if p.key not in n.phase_codes] + \
        [r.key for r in records if r.key not in n.record_codes]
    if raw and missing:
        raise ValueError(f"numbering: no code for {', '.join(missing)}")
    return n


@lru_cache(maxsize=1)
def get_catalog() -> Catalog:
    with open(CATALOG_FILE, encoding="utf-8") as fh:
        return parse_catalog(yaml.safe_load(fh))
