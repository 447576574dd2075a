"""Are two published snapshots the same, table by table? For checking that a change to
the pipeline changes no figure: run the nights before and after it on the same input
(for example with ``benchmarks/refresh.py``'s samples) and compare what they published.

    uv run python benchmarks/compare_snapshots.py BEFORE.duckdb AFTER.duckdb

Every table is compared as a multiset of rows, leaving out the columns that say when
and by which night a row was made (``RUN_COLUMNS``): they differ between any two nights.
Prints one line a table and exits 1 if any table differs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# when, and by which night, a row was made: different for any two nights
RUN_COLUMNS = {
    "run_id",
    "loaded_at",
    "processed_at",
    "fitted_at",
    "started_at",
    "built_at",
    "published_at",
    "as_of",
}


def tables(connection: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {
        name
        for (name,) in connection.execute(
            "select table_name from duckdb_tables() where database_name = ?", [database]
        ).fetchall()
    }


def columns(connection: duckdb.DuckDBPyConnection, database: str, table: str) -> list[str]:
    return [row[0] for row in connection.execute(f'describe {database}."{table}"').fetchall()]


def compare_table(connection: duckdb.DuckDBPyConnection, table: str) -> str | None:
    """None if ``table`` holds the same rows in both; else what differs."""
    before, after = columns(connection, "before", table), columns(connection, "after", table)
    if before != after:
        return f"columns differ: {sorted(set(before) ^ set(after))}"
    compared = ", ".join(f'"{name}"' for name in before if name not in RUN_COLUMNS)
    counts = connection.execute(
        f"""
        select
            (select count(*) from before."{table}"),
            (select count(*) from after."{table}"),
            (select count(*) from (select {compared} from before."{table}"
                                   except all select {compared} from after."{table}")),
            (select count(*) from (select {compared} from after."{table}"
                                   except all select {compared} from before."{table}"))
        """
    ).fetchone()
    if counts[2:] == (0, 0):
        return None
    before_rows, after_rows, only_before, only_after = counts
    return (
        f"{before_rows} rows before, {after_rows} after: "
        f"{only_before} only before, {only_after} only after"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    arguments = parser.parse_args()
    connection = duckdb.connect()
    connection.execute(f"attach '{arguments.before}' as before (read_only)")
    connection.execute(f"attach '{arguments.after}' as after (read_only)")
    names_before, names_after = tables(connection, "before"), tables(connection, "after")
    differences = 0
    for name in sorted(names_before ^ names_after):
        print(f"DIFFERENT {name}: only {'before' if name in names_before else 'after'}")
        differences += 1
    for name in sorted(names_before & names_after):
        found = compare_table(connection, name)
        (rows,) = connection.execute(f'select count(*) from before."{name}"').fetchone()
        print(f"DIFFERENT {name}: {found}" if found else f"same      {name}: {rows} rows")
        differences += found is not None
    print(f"{differences} of {len(names_before | names_after)} tables differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
