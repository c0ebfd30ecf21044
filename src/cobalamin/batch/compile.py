"""A pack's decision tables compiled into whole-column dataframe expressions (narwhals).

The compiled pack reads a *facts frame*: one row per sample, one column per base fact (see
``cobalamin.knowledge.facts``), typed by the fact's kind:

- ``number``: Float64 in the fact's canonical unit, null when missing;
- ``category``: String, null when missing (``trimester`` is ``"1"``/``"2"``/``"3"``);
- ``boolean``: Boolean, never null;
- ``set``: String ``";a;b;"`` (sorted ids between semicolons, ``";"`` for the empty set).

It runs the tables in order, exactly as ``cobalamin.engine.evaluate`` does for one person:
a unique/first table becomes one ``when/then`` chain giving the index of the first matching
rule (``otherwise`` -1, never an implicit null), from which the table's outputs are set as new
columns; a collect table gives one boolean column per rule. The outputs (comment, next tests,
reflex tests, alerts) are built as ``concat_str`` over parts in the pack's rule order, where a
part is included only when its rule fired and no earlier fired rule already contributed the same
item: that is the de-duplication ``assess`` does with its ordered dicts.

Facts a file has no column for are the same on every row (missing, false, the empty set);
given as ``constants``, their comparisons are decided while compiling, so a rule that needs an
absent column costs nothing per row, and a table whose rules are all decided becomes a literal.

Nothing here knows a particular pack: everything follows from the model and the fact kinds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any

import narwhals as nw
import polars as pl

from cobalamin.knowledge.alerts import AlertCatalogue
from cobalamin.knowledge.cb12_constants import CB12Constants
from cobalamin.knowledge.facts import FactSpec
from cobalamin.knowledge.logic import FactValue, holds
from cobalamin.knowledge.model import Comparison, Pack, Rule, Table
from cobalamin.knowledge.registry import Knowledge
from cobalamin.outcome import FiredRule, reduce_outcome
from cobalamin.pipeline import SAFETY_READS, assessment_pipeline
from cobalamin.version import ENGINE_VERSION

__all__ = [
    "NO_RULE",
    "OUTPUT_COLUMNS",
    "CompiledPack",
    "apply",
    "apply_polars",
    "compile_pack",
    "encode_set",
    "reference_outputs",
]

NO_RULE = "no_rule_matched"
OUTPUT_COLUMNS = (
    "deficiency",
    "severe",
    "next_tests",
    "reflex_tests",
    "alerts",
    "cb12",
    "comment_en",
    "comment_nl",
    "pack_sha256",
    "engine_version",
    "censored",  # the tests whose result was censored (<50): set only on samples interpreted
    # one by one (``cobalamin.batch.censored``), empty for every compiled row
)
LIST_SEPARATOR = ";"


def encode_set(items: Iterable[str]) -> str:
    """The column form of a set fact: ``";a;b;"``; the empty set is ``";"``."""
    return "".join(f";{item}" for item in sorted(set(items))) + ";"


@dataclass(frozen=True)
class CompiledPack:
    """The expressions of one pack: ``stages`` run in order, then ``outputs`` are selected."""

    pack_id: str
    stages: tuple[tuple[tuple[str, nw.Expr], ...], ...]
    outputs: tuple[tuple[str, nw.Expr], ...]
    reads: tuple[str, ...]
    pack: Pack  # the pipeline's tables: the pack's, then the safety tables (alerts only)
    alerts: AlertCatalogue
    pack_sha256: str
    # (table position, rule index) of every rule that can fire on some row; the others were
    # decided against by the file's constant facts and drop out of the signature lookups
    can_fire: frozenset[tuple[int, int]] = frozenset()

    @cached_property
    def polars_outputs(self) -> list[pl.Expr] | None:
        """The signature-lookup outputs, rendered once (a run applies them to every part)."""
        return polars_outputs(self)


Cond = bool | nw.Expr  # decided while compiling (a constant fact), or per row


def _false() -> nw.Expr:
    return nw.lit(False)


def _any(exprs: Sequence[nw.Expr]) -> nw.Expr:
    return reduce(lambda a, b: a | b, exprs) if exprs else _false()


def _all_of(conditions: Sequence[Cond]) -> Cond:
    """AND of conditions, folding the ones already decided."""
    if any(c is False for c in conditions):
        return False
    live = [c for c in conditions if not isinstance(c, bool)]
    return reduce(lambda a, b: a & b, live) if live else True


def _as_expr(condition: Cond) -> nw.Expr:
    return nw.lit(condition) if isinstance(condition, bool) else condition


Produced = dict[str, tuple[Table, dict[str | bool, list[int]]]]


def _produced_condition(
    comparison: Comparison,
    table: Table,
    by_value: dict[str | bool, list[int]],
    decided: dict[str, int],
) -> Cond:
    """A comparison on a fact a first/unique table set, read from that table's rule index."""
    op = comparison.op
    if op == "is":
        wanted: list[str | bool] = [bool(comparison.flag)]
    else:  # in / eq: category values are words
        wanted = list(comparison.values)
    indices = sorted(i for value in wanted for i in by_value.get(value, []))
    known = decided.get(table.id)
    if known is not None:  # the table's rule is the same on every row
        if op in ("missing", "present"):
            return (known == -1) == (op == "missing")
        return known in indices
    index = nw.col(_index_column(table))
    if op == "missing":
        return index == nw.lit(-1)
    if op == "present":
        return index != nw.lit(-1)
    return index.is_in(indices) if indices else False


