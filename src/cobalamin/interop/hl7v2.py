"""HL7 v2 ORU^R01 in and out, with an acknowledgement per message (python-hl7 parses).

Reading: a file holds one or many messages, MLLP-framed (``\\x0b ... \\x1c\\x0d``) or plain
(each message starts with ``MSH``; ``\\r``, ``\\n`` or ``\\r\\n`` end segments). From each
message: PID-3 (patient id), PID-7 (birth date), PID-8 (sex, by the vocabulary's codes: HL7
administrative sex and Dutch/English words), OBR-7 (observation date), and every OBX whose
OBX-3 names a test cobalamin reads: a LOINC code of the analyte catalogue (in the identifier
or the alternate identifier) or a site's local code (``cobalamin.knowledge.local_codes``).
OBX-5 may be censored: ``<50`` in an NM or ST value, or the SN data type ``<^50``. OBX rows
with other codes (a full blood count, say) are left alone.

Writing: the same message with MSH-10 marked once (``-CBL``), the interpretation as NTE
segments right after the last interpreted OBX (in the output language(s), words from
``data/texts.yaml``), one NTE per safety alert, a provenance NTE, and every reflex test as a new
ORC/OBR pair (ORC-1 ``NW``; OBR-4 the test's LOINC code; OBR-11 ``A``: add to the existing
specimen). cobalamin's own segments carry a mark (NTE-4 ``CBL^cobalamin^L``; ORC-2/OBR-2 in
namespace ``CBL``), so a message that comes back is interpreted afresh: its old segments are
replaced, never added to, and its id stays the same.

Acknowledging: every message gets an ACK (``acknowledgement``): AA, or AR (the message
cannot be used at all: not HL7, not a result message) or AE (its content has an error) with an
ERR segment giving the location (ERR-2: segment, sequence, field, component), the HL7 error
code (ERR-3, table 0357), the severity and the reason in words (ERR-8).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hl7

from cobalamin.assessment import Assessment
from cobalamin.case import COMPARATORS, normalise_result, parse_case, split_censored
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.pipeline import assess
from cobalamin.render.text import verdict
from cobalamin.version import ENGINE_VERSION, provenance

__all__ = [
    "MARK",
    "ErrorLocation",
    "HL7Error",
    "Outcome",
    "ParsedMessage",
    "Report",
    "acknowledgement",
    "escape",
    "frame_mllp",
    "interpret_file",
    "interpret_message",
    "parse_message",
    "process_message",
    "split_messages",
]

_START, _END = "\x0b", "\x1c"
MARK = "CBL"  # cobalamin's own segments: NTE-4 CBL^cobalamin^L, ORC-2/OBR-2 namespace CBL
_NTE_MARK = f"{MARK}^cobalamin^L"
_ERROR_NAMES = {  # HL7 table 0357, message error condition codes
    "100": "Segment sequence error",
    "101": "Required field missing",
    "102": "Data type error",
    "103": "Table value not found",
    "200": "Unsupported message type",
    "205": "Duplicate key identifier",
    "207": "Application internal error",
}


@dataclass(frozen=True)
class ErrorLocation:
    """Where an error is: segment id, its sequence in the message, field and component."""

    segment: str
    sequence: int = 1
    field: int | None = None
    component: int | None = None

    def erl(self) -> str:
        """ERR-2 (ERL): segment ^ sequence ^ field ^ repetition ^ component."""
        parts = [self.segment, str(self.sequence), _text(self.field), "", _text(self.component)]
        return "^".join(parts).rstrip("^")


def _text(number: int | None) -> str:
    return "" if number is None else str(number)


class HL7Error(InputError):
    """A message that cannot be used; ``field`` names message, segment and field.

    ``location`` and ``code`` (HL7 table 0357) go into the ACK's ERR segment; ``reject``: the
    message as a whole is refused (AR) rather than its content in error (AE)."""

    def __init__(
        self,
        field: str,
        message: str,
        allowed: str = "",
        *,
        location: ErrorLocation | None = None,
        code: str = "207",
        reject: bool = False,
    ) -> None:
        super().__init__(field, message, allowed)
        self.location = location
        self.code = code
        self.reject = reject

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.field, self.message, self.allowed, self.location, self.code,
                           self.reject))  # fmt: skip


def _rebuild(*args: Any) -> HL7Error:
    field, message, allowed, location, code, reject = args
    return HL7Error(field, message, allowed, location=location, code=code, reject=reject)


@dataclass
class ParsedMessage:
    control_id: str
    segments: list[str]  # raw segment text, in order (cobalamin's own segments removed)
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


def frame_mllp(message: str) -> str:
    """One message in its MLLP envelope."""
    return f"{_START}{message}\r{_END}\r"


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


def _raw_field(segment: str, index: int) -> str:
    fields = segment.split("|")
    if segment.startswith("MSH|"):  # MSH-1 is the separator itself
        index -= 1
    return fields[index] if len(fields) > index else ""


def is_own(segment: str) -> bool:
    """Whether a segment is one cobalamin wrote (its mark), to be replaced, not kept."""
    if segment.startswith("NTE|"):
        return _raw_field(segment, 4) == _NTE_MARK
    if segment.startswith(("ORC|", "OBR|")):
        return _component(_raw_field(segment, 2), 2) == MARK
    return False


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


def _header(text: str) -> list[str]:
    """MSH fields by their HL7 number (index 0 unused; 1 is the field separator)."""
    msh = text.split("\r", 1)[0]
    return ["", "|", *msh.split("|")[1:]]


def _msh(text: str, number: int) -> str:
    fields = _header(text)
    return fields[number] if len(fields) > number else ""


def _analyte(
    identifier: str, knowledge: Knowledge, codes: LocalCodes
) -> tuple[str | None, str | None]:
    """(test id, the local code's unit) of OBX-3: a LOINC code (identifier or alternate
    identifier, coding system LN), else a site's local code; (None, None) when neither."""
    pairs = [(_component(identifier, 1), _component(identifier, 3)),
             (_component(identifier, 4), _component(identifier, 6))]  # fmt: skip
    for code, system in pairs:
        if code and system in ("LN", "LOINC", ""):
            item = knowledge.analytes.for_loinc(code)
            if item is not None:
                return item.id, None
    for code, system in pairs:
        local = codes.lookup(code, system)
        if local is not None:
            return local.test, local.unit
    return None, None


