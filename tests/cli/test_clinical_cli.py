"""The clinical CLI: exit codes, one-line errors, compare, and fuzzing (never exit 1)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cobalamin.cli.app import app

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_assess_from_flags_json() -> None:
    code, out, _ = run(
        "assess",
        "b12=200ng/L",
        "mma=0.45umol/L",
        "--age",
        "70",
        "--pack",
        "nhg-anemie",
        "-f",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["deficiency"] == "likely"  # 200 ng/L = 147.6 pmol/L < 150 (NHG)
    assert all(f["source"] for f in data["findings"])


def test_assess_file_and_dutch() -> None:
    code, out, _ = run(
        "assess",
        str(EXAMPLES / "grey-zone-pregnant.json"),
        "--pack",
        "gelderse-vallei",
        "-f",
        "json",
        "--lang",
        "nl",
    )
    assert code == 0
    data = json.loads(out)
    assert data["next_tests"][0] == {**data["next_tests"][0], "test": "mma", "reflex": True}
    assert "grijs gebied" in data["comment"]


def test_assess_from_stdin_text() -> None:
    case = json.dumps({"results": [{"test": "b12", "value": 120, "unit": "pmol/L"}]})
    code, out, _ = run("assess", "--pack", "be-review", stdin=case)
    assert code == 0 and "likely" in out and "not a diagnosis" in out


def test_bad_input_is_exit_2_with_one_line() -> None:
    for args in (
        ["assess", "b12=1e9pmol/L"],
        ["assess", "b12=200furlongs"],
        ["assess", "b12=200ng/L", "--medication", "aspirin"],
        ["assess", "b12=200ng/L", "--pack", "nope"],
        ["assess", "xyz"],
    ):
        code, _, err = run(*args)
        assert code == 2, args
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_compare_shows_packs_disagreeing_with_sources() -> None:
    code, out, _ = run("compare", "b12=200ng/L", "-f", "json")
    assert code == 0
    by_pack = {r["pack"]: r for r in json.loads(out)}
    assert by_pack["nice-ng239"]["deficiency"] == "indeterminate"  # 180-350 ng/L
    assert by_pack["gelderse-vallei"]["deficiency"] == "likely"  # 147.6 < 150 pmol/L
    assert by_pack["nhg-anemie"]["deficiency"] == "likely"
    # BSH: "148 pmol/L (200 ng/L)"; the first-stated 148 pmol/L is the edge, 200 ng/L = 147.6
    assert by_pack["bsh-2014"]["deficiency"] == "likely"
    for result in by_pack.values():
        assert result["findings"] and all(f["source"] for f in result["findings"])
    code, out, _ = run("compare", "b12=200ng/L")
    assert code == 0 and "nice-ng239" in out and "bsh-2014" in out


def test_packs_list_show_schema() -> None:
    assert run("packs", "list")[0] == 0
    code, out, _ = run("packs", "show", "nice-ng239", "-f", "json")
    assert code == 0 and json.loads(out)["cutoffs"]["b12_confirmed_below"]["unit"] == "ng/L"
    code, out, _ = run("packs", "schema")
    assert code == 0 and json.loads(out)["title"] == "cobalamin pack"


def test_cb12_command() -> None:
    code, out, _ = run(
        "cb12",
        "b12=300pmol/L",
        "holotc=70pmol/L",
        "mma=0.2umol/L",
        "hcy=10umol/L",
        "--age",
        "40",
        "-f",
        "json",
    )
    assert code == 0 and json.loads(out)["value"] is None
    code, out, _ = run(
        "cb12",
        "b12=300pmol/L",
        "holotc=70pmol/L",
        "mma=0.2umol/L",
        "hcy=10umol/L",
        "--age",
        "40",
        "--unverified",
        "-f",
        "json",
    )
    assert code == 0 and json.loads(out)["category"] == "adequate"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
case_like = st.fixed_dictionaries(
    {},
    optional={
        "person": st.dictionaries(
            st.sampled_from(["age", "sex", "pregnant", "diet", "symptoms", "medications", "x"]),
            json_values,
            max_size=3,
        ),
        "results": st.lists(
            st.fixed_dictionaries(
                {
                    "test": st.sampled_from(["b12", "mma", "holotc", "if_ab", "x"]),
                    "value": json_values,
                    "unit": st.sampled_from(["pmol/L", "ng/L", "umol/L", "", "x"]) | json_values,
                }
            ),
            max_size=3,
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(case_like, json_values))
def test_arbitrary_json_never_crashes(case: object) -> None:
    code, _, err = run("assess", "-f", "json", "--pack", "nhg-anemie", stdin=json.dumps(case))
    assert code in (0, 2), err
    assert "Traceback" not in err


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tokens=st.lists(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_=./ -µe+", max_size=20),
        min_size=1,
        max_size=3,
    )
)
def test_arbitrary_flag_strings_never_crash(tokens: list[str]) -> None:
    code, _, err = run("assess", *tokens, "--pack", "gelderse-vallei", stdin="")
    assert code in (0, 2), err


# --- Dutch throughout ------------------------------------------------------------------------

ENGLISH = (
    "deficiency", "likely", "unlikely", "indeterminate", "unknown", "SEVERE", "next test",
    "reflex", "same sample", "advised", "CRITICAL", "WARNING", "warning:", "source", "Source:",
    "loading", "maintenance", "Reviews", "Note:", "If improved", "Follow-up under", "test now",
    "first test", "re-test", "why:", "Next test", "Cause work-up", "Every pack",
    "laboratory cut-offs", "patient leaflet", " ug ", "not used", "measured", "total B12",
    "active B12", "homocysteine", "folate", "the ", " and ", " with ",
)  # fmt: skip


def _names() -> list[str]:
    """What may stay as it is in Dutch output: citations (document titles, publishers and
    addresses), ids of rules, alerts, packs, tests and sources, and the disclaimer's ids."""
    from cobalamin import default_knowledge

    knowledge = default_knowledge()
    names = [ref.citation() for ref in knowledge.sources.values()]
    names += list(knowledge.sources) + list(knowledge.alerts) + list(knowledge.analytes)
    packs = [knowledge.pack(p) for p in knowledge.packs.ids()]
    packs += [knowledge.safety.pack, knowledge.workup.pack]
    packs += [knowledge.screening(p).pack for p in knowledge.screening_pack_ids()]
    names += [r.id for p in packs for t in p.tables for r in t.rules] + [p.id for p in packs]
    names += [p.sha256[:12] for p in packs if p.sha256]
    return sorted(set(names), key=len, reverse=True)