def _condition(
    comparison: Comparison,
    produced: Produced,
    decided: dict[str, int],
    constants: Mapping[str, FactValue],
    facts: Mapping[str, FactSpec],
) -> Cond:
    """One comparison as a boolean expression that is never null (missing -> False)."""
    if comparison.fact in produced:
        return _produced_condition(comparison, *produced[comparison.fact], decided)
    if comparison.fact in constants:
        return holds(comparison, constants[comparison.fact])
    if comparison.fact not in facts:  # e.g. a conclusion no table set: missing
        return comparison.op == "missing"
    col = nw.col(comparison.fact)
    present = ~col.is_null()
    op = comparison.op
    if op == "missing":
        return col.is_null()
    if op == "present":
        return present
    if op == "is":
        return present & (col == nw.lit(bool(comparison.flag)))
    if op in ("in", "eq"):
        return present & col.is_in(list(comparison.values))
    if op in ("any_of", "none_of"):
        hits = [col.str.contains(f";{value};", literal=True) for value in comparison.values]
        hit = present & _any(hits)
        return hit if op == "any_of" else present & ~hit
    assert comparison.number is not None, comparison
    number = nw.lit(float(comparison.number))
    compared = {
        "lt": col < number,
        "le": col <= number,
        "gt": col > number,
        "ge": col >= number,
    }[op]
    return present & compared


def _rule_condition(
    rule: Rule,
    produced: Produced,
    decided: dict[str, int],
    constants: Mapping[str, FactValue],
    facts: Mapping[str, FactSpec],
) -> Cond:
    return _all_of([_condition(c, produced, decided, constants, facts) for c in rule.when])


def _index_column(table: Table) -> str:
    return f"_rule__{table.id}"


def _hit_column(table: Table, index: int) -> str:
    return f"_hit__{table.id}__{index}"


def _fired(table: Table, index: int) -> nw.Expr:
    if table.hit_policy == "collect":
        return nw.col(_hit_column(table, index))
    return nw.col(_index_column(table)) == nw.lit(index)


def _first_chain(conditions: Sequence[Cond]) -> int | nw.Expr:
    """The index of the first rule that holds (-1: none); an int when it is decided."""
    live: list[tuple[int, nw.Expr]] = []
    otherwise = -1
    for index, condition in enumerate(conditions):
        if condition is True:
            otherwise = index
            break
        if condition is not False:
            live.append((index, _as_expr(condition)))
    if not live:
        return otherwise
    chain = nw.when(live[0][1]).then(nw.lit(live[0][0]))
    for index, condition in live[1:]:
        chain = chain.when(condition).then(nw.lit(index))
    return chain.otherwise(nw.lit(otherwise))


def _may_fire(conditions: Sequence[Cond], hit_policy: str) -> list[int]:
    """The rules that fire on some row: not decided against, and (first hit) not behind a rule
    that always holds."""
    if hit_policy == "collect":
        return [i for i, c in enumerate(conditions) if c is not False]
    possible = []
    for index, condition in enumerate(conditions):
        if condition is False:
            continue
        possible.append(index)
        if condition is True:
            break
    return possible


