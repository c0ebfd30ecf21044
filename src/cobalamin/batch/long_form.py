"""Long-form lab files: ``sample_id, test, value, unit`` (+ person columns), one row per result.

Reading happens in two steps so that a file of any size can be read in bounded memory:

1. row checks, one row at a time (streams): unknown test, unit, value, person columns;
2. grouping (``Grouping``): a test given twice for one sample is an error on its later rows,
   the rest becomes one facts row per sample. This step holds its samples in memory, so a
   large file is first split into buckets of whole samples (``cobalamin.batch.staged``).

Everything that depends only on the test and unit (conversion factor, hard range, kind) is
looked up once per distinct ``(test, unit)`` pair in a small table and joined, not worked out
per row. That is also where a site's local codes (``cobalamin.knowledge.local_codes``) become
test ids, with the code's unit where a row has none.

A censored value (``<50``) fails the plain number read, which is cheap; only rows whose first
problem is that are read again with the censored pattern. Those that pass become
``LabFile.censored``: their samples are interpreted one by one.
"""

from __future__ import annotations

import polars as pl

from cobalamin.analytes import AnalyteCatalogue
from cobalamin.batch.lab_file import (
    Check,
    Grouping,
    LabFile,
    absent_facts,
    censored_number,
    censored_of,
    errors_of,
    first_error,
    fmt,
    hard_range,
    impossible,
    no_sample_id,
    sample_id,
)
from cobalamin.batch.person_columns import number, person_columns, text
from cobalamin.errors import CobalaminError, InputError
from cobalamin.knowledge.local_codes import LocalCodes
from cobalamin.knowledge.registry import Knowledge
from cobalamin.units import conversion_factor

__all__ = ["FactorLookup", "factor_table", "read_long"]


def factor_table(
    frame: pl.LazyFrame, analytes: AnalyteCatalogue, codes: LocalCodes | None = None
) -> pl.DataFrame:
    """Every distinct raw ``(test, unit)`` of the file (``_raw_test``, ``_raw_unit``) with what it
    means: ``_test`` and ``_unit`` (trimmed; the test lowercased; a local code as its test id and,
    without a unit, the code's unit), ``_test_id`` (position in the catalogue; null: unknown
    test), ``_quantitative``, ``_qualitative``, ``_factor`` to the canonical unit (null: not a
    valid pair) and ``_low``/``_high``/``_range`` (the hard range)."""
    test_ids = tuple(analytes)
    pairs = frame.select(_raw_keys()).unique().collect()
    rows: list[tuple[object, ...]] = []
    for raw_test, raw_unit in pairs.iter_rows():
        test = (raw_test or "").strip().lower() or None
        unit = (raw_unit or "").strip() or None
        local = codes.lookup(raw_test) if codes is not None else None  # the site's code wins
        if local is not None:
            test, unit = local.test, unit or local.unit
        item = analytes.get(test) if test else None
        factor = low = high = span = None
        if test is not None and item is not None and item.kind == "quantitative":
            low, high, canonical_unit = hard_range(item)
            span = f"{fmt(low)} to {fmt(high)} {canonical_unit}"
            if unit:
                try:
                    factor = conversion_factor(item, unit)
                except CobalaminError:
                    factor = None
        test_id = None if item is None else test_ids.index(str(test))
        quantitative = item is not None and item.kind == "quantitative"
        qualitative = item is not None and item.kind == "qualitative"
        rows.append((raw_test, raw_unit, test, unit, test_id, quantitative, qualitative, factor,
                     low, high, span))  # fmt: skip
    schema = {"_raw_test": pl.String, "_raw_unit": pl.String, "_test": pl.String,
              "_unit": pl.String, "_test_id": pl.Int32, "_quantitative": pl.Boolean,
              "_qualitative": pl.Boolean, "_factor": pl.Float64, "_low": pl.Float64,
              "_high": pl.Float64, "_range": pl.String}  # fmt: skip
    return pl.DataFrame(rows, schema=schema, orient="row")