def _english_left(output: str) -> list[str]:
    text = " ".join(output.split())  # rich wraps long lines
    for name in _names():
        text = text.replace(name, " ")
    return [word for word in ENGLISH if word in text]


DUTCH_COMMANDS = [
    ["assess", "b12=180pmol/L", "--pack", "gelderse-vallei", "--pregnant", "--sex", "female",
     "--medication", "folic_acid", "--symptom", "paraesthesia"],
    ["assess", "b12=400pmol/L", "hcy=30umol/L", "if_ab=positive", "hb=100g/L", "--pack",
     "nice-ng239", "--medication", "nitrous_oxide", "--symptom", "paraesthesia"],
    ["assess", "b12=1500pmol/L", "holotc=20pmol/L", "--pack", "b12-tekort-nl", "--pregnant",
     "--medication", "b12_injection"],
    ["assess", "b12=60pmol/L", "mma=0.5umol/L", "folate=3nmol/L", "--pack", "be-review",
     "--age", "8"],
    ["assess", "b12=300pg/mL", "--pack", "bsh-2014", "--symptom", "glossitis"],
    ["compare", "b12=200pmol/L", "hb=5mmol/L"],
    ["screen", "--sex", "female", "--pregnant", "--medication", "folic_acid", "--age", "30"],
    ["screen", "--age", "10", "--symptom", "developmental_delay", "--diet", "vegan"],
    ["plan", "--regimen", "nhg-im-hydroxo", "--start", "2026-01-05", "--pregnant",
     "--adjust", "pregnancy_lactation"],
    ["plan", "--regimen", "oral-1mg", "--start", "2026-01-05", "--pack", "nice-ng239"],
    ["follow-up", "--start", "2026-01-05", "--pack", "nice-ng239", "--route", "oral",
     "--response", "improved", "--cause-addressed", "--lactating"],
    ["follow-up", "--start", "2026-01-05", "--pack", "nhg-anemie", "--not-anaemic"],
]  # fmt: skip


def wide(*args: str) -> tuple[int, str, str]:
    """Run with a wide terminal, so no citation is wrapped."""
    result = runner.invoke(app, list(args), env={"COLUMNS": "5000"})
    return result.exit_code, result.stdout, result.stderr


def test_dutch_output_is_dutch_in_every_word(tmp_path: Path) -> None:
    for args in DUTCH_COMMANDS:
        code, out, err = wide(*args, "--lang", "nl")
        assert code == 0, (args, err)
        assert _english_left(out) == [], (args, _english_left(out))
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"results": [{"test": "b12", "value": 100, "unit": "pmol/L"}]}))
    code, out, err = wide("workup", str(case), "--pack", "nhg-anemie", "--lang", "nl")
    assert code == 0 and _english_left(out) == [], _english_left(out)
    code, out, _ = run("assess", "b12=180pmol/L", "hb=100g/L", "--lang", "nl", "-f", "json")
    data = json.loads(out)
    for item in (*data["findings"], *data["alerts"], *data["next_tests"]):
        words = " ".join(str(item.get(k, "")) for k in ("text", "reason", "value"))
        assert _english_left(words) == [], (item, _english_left(words))


def test_packs_show_headings_are_dutch() -> None:
    """The rule listing itself is the pack's own ids and values; its headings are translated."""
    code, out, _ = wide("packs", "show", "nhg-anemie", "--lang", "nl")
    assert code == 0
    assert "Bronnen" in out and "Afkapwaarden" in out and "beslisregel" in out
    assert "laboratoriumdiagnostiek van vitamine-B12-deficiëntie" in out  # the Dutch title


def test_english_output_is_english() -> None:
    code, out, _ = run("assess", "b12=180pmol/L", "--symptom", "paraesthesia")
    assert code == 0
    for dutch in ("tekort", "vervolgtest", "bron", "onbeslist", "totaal"):
        assert dutch not in " ".join(out.split()).replace("Zwangerschap en B12-tekort", "")