def _by_value(table: Table, name: str) -> dict[str | bool, list[int]]:
    by_value: dict[str | bool, list[int]] = {}
    for index, rule in enumerate(table.rules):
        by_value.setdefault(dict(rule.sets)[name], []).append(index)
    return by_value


def _value_chain(table: Table, name: str, boolean: bool) -> nw.Expr:
    """The output fact ``name`` of a first/unique table, from its rule index."""
    by_value = _by_value(table, name)
    index_col = nw.col(_index_column(table))
    items = list(by_value.items())
    value, indices = items[0]
    chain = nw.when(index_col.is_in(indices)).then(nw.lit(value))
    for value, indices in items[1:]:
        chain = chain.when(index_col.is_in(indices)).then(nw.lit(value))
    if boolean:
        return chain.otherwise(nw.lit(None, dtype=nw.Boolean()))
    return chain.otherwise(nw.lit(NO_RULE))


def _join(parts: Sequence[nw.Expr], separator: str) -> nw.Expr:
    if not parts:
        return nw.lit("")
    return nw.concat_str(list(parts), separator=separator, ignore_nulls=True)


def _comment(pack: Pack, lang: str) -> nw.Expr:
    parts: list[nw.Expr] = []
    for table in pack.tables:
        texts = [(i, rule.finding.get(lang)) for i, rule in enumerate(table.rules) if rule.finding]
        if not texts:
            continue
        if table.hit_policy == "collect":
            parts.extend(nw.when(_fired(table, i)).then(nw.lit(text)) for i, text in texts)
            continue
        index_col = nw.col(_index_column(table))
        i, text = texts[0]
        chain = nw.when(index_col == nw.lit(i)).then(nw.lit(text))
        for i, text in texts[1:]:
            chain = chain.when(index_col == nw.lit(i)).then(nw.lit(text))
        parts.append(chain)
    return _join(parts, " ")


def _ordered_unique(
    mentions: Sequence[tuple[nw.Expr, str]], keep: dict[str, nw.Expr]
) -> list[tuple[nw.Expr, str]]:
    """Parts ``(condition, item)`` in rule order; an item counts at its first firing mention.

    ``mentions`` are ``(fired, item)`` in evaluation order; ``keep[item]`` is an extra condition
    (the test is not measured yet). Returns ``(include, item)`` for every mention.
    """
    seen: dict[str, list[nw.Expr]] = {}
    parts = []
    for fired, item in mentions:
        earlier = seen.setdefault(item, [])
        include = fired & keep[item] & ~_any(earlier) if earlier else fired & keep[item]
        parts.append((include, item))
        earlier.append(fired)
    return parts


def _next_tests(pack: Pack) -> tuple[nw.Expr, nw.Expr]:
    mentions: list[tuple[nw.Expr, str]] = []
    reflex_mentions: dict[str, list[nw.Expr]] = {}
    for table in pack.tables:
        for index, rule in enumerate(table.rules):
            fired = _fired(table, index)
            seen_in_rule: set[str] = set()
            for test in rule.next_tests:
                if test.reflex:
                    reflex_mentions.setdefault(test.test, []).append(fired)
                if test.test not in seen_in_rule:
                    mentions.append((fired, test.test))
                    seen_in_rule.add(test.test)
    keep = {test: nw.col(test).is_null() for _, test in mentions}
    parts = _ordered_unique(mentions, keep)
    reflex = {test: _any(reflex_mentions.get(test, [])) for _, test in mentions}
    next_tests = _join([nw.when(c).then(nw.lit(t)) for c, t in parts], LIST_SEPARATOR)
    reflex_tests = _join(
        [nw.when(c & reflex[t]).then(nw.lit(t)) for c, t in parts if t in reflex_mentions],
        LIST_SEPARATOR,
    )
    return next_tests, reflex_tests


