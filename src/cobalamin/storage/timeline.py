"""A patient's timeline: results, assessments (with the pack's sha256), plans, doses given,
the next injection and the follow-up tests due, in date order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cobalamin.storage.due import next_injection, open_reviews

__all__ = ["KIND_ORDER", "timeline_entries"]

# Within one day: what was decided, then what was done, then what was found, then what is due.
KIND_ORDER = ("plan", "dose", "result", "assessment", "followup_due", "dose_due")


def timeline_entries(record: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    """Entries by date from ``storage.records.patient_record`` output."""
    entries: list[dict[str, Any]] = []
    sample_dates = {s["id"]: s["sample_date"] for s in record["samples"]}
    for sample in record["samples"]:
        entries.append(
            {
                "date": sample["sample_date"],
                "kind": "result",
                "sample_id": sample["id"],
                "results": sample["results"],
            }
        )
    for found in record["assessments"]:
        output = found["output"][lang]
        entries.append(
            {
                "date": sample_dates[found["sample_id"]],
                "kind": "assessment",
                "id": found["id"],
                "sample_id": found["sample_id"],
                "pack": found["pack"],
                "pack_sha256": found["pack_sha256"],
                "engine_version": found["engine_version"],
                "deficiency": output["deficiency"],
                "severe": output["severe"],
                "assessment": output,
            }
        )
    doses = [(dt.date.fromisoformat(d["date"]), d["plan_id"], d["route"]) for d in record["doses"]]
    for dose in record["doses"]:
        entries.append({"kind": "dose", **dose})
    samples = [dt.date.fromisoformat(d) for d in sample_dates.values()]
    plans = sorted(record["plans"], key=lambda p: p["start"])
    for index, plan in enumerate(plans):
        schedule = plan["schedule"][lang]
        entries.append(
            {
                "date": plan["start"],
                "kind": "plan",
                "id": plan["id"],
                "regimen": plan["regimen"],
                "title": schedule["title"],
                "source": schedule["source"],
                "doses_planned": len(schedule["doses"]),
                "schedule": schedule,
                "followup": None if plan["followup"] is None else plan["followup"][lang],
            }
        )
        for review in open_reviews(
            plan["id"], None if plan["followup"] is None else plan["followup"][lang], samples
        ):
            entries.append(
                {
                    "date": review.date.isoformat(),
                    "kind": "followup_due",
                    "plan_id": plan["id"],
                    "until": None if review.until is None else review.until.isoformat(),
                    "what": review.what,
                    "source": review.source,
                }
            )
        if index == len(plans) - 1:  # only the plan in force has a next injection
            start = dt.date.fromisoformat(plan["start"])
            due = next_injection(
                plan["id"], start, plan["route"], schedule, doses, schedule["source"]
            )
            if due is not None:
                entries.append(
                    {
                        "date": due.date.isoformat(),
                        "kind": "dose_due",
                        "plan_id": plan["id"],
                        "number": due.number,
                        "what": due.what,
                    }
                )
    entries.sort(key=lambda e: (e["date"], KIND_ORDER.index(e["kind"])))
    return entries
