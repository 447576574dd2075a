"""Academic years, terms, census dates and return deadlines (contract section 5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sendwatch.contract.v1 import TERMS

THURSDAY = 3
DEADLINE_DAYS = 28


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
    lines = ["academic_year,term,census_date,deadline"]
    lines += [
        f"{t.academic_year},{t.term},{t.census_date.isoformat()},{t.deadline.isoformat()}"
        for t in term_range(first, count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    from sendwatch.settings import PROJECT_ROOT

    print(f"wrote {write_term_dates_seed(PROJECT_ROOT / 'seeds' / 'term_dates.csv')}")
