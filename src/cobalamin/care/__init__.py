"""Care around a lab result: who to test, safety alerts, cause work-up, treatment, follow-up.

Everything clinical is data (``data/safety.yaml``, ``data/screening/``, ``data/workup.yaml``,
``data/regimens.yaml``, ``data/followup.yaml``); these modules only apply it.
"""

from cobalamin.care.followup import FollowUp, follow_up, followup_pack_ids
from cobalamin.care.safety import safety_alerts
from cobalamin.care.screening import Screening, screen, screen_all, screening_pack_ids
from cobalamin.care.treatment import Dose, Plan, plan, regimen_ids
from cobalamin.care.workup import Workup, workup

__all__ = [
    "Dose",
    "FollowUp",
    "Plan",
    "Screening",
    "Workup",
    "follow_up",
    "followup_pack_ids",
    "plan",
    "regimen_ids",
    "safety_alerts",
    "screen",
    "screen_all",
    "screening_pack_ids",
    "workup",
]