def _obx_value(obx: Any, message: Any, here: str, sequence: int) -> tuple[str, str | None]:
    """(number or word text, comparator) of OBX-5: NM/ST, censored text or SN."""
    location = ErrorLocation("OBX", sequence, 5)
    value_text = message.unescape(_field(obx, 5)).strip()
    if _field(obx, 2) == "SN":  # structured numeric: comparator^number[^separator^number]
        comparator, number_text = _component(value_text, 1), _component(value_text, 2)
        if _component(value_text, 3) or _component(value_text, 4):
            raise HL7Error(f"{here}-5", f"a range {value_text!r} cannot be interpreted",
                           location=location, code="102")  # fmt: skip
        if comparator not in ("", "=") and comparator not in COMPARATORS:
            raise HL7Error(f"{here}-5", f"comparator {comparator!r} cannot be interpreted",
                           "<, <=, >, >=, =", location=location, code="102")  # fmt: skip
        return number_text, (None if comparator in ("", "=") else COMPARATORS[comparator])
    censored = split_censored(value_text)
    if censored is not None:
        return censored[1], censored[0]
    return value_text, None


def parse_message(
    text: str, number: int, knowledge: Knowledge, codes: LocalCodes | None = None
) -> ParsedMessage:
    """One message as a case; problems raise HL7Error naming segment and field."""
    codes = codes or LocalCodes.empty()
    where = f"message {number}"
    if not text.startswith("MSH|"):
        raise HL7Error(where, "does not start with an MSH segment",
                       location=ErrorLocation("MSH"), code="100", reject=True)  # fmt: skip
    segments = [s for s in text.split("\r") if s and not is_own(s)]
    try:
        message = hl7.parse("\r".join(segments))
    except Exception as exc:
        raise HL7Error(where, f"cannot be parsed: {exc}",
                       location=ErrorLocation("MSH"), code="102", reject=True) from None  # fmt: skip
    msh = message.segment("MSH")
    control_id = _field(msh, 10)
    where = f"message {number} (MSH-10 {control_id or '?'})"
    kind = _field(msh, 9)
    if not kind.startswith("ORU"):
        raise HL7Error(f"{where} MSH-9", f"{kind or '(empty)'} is not an ORU^R01 result message",
                       location=ErrorLocation("MSH", 1, 9), code="200", reject=True)  # fmt: skip
    if not any(s.startswith("PID|") for s in segments):
        raise HL7Error(where, "has no PID segment", location=ErrorLocation("PID"), code="100")
    pid = message.segment("PID")
    person: dict[str, Any] = {}
    sex_text = _field(pid, 8).strip()
    if sex_text:
        try:
            sex = knowledge.vocabulary.resolve("sex", _component(sex_text, 1), "sex")
        except InputError as exc:
            raise HL7Error(f"{where} PID-8", exc.message, exc.allowed,
                           location=ErrorLocation("PID", 1, 8), code="103") from None  # fmt: skip
        if sex is not None:
            person["sex"] = sex
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
        test, code_unit = _analyte(_field(obx, 3), knowledge, codes)
        if test is None:
            continue  # not a test cobalamin reads
        item = knowledge.analytes[test]
        status = _field(obx, 11).strip().upper()
        if status in ("X", "D", "W"):  # cannot be obtained / deleted / wrong patient
            continue
        if item.id in seen:
            raise HL7Error(f"{here}-3", f"{item.id} is reported twice in one message",
                           location=ErrorLocation("OBX", obx_number, 3), code="205")  # fmt: skip
        value_text, comparator = _obx_value(obx, message, here, obx_number)
        if not value_text:
            raise HL7Error(f"{here}-5", "the result value is empty",
                           location=ErrorLocation("OBX", obx_number, 5), code="101")  # fmt: skip
        unit = message.unescape(_component(_field(obx, 6), 1)).strip() or code_unit
        value: Any = value_text
        if item.kind == "quantitative":
            try:
                value = float(value_text.replace(",", "."))
            except ValueError:
                raise HL7Error(f"{here}-5", f"{value_text!r} is not a number",
                               location=ErrorLocation("OBX", obx_number, 5), code="102") from None  # fmt: skip
            if unit is None:
                raise HL7Error(f"{here}-6", f"the unit of {item.id} is missing",
                               location=ErrorLocation("OBX", obx_number, 6), code="101")  # fmt: skip
        try:
            normalise_result(knowledge.analytes, item.id, value, unit, here, comparator)
        except InputError as exc:
            spot = 6 if exc.field.endswith(".unit") else 5
            raise HL7Error(f"{here}-{spot}", exc.message, exc.allowed,
                           location=ErrorLocation("OBX", obx_number, spot),
                           code="103" if spot == 6 else "102") from None  # fmt: skip
        result: dict[str, Any] = {"test": item.id, "value": value}
        if unit:
            result["unit"] = unit
        if comparator:
            result["comparator"] = comparator
        results.append(result)
        positions.append(position)
        seen.add(item.id)
    if not results:
        raise HL7Error(where, "has no OBX with a test cobalamin reads (a LOINC or local code)",
                       location=ErrorLocation("OBX", 1, 3), code="101")  # fmt: skip
    case = {"person": person, "results": results}
    return ParsedMessage(control_id, segments, case, positions, obr_date)


