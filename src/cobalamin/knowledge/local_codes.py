"""A site's own test codes: what a laboratory's export or HL7 message calls each test.

Many laboratory systems send their own codes (``VITB12``, ``MMA-S``) and no LOINC code. A site
maps each code to a test id of the analyte catalogue and, optionally, the unit the code is
reported in (used when a row or OBX gives no unit). YAML::

    site: Example hospital laboratory          # optional, for the reader
    codes:
      VITB12: {test: b12, unit: pmol/L}
      MMA:    {test: mma, unit: umol/L, system: 99LAB}   # system: only in OBX-3 of that system

or CSV with the columns ``code,test,unit`` (and optionally ``system``). Codes are matched
without regard to case or surrounding spaces. Every test and unit is checked when the file is
read: a mapping that cannot be used is an error naming the file, the line and the code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.datafiles import read_yaml_document
from cobalamin.errors import CobalaminError, KnowledgeError
from cobalamin.units import conversion_factor

__all__ = ["LocalCode", "LocalCodes"]


class LocalCode(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    test: str
    unit: str | None = None
    system: str | None = None  # HL7: the coding system of OBX-3 this code belongs to


class _CodesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    site: str | None = None
    codes: dict[str, LocalCode]


@dataclass(frozen=True)
class LocalCodes:
    """A site's codes, by code (matched trimmed and case-insensitively)."""

    codes: dict[str, LocalCode]
    source: str  # the file they came from
    site: str | None = None

    @classmethod
    def empty(cls) -> LocalCodes:
        return cls({}, "")

    def lookup(self, code: str | None, system: str | None = None) -> LocalCode | None:
        """The mapping of a code, or None; with ``system``, a code scoped to another coding
        system does not match."""
        if not code:
            return None
        found = self.codes.get(code.strip().lower())
        if found is None or (system and found.system and found.system != system.strip()):
            return None
        return found

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def load(cls, path: Path, analytes: AnalyteCatalogue) -> LocalCodes:
        """Read and check a site's code file (``.yaml``/``.yml`` or ``.csv``)."""
        if not path.exists():
            raise KnowledgeError(str(path), "the local codes file does not exist")
        if path.suffix.lower() == ".csv":
            site, entries = None, _read_csv(path)
        else:
            document = read_yaml_document(path)
            try:
                data = _CodesFile.model_validate(document.data)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first["loc"])
                raise document.error(where, first["msg"]) from None
            site = data.site
            entries = [(document.where(f"codes.{code}"), code, entry) for code, entry in data.codes.items()]  # fmt: skip
        codes: dict[str, LocalCode] = {}
        for where, code, entry in entries:
            key = code.strip().lower()
            if key in codes:
                raise KnowledgeError(where, f"the code {code!r} is given twice")
            item = analytes.get(entry.test)
            if item is None:
                raise KnowledgeError(
                    where, f"unknown test {entry.test!r} (allowed: {', '.join(analytes)})"
                )
            if entry.unit and item.kind == "quantitative":
                try:
                    conversion_factor(item, entry.unit)
                except CobalaminError as exc:
                    raise KnowledgeError(where, str(exc)) from None
            codes[key] = entry
        return cls(codes, str(path), site)


def _read_csv(path: Path) -> list[tuple[str, str, LocalCode]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(str(path), f"cannot read: {exc}") from None
    sample = text.splitlines()[0] if text else ""
    separator = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.DictReader(text.splitlines(), delimiter=separator))
    entries = []
    for number, row in enumerate(rows, start=2):
        where = f"{path}, line {number}"
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not row.get("code") or not row.get("test"):
            raise KnowledgeError(
                where, "every row needs a code and a test (columns code,test,unit)"
            )
        entry = LocalCode(
            test=row["test"], unit=row.get("unit") or None, system=row.get("system") or None
        )
        entries.append((where, row["code"], entry))
    return entries
