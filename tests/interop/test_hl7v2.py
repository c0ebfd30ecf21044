"""HL7 v2 ORU^R01: real-world style messages in, interpreted messages out."""

from __future__ import annotations

from pathlib import Path

import hl7
import pytest

from cobalamin import default_knowledge
from cobalamin.interop.hl7v2 import (
    HL7Error,
    escape,
    interpret_file,
    parse_message,
    split_messages,
)

DATA = Path(__file__).parents[1] / "data"
MSG = (
    "MSH|^~\\&|LIS|LAB|EPD|GV|20261120083000||ORU^R01|M{n}|P|2.5.1\r"
    "PID|1||{n}^^^GV^MR||Doe^J||19800415|F\r"
    "OBR|1|O{n}|F{n}|14685-2^B12^LN|||20261120080000\r"
    "OBX|1|NM|14685-2^B12^LN||{b12}|pmol/L|150-700|L|||F\r"
)


def test_escaped_characters_and_existing_notes_survive(tmp_path: Path) -> None:
    out = tmp_path / "out.hl7"
    report = interpret_file(
        DATA / "oru_r01.hl7", "gelderse-vallei", out, knowledge=default_knowledge()
    )
    assert (report.read, report.written) == (3, 2)
    assert report.problems == ["message 2 (MSH-10 MSG0002) OBX[1]-5: 'abc' is not a number"]
    messages = split_messages(out.read_text())
    first = hl7.parse(messages[0])
    assert "\\T\\" in str(first.segments("NTE")[0])  # the lab's own note, still escaped
    assert [str(s[1]) for s in first.segments("ORC")] == ["RE", "NW"]
    reflex = first.segments("OBR")[-1]
    assert str(reflex[4]).startswith("13964-2^") and str(reflex[11]) == "A"
    notes = [str(s[3]) for s in first.segments("NTE")[1:]]
    assert "grijs gebied" in notes[0] and "grey zone" in notes[1]


def test_mllp_framing_and_many_messages(tmp_path: Path) -> None:
    body = "".join(f"\x0b{MSG.format(n=n, b12=100 + 50 * n)}\x1c\r" for n in range(5))
    source = tmp_path / "in.mllp"
    source.write_text(body)
    out = tmp_path / "out.mllp"
    report = interpret_file(
        source, "gelderse-vallei", out, mllp=True, knowledge=default_knowledge()
    )
    assert (report.read, report.written, report.problems) == (5, 5, [])
    text = out.read_bytes().decode()
    assert text.count("\x0b") == 5 and text.count("\x1c\r") == 5
    assert len(split_messages(text)) == 5


def test_repeated_obx_for_one_test_is_an_error_naming_the_field() -> None:
    text = MSG.format(n=1, b12=180) + "OBX|2|NM|14685-2^B12^LN||190|pmol/L|||||F"
    with pytest.raises(HL7Error, match=r"OBX\[2\]-3"):
        parse_message(text, 1, default_knowledge())


def test_missing_fields_and_units() -> None:
    no_unit = MSG.format(n=1, b12=180).replace("|pmol/L|", "||")
    with pytest.raises(HL7Error, match=r"OBX\[1\]-6"):
        parse_message(no_unit, 1, default_knowledge())
    bad_unit = MSG.format(n=1, b12=180).replace("|pmol/L|", "|furlong|")
    with pytest.raises(HL7Error, match=r"OBX\[1\]-6: unknown unit"):
        parse_message(bad_unit, 1, default_knowledge())
    no_pid = "\r".join(s for s in MSG.format(n=1, b12=180).split("\r") if not s.startswith("PID"))
    with pytest.raises(HL7Error, match="no PID"):
        parse_message(no_pid, 1, default_knowledge())
    short = "MSH|^~\\&|LIS|LAB|||20261120||ORU^R01|X|P|2.5\rPID|1\rOBX|1|NM|14685-2^^LN||200|pmol/L"
    parsed = parse_message(
        short, 1, default_knowledge()
    )  # no birth date, no sex, no OBR: still interpretable
    assert parsed.case == {
        "person": {},
        "results": [{"test": "b12", "value": 200.0, "unit": "pmol/L"}],
    }


def test_structured_numeric_and_censored_values() -> None:
    sn = MSG.format(n=1, b12="^180").replace("|NM|", "|SN|")
    assert parse_message(sn, 1, default_knowledge()).case["results"][0]["value"] == 180.0
    censored = MSG.format(n=1, b12="<^50").replace("|NM|", "|SN|")
    with pytest.raises(HL7Error, match="censored"):
        parse_message(censored, 1, default_knowledge())


def test_garbage_between_messages_does_not_lose_the_others(tmp_path: Path) -> None:
    source = tmp_path / "mixed.hl7"
    source.write_text(MSG.format(n=1, b12=100) + "\nnot hl7 at all\n" + MSG.format(n=2, b12=300))
    report = interpret_file(
        source, "gelderse-vallei", tmp_path / "out.hl7", knowledge=default_knowledge()
    )
    assert report.read == 2 and report.written >= 1
    assert report.written + len(report.problems) == 2


def test_escape_round_trip() -> None:
    text = "B12 | MMA ^ a & b ~ c \\ d"
    message = hl7.parse(f"MSH|^~\\&|A|B\rNTE|1|L|{escape(text)}")
    assert message.unescape(str(message.segment("NTE")[3])) == text