def _alerts(pack: Pack, catalogue: AlertCatalogue) -> nw.Expr:
    mentions = [
        (_fired(table, index), code)
        for table in pack.tables
        for index, rule in enumerate(table.rules)
        for code in dict.fromkeys(rule.alerts)
        if code in catalogue
    ]
    keep = {code: nw.lit(True) for _, code in mentions}
    parts = _ordered_unique(mentions, keep)
    return _join([nw.when(c).then(nw.lit(code)) for c, code in parts], LIST_SEPARATOR)


def _cb12(constants: CB12Constants) -> nw.Expr:
    """cB12 as ``assess`` reports it: withheld (null) while its constants are unverified."""
    if not constants.verified:
        return nw.lit(None, dtype=nw.Float64())
    term = constants.age_term
    markers = [nw.col(m) for m in ("b12", "holotc", "mma", "hcy")]
    positive = _as_expr(_all_of([~m.is_null() & (m > nw.lit(0.0)) for m in markers]))
    complete = positive & ~nw.col("age").is_null()
    ratio = (markers[0] * markers[1]) / (markers[2] * markers[3])
    age_term = nw.lit(float(term.numerator)) / (
        nw.lit(1.0) + (nw.col("age") / nw.lit(float(term.scale_years))) ** term.exponent
    )
    return nw.when(complete).then(ratio.log(10) - age_term).otherwise(nw.lit(None))


def compile_pack(
    pack: Pack, knowledge: Knowledge, constants: Mapping[str, FactValue] | None = None
) -> CompiledPack:
    """Compile the assessment pipeline of ``pack`` (its tables, then the safety tables) into
    narwhals expressions.

    ``constants``: facts that are the same on every row (a file without that column), in the
    form ``assess`` gives them (None, False, an empty frozenset); their rules are decided here.
    """
    constants = dict(constants or {})
    own = pack
    pipeline = assessment_pipeline(pack, knowledge)
    pack, boundary = pipeline.combined, pipeline.boundary
    facts = knowledge.facts
    produced: Produced = {}
    decided: dict[str, int] = {}  # table id -> the rule index every row gets
    stages: list[tuple[tuple[str, nw.Expr], ...]] = []
    can_fire: set[tuple[int, int]] = set()
    for position, table in enumerate(pack.tables):
        if position == boundary:  # safety rules see the pack's conclusions, nothing else
            produced = {k: v for k, v in produced.items() if k in SAFETY_READS}
        conditions = [
            _rule_condition(rule, produced, decided, constants, facts) for rule in table.rules
        ]
        can_fire.update((position, i) for i in _may_fire(conditions, table.hit_policy))
        if table.hit_policy == "collect":
            stages.append(
                tuple((_hit_column(table, i), _as_expr(c)) for i, c in enumerate(conditions))
            )
            continue
        chain = _first_chain(conditions)
        if isinstance(chain, int):
            decided[table.id] = chain
        stages.append(((_index_column(table), nw.lit(chain) if isinstance(chain, int) else chain),))
        for name in table.outputs:
            produced[name] = (table, _by_value(table, name))
    next_tests, reflex_tests = _next_tests(pack)
    deficiency_table = next(t for t in own.tables if "deficiency" in t.outputs)
    severe: nw.Expr = nw.lit(False)
    severe_table = next((t for t in own.tables if "severe" in t.outputs), None)
    if severe_table is not None:
        severe = _value_chain(severe_table, "severe", True).fill_null(False)
    outputs_exprs = (
        ("deficiency", _value_chain(deficiency_table, "deficiency", False)),
        ("severe", severe),
        ("next_tests", next_tests),
        ("reflex_tests", reflex_tests),
        ("alerts", _alerts(pack, knowledge.alerts)),
        ("cb12", _cb12(knowledge.cb12)),
        ("comment_en", _comment(pack, "en")),
        ("comment_nl", _comment(pack, "nl")),
        ("pack_sha256", nw.lit(own.sha256)),
        ("engine_version", nw.lit(ENGINE_VERSION)),
        ("censored", nw.lit("")),
    )
    return CompiledPack(
        pack.id, tuple(stages), outputs_exprs, pack.reads, pack, knowledge.alerts, own.sha256,
        frozenset(can_fire),
    )  # fmt: skip


