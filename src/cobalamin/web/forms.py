"""HTML forms to the case contract: the same field ids as the JSON (``age``, ``pregnant``,
``conditions``, ``b12`` and ``b12_unit``, ...), and an input error back to its form field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.errors import InputError

__all__ = [
    "LISTS",
    "FormData",
    "FormState",
    "case_from_form",
    "form_field",
    "person_from_form",
]

LISTS = ("conditions", "medications", "symptoms")
_YES = {"on", "true", "1", "yes"}


class FormData(Protocol):
    def get(self, key: str, /) -> Any: ...
    def getlist(self, key: str) -> list[Any]: ...


@dataclass
class FormState:
    """What the person typed (to fill the form again) and the error per field."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def checked(self, name: str, value: str | None = None) -> bool:
        if value is None:
            return self.values.get(name, "").lower() in _YES
        return value in self.lists.get(name, [])


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(raw: str, name: str) -> float:
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        raise InputError(name, f"must be a number, got {raw!r}") from None


def person_from_form(form: FormData, state: FormState) -> dict[str, Any]:
    """The contract's ``person`` from form fields (blank fields are left out)."""
    person: dict[str, Any] = {}
    for name in ("age", "sex", "diet", "trimester"):
        raw = _text(form, name)
        state.values[name] = raw
        if not raw:
            continue
        if name == "age":
            person["age"] = _number(raw, "person.age")
        elif name == "trimester":
            person["trimester"] = int(_number(raw, "person.trimester"))
        else:
            person[name] = raw
    for name in ("pregnant", "lactating", "wish_to_conceive"):
        raw = _text(form, name)
        state.values[name] = raw
        if raw.lower() in _YES:
            person[name] = True
    for name in LISTS:
        chosen = [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]
        state.lists[name] = chosen
        if chosen:
            person[name] = chosen
    return person


def case_from_form(
    form: FormData, analytes: AnalyteCatalogue, state: FormState
) -> tuple[dict[str, Any], list[str]]:
    """The contract's case from form fields, and the test id of each result in order."""
    results: list[dict[str, Any]] = []
    order: list[str] = []
    for test, analyte in analytes.items():
        raw = _text(form, test)
        unit = _text(form, f"{test}_unit")
        state.values[test] = raw
        state.values[f"{test}_unit"] = unit
        if not raw:
            continue
        where = f"results[{len(results)}].value"
        if analyte.kind == "qualitative":
            results.append({"test": test, "value": raw})
        else:
            value = _number(raw, where)
            results.append({"test": test, "value": value, "unit": unit or None})
        order.append(test)
    case = {"person": person_from_form(form, state), "results": results}
    return case, order


def form_field(error: InputError, order: list[str]) -> str:
    """The form field an input error is about (``results[1].unit`` -> ``mma_unit``)."""
    name = error.field
    if name.startswith("person."):
        return name.removeprefix("person.").split("[")[0].split(".")[0]
    if name.startswith("results["):
        index = int(name[len("results[") :].split("]")[0])
        test = order[index] if index < len(order) else ""
        return f"{test}_unit" if name.endswith(".unit") else test
    head, _, tail = name.partition(".")
    if tail in ("unit", "value"):  # a unit error names the test: ``b12.unit``
        return f"{head}_unit" if tail == "unit" else head
    return name


def remember(state: FormState, form: Mapping[str, str]) -> None:
    """Keep other plain fields (dates, choices) to fill the form again."""
    for key, value in form.items():
        state.values.setdefault(key, value.strip())
