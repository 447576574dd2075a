"""Maintainers: build the name lists personal-data detection checks against.

Source: U.S. Census Bureau, "Frequently Occurring Surnames and First Names from the
1990 Census" (dist.male.first, dist.female.first, dist.all.last; public domain, a work
of the U.S. Government). The same three files ship in the PyPI package ``names``
0.3.0 (``pip download --no-deps names==0.3.0``). We keep every given name and the
surnames that together cover 85% of people, lower-cased, one per line.

    python scripts/make_name_lists.py FOLDER_WITH_THE_DIST_FILES
"""

from __future__ import annotations

import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "sendwatch" / "personal_data"
SURNAME_COVERAGE = 85.0  # cumulative percent of people


def names_in(path: Path, coverage: float = 100.0) -> set[str]:
    names = set()
    for line in path.read_text(encoding="ascii").splitlines():
        name, _frequency, cumulative, _rank = line.split()
        if float(cumulative) <= coverage:
            names.add(name.lower())
    return names


def main(folder: Path) -> None:
    given = names_in(folder / "dist.male.first") | names_in(folder / "dist.female.first")
    surnames = names_in(folder / "dist.all.last", SURNAME_COVERAGE)
    for file_name, names in (("given_names.txt", given), ("surnames.txt", surnames)):
        (OUT / file_name).write_text("\n".join(sorted(names)) + "\n", encoding="ascii")
        print(f"{file_name}: {len(names)} names")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