def _raw_keys() -> list[pl.Expr]:
    return [
        pl.col("test").cast(pl.String).alias("_raw_test"),
        pl.col("unit").cast(pl.String).alias("_raw_unit"),
    ]


_MAX_CELLS = 1_000_000
_NOT_A_NUMBER = 3  # the position of the "not a number" check in ``read_long``'s checks


def _position(column: str, values: list[str | None]) -> pl.Expr:
    """The index of each row's raw text in ``values`` (which holds every text of the column):
    the code of an Enum with those categories (a cast that streams; ``replace_strict`` does not)."""
    known = [v for v in values if v is not None]
    index = pl.col(column).cast(pl.String).cast(pl.Enum(known)).to_physical().cast(pl.Int64)
    return index.fill_null(len(known)) if None in values else index


class FactorLookup:
    """The factor table of a file, read per row through one integer column ``_cell``.

    ``_cell`` is the row's place in a grid of the distinct raw tests and units; a column of
    the table is an array indexed by it. No join and nothing trimmed or lowercased per row; a
    text column (needed for error messages only) is built only where it is read.
    """

    def __init__(self, factors: pl.DataFrame) -> None:
        raw = list(zip(factors["_raw_test"], factors["_raw_unit"], strict=True))
        tests = list(dict.fromkeys(t for t, _ in raw))
        units = list(dict.fromkeys(u for _, u in raw))
        self.tests = [t for t in tests if t is not None] + ([None] if None in tests else [])
        self.units = [u for u in units if u is not None] + ([None] if None in units else [])
        if len(self.tests) * len(self.units) > _MAX_CELLS:
            raise InputError("unit", "too many different spellings of tests and units in one file")
        row_of = {pair: i for i, pair in enumerate(raw)}
        self.grid = [row_of.get((t, u)) for t in self.tests for u in self.units]
        self.factors = factors

    def cell(self) -> pl.Expr:
        width = len(self.units)
        return (_position("test", self.tests) * width + _position("unit", self.units)).alias(
            "_cell"
        )

    def column(self, name: str) -> pl.Expr:
        """The table's column ``name`` for every row (needs ``_cell``)."""
        source = self.factors[name]
        values = [None if i is None else source[i] for i in self.grid]
        return pl.lit(pl.Series(values, dtype=source.dtype)).gather(pl.col("_cell"))


