"""HL7 v2 ORU^R01: real-world style messages in, interpreted messages out."""

from __future__ import annotations

from pathlib import Path

import hl7
import pytest

from cobalamin import default_knowledge, load_pack
from cobalamin.interop.hl7v2 import (
    HL7Error,
    escape,
    interpret_file,
    interpret_message,
    parse_message,
    process_message,
    split_messages,
)
from cobalamin.knowledge.local_codes import LocalCodes

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
    result = parse_message(censored, 1, default_knowledge()).case["results"][0]
    assert (result["comparator"], result["value"]) == ("<", 50.0)
    as_text = MSG.format(n=1, b12="<50")  # NM with the comparator written in the value
    assert parse_message(as_text, 1, default_knowledge()).case["results"][0]["comparator"] == "<"
    at_least = MSG.format(n=1, b12=">=^1476").replace("|NM|", "|SN|")
    assert parse_message(at_least, 1, default_knowledge()).case["results"][0]["comparator"] == ">="
    with pytest.raises(HL7Error, match="range"):
        parse_message(
            MSG.format(n=1, b12="^100^-^200").replace("|NM|", "|SN|"), 1, default_knowledge()
        )


def test_a_censored_result_is_interpreted_and_said_so() -> None:
    """B12 <50 pmol/L lies below the leaflet's 150 (seed 004: "<150 pmol/L ... Groot")."""
    parsed = parse_message(
        MSG.format(n=1, b12="<^50").replace("|NM|", "|SN|"), 1, default_knowledge()
    )
    out = hl7.parse(interpret_message(parsed, load_pack("gelderse-vallei"), default_knowledge()))
    notes = [str(s[3]) for s in out.segments("NTE")]
    assert "waarschijnlijk" in notes[0] and "gecensureerd" in notes[0]
    assert "likely" in notes[1] and "censored" in notes[1]


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


LOCAL = (
    "MSH|^~\\&|LIS|LAB|EPD|GV|20261120083000||ORU^R01|L{n}|P|2.5\r"
    "PID|1||{n}^^^GV^MR||Doe^J||19800415|{sex}\r"
    "OBR|1|O{n}|F{n}|B12^Vitamine B12^L|||20261120080000\r"
    "OBX|1|NM|VITB12^Vitamine B12^99LAB||{b12}||150-700|L|||F\r"
)


def _codes(tmp_path: Path) -> LocalCodes:
    path = tmp_path / "codes.yaml"
    path.write_text("codes:\n  VITB12: {test: b12, unit: pmol/L}\n  HB: {test: hb, unit: mmol/L}\n")
    return LocalCodes.load(path, default_knowledge().analytes)


def test_messages_with_only_local_codes(tmp_path: Path) -> None:
    text = LOCAL.format(n=1, b12=120, sex="V")
    with pytest.raises(HL7Error, match="no OBX with a test cobalamin reads"):
        parse_message(text, 1, default_knowledge())
    parsed = parse_message(text, 1, default_knowledge(), _codes(tmp_path))
    assert parsed.case == {  # the code gives the unit the OBX leaves out; V is vrouw
        "person": {"sex": "female", "age": 46.0},
        "results": [{"test": "b12", "value": 120.0, "unit": "pmol/L"}],
    }
    alternate = MSG.format(n=2, b12=120).replace("14685-2^B12^LN", "VITB12^B12^L^14685-2^B12^LN")
    assert parse_message(alternate, 2, default_knowledge()).case["results"][0]["test"] == "b12"


@pytest.mark.parametrize(("code", "sex"), [("F", "female"), ("V", "female"), ("M", "male"),
                                          ("U", None), ("O", None), ("A", None)])  # fmt: skip
def test_administrative_sex_codes(tmp_path: Path, code: str, sex: str | None) -> None:
    parsed = parse_message(
        LOCAL.format(n=1, b12=120, sex=code), 1, default_knowledge(), _codes(tmp_path)
    )
    assert parsed.case["person"].get("sex") == sex


def _anaemic(n: int) -> str:
    """A woman of 46 with Hb 6.5 mmol/L (105 g/L, below WHO's 120 g/L) and no ferritin."""
    return MSG.format(n=n, b12=100) + "OBX|2|NM|718-7^Hemoglobin^LN||6.5|mmol/L|||||F\r"