def _loinc(knowledge: Knowledge, test: str, lang: str) -> tuple[str, str]:
    item = knowledge.analytes[test]
    code = item.loinc[0].code if item.loinc else test
    return code, item.name.get(lang) or item.name.get("en", test)


def _marked_id(control_id: str) -> str:
    """MSH-10 of the interpreted message: marked once, however often it comes back."""
    if not control_id:
        return MARK
    return control_id if control_id.endswith(f"-{MARK}") else f"{control_id}-{MARK}"


def _notes(result: Assessment, pack: Pack, knowledge: Knowledge, langs: Sequence[str]) -> list[str]:
    texts = knowledge.texts
    lines: list[str] = []
    for lang in langs:
        headline = texts.get(
            "hl7.interpretation",
            lang,
            pack=pack.id,
            verdict=verdict(texts, result.deficiency, lang),
        )
        lines.append(" ".join(part for part in (headline, result.comment(lang)) if part))
        for alert in result.alerts:
            level = texts.get(f"level.{alert.level}", lang)
            lines.append(texts.get("hl7.alert", lang, level=level, text=alert.text.get(lang)))
    lines.append(provenance(pack.id, pack.sha256))
    return [f"NTE|{i}|L|{escape(line)}|{_NTE_MARK}" for i, line in enumerate(lines, start=1)]