def read_long(
    frame: pl.LazyFrame, rows: int, knowledge: Knowledge, codes: LocalCodes | None = None
) -> LabFile:
    """A long-form file (see the module docstring)."""
    schema = frame.collect_schema()
    for required in ("sample_id", "test", "value"):
        if required not in schema:
            raise InputError(required, f"the long-form file has no {required} column")
    if "unit" not in schema:
        frame = frame.with_columns(unit=pl.lit(None, pl.String))
        schema = frame.collect_schema()
    analytes = knowledge.analytes
    test_ids = tuple(analytes)
    factors = factor_table(frame, analytes, codes)
    present = set(factors["_test"].drop_nulls())
    quantitative = tuple(
        t for t, a in analytes.items() if a.kind == "quantitative" and t in present
    )
    qualitative = {
        t: list(a.values) for t, a in analytes.items() if a.kind == "qualitative" and t in present
    }
    # words are read only when the file has qualitative tests: lowercasing costs on every row
    word = text("value").str.to_lowercase() if qualitative else pl.lit(None, pl.String)
    lookup = FactorLookup(factors)
    test_id, test_name = lookup.column("_test_id"), lookup.column("_test")
    word_ok = pl.lit(False)
    for test, allowed in qualitative.items():
        word_ok = word_ok | ((test_id == test_ids.index(test)) & word.is_in(allowed))
    is_qualitative = lookup.column("_qualitative")
    is_quantitative = lookup.column("_quantitative")
    factor = lookup.column("_factor")
    person = person_columns(schema, knowledge.vocabulary)

    def checks(censored: bool) -> tuple[list[Check], pl.Expr]:
        """The row checks and the canonical value; ``censored``: read censored values."""
        low, high = lookup.column("_low"), lookup.column("_high")
        if censored:
            comparator, measured = censored_number("value", schema)
            canonical = measured * factor
            out_of_range = impossible(canonical, comparator, low, high)
        else:  # the common case: no censored pattern read per row
            measured = number("value", schema)
            canonical = measured * factor
            out_of_range = (canonical < low) | (canonical > high)
        return [
            ("sample_id", no_sample_id(), pl.lit("missing id")),
            ("test", test_id.is_null(), pl.format("unknown test {}", test_name.fill_null("(empty)"))),
            ("value", is_qualitative & ~word_ok,
             pl.format("{} is not a result of {}", word.fill_null("(empty)"), test_name)),
            ("value", is_quantitative & measured.is_null(), pl.lit("not a number")),
            ("value", is_quantitative & ~measured.is_finite(), pl.lit("not a finite number")),
            ("unit", is_quantitative & factor.is_null(),
             pl.format("unknown unit {} for {}", lookup.column("_unit").fill_null("(empty)"), test_name)),
            ("value", is_quantitative & out_of_range,
             pl.format("not a possible {} result ({})", test_name, lookup.column("_range"))),
            *person.checks,
        ], canonical  # fmt: skip

    plain, canonical = checks(censored=False)
    index, field, reason = first_error(plain)
    parsed = frame.with_columns(lookup.cell(), _sample=sample_id(), **person.parsed)
    checked = parsed.with_columns(_check=index)
    error_rows = checked.filter(pl.col("_check") >= 0)
    censored = suspects = None
    censored_columns: tuple[str, ...] = ()
    if not schema["value"].is_numeric():  # text values may be censored: read such rows again
        again, limit = checks(censored=True)
        index2, field, reason = first_error(again)
        recheck = pl.when(pl.col("_check") == _NOT_A_NUMBER).then(index2)
        error_rows = error_rows.with_columns(_check=recheck.otherwise(pl.col("_check")))
        row_columns = [
            pl.col("_sample"),
            pl.col("_line"),
            test_id.alias("_test"),
            limit.alias("_canonical"),
            pl.lit(None, pl.String).alias("_word"),
            *[expr.alias(f"_p_{name}") for name, expr in person.facts.items()],
            text("value").alias("_raw"),
            lookup.column("_unit").alias("_raw_unit"),
        ]
        suspects = error_rows.select(
            pl.col("_check"),
            pl.col("_line").cast(pl.Int64).alias("line"),
            pl.col("_sample").alias("sample_id"),
            field.alias("field"),
            reason.alias("reason"),
            *row_columns,
        )
        censored_columns = tuple(c.meta.output_name() for c in row_columns)
        censored = censored_of(suspects, censored_columns)
        row_errors = errors_of(suspects)
    else:
        row_errors = error_rows.select(
            pl.col("_line").cast(pl.Int64).alias("line"),
            pl.col("_sample").alias("sample_id"),
            field.alias("field"),
            reason.alias("reason"),
        )
    readable = checked.filter(pl.col("_check") < 0).select(
        "_sample",
        "_line",
        test_id.alias("_test"),
        pl.when(is_quantitative).then(canonical).alias("_canonical"),
        pl.when(is_qualitative).then(word).alias("_word"),
        *[expr.alias(f"_p_{name}") for name, expr in person.facts.items()],
    )
    grouping = Grouping(
        test_ids, quantitative, tuple(qualitative), tuple(person.facts), knowledge.facts
    )
    whole = readable  # the whole-file plan leaves out the samples that have a censored row
    if censored is not None:
        whole = readable.join(censored.select("_sample").unique(), on="_sample", how="anti")
    marked = grouping.mark_repeats(whole)
    facts = grouping.facts(marked)
    errors = pl.concat([row_errors, grouping.repeat_errors(marked)]).sort("line")
    return LabFile(
        facts,
        errors,
        "long",
        rows,
        absent_facts({*quantitative, *qualitative, *person.facts}, knowledge.facts),
        readable=readable,
        row_errors=row_errors,
        grouping=grouping,
        censored=censored,
        suspects=suspects,
        censored_columns=censored_columns,
    )
