"""The constants of Fedosov's combined indicator (cB12) as typed data (``data/cb12.yaml``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from cobalamin.knowledge.care_data import Bilingual

__all__ = ["AgeTerm", "CB12Band", "CB12Constants"]


class _Open(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class AgeTerm(_Open):
    """``numerator / (1 + (age / scale_years) ** exponent)``."""

    numerator: float
    scale_years: float = Field(gt=0)
    exponent: float
    status: str
    source: str | list[str]


class CB12Band(_Open):
    category: str
    below: float | None = None
    below_or_equal: float | None = None
    en: str
    nl: str


class _Categories(_Open):
    source: str | list[str]
    bands: tuple[CB12Band, ...] = Field(min_length=1)


class _Texts(_Open):
    missing: Bilingual  # {missing}: the markers (and age) not given
    unverified: Bilingual


class CB12Constants(_Open):
    status: Literal["verified", "unverified"]
    reason: Bilingual
    texts: _Texts
    age_term: AgeTerm
    categories: _Categories

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    def category_of(self, value: float) -> str:
        """The cB12 category of a value: the first band whose upper bound it is below."""
        for band in self.categories.bands:
            if band.below is not None and value < band.below:
                return band.category
            if band.below_or_equal is not None and value <= band.below_or_equal:
                return band.category
            if band.below is None and band.below_or_equal is None:
                return band.category
        raise AssertionError("the last band has no bound")

    def age_term_of(self, age: float) -> float:
        term = self.age_term
        return float(term.numerator / (1 + (age / term.scale_years) ** term.exponent))