def interpret_message(
    parsed: ParsedMessage,
    pack: Pack,
    knowledge: Knowledge,
    result: Assessment | None = None,
    langs: Sequence[str] = ("nl", "en"),
) -> str:
    """The interpreted ORU^R01 for one parsed message (segments joined by ``\\r``)."""
    if result is None:
        case = parse_case(parsed.case, knowledge.analytes, knowledge.vocabulary)
        result = assess(case, pack, knowledge)
    segments = list(parsed.segments)
    msh = segments[0].split("|")
    if len(msh) > 9:
        msh[9] = _marked_id(msh[9])
    segments[0] = "|".join(msh)
    notes = _notes(result, pack, knowledge, langs)
    after = max(parsed.obx_positions) + 1
    while after < len(segments) and segments[after].startswith("NTE|"):
        after += 1  # keep the lab's own notes attached to their OBX
    segments[after:after] = notes
    placer = parsed.control_id.removesuffix(f"-{MARK}") or MARK
    reason = knowledge.texts.get("hl7.reflex", langs[0], pack=pack.id)
    for number, test in enumerate(result.reflex_tests, start=1):
        code, name = _loinc(knowledge, test, langs[0])
        order = f"{escape(placer)}-R{number}^{MARK}"
        segments.append(f"ORC|NW|{order}|||||||{parsed.obr_date or ''}")
        segments.append(
            f"OBR|{number}|{order}||{code}^{escape(name)}^LN|||{parsed.obr_date or ''}"
            f"||||A||{escape(reason)}"
        )
    return "\r".join(segments)


def acknowledgement(
    message: str,
    error: HL7Error | None,
    pack: Pack,
    now: dt.datetime | None = None,
) -> str:
    """The ACK of one message: AA, or AR/AE with an ERR segment (location, table 0357 code,
    severity, reason). The SFT segment (v2.5 and later) names cobalamin's version and the
    pack's sha256."""
    header = _header(message) if message.startswith("MSH|") else []

    def get(number: int) -> str:
        return header[number] if len(header) > number else ""

    version = get(12) or "2.5"
    control = get(10)
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d%H%M%S")
    code = "AA" if error is None else ("AR" if error.reject else "AE")
    segments = [
        f"MSH|^~\\&|cobalamin|{get(6)}|{get(3)}|{get(4)}|{stamp}||ACK^R01^ACK|"
        f"{escape(control)}-ACK|{get(11) or 'P'}|{version}",
    ]
    if _at_least(version, (2, 5)):
        segments.append(
            f"SFT|cobalamin|{ENGINE_VERSION}|cobalamin||{escape(provenance(pack.id, pack.sha256))}"
        )
    segments.append(f"MSA|{code}|{escape(control)}")
    if error is not None:
        location = error.location.erl() if error.location is not None else ""
        name = _ERROR_NAMES.get(error.code, "")
        segments.append(f"ERR||{location}|{error.code}^{name}^HL70357|E||||{escape(str(error))}")
    return "\r".join(segments)