def apply(
    compiled: CompiledPack, frame: nw.LazyFrame[Any], keep: Sequence[str] = ("sample_id",)
) -> nw.LazyFrame[Any]:
    """The pack's outputs for every row of a facts frame; ``keep`` columns are passed through."""
    for stage in compiled.stages:
        frame = frame.with_columns(**dict(stage))
    selected = [nw.col(name) for name in keep]
    selected += [expr.alias(name) for name, expr in compiled.outputs]
    return frame.select(selected)


# --- the polars fast path: every text output looked up from a small integer signature --------
#
# Each text output depends on a few "dimensions": which relevant rule a first/unique table
# fired, whether a collect rule fired, whether a test is already measured. Their digits form
# one integer per row (cheap arithmetic); every possible signature is rendered once, in Python,
# by ``reference_outputs`` (the same logic as ``assess``), and looked up with ``gather``
# into an ``Enum``: no per-row string building. Used when the signature space is small.

MAX_SIGNATURES = 1 << 16


@dataclass(frozen=True)
class _Dim:
    """One digit of a signature: ``options[d]`` is what digit ``d`` means."""

    column: str
    kind: str  # "rule" (first/unique table index), "hit" (collect rule), "measured" (a test)
    options: tuple[tuple[tuple[int, int], ...] | str | None, ...]
    rule_of_index: dict[int, int]


def reference_outputs(
    pack: Pack,
    fired: Sequence[tuple[int, int]],
    measured: frozenset[str],
    alerts: AlertCatalogue,
) -> dict[str, str | bool]:
    """The text outputs for fired ``(table index, rule index)`` pairs: ``assess``'s own outcome
    reducer, written as the batch file's columns."""
    rules = [FiredRule(pack.tables[t].id, pack.tables[t].rules[r], "") for t, r in sorted(fired)]
    outcome = reduce_outcome(rules, measured, alerts)
    return {
        "next_tests": LIST_SEPARATOR.join(t.test for t in outcome.next_tests),
        "reflex_tests": LIST_SEPARATOR.join(t.test for t in outcome.next_tests if t.reflex),
        "alerts": LIST_SEPARATOR.join(a.code for a in outcome.alerts),
        "comment_en": " ".join(f.text.en for f in outcome.findings),
        "comment_nl": " ".join(f.text.nl for f in outcome.findings),
    }


def _dims(
    pack: Pack,
    relevant: Callable[[Rule], bool],
    tests: Sequence[str],
    can_fire: Collection[tuple[int, int]],
) -> list[_Dim]:
    dims: list[_Dim] = []
    for t_index, table in enumerate(pack.tables):
        rules = [
            i for i, rule in enumerate(table.rules) if relevant(rule) and (t_index, i) in can_fire
        ]
        if table.hit_policy == "collect":
            dims.extend(
                _Dim(_hit_column(table, i), "hit", (None, ((t_index, i),)), {}) for i in rules
            )
        elif rules:
            options: list[tuple[tuple[int, int], ...] | str | None] = [None]
            options += [((t_index, i),) for i in rules]
            dims.append(
                _Dim(
                    _index_column(table),
                    "rule",
                    tuple(options),
                    {i: k + 1 for k, i in enumerate(rules)},
                )
            )
    dims.extend(_Dim(test, "measured", (None, test), {}) for test in tests)
    return dims


