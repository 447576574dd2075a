"""A problem found in a file, said so that the person who sent it can act."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sendwatch.contract.v1 import RULES_BY_ID

# Enough to act on; a file with thousands of broken cells says how many more.
MAX_PROBLEMS_SHOWN = 50


def column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index: 0 -> A, 27 -> AB."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass(frozen=True)
class Problem:
    """One reason a return cannot be accepted."""

    file: str
    rule_id: str
    message: str
    sheet: str | None = None
    row: int | None = None  # as the spreadsheet shows it: the header is row 1
    column: str | None = None  # the heading, as normalised
    column_letter: str | None = None
    value: str | None = None

    @property
    def place(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column or self.column_letter:
            label = self.column_letter or ""
            if self.column:
                label = f"{label} ({self.column})".strip()
            parts.append(f"column {label}")
        return ", ".join(parts)

    @property
    def advice(self) -> str:
        rule = RULES_BY_ID.get(self.rule_id)
        return rule.advice if rule else ""

    def __str__(self) -> str:
        return f"{self.place}: {self.message} [rule {self.rule_id}]. {self.advice}".strip()

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "place": self.place, "advice": self.advice}


def summarise(problems: list[Problem], limit: int = MAX_PROBLEMS_SHOWN) -> list[str]:
    """Lines for people: the first ``limit`` problems, then how many more."""
    lines = [str(problem) for problem in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"... and {len(problems) - limit} more problems of the same kinds.")
    return lines
