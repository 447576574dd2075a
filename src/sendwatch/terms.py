"""Academic years, terms, census dates and return deadlines (contract section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sendwatch.contract.v1 import TERMS

THURSDAY = 3
DEADLINE_DAYS = 28
# the months each term spans (September-December, January-April, May-August), so
# every day of the year falls in exactly one term, holidays with the term before
TERM_MONTHS = {"autumn": (9, 12), "spring": (1, 4), "summer": (5, 8)}


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


@dataclass(frozen=True, order=True)
class Term:
    """One term of one academic year, e.g. Term(2025, "spring") is spring 2025-26."""

    start_year: int
    term: str

    @property
    def academic_year(self) -> str:
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def index(self) -> int:
        return self.start_year * 3 + TERMS.index(self.term)

    @property
    def census_date(self) -> date:
        """DfE school census day: first Thursday of October, third of January and May."""
        if self.term == "autumn":
            return nth_weekday(self.start_year, 10, THURSDAY, 1)
        month = 1 if self.term == "spring" else 5
        return nth_weekday(self.start_year + 1, month, THURSDAY, 3)

    @property
    def starts_on(self) -> date:
        """First day of the term as sendwatch counts it: whole months, no gaps."""
        year = self.start_year if self.term == "autumn" else self.start_year + 1
        return date(year, TERM_MONTHS[self.term][0], 1)

    @property
    def ends_on(self) -> date:
        """Last day of the term: the day before the next one starts."""
        return self.next().starts_on - timedelta(days=1)

    @property
    def deadline(self) -> date:
        return self.census_date + timedelta(days=DEADLINE_DAYS)

    def next(self) -> Term:
        position = TERMS.index(self.term)
        if position == len(TERMS) - 1:
            return Term(self.start_year + 1, TERMS[0])
        return Term(self.start_year, TERMS[position + 1])

    def __str__(self) -> str:
        return f"{self.term} {self.academic_year}"

    @classmethod
    def parse(cls, academic_year: str, term: str) -> Term:
        return cls(int(academic_year[:4]), term)


def term_range(first: Term, count: int) -> list[Term]:
    terms = [first]
    while len(terms) < count:
        terms.append(terms[-1].next())
    return terms


SAMPLE_TERMS: tuple[Term, ...] = tuple(term_range(Term(2024, "autumn"), 6))


def write_term_dates_seed(path: Path, first: Term = SAMPLE_TERMS[0], count: int = 6) -> Path:
    """The terms the LA collects, with census dates and deadlines, as a dbt seed.

    An LA adds the coming terms (or sets its own deadlines) by editing the seed.
    """
    lines = ["academic_year,term,starts_on,ends_on,census_date,deadline"]
    lines += [
        ",".join(
            [t.academic_year, t.term]
            + [d.isoformat() for d in (t.starts_on, t.ends_on, t.census_date, t.deadline)]
        )
        for t in term_range(first, count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def collected_terms(seed: Path | None = None) -> list[CollectedTerm]:
    """The terms the LA collects, as its term-dates seed says (the dbt seed itself)."""
    import csv

    from sendwatch.settings import PROJECT_ROOT

    path = seed or PROJECT_ROOT / "seeds" / "term_dates.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            CollectedTerm(row["academic_year"], row["term"], date.fromisoformat(row["deadline"]))
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class CollectedTerm:
    academic_year: str
    term: str
    deadline: date


if __name__ == "__main__":
    from sendwatch.settings import PROJECT_ROOT

    print(f"wrote {write_term_dates_seed(PROJECT_ROOT / 'seeds' / 'term_dates.csv')}")
