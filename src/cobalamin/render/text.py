"""Terminal text (rich markup) of every result the CLI prints, in English or Dutch."""

from __future__ import annotations

from collections.abc import Sequence

from cobalamin.assessment import Assessment
from cobalamin.care.followup import FollowUp
from cobalamin.care.screening import Screening
from cobalamin.care.treatment import Plan
from cobalamin.care.workup import Workup
from cobalamin.knowledge.texts import Texts

__all__ = [
    "assessment_text",
    "follow_up_text",
    "plan_text",
    "screening_text",
    "verdict",
    "workup_text",
]

_COLOUR = {"likely": "red", "indeterminate": "yellow", "unlikely": "green"}
_STYLE = {"critical": "bold red", "warning": "yellow"}


def verdict(texts: Texts, deficiency: str, lang: str) -> str:
    return texts.get(f"verdict.{deficiency}", lang)


def assessment_text(item: Assessment, texts: Texts, lang: str) -> str:
    """An assessment as rich markup: verdict, next tests, findings, alerts, warnings."""
    t = texts
    lines = [f"[bold]{item.title(lang)}[/bold] ({item.pack})"]
    severe = f"  [bold red]{t.get('label.severe', lang)}[/]" if item.severe else ""
    colour = _COLOUR.get(item.deficiency, "white")
    lines.append(
        f"{t.get('label.deficiency', lang)}: [bold {colour}]"
        f"{verdict(t, item.deficiency, lang)}[/]{severe}"
    )
    for test in item.next_tests:
        how = t.get("label.reflex" if test.reflex else "label.advised", lang)
        lines.append(
            f"  {t.get('label.next_test', lang)}: [bold]{t.get(f'test.{test.test}', lang)}[/] "
            f"({how}) — {test.reason.get(lang)}"
        )
    for finding in item.findings:
        lines.append(
            f"  • {finding.full_text(lang)}\n    [dim]{finding.rule} — {finding.source}[/dim]"
        )
    for alert in item.alerts:
        style = _STYLE.get(alert.level, "cyan")
        level = t.get(f"level.{alert.level}", lang).upper()
        lines.append(
            f"  [{style}]{level} {alert.code}[/]: {alert.text.get(lang)}\n"
            f"    [dim]{alert.source}[/dim]"
        )
    for warning in item.warnings:
        lines.append(f"  [yellow]{t.get('label.warning', lang)}[/]: {warning.get(lang)}")
    cb12 = item.cb12
    if cb12 is not None and cb12.value is not None:
        lines.append(f"  cB12 {cb12.value:.2f} ({cb12.category}) {cb12.note.get(lang, '')}")
    lines.append(f"[dim]{item.disclaimer.get(lang)}[/dim]")
    return "\n".join(lines)


def plan_text(plan: Plan, texts: Texts, lang: str) -> str:
    """A treatment plan, one dose per line, then reviews and notes."""
    t = texts
    loading_total = sum(1 for d in plan.doses if d.phase == "loading")
    lines = [plan.title.get(lang), f"{t.get('label.source', lang)}: {plan.source}", ""]
    for dose in plan.doses:
        phase = t.get(f"plan.{dose.phase}", lang)
        label = (
            f"{phase} {dose.number}/{loading_total}"
            if dose.phase == "loading"
            else (f"{phase} {dose.number}")
        )
        route = t.get(f"plan.route.{dose.route}", lang)
        day = t.get(f"weekday.{dose.date.weekday()}", lang)
        form = t.get(f"plan.form.{dose.form}", lang)
        lines.append(
            f"{dose.date.isoformat()} {day}  {label:<16} {dose.dose_ug:g} µg {form} {route}"
        )
    if plan.reviews:
        lines += ["", f"{t.get('plan.reviews', lang)}:"]
        for review in plan.reviews:
            until = f" {t.get('label.to', lang)} {review.until.isoformat()}" if review.until else ""
            lines.append(f"{review.date.isoformat()}{until}  {review.what.get(lang)}")
            lines.append(f"    {t.get('label.source', lang)}: {review.source}")
    for extra in (*plan.adjustments, *plan.notes):
        lines.append(f"{t.get('label.note', lang)}: {extra.get(lang)}")
    return "\n".join(lines)


def follow_up_text(result: FollowUp, texts: Texts, lang: str) -> str:
    t = texts
    source = t.get("label.source", lang)
    lines = [t.get("followup.heading", lang, pack=result.pack, start=result.start.isoformat())]
    for review in result.reviews:
        until = f" {t.get('label.to', lang)} {review.until.isoformat()}" if review.until else ""
        lines.append(f"{review.date.isoformat()}{until}  {review.what.get(lang)}")
        lines.append(f"    {source}: {review.source}")
    if not result.reviews:
        lines.append(t.get("followup.no_reviews", lang))
    for advice in result.advice:
        response = t.get(f"followup.response.{result.response}", lang)
        lines.append(f"{t.get('followup.if', lang)} {response}: {advice.text.get(lang)}")
        lines.append(f"    {source}: {advice.source}")
    for note in result.notes:
        lines.append(f"{t.get('label.note', lang)}: {note.text.get(lang)}")
        lines.append(f"    {source}: {note.source}")
    return "\n".join(lines)


def screening_text(results: Sequence[Screening], texts: Texts, lang: str) -> str:
    """Each guideline's answer side by side, where they disagree, and the safety alerts."""
    t = texts
    lines: list[str] = []
    for item in results:
        lines.append(f"{item.pack}: {item.title.get(lang)}")
        lines.append(
            f"  {t.get('screen.test_now', lang)}: {t.get(f'screen.answer.{item.test_now}', lang)}"
            f"   {t.get('screen.first_test', lang)}: "
            f"{t.get(f'screen.first.{item.first_test}', lang)}   "
            f"{t.get('screen.retest', lang)}: {t.get(f'screen.retest_when.{item.retest}', lang)}"
        )
        lines.append(f"  {t.get('label.why', lang)}: {item.decided_by.text.get(lang)}")
        lines.append(f"  {t.get('label.source', lang)}: {item.decided_by.source}")
        lines.append("")
    verdicts: dict[str, list[str]] = {}
    for item in results:
        verdicts.setdefault(item.test_now, []).append(item.pack)
    if len(verdicts) > 1:
        lines.append(f"{t.get('screen.disagree', lang)}:")
        for answer, packs in verdicts.items():
            lines.append(f"  {t.get(f'screen.answer.{answer}', lang)}: {', '.join(packs)}")
        lines.append("")
    alerts = {a.code: a for item in results for a in item.alerts}
    for alert in alerts.values():
        lines.append(
            f"[{t.get(f'level.{alert.level}', lang)}] {alert.code}: {alert.text.get(lang)}"
        )
        lines.append(f"  {t.get('label.source', lang)}: {alert.source}")
    return "\n".join(lines).rstrip()


def workup_text(result: Workup, texts: Texts, lang: str) -> str:
    t = texts
    lines = [
        t.get(
            "workup.heading",
            lang,
            pack=result.pack,
            deficiency=verdict(t, result.deficiency, lang),
        )
    ]
    for finding in result.findings:
        lines.append(f"- {finding.full_text(lang)}")
        lines.append(f"    {t.get('label.source', lang)}: {finding.source}")
    for test in result.next_tests:
        name = t.get(f"test.{test.test}", lang)
        lines.append(f"{t.get('label.next_test', lang)}: {name}: {test.reason.get(lang)}")
    for alert in result.alerts:
        lines.append(
            f"[{t.get(f'level.{alert.level}', lang)}] {alert.code}: {alert.text.get(lang)}"
        )
    return "\n".join(lines)