def _at_least(version: str, wanted: tuple[int, int]) -> bool:
    try:
        parts = tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return True
    return parts >= wanted


@dataclass(frozen=True)
class Outcome:
    """One message processed: the interpreted message (None when in error) and its ACK."""

    number: int
    control_id: str
    interpreted: str | None
    ack: str
    problem: str | None


def process_message(
    text: str,
    number: int,
    pack: Pack,
    knowledge: Knowledge,
    *,
    codes: LocalCodes | None = None,
    langs: Sequence[str] = ("nl", "en"),
    now: dt.datetime | None = None,
) -> Outcome:
    """Interpret one message and acknowledge it. Never raises: any failure is an AE/AR."""
    control = _msh(text, 10) if text.startswith("MSH|") else ""
    try:
        parsed = parse_message(text, number, knowledge, codes)
        interpreted = interpret_message(parsed, pack, knowledge, langs=langs)
    except HL7Error as exc:
        return Outcome(number, control, None, acknowledgement(text, exc, pack, now), str(exc))
    except CobalaminError as exc:
        error = HL7Error(f"message {number}", str(exc), code="207")
        return Outcome(number, control, None, acknowledgement(text, error, pack, now), str(exc))
    except Exception as exc:  # a bug must not lose the message nor stop a server
        error = HL7Error(f"message {number}", f"internal error ({type(exc).__name__})")
        return Outcome(number, control, None, acknowledgement(text, error, pack, now), str(error))
    return Outcome(number, control, interpreted, acknowledgement(text, None, pack, now), None)


def _write_atomic(path: Path, body: str) -> None:
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    tmp.write_bytes(body.encode("utf-8"))
    os.replace(tmp, path)


def _join(messages: Sequence[str], mllp: bool) -> str:
    if mllp:
        return "".join(frame_mllp(m) for m in messages)
    return "".join(m.replace("\r", "\n") + "\n" for m in messages)  # one segment per line


def interpret_file(
    input_path: Path,
    pack: Pack | str,
    out: Path,
    *,
    knowledge: Knowledge,
    mllp: bool = False,
    ack: Path | None = None,
    rejected: Path | None = None,
    codes: LocalCodes | None = None,
    langs: Sequence[str] = ("nl", "en"),
) -> Report:
    """Interpret every message of a file; write the good ones (and, with ``ack``, an ACK per
    message; with ``rejected``, the messages that could not be interpreted, as they came)
    atomically, report the rest."""
    pack = pack if isinstance(pack, Pack) else knowledge.pack(pack)
    try:
        text = input_path.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputError("input", f"cannot read {input_path}: {exc.strerror}") from None
    report = Report()
    written: list[str] = []
    acks: list[str] = []
    refused: list[str] = []
    for number, message in enumerate(split_messages(text), start=1):
        report.read += 1
        outcome = process_message(message, number, pack, knowledge, codes=codes, langs=langs)
        acks.append(outcome.ack)
        if outcome.interpreted is not None:
            written.append(outcome.interpreted)
        else:
            refused.append(message)
        if outcome.problem is not None:
            report.problems.append(outcome.problem)
    report.written = len(written)
    _write_atomic(out, _join(written, mllp))
    if ack is not None:
        _write_atomic(ack, _join(acks, mllp))
    if rejected is not None:
        _write_atomic(rejected, _join(refused, mllp))
    return report