def test_safety_alerts_become_notes_in_the_output_language() -> None:
    """data/safety.yaml anaemia_without_ferritin: "Measure ferritin, B12 and folate before
    prescribing iron" (seed 001), raised by assess and now written as an NTE."""
    pack, knowledge = load_pack("gelderse-vallei"), default_knowledge()
    parsed = parse_message(_anaemic(1), 1, knowledge)
    both = hl7.parse(interpret_message(parsed, pack, knowledge))
    notes = [hl7.parse(str(both)).unescape(str(s[3])) for s in both.segments("NTE")]
    alert = knowledge.alerts["anaemia_workup_before_iron"].text
    assert any(alert.nl in n and n.startswith("Signalering (waarschuwing)") for n in notes)
    assert any(alert.en in n and n.startswith("Alert (warning)") for n in notes)
    dutch = hl7.parse(interpret_message(parsed, pack, knowledge, langs=("nl",)))
    words = " ".join(dutch.unescape(str(s[3])) for s in dutch.segments("NTE"))
    for english in (alert.en, "Interpretation", "deficiency", "Alert", "warning"):
        assert english not in words
    grey = parse_message(MSG.format(n=2, b12=180), 2, knowledge)  # the MMA reflex, in Dutch
    reflex = hl7.parse(interpret_message(grey, pack, knowledge, langs=("nl",))).segments("OBR")[-1]
    assert str(reflex[4]) == "13964-2^Methylmalonzuur, serum/plasma^LN"
    assert str(reflex[13]) == "reflextest (gelderse-vallei)"


def test_processing_its_own_output_changes_nothing(tmp_path: Path) -> None:
    once, twice = tmp_path / "once.hl7", tmp_path / "twice.hl7"
    interpret_file(DATA / "oru_r01.hl7", "gelderse-vallei", once, knowledge=default_knowledge())
    interpret_file(once, "gelderse-vallei", twice, knowledge=default_knowledge())
    assert twice.read_text() == once.read_text()
    first = hl7.parse(split_messages(twice.read_text())[0])
    assert str(first.segment("MSH")[10]) == "MSG0001-CBL"
    assert len(first.segments("NTE")) == 1 + 3  # the lab's own note, then nl, en, provenance


def test_an_ack_for_every_message(tmp_path: Path) -> None:
    source = tmp_path / "in.hl7"
    adt = "MSH|^~\\&|LIS|LAB|EPD|GV|20261120083000||ADT^A01|A9|P|2.5\rPID|1||9"
    source.write_text("\n".join([MSG.format(n=1, b12=100), MSG.format(n=2, b12="abc"), adt,
                                 _anaemic(4)]).replace("\r", "\n"))  # fmt: skip
    acks = tmp_path / "acks.hl7"
    kept = tmp_path / "rejected.hl7"
    report = interpret_file(source, "gelderse-vallei", tmp_path / "out.hl7",
                            knowledge=default_knowledge(), ack=acks, rejected=kept)  # fmt: skip
    assert (report.read, report.written, len(report.problems)) == (4, 2, 2)
    # no message is lost: what could not be interpreted is kept as it came
    refused = [hl7.parse(m) for m in split_messages(kept.read_text())]
    assert [str(m.segment("MSH")[10]) for m in refused] == ["M2", "A9"]
    messages = [hl7.parse(m) for m in split_messages(acks.read_text())]
    assert [str(m.segment("MSA")[1]) for m in messages] == ["AA", "AE", "AR", "AA"]
    assert [str(m.segment("MSA")[2]) for m in messages] == ["M1", "M2", "A9", "M4"]
    error = messages[1].segment("ERR")
    assert str(error[2]) == "OBX^1^5"  # ERR-2: segment, sequence, field
    assert str(error[3]) == "102^Data type error^HL70357"  # ERR-3: table 0357
    assert str(error[4]) == "E" and "'abc' is not a number" in str(error[8])
    rejected = messages[2].segment("ERR")
    assert str(rejected[2]) == "MSH^1^9" and str(rejected[3]).startswith("200^")
    pack = load_pack("gelderse-vallei")
    assert pack.sha256 in str(messages[0].segment("SFT"))  # provenance in every ACK
    assert str(messages[0].segment("MSH")[9]) == "ACK^R01^ACK"


def test_a_message_that_breaks_the_engine_still_gets_an_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import cobalamin.interop.hl7v2 as module

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "interpret_message", broken)
    outcome = process_message(MSG.format(n=1, b12=100), 1, load_pack("gelderse-vallei"),
                              default_knowledge())  # fmt: skip
    assert outcome.interpreted is None and "MSA|AE|M1" in outcome.ack and "207^" in outcome.ack


def test_pid8_with_an_unknown_code_is_an_error_naming_the_field(tmp_path: Path) -> None:
    outcome = process_message(LOCAL.format(n=1, b12=100, sex="Z"), 1, load_pack("gelderse-vallei"),
                              default_knowledge(), codes=_codes(tmp_path))  # fmt: skip
    assert "ERR||PID^1^8|103^Table value not found^HL70357|E" in outcome.ack
