"""cobalamin: decision support for vitamin B12 (cobalamin) deficiency.

    >>> import cobalamin
    >>> pack = cobalamin.load_pack("gelderse-vallei")
    >>> result = cobalamin.assess({"results": [{"test": "b12", "value": 180, "unit": "pmol/L"}]}, pack)
    >>> result.deficiency, [t.test for t in result.next_tests if t.reflex]
    ('indeterminate', ['mma'])

Output is decision support for professionals, never a diagnosis.
"""

from cobalamin._assess import assess
from cobalamin._errors import CobalaminError, InputError, KnowledgeError, PackError, UnitError
from cobalamin.assessment import Alert, Assessment, Finding, NextTestAdvice
from cobalamin.care import (
    FollowUp,
    Plan,
    Screening,
    Workup,
    follow_up,
    plan,
    regimen_ids,
    safety_alerts,
    screen,
    screen_all,
    workup,
)
from cobalamin.case import Case, parse_case
from cobalamin.cb12 import compute as cb12
from cobalamin.knowledge.loader import builtin_pack_ids, load_pack
from cobalamin.knowledge.model import Pack
from cobalamin.nutrition.foods import FOODS
from cobalamin.nutrition.intake import IntakeResult, intake
from cobalamin.person import Person, parse_person
from cobalamin.physiology.simulate import SimulationResult
from cobalamin.physiology.simulate import simulate as simulate_with
from cobalamin.units import to_canonical


def simulate(scenario: object) -> SimulationResult:
    """The store model (a scenario dict -> SimulationResult); diaries may name foods."""
    return simulate_with(scenario, foods=FOODS)


__all__ = [
    "Alert",
    "Assessment",
    "Case",
    "CobalaminError",
    "Finding",
    "FollowUp",
    "InputError",
    "IntakeResult",
    "KnowledgeError",
    "NextTestAdvice",
    "Pack",
    "PackError",
    "Person",
    "Plan",
    "Screening",
    "SimulationResult",
    "UnitError",
    "Workup",
    "assess",
    "builtin_pack_ids",
    "cb12",
    "follow_up",
    "intake",
    "load_pack",
    "parse_case",
    "parse_person",
    "plan",
    "regimen_ids",
    "safety_alerts",
    "screen",
    "screen_all",
    "simulate",
    "to_canonical",
    "workup",
]
