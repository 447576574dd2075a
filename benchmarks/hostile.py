"""Time to reject each hostile delivery, and the peak memory of checking the worst.

Run on demand, not in the test suite (targets: each bomb rejected in under a second,
a night with the whole corpus under 2 GB; the test suite checks the night's memory
and that bombs are rejected by their declared sizes, not how fast):

    uv run python benchmarks/hostile.py
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hostile import RECEIVED, corpus, register_rows

from sendwatch.validation import check_delivery

TARGET_SECONDS = 1.0
BOMBS = ("zip_bomb", "ratio_bomb", "dimension_bomb", "billion_laughs", "huge_csv")


def main() -> None:
    urns = {line.split(",")[0] for line in register_rows([]).splitlines()[1:]}
    slowest = 0.0
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'case':40} {'rule':22} {'ms':>8}")
        for case in corpus():
            paths = {}
            for name, data in case.files.items():
                paths[name] = Path(folder) / case.id / name
                paths[name].parent.mkdir(parents=True, exist_ok=True)
                paths[name].write_bytes(data)
            started = time.perf_counter()
            result = check_delivery(case.kind, paths, RECEIVED, urns)
            elapsed = time.perf_counter() - started
            slowest = max(slowest, elapsed)
            rules = ",".join(sorted({p.rule_id for p in result.problems}))
            over = case.id in BOMBS and elapsed >= TARGET_SECONDS
            flag = "  <-- a bomb over the 1 s target" if over else ""
            print(f"{case.id:40} {rules:22} {elapsed * 1000:8.1f}{flag}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"slowest {slowest * 1000:.0f} ms; peak memory of this process {peak:.0f} MB")


if __name__ == "__main__":
    main()
