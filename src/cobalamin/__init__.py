"""cobalamin: decision support for vitamin B12 (cobalamin) deficiency.

    >>> import cobalamin
    >>> pack = cobalamin.load_pack("gelderse-vallei")
    >>> result = cobalamin.assess({"results": [{"test": "b12", "value": 180, "unit": "pmol/L"}]}, pack)
    >>> result.deficiency, [t.test for t in result.next_tests if t.reflex]
    ('indeterminate', ['mma'])

Every function takes an optional ``knowledge`` (``cobalamin.Knowledge``: the package's data plus
site folders); without it the cached default is used. Output is decision support for
professionals, never a diagnosis.
"""

from cobalamin.assessment import Alert, Assessment, Finding, NextTestAdvice
from cobalamin.care.followup import FollowUp
from cobalamin.care.screening import Screening
from cobalamin.care.treatment import Plan
from cobalamin.care.workup import Workup
from cobalamin.case import Case
from cobalamin.defaults import default_knowledge
from cobalamin.errors import CobalaminError, InputError, KnowledgeError, PackError, UnitError
from cobalamin.facade import (
    assess,
    builtin_pack_ids,
    cb12,
    follow_up,
    intake,
    load_pack,
    pack_ids,
    parse_case,
    parse_person,
    plan,
    regimen_ids,
    safety_alerts,
    screen,
    screen_all,
    screening_pack_ids,
    simulate,
    to_canonical,
    workup,
)
from cobalamin.knowledge.model import Pack
from cobalamin.knowledge.registry import Knowledge
from cobalamin.nutrition.intake import IntakeResult
from cobalamin.person import Person
from cobalamin.physiology.simulate import SimulationResult
from cobalamin.version import ENGINE_VERSION as __version__

__all__ = [
    "Alert",
    "Assessment",
    "Case",
    "CobalaminError",
    "Finding",
    "FollowUp",
    "InputError",
    "IntakeResult",
    "Knowledge",
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
    "__version__",
    "assess",
    "builtin_pack_ids",
    "cb12",
    "default_knowledge",
    "follow_up",
    "intake",
    "load_pack",
    "pack_ids",
    "parse_case",
    "parse_person",
    "plan",
    "regimen_ids",
    "safety_alerts",
    "screen",
    "screen_all",
    "screening_pack_ids",
    "simulate",
    "to_canonical",
    "workup",
]
