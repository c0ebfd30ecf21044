"""Care around a lab result: who to test, safety alerts, cause work-up, treatment, follow-up.

Everything clinical is data (``data/safety.yaml``, ``data/screening/``, ``data/workup.yaml``,
``data/regimens.yaml``, ``data/followup.yaml``); these modules only apply it.
"""
