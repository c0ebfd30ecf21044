"""HL7 v2 ORU^R01 in and out (python-hl7 parses; the writer builds segments as text).

Reading: a file holds one or many messages, MLLP-framed (``\\x0b ... \\x1c\\x0d``) or plain
(each message starts with ``MSH``; ``\\r``, ``\\n`` or ``\\r\\n`` end segments). From each
message: PID-3 (patient id), PID-7 (birth date), PID-8 (sex), OBR-7 (observation date), and
every OBX whose OBX-3 holds a LOINC code of the analyte catalogue (OBX-5 value, OBX-6 units).
OBX rows with other codes (a full blood count, say) are left alone.

Writing: the same message with a new MSH-10, the interpretation as NTE segments right after
the last interpreted OBX (Dutch, then English), and every reflex test as a new ORC/OBR pair
(ORC-1 ``NW``; OBR-4 the test's LOINC code; OBR-11 ``A``: add to the existing specimen).

A malformed message is reported with its number, control id, segment and field, and skipped;
the other messages are still interpreted.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hl7

from cobalamin.assessment import Assessment
from cobalamin.case import normalise_result, parse_case
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.pipeline import assess
from cobalamin.render.text import verdict
from cobalamin.version import provenance

__all__ = [
    "HL7Error",
    "ParsedMessage",
    "Report",
    "escape",
    "interpret_file",
    "interpret_message",
    "parse_message",
    "split_messages",
]

_START, _END = "\x0b", "\x1c"


class HL7Error(InputError):
    """A message that cannot be used; ``field`` names message, segment and field."""


@dataclass
class ParsedMessage:
    control_id: str
    segments: list[str]  # raw segment text, in order
    case: dict[str, Any]
    obx_positions: list[int]  # indices in ``segments`` of interpreted OBX
    obr_date: str | None


@dataclass
class Report:
    read: int = 0
    written: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"messages read: {self.read}, interpreted: {self.written}, "
            f"with errors: {len(self.problems)}"
        )


def split_messages(text: str) -> list[str]:
    """Every message in a file, MLLP-framed or plain, with segments ended by ``\\r``."""
    if _START in text:
        chunks = [part.split(_END, 1)[0] for part in text.split(_START)[1:]]
    else:
        normalised = text.replace("\r\n", "\r").replace("\n", "\r")
        chunks = re.split(r"\r(?=MSH\|)", "\r" + normalised.lstrip("\ufeff"))
    messages = []
    for chunk in chunks:
        segments = [s for s in chunk.replace("\r\n", "\r").replace("\n", "\r").split("\r") if s]
        if segments:
            messages.append("\r".join(segments))
    return messages


def escape(text: str) -> str:
    """HL7 escaping of ``\\ | ^ & ~`` in a text field."""
    out = text.replace("\\", "\\E\\")
    for char, code in (("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        out = out.replace(char, code)
    return out


def _field(segment: Any, index: int) -> str:
    """Field ``index`` of a python-hl7 segment as text ('' when absent)."""
    try:
        return str(segment[index])
    except (IndexError, KeyError):
        return ""


def _component(value: str, index: int) -> str:
    parts = value.split("~", 1)[0].split("^")
    return parts[index - 1] if len(parts) >= index else ""


def _date(value: str) -> dt.date | None:
    digits = value.strip()[:8]
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def _age(birth: dt.date, on: dt.date) -> float:
    years = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    return float(max(years, 0))


def parse_message(text: str, number: int, knowledge: Knowledge) -> ParsedMessage:
    """One message as a case; problems raise HL7Error naming segment and field."""
    where = f"message {number}"
    if not text.startswith("MSH|"):
        raise HL7Error(where, "does not start with an MSH segment")
    try:
        message = hl7.parse(text)
    except Exception as exc:
        raise HL7Error(where, f"cannot be parsed: {exc}") from None
    msh = message.segment("MSH")
    control_id = _field(msh, 10)
    where = f"message {number} (MSH-10 {control_id or '?'})"
    kind = _field(msh, 9)
    if not kind.startswith("ORU"):
        raise HL7Error(f"{where} MSH-9", f"{kind or '(empty)'} is not an ORU^R01 result message")
    segments = text.split("\r")
    pids = [s for s in segments if s.startswith("PID|")]
    if not pids:
        raise HL7Error(where, "has no PID segment")
    pid = message.segment("PID")
    person: dict[str, Any] = {}
    sex = _field(pid, 8).strip().upper()[:1]
    if sex in ("F", "M"):
        person["sex"] = "female" if sex == "F" else "male"
    obr_date: str | None = None
    observed: dt.date | None = None
    if any(s.startswith("OBR|") for s in segments):
        obr_date = _field(message.segment("OBR"), 7) or None
        observed = _date(obr_date or "")
    birth = _date(_field(pid, 7))
    if birth is not None and observed is not None:
        person["age"] = _age(birth, observed)
    results: list[dict[str, Any]] = []
    positions: list[int] = []
    seen: set[str] = set()
    obx_number = 0
    for position, raw in enumerate(segments):
        if not raw.startswith("OBX|"):
            continue
        obx_number += 1
        obx = message.segments("OBX")[obx_number - 1]
        here = f"{where} OBX[{obx_number}]"
        identifier = _field(obx, 3)
        code, system = _component(identifier, 1), _component(identifier, 3)
        item = knowledge.analytes.for_loinc(code) if system in ("LN", "LOINC", "") else None
        if item is None:
            continue  # not a test cobalamin reads
        status = _field(obx, 11).strip().upper()
        if status in ("X", "D", "W"):  # cannot be obtained / deleted / wrong patient
            continue
        if item.id in seen:
            raise HL7Error(f"{here}-3", f"{item.id} is reported twice in one message")
        value_text = message.unescape(_field(obx, 5)).strip()
        if _field(obx, 2) == "SN":  # structured numeric: comparator^number
            comparator, number_text = _component(value_text, 1), _component(value_text, 2)
            if comparator not in ("", "="):
                raise HL7Error(
                    f"{here}-5", f"censored value {comparator}{number_text} cannot be interpreted"
                )
            value_text = number_text
        if not value_text:
            raise HL7Error(f"{here}-5", "the result value is empty")
        unit = message.unescape(_component(_field(obx, 6), 1)).strip() or None
        value: Any = value_text
        if item.kind == "quantitative":
            try:
                value = float(value_text.replace(",", "."))
            except ValueError:
                raise HL7Error(f"{here}-5", f"{value_text!r} is not a number") from None
            if unit is None:
                raise HL7Error(f"{here}-6", f"the unit of {item.id} is missing")
        try:
            normalise_result(knowledge.analytes, item.id, value, unit, here)
        except InputError as exc:
            suffix = "-6" if exc.field.endswith(".unit") else "-5"
            raise HL7Error(f"{here}{suffix}", exc.message, exc.allowed) from None
        results.append({"test": item.id, "value": value, "unit": unit} if unit else
                       {"test": item.id, "value": value})  # fmt: skip
        positions.append(position)
        seen.add(item.id)
    if not results:
        raise HL7Error(where, "has no OBX with a LOINC code cobalamin reads")
    case = {"person": person, "results": results}
    return ParsedMessage(control_id, segments, case, positions, obr_date)


def _loinc(knowledge: Knowledge, test: str) -> tuple[str, str]:
    item = knowledge.analytes[test]
    code = item.loinc[0].code if item.loinc else test
    return code, item.name.get("en", test)


def interpret_message(
    parsed: ParsedMessage, pack: Pack, knowledge: Knowledge, result: Assessment | None = None
) -> str:
    """The interpreted ORU^R01 for one parsed message (segments joined by ``\\r``)."""
    if result is None:
        case = parse_case(parsed.case, knowledge.analytes, knowledge.vocabulary)
        result = assess(case, pack, knowledge)
    segments = list(parsed.segments)
    msh = segments[0].split("|")
    if len(msh) > 9:
        msh[9] = f"{msh[9]}-CBL" if msh[9] else "CBL"
    segments[0] = "|".join(msh)
    texts = knowledge.texts
    notes: list[str] = []
    for lang in ("nl", "en"):
        headline = texts.get(
            "hl7.interpretation",
            lang,
            pack=pack.id,
            verdict=verdict(texts, result.deficiency, lang),
        )
        text = " ".join(part for part in (headline, result.comment(lang)) if part)
        notes.append(f"NTE|{len(notes) + 1}|L|{escape(text)}")
    notes.append(f"NTE|{len(notes) + 1}|L|{escape(provenance(pack.id, pack.sha256))}")
    after = max(parsed.obx_positions) + 1
    while after < len(segments) and segments[after].startswith("NTE|"):
        after += 1  # keep the lab's own notes attached to their OBX
    segments[after:after] = notes
    placer = parsed.control_id or "CBL"
    for number, test in enumerate(result.reflex_tests, start=1):
        code, name = _loinc(knowledge, test)
        order = f"{placer}-R{number}"
        segments.append(f"ORC|NW|{escape(order)}|||||||{parsed.obr_date or ''}")
        segments.append(
            f"OBR|{number}|{escape(order)}||{code}^{escape(name)}^LN|||{parsed.obr_date or ''}"
            f"||||A||reflex: {escape(pack.id)}"
        )
    return "\r".join(segments)


def interpret_file(
    input_path: Path, pack: Pack | str, out: Path, *, knowledge: Knowledge, mllp: bool = False
) -> Report:
    """Interpret every message of a file; write the good ones atomically, report the rest."""
    pack = pack if isinstance(pack, Pack) else knowledge.pack(pack)
    try:
        text = input_path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError("input", f"cannot read {input_path}: {exc.strerror}") from None
    report = Report()
    written: list[str] = []
    for number, message in enumerate(split_messages(text), start=1):
        report.read += 1
        try:
            parsed = parse_message(message, number, knowledge)
            written.append(interpret_message(parsed, pack, knowledge))
        except CobalaminError as exc:
            report.problems.append(str(exc))
    report.written = len(written)
    if mllp:
        body = "".join(f"{_START}{m}\r{_END}\r" for m in written)
    else:  # plain: one segment per line, messages one after the other
        body = "".join(m.replace("\r", "\n") + "\n" for m in written)
    tmp = out.with_name(f".{out.name}.partial-{os.getpid()}")
    tmp.write_bytes(body.encode("utf-8"))
    os.replace(tmp, out)
    return report