def _gather(table: Sequence[object], index: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``table[index]`` for every row: an array lookup, the cheapest mapping polars has."""
    return pl.lit(pl.Series(list(table), dtype=dtype)).gather(index)


def _rule_digit(column: str, size: int, mapping: dict[int, int]) -> pl.Expr:
    """Digit of a rule index in ``-1..size-1`` (shifted by one to index a table)."""
    digits = [0] + [mapping.get(i, 0) for i in range(size)]
    return _gather(digits, pl.col(column) + 1, pl.Int64())


def _digit(dim: _Dim, sizes: dict[str, int]) -> pl.Expr:
    col = pl.col(dim.column)
    if dim.kind == "rule":
        return _rule_digit(dim.column, sizes[dim.column], dim.rule_of_index)
    if dim.kind == "hit":
        return col.cast(pl.Int64)
    return col.is_not_null().cast(pl.Int64)


def _lookup(
    pack: Pack,
    dims: Sequence[_Dim],
    output: str,
    rule_counts: dict[str, int],
    alerts: AlertCatalogue,
) -> pl.Expr | None:
    sizes = [len(d.options) for d in dims]
    total = 1
    for size in sizes:
        total *= size
    if total > MAX_SIGNATURES:
        return None
    signature: pl.Expr = pl.lit(0, dtype=pl.Int64)
    stride = 1
    strides = []
    for dim, size in zip(dims, sizes, strict=True):
        signature = signature + _digit(dim, rule_counts) * stride
        strides.append(stride)
        stride *= size
    values: list[str] = [""] * total
    for digits in itertools.product(*(range(s) for s in sizes)):
        fired: list[tuple[int, int]] = []
        measured: set[str] = set()
        for dim, digit in zip(dims, digits, strict=True):
            option = dim.options[digit]
            if isinstance(option, str):
                measured.add(option)
            elif option is not None:
                fired.extend(option)
        key = sum(d * s for d, s in zip(digits, strides, strict=True))
        values[key] = str(reference_outputs(pack, fired, frozenset(measured), alerts)[output])
    return _gather(values, signature, pl.Enum(sorted(set(values))))


def _fired_pl(table: Table, index: int) -> pl.Expr:
    if table.hit_policy == "collect":
        return pl.col(_hit_column(table, index))
    return pl.col(_index_column(table)) == index


Mention = tuple[tuple[int, int, int], Table, int]  # (order key, table, rule index)


def _first_fired(mentions: Sequence[Mention]) -> pl.Expr:
    """1 + the index of the first mention whose rule fired (evaluation order), else 0."""
    chain: Any = pl.when(_fired_pl(mentions[0][1], mentions[0][2])).then(1)
    for k, (_, table, index) in enumerate(mentions[1:], start=2):
        chain = chain.when(_fired_pl(table, index)).then(k)
    result: pl.Expr = chain.otherwise(0).cast(pl.Int64)
    return result


def _item_lookups(
    mentions: dict[str, list[Mention]], reflex: dict[str, list[Mention]], measured: bool
) -> dict[str, pl.Expr] | None:
    """Ordered, de-duplicated item lists (``assess``'s dict order), via one signature.

    An item's place is the first fired rule that mentions it, so the signature holds, per item,
    which of its mentions fired first (0: none), whether it is measured and whether a reflex
    mention fired. Every combination is rendered once.
    """
    items = list(mentions)
    digits: list[tuple[pl.Expr, int]] = []
    for item in items:
        digits.append((_first_fired(mentions[item]), len(mentions[item]) + 1))
        if measured:
            digits.append((pl.col(item).is_not_null().cast(pl.Int64), 2))
        if item in reflex:
            anyone = pl.any_horizontal([_fired_pl(t, i) for _, t, i in reflex[item]])
            digits.append((anyone.cast(pl.Int64), 2))
    total = 1
    for _, size in digits:
        total *= size
    if total > MAX_SIGNATURES:
        return None
    signature: pl.Expr = pl.lit(0, dtype=pl.Int64)
    stride = 1
    for expr, size in digits:
        signature = signature + expr * stride
        stride *= size
    plain: list[str] = []
    flagged: list[str] = []
    for combo in itertools.product(*(range(size) for _, size in digits)):
        # combo is little-endian over ``digits``: walk it item by item
        values = iter(combo)
        placed: list[tuple[tuple[int, int, int], str, bool]] = []
        for item in items:
            first = next(values)
            is_measured = bool(next(values)) if measured else False
            is_reflex = bool(next(values)) if item in reflex else False
            if first and not is_measured:
                placed.append((mentions[item][first - 1][0], item, is_reflex))
        placed.sort()
        plain.append(LIST_SEPARATOR.join(item for _, item, _ in placed))
        flagged.append(LIST_SEPARATOR.join(item for _, item, flag in placed if flag))
    # itertools.product varies the LAST digit fastest; the signature has the FIRST as the
    # lowest, so reorder the rendered strings into signature order
    sizes = [size for _, size in digits]
    order = [0] * total
    for position, combo in enumerate(itertools.product(*(range(size) for size in sizes))):
        key, step = 0, 1
        for digit, size in zip(combo, sizes, strict=True):
            key += digit * step
            step *= size
        order[key] = position
    plain = [plain[i] for i in order]
    flagged = [flagged[i] for i in order]
    return {
        "items": _gather(plain, signature, pl.Enum(sorted(set(plain)))),
        "reflex": _gather(flagged, signature, pl.Enum(sorted(set(flagged)))),
    }


def polars_outputs(compiled: CompiledPack) -> list[pl.Expr] | None:
    """The outputs as polars expressions using signature lookups, or None when too large."""
    pack = compiled.pack
    tests: dict[str, list[Mention]] = {}
    reflex: dict[str, list[Mention]] = {}
    codes: dict[str, list[Mention]] = {}
    catalogue = compiled.alerts
    for t_index, table in enumerate(pack.tables):
        for r_index, rule in enumerate(table.rules):
            if (t_index, r_index) not in compiled.can_fire:
                continue  # decided against on every row: it can place no item
            seen: set[str] = set()
            for within, test in enumerate(rule.next_tests):
                mention = ((t_index, r_index, within), table, r_index)
                if test.test not in seen:
                    tests.setdefault(test.test, []).append(mention)
                    seen.add(test.test)
                if test.reflex:
                    reflex.setdefault(test.test, []).append(mention)
            for within, code in enumerate(dict.fromkeys(rule.alerts)):
                if code in catalogue:
                    codes.setdefault(code, []).append(((t_index, r_index, within), table, r_index))
    exprs: dict[str, pl.Expr] = {}
    empty = pl.lit("", dtype=pl.Enum([""]))
    next_lookup = _item_lookups(tests, reflex, measured=True) if tests else None
    alert_lookup = _item_lookups(codes, {}, measured=False) if codes else None
    if (tests and next_lookup is None) or (codes and alert_lookup is None):
        return None
    exprs["next_tests"] = next_lookup["items"] if next_lookup else empty
    exprs["reflex_tests"] = next_lookup["reflex"] if next_lookup else empty
    exprs["alerts"] = alert_lookup["items"] if alert_lookup else empty
    counts = {_index_column(t): len(t.rules) for t in pack.tables}
    for output in ("comment_en", "comment_nl"):
        dims = _dims(pack, lambda r: r.finding is not None, (), compiled.can_fire)
        found = _lookup(pack, dims, output, counts, compiled.alerts)
        if found is None:
            return None
        exprs[output] = found
    for name in ("deficiency", "severe"):
        owner = next((t for t in pack.tables if name in t.outputs), None)  # the pack's own
        if owner is None:
            exprs[name] = pl.lit(False)
            continue
        values = [dict(rule.sets)[name] for rule in owner.rules]
        index = pl.col(_index_column(owner)) + 1
        if name == "severe":
            exprs[name] = _gather([False] + [bool(v) for v in values], index, pl.Boolean())
        else:
            labels = [NO_RULE] + [str(v) for v in values]
            exprs[name] = _gather(labels, index, pl.Enum(sorted(set(labels))))
    exprs["cb12"] = pl.col("_cb12")
    # constants, dictionary-encoded like the other text columns: as plain strings they were
    # 64 bytes a row for the sha256 alone, and writing them took longer than the whole pack
    exprs["pack_sha256"] = pl.lit(compiled.pack_sha256, dtype=pl.Enum([compiled.pack_sha256]))
    exprs["engine_version"] = pl.lit(ENGINE_VERSION, dtype=pl.Enum([ENGINE_VERSION]))
    exprs["censored"] = pl.lit("", dtype=pl.Enum([""]))
    return [exprs[name].alias(name) for name in OUTPUT_COLUMNS]


def apply_polars(
    compiled: CompiledPack, frame: pl.LazyFrame, keep: Sequence[str] = ("sample_id",)
) -> pl.LazyFrame:
    """``apply`` on a polars LazyFrame, with the signature fast path when the pack allows it."""
    fast = compiled.polars_outputs
    if fast is None:
        result: pl.LazyFrame = apply(compiled, nw.from_native(frame), keep).to_native()
        return result
    staged = nw.from_native(frame)
    for stage in compiled.stages:
        staged = staged.with_columns(**dict(stage))
    staged = staged.with_columns(_cb12=dict(compiled.outputs)["cb12"])
    return staged.to_native().select([pl.col(name) for name in keep] + fast)
